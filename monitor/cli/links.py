"""`linkwatch links [--state S] [--site D] [--tag T] [--json|--csv]`: the stored backlinks and their state.

Streams from the store in batches, so it works the same for ten backlinks or a
million.  `--json` prints one object per backlink per line; `--csv` a
spreadsheet-safe CSV (cells starting with = + - @ are neutralised).

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from monitor.cli.listing_output import emit
from monitor.cli.store_access import open_store
from monitor.core.types import BacklinkState

JSON_FIELDS = ("id", "source_url", "target", "site", "state", "follow", "rel", "anchor", "expected_anchor",
               "http_status", "final_url", "first_seen", "last_checked", "last_live", "next_due_at", "tags",
               "referring_domain", "page_traffic", "origin", "campaign", "cost", "placed_on", "notes")
TABLE_COLUMNS = ("id", "state", "source_url", "target", "anchor", "http_status", "last_checked", "tags", "page")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "links", help="list the monitored backlinks and their state",
        description="List the monitored backlinks with their current state, optionally filtered.")
    parser.add_argument("--state", choices=[s.value for s in BacklinkState], help="only backlinks in this state")
    parser.add_argument("--site", metavar="D", help="only backlinks to this monitored site (example.com)")
    parser.add_argument("--tag", metavar="T", help="only backlinks with this tag")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="output", action="store_const", const="json",
                     help="one JSON object per backlink per line")
    fmt.add_argument("--csv", dest="output", action="store_const", const="csv",
                     help="CSV, safe to open in a spreadsheet")
    parser.set_defaults(func=run, output="table")


def _for_table(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its `page` column: the page flags (noindex, canonical elsewhere), so that a link on a
    page turned noindex does not read as plainly `live`; the last check as people read a time."""
    from monitor.core.changes import page_flags  # here: the command starts without loading the URL parser
    from monitor.core.human import human_time

    flags = page_flags(row["page_noindex"], row["canonical"], row["source_url"], row["final_url"])
    return {**row, "page": ", ".join(flags), "last_checked": human_time(row["last_checked"])}


def run(args: argparse.Namespace) -> int:
    from monitor.store.listing import iter_backlinks

    engine = open_store(args, create=False)
    rows = iter_backlinks(engine, state=args.state, site=args.site, tag=args.tag)
    if args.output == "table":
        rows = (_for_table(row) for row in rows)
    count = emit(rows, args.output, JSON_FIELDS, TABLE_COLUMNS)
    if count == 0:
        sys.stderr.write("no backlinks match\n")
    return 0
