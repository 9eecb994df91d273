"""`linkwatch remove SOURCE_URL [--target TARGET]`: stop monitoring a backlink, with its history.

Removes every backlink of the referring page (http/https and `www.` spellings
are the same page), or only the one to TARGET.  Its checks and events go too.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
import sys

from monitor.cli.common import CliError
from monitor.cli.store_access import open_store
from monitor.core.human import plural


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "remove", help="stop monitoring a backlink (and forget its history)",
        description="Remove the backlinks of a referring page (or only the one to TARGET), with their "
        "checks and events.")
    parser.add_argument("source_url", metavar="SOURCE_URL", help="the referring page")
    parser.add_argument("--target", metavar="TARGET", help="remove only the backlink to this target")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.store.backlink_input import normalize_source, normalize_target
    from monitor.store.db import session
    from monitor.store.writer import remove_backlinks

    try:
        normalize_source(args.source_url)
    except ValueError as exc:
        raise CliError(f"SOURCE_URL: {exc}") from None
    if args.target is not None:
        try:
            normalize_target(args.target)
        except ValueError as exc:
            raise CliError(f"--target: {exc}") from None
    engine = open_store(args, create=False)
    with session(engine) as s:
        removed = remove_backlinks(s, args.source_url, args.target)
    if not removed:
        what = f" to {args.target}" if args.target else ""
        raise CliError(f"no backlink from {args.source_url}{what} is stored; nothing removed "
                       "(see `linkwatch links`)")
    sys.stdout.write(f"removed {plural(removed, 'backlink')} from {args.source_url}\n")
    return 0
