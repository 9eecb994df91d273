"""Opening the store for a command: the one place CLI commands turn a database problem into a user error.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.cli.common import CliError, settings_from
from monitor.cli.log_setup import announce
from monitor.config import ConfigError, parse_duration

if TYPE_CHECKING:
    from sqlalchemy import Engine


#: what a command that only reads says when the SQLite file is not there (exit 2, nothing created)
NO_DATABASE = "no database at {path} yet: import or add backlinks first (linkwatch import FILE)"


def open_store(args: argparse.Namespace, create: bool = True, announce: bool = True) -> Engine:
    """The Engine for the configured database, schema current. Raises CliError (one line) when it cannot open.

    A command that only reads passes `create=False`: a SQLite file that does not exist is then an error (a typo in
    the path would otherwise leave an empty new database behind and list nothing).  A command that writes creates
    it and says where, once, on stderr (its stdout may be JSON); with `announce=False` the command says it
    itself once it has written something (`announce_database`), or takes the file back (`discard_database`)."""
    from sqlalchemy.exc import DBAPIError  # imported here: `linkwatch --help` stays quick

    from monitor.store.db import StoreError, connect, sqlite_file

    url = settings_from(args).database_url
    file = sqlite_file(url)
    new = file is not None and not file.exists()
    if new and not create:
        raise CliError(NO_DATABASE.format(path=file))
    try:
        engine = connect(url)
        if new:
            args._new_database = file
            if announce:
                announce_database(args)
        return engine
    except StoreError as exc:
        raise CliError(_one_line(str(exc))) from None
    except (DBAPIError, OSError) as exc:
        raise CliError(f"cannot open database {_safe(url)}: {_one_line(str(getattr(exc, 'orig', None) or exc))}"
                       ) from None


def announce_database(args: argparse.Namespace) -> None:
    """`created the database at FILE` on stderr, when this command created it."""
    file = getattr(args, "_new_database", None)
    if file is not None:
        announce(settings_from(args), __name__, f"created the database at {file}", database=str(file))


def discard_database(args: argparse.Namespace, engine: Engine) -> None:
    """Remove the SQLite database this command created when it wrote nothing after all (a refused import), so
    that the next command still says there is no database yet."""
    file = getattr(args, "_new_database", None)
    if file is None:
        return
    engine.dispose()
    for suffix in ("", "-wal", "-shm", "-journal"):
        file.with_name(file.name + suffix).unlink(missing_ok=True)


def open_stored_page(args: argparse.Namespace) -> tuple[Engine, str, list[dict[str, Any]]]:
    """(the Engine, the normalised `args.source_url`, its stored backlinks) for a command about one referring
    page; CliError when the URL is not one or no backlink from it is stored."""
    from monitor.store.backlink_input import normalize_source
    from monitor.store.listing import backlinks_of_page

    try:
        source = normalize_source(args.source_url)
    except ValueError as exc:
        raise CliError(f"SOURCE_URL: {exc}") from None
    engine = open_store(args, create=False)
    links = backlinks_of_page(engine, source)
    if not links:
        raise CliError(f"no backlink from {args.source_url} is stored (see `linkwatch links`)")
    return engine, source, links


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(invalid URL)"


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def parse_when(text: str, flag: str) -> datetime:
    """`2026-09-15`, `2026-09-15T10:00:00+02:00` (UTC when no zone), or a duration back from now (`7d`, `12h`)."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.now(UTC) - timedelta(seconds=parse_duration(value, flag))
        except ConfigError:
            raise CliError(f"{flag}: expected a date (2026-09-15), a date and time, or a duration "
                           f"such as 7d or 12h, got {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_day(text: str, flag: str) -> date:
    """A calendar date as ISO (2026-09-15), `Sep 15, 2026` or DD/MM/YYYY."""
    from monitor.importers.base import parse_date

    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        raise CliError(f"{flag}: expected a date such as 2026-09-15, got {text!r}")
    return day

