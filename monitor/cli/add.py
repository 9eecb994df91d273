"""`linkwatch add SOURCE_URL --target TARGET ...`: add a backlink by hand (or update the one stored).

The backlink is keyed by its referring page (scheme and `www.` do not matter)
and its target; adding it again updates the values given and changes nothing
else.  A new backlink is due for a check at once, in state `unchecked`, or
`pending` with `--status pending` (a link promised by outreach, not live yet).

A target on a domain that is not one of your sites yet (stored, or a `[[site]]` of the config) is
refused as a likely typo unless `--new-site` is given; the very first `add` or `import` creates your sites.

Reads `Settings.database_url` and `Settings.sites`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.cli.common import CliError, settings_from
from monitor.cli.store_access import open_store, parse_day

if TYPE_CHECKING:
    from monitor.store.backlink_input import BacklinkInput


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "add", help="add a backlink to monitor",
        description="Add a backlink to monitor: the page that links to you and the target it should point at. "
        "Adding one that is already stored updates the values given.")
    parser.add_argument("source_url", metavar="SOURCE_URL", help="the referring page (absolute http(s) URL)")
    parser.add_argument("--target", required=True, metavar="TARGET",
                        help="your domain (example.com: any page of it) or one of your URLs")
    parser.add_argument("--anchor", metavar="TEXT", help="the anchor text you expect")
    parser.add_argument("--tag", action="append", default=[], metavar="T", help="a tag (repeatable)")
    parser.add_argument("--status", choices=["pending"],
                        help="pending: promised but not live yet (a went_live event fires when it appears)")
    parser.add_argument("--campaign", metavar="C", help="the outreach campaign it came from")
    parser.add_argument("--cost", type=float, metavar="X", help="what the link cost")
    parser.add_argument("--placed", metavar="DATE", help="the date it was placed (2026-09-15)")
    parser.add_argument("--notes", metavar="TEXT", help="free-form notes")
    parser.add_argument("--new-site", action="store_true",
                        help="the target is on a domain that is not one of your sites yet: start monitoring it")
    parser.set_defaults(func=run)


def _input(args: argparse.Namespace) -> BacklinkInput:
    from monitor.store.backlink_input import BacklinkInput, clean_tags, normalize_source, normalize_target

    try:
        source = normalize_source(args.source_url)
    except ValueError as exc:
        raise CliError(f"SOURCE_URL: {exc}") from None
    try:
        target, host = normalize_target(args.target)
    except ValueError as exc:
        raise CliError(f"--target: {exc}") from None
    try:
        tags = clean_tags(args.tag)
    except ValueError as exc:
        raise CliError(f"--tag: {exc}") from None
    if args.cost is not None and args.cost < 0:
        raise CliError("--cost: must not be negative")
    return BacklinkInput(
        source_url=source, target=target, target_host=host, anchor=args.anchor, tags=tags,
        notes=args.notes, campaign=args.campaign, cost=args.cost,
        placed_on=parse_day(args.placed, "--placed") if args.placed else None,
        pending=args.status == "pending", origin="manual")


def run(args: argparse.Namespace) -> int:
    from monitor.store.db import session
    from monitor.store.sites import NotASiteError, SiteResolver
    from monitor.store.writer import upsert_backlinks

    item = _input(args)
    settings = settings_from(args)
    engine = open_store(args)
    try:
        with session(engine) as s:
            resolver = SiteResolver(s, settings.sites)
            counts = upsert_backlinks(s, [item], resolver, datetime.now(UTC))
            resolver.refuse_new_sites(args.new_site)
    except NotASiteError as exc:
        raise CliError(str(exc)) from None
    verb = "added" if counts.added else "updated" if counts.updated else "already stored, unchanged:"
    sys.stdout.write(f"{verb} {item.source_url} -> {item.target}\n")
    return 0
