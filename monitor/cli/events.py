"""`linkwatch events [--since DATE] [--type T] [--site D] [--limit N] [--json]`: what changed, newest first.

`--since` takes a date (2026-09-15), a date and time (UTC unless it says
otherwise) or a duration back from now (7d, 12h).  The table says what happened
in words; `--json` prints one object per event per line with machine values.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from monitor.cli.common import CliError
from monitor.cli.listing_output import emit
from monitor.cli.store_access import open_store, parse_when
from monitor.core.human import event_detail_words, event_words, human_time, state_words
from monitor.core.types import Event, EventType

JSON_FIELDS = ("id", "type", "source_url", "target", "at", "old_state", "new_state", "detail", "site", "role",
               "tags", "anchor", "page_traffic", "last_live_at")
TABLE_COLUMNS = ("at", "site", "type", "change", "source_url", "target", "detail")
TABLE_HEADERS = {"at": "WHEN", "type": "WHAT", "change": "STATE", "source_url": "PAGE", "detail": "WHY"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "events", help="list the changes detected (lost, nofollow, restored, ...), newest first",
        description="List the events detected by the checks, newest first.")
    parser.add_argument("--since", metavar="DATE", help="only events at or after DATE (2026-09-15, an ISO "
                        "date and time, or a duration back from now such as 7d)")
    parser.add_argument("--type", choices=[t.value for t in EventType], metavar="T",
                        help="only events of this type: " + ", ".join(t.value for t in EventType))
    parser.add_argument("--site", metavar="D", help="only events of backlinks to this monitored site")
    parser.add_argument("--limit", type=int, metavar="N", help="at most N events (the newest)")
    parser.add_argument("--json", dest="output", action="store_const", const="json", default="table",
                        help="one JSON object per event per line")
    parser.set_defaults(func=run)


def _rows(events: Iterator[Event], output: str) -> Iterator[dict[str, Any]]:
    for event in events:
        row = event.to_json()
        if output != "json":
            row = _for_table(row)
        yield row


def _for_table(row: dict[str, Any]) -> dict[str, Any]:
    """The event in words: a human time, what happened, the state change and the evidence."""
    old, new = state_words(row["old_state"]), state_words(row["new_state"])
    site = row["site"] or ""
    return {**row, "at": human_time(row["at"]), "type": event_words(row["type"]),
            "site": f"{site} (competitor)" if row.get("role") == "competitor" else site,
            "change": new if not old or old == new else f"{old} → {new}",
            "detail": event_detail_words(row["type"], row["detail"] or {})}


def run(args: argparse.Namespace) -> int:
    from monitor.store.listing import iter_events

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit: must be at least 1")
    since = parse_when(args.since, "--since") if args.since else None
    engine = open_store(args, create=False)
    events = iter_events(engine, since=since, event_type=args.type, site=args.site, limit=args.limit)
    count = emit(_rows(events, args.output), args.output, JSON_FIELDS, TABLE_COLUMNS, headers=TABLE_HEADERS)
    if count == 0:
        sys.stderr.write("no events match\n")
    return 0
