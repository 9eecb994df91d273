"""Connecting to the database and keeping its schema current.

`connect(url)` returns an Engine whose schema is at the newest Alembic revision:
SQLite files get their directory created and WAL mode, foreign keys and a busy
timeout on every connection; PostgreSQL URLs (`postgresql+psycopg://...`) are
used as given.  `session(engine)` is the one way to write: a transaction that
commits on success and rolls back on any exception.

Reads no settings itself: callers pass `Settings.database_url`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class StoreError(Exception):
    """The database cannot be opened or migrated. Its message is one line for the user."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create(url: str) -> Engine:
    """An Engine for `url`, without touching the schema."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except Exception as exc:  # missing driver, bad options
        raise StoreError(f"cannot use database {parsed.render_as_string(hide_password=True)}: {exc}") from None


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        logger.info("migrating database from %s to %s", current, head)
        command.upgrade(config, "head")


def connect(url: str) -> Engine:
    """An Engine whose schema is current. Raises StoreError with a one-line message."""
    engine = create(url)
    try:
        upgrade(engine)
    except OperationalError as exc:
        safe = make_url(url).render_as_string(hide_password=True)
        raise StoreError(f"cannot open database {safe}: {exc.orig}") from None
    return engine


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():
        yield s
