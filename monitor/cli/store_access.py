"""Opening the store for a command: the one place CLI commands turn a database problem into a user error.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.cli.common import CliError, settings_from
from monitor.config import ConfigError, parse_duration

if TYPE_CHECKING:
    from sqlalchemy import Engine


def open_store(args: argparse.Namespace) -> Engine:
    """The Engine for the configured database, schema current. Raises CliError (one line) when it cannot open."""
    from sqlalchemy.exc import DBAPIError  # imported here: `linkwatch --help` stays quick

    from monitor.store.db import StoreError, connect

    url = settings_from(args).database_url
    try:
        return connect(url)
    except StoreError as exc:
        raise CliError(_one_line(str(exc))) from None
    except (DBAPIError, OSError) as exc:
        raise CliError(f"cannot open database {_safe(url)}: {_one_line(str(getattr(exc, 'orig', None) or exc))}"
                       ) from None


def open_stored_page(args: argparse.Namespace) -> tuple[Engine, str, list[dict[str, Any]]]:
    """(the Engine, the normalised `args.source_url`, its stored backlinks) for a command about one referring
    page; CliError when the URL is not one or no backlink from it is stored."""
    from monitor.store.backlink_input import normalize_source
    from monitor.store.listing import backlinks_of_page

    try:
        source = normalize_source(args.source_url)
    except ValueError as exc:
        raise CliError(f"SOURCE_URL: {exc}") from None
    engine = open_store(args)
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

