"""`linkwatch links [--state S ...] [--site D] [--tag T] [--since DATE] [--json|--csv [--human]]`: the stored
backlinks and their state.

Streams from the store in batches, so it works the same for ten backlinks or a million.  The table is
for people (states in words, human dates); `--json` prints one object per backlink per line with machine
values; `--csv` a spreadsheet-safe CSV (cells starting with = + - @ are neutralised) with the JSON field
names, or with `--human` the column headers and values a client reads.  `--state` may be repeated (any of
them); `--since` keeps the backlinks whose state changed at or after DATE.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from monitor.cli.common import CliError
from monitor.cli.listing_output import emit
from monitor.cli.store_access import open_store, parse_when
from monitor.core.human import human_date, human_number, human_time, state_words, yes_no
from monitor.core.types import BacklinkState

JSON_FIELDS = ("id", "source_url", "target", "site", "state", "follow", "rel", "anchor", "expected_anchor",
               "http_status", "final_url", "first_seen", "last_checked", "last_live", "next_due_at", "tags",
               "referring_domain", "page_traffic", "origin", "campaign", "cost", "placed_on", "notes")
TABLE_COLUMNS = ("id", "site", "state", "source_url", "target", "anchor", "http_status", "last_checked", "tags",
                 "page")
TABLE_HEADERS = {"source_url": "REFERRING PAGE", "http_status": "HTTP"}

PRESENT = ("live", "nofollow")  # states in which the link is on the page (followed or not)
#: `--csv --human`: (column header, its value from a `links --json` row and its page flags)
HUMAN_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("Site", lambda r: r["site"]),
    ("Referring page", lambda r: r["source_url"]),
    ("Links to", lambda r: r["target"]),
    ("State", lambda r: state_words(r["state"])),
    ("Followed", lambda r: yes_no(r["follow"]) if r["state"] in PRESENT else ""),
    ("Anchor text", lambda r: r["anchor"]),
    ("Page notes", lambda r: r["page"]),
    ("Page traffic", lambda r: human_number(r["page_traffic"])),
    ("Referring domain", lambda r: r["referring_domain"]),
    ("HTTP status", lambda r: r["http_status"]),
    ("First seen live", lambda r: human_time(r["first_seen"])),
    ("Last live", lambda r: human_time(r["last_live"])),
    ("Last checked", lambda r: human_time(r["last_checked"])),
    ("State since", lambda r: human_time(r["state_changed_at"])),
    ("Tags", lambda r: ", ".join(r["tags"])),
    ("Campaign", lambda r: r["campaign"]),
    ("Cost", lambda r: human_number(r["cost"], 2) if r["cost"] is not None else ""),
    ("Placed on", lambda r: human_date(r["placed_on"])),
    ("Notes", lambda r: r["notes"]),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "links", help="list the monitored backlinks and their state",
        description="List the monitored backlinks with their current state, optionally filtered.")
    parser.add_argument("--state", action="append", choices=[s.value for s in BacklinkState], metavar="S",
                        help="only backlinks in this state (repeatable: any of them): "
                        + ", ".join(s.value for s in BacklinkState))
    parser.add_argument("--site", metavar="D", help="only backlinks to this monitored site (example.com)")
    parser.add_argument("--tag", metavar="T", help="only backlinks with this tag")
    parser.add_argument("--since", metavar="DATE", help="only backlinks whose state changed at or after DATE "
                        "(2026-01-31, a date and time, or a duration back from now such as 30d)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="output", action="store_const", const="json",
                     help="one JSON object per backlink per line")
    fmt.add_argument("--csv", dest="output", action="store_const", const="csv",
                     help="CSV, safe to open in a spreadsheet")
    parser.add_argument("--human", action="store_true",
                        help="with --csv: column headers and values for people (a client's spreadsheet)")
    parser.set_defaults(func=run, output="table")


def _with_flags(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its `page` column: the page flags (noindex, blocked for Google, canonical elsewhere),
    so that a link on a page turned noindex does not read as plainly `live`."""
    from monitor.core.changes import link_page_flags  # here: the command starts without loading the URL parser

    return {**row, "page": ", ".join(link_page_flags(row))}


def _for_table(row: dict[str, Any]) -> dict[str, Any]:
    row = _with_flags(row)
    return {**row, "state": state_words(row["state"]), "last_checked": human_time(row["last_checked"])}


def _human_rows(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        row = _with_flags(row)
        yield {header: value(row) for header, value in HUMAN_COLUMNS}


def run(args: argparse.Namespace) -> int:
    from monitor.store.listing import iter_backlinks

    if args.human and args.output != "csv":
        raise CliError("--human goes with --csv (the table is already written for people)")
    since = parse_when(args.since, "--since") if args.since else None
    engine = open_store(args, create=False)
    rows = iter_backlinks(engine, state=args.state, site=args.site, tag=args.tag, changed_since=since)
    if args.human:
        emit(_human_rows(rows), "csv", [header for header, _ in HUMAN_COLUMNS], ())
        return 0
    if args.output == "table":
        rows = (_for_table(row) for row in rows)
    count = emit(rows, args.output, JSON_FIELDS, TABLE_COLUMNS, headers=TABLE_HEADERS)
    if count == 0:
        sys.stderr.write("no backlinks match\n")
    return 0
