"""`linkwatch history SOURCE_URL [--json]`: every check of a referring page's backlinks, newest first.

http/https and `www.` spellings of the page are the same page.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from monitor.cli.listing_output import emit
from monitor.cli.store_access import open_stored_page
from monitor.core.human import human_time, state_words, yes_no

JSON_FIELDS = ("checked_at", "source_url", "target", "backlink_id", "state", "fetch_status", "http_status",
               "final_url", "follow", "links", "noindex", "nofollow", "canonical", "redirects", "rendered",
               "duration_seconds", "error", "run_id")
TABLE_COLUMNS = ("checked_at", "target", "state", "http_status", "final_url", "follow", "anchor", "rel", "rendered",
                 "error")
TABLE_HEADERS = {"checked_at": "CHECKED", "http_status": "HTTP", "follow": "FOLLOWED", "rendered": "JS RENDERED"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history", help="show every check of a referring page's backlinks",
        description="Show every check of the backlinks of one referring page, newest first.")
    parser.add_argument("source_url", metavar="SOURCE_URL", help="the referring page")
    parser.add_argument("--json", dest="output", action="store_const", const="json", default="table",
                        help="one JSON object per check per line")
    parser.set_defaults(func=run)


def _for_table(check: dict[str, Any]) -> dict[str, Any]:
    """The check in words: a human time, the state in words, yes/no, the anchors found (none: empty)."""
    links = check["links"]
    return {**check, "checked_at": human_time(check["checked_at"]), "state": state_words(check["state"]),
            "follow": yes_no(check["follow"]), "rendered": yes_no(check["rendered"]),
            "anchor": " | ".join(str(link.get("anchor") or "") for link in links),
            "rel": " ".join(sorted({rel for link in links for rel in link.get("rel") or []}))}


def run(args: argparse.Namespace) -> int:
    from monitor.store.listing import iter_history

    engine, source, _ = open_stored_page(args)
    checks = iter_history(engine, source)
    rows = checks if args.output == "json" else (_for_table(c) for c in checks)
    count = emit(rows, args.output, JSON_FIELDS, TABLE_COLUMNS, headers=TABLE_HEADERS)
    if count == 0:
        sys.stderr.write(f"{args.source_url} has not been checked yet\n")
    return 0
