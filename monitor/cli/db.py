"""`linkwatch db rebuild-rollups`: database maintenance.

`rebuild-rollups` recounts the report rollups (monitor/store/rollups.py) from the
backlinks and events in one transaction.  Every write of linkwatch keeps them
current; this is the repair for a database written by something else (a hand
`UPDATE`, a restore of some tables only).  Reports made meanwhile wait or see the
old counts, never half of the new ones.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
import sys
import time

from monitor.cli.store_access import open_store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database maintenance (rebuild-rollups)",
                                   description="Database maintenance.")
    commands = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    rebuild = commands.add_parser(
        "rebuild-rollups", help="recount the report rollups from the backlinks and events",
        description="Recount the per-site counts behind `linkwatch report` (rollup_links, rollup_domains, "
        "rollup_anchors, rollup_event_days) from the backlinks and events, in one transaction. Needed only "
        "when something other than linkwatch changed the backlinks or events tables.")
    rebuild.set_defaults(func=run_rebuild)


def run_rebuild(args: argparse.Namespace) -> int:
    from monitor.store import rollups
    from monitor.store.db import session

    engine = open_store(args, create=False)
    started = time.monotonic()
    with session(engine) as s:
        counts = rollups.rebuild(s)
    sys.stdout.write(f"rebuilt the report rollups in {time.monotonic() - started:.1f}s: "
                     f"{counts['domains']} referring domains, {counts['anchors']} anchors, "
                     f"{counts['links']} link groups, {counts['reclaim']} links to reclaim\n")
    return 0
