"""Connecting to the database and keeping its schema current.

`connect(url)` returns an Engine whose schema is at the newest Alembic revision (SQLite: directory
created, WAL mode, foreign keys and a busy timeout on every connection; PostgreSQL URLs used as
given).  A database already at `HEAD_REVISION` is recognised with one plain query of `alembic_version`,
so a command starts without importing Alembic (docs/performance.md, "Start-up"); any other database
(new, older, or unreadable) goes through Alembic.  `HEAD_REVISION` is the head of
monitor/migrations/versions: tools/make_migration.py writes it, tests/test_store.py holds it.

`session(engine)` is the one way to write: a transaction that commits on success and rolls back on any
exception.  `retry_after_reconnect(engine, work, what)` runs `work()` once more when it
failed because the connection to the server was lost, after waiting (at most RECONNECT_SECONDS)
for the server to answer again; `is_disconnect(engine, exc)` tells such errors apart.  Tested:
docs/reliability.md.

Reads no settings itself: callers pass `Settings.database_url`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)
T = TypeVar("T")
RECONNECT_SECONDS = 30.0  # how long a lost database server may take to come back before we give up
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
HEAD_REVISION = "0002"  # the newest revision in MIGRATIONS/versions (written by tools/make_migration.py)


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
        raise StoreError("not a database URL (expected sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB)"
                         ) from None  # the URL itself is not repeated: it may hold a password
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


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (absolute), or None for an in-memory database, another backend or a bad URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser().absolute()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def is_current(engine: Engine) -> bool:
    """True when the database's one `alembic_version` row is HEAD_REVISION; False when it is another,
    several, or none (no table yet: a new database).  Connection errors are raised."""
    with engine.connect() as conn:
        try:
            versions = [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
        except DBAPIError:  # no such table: Alembic creates it
            return False
    return versions == [HEAD_REVISION]


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    if is_current(engine):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:  # a new database is announced by the command that creates it
        logger.log(logging.INFO if current else logging.DEBUG, "migrating database from %s to %s", current, head)
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


def is_disconnect(engine: Engine, exc: BaseException) -> bool:
    """True when `exc` says the connection to a database server was lost or refused (not SQLite)."""
    if not isinstance(exc, DBAPIError) or engine.dialect.name == "sqlite":
        return False
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)


def wait_until_reachable(engine: Engine, seconds: float = RECONNECT_SECONDS) -> bool:
    """Poll the server with `SELECT 1` until it answers (True) or `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except DBAPIError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


def retry_after_reconnect(engine: Engine, work: Callable[[], T], what: str) -> T:
    """`work()`, run once more after the server is back when it failed on a lost connection.

    `work` must be safe to repeat: its transaction was rolled back, or (when the
    connection broke during COMMIT) `work` itself must find out that it was done."""
    try:
        return work()
    except DBAPIError as exc:
        if not is_disconnect(engine, exc):
            raise
        lines = str(exc.orig or exc).strip().splitlines() or [""]
        logger.warning("%s: lost the database connection (%s); retrying once reconnected", what, lines[0][:200])
        wait_until_reachable(engine)
    return work()
