"""`linkwatch sites [--json]`, `sites add DOMAIN [--competitor]`, `sites remove DOMAIN [--with-backlinks]`.

Your sites are the domains your backlinks point at (your own, or a competitor's for the gap report): the
ones stored (created by your first `add` or `import`, by `--new-site`, or by `sites add`) and the ones
named by a `[[site]]` of the config file.  A configured site is one of your sites whether stored or not,
and its role comes from the config; `sites remove` deletes what is stored for it, but it stays a site
while the config names it.  Removing a site that still has backlinks is refused unless
`--with-backlinks` asks for them to go too (their checks and events with them).

Reads `Settings.database_url` and `Settings.sites`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from monitor.cli.common import CliError, settings_from
from monitor.cli.listing_output import emit
from monitor.cli.store_access import open_store
from monitor.core.human import human_number, human_time, plural

if TYPE_CHECKING:
    from monitor.store.sites import Removed

JSON_FIELDS = ("domain", "role", "backlinks", "live_followed", "lost", "configured", "stored", "created_at")
TABLE_COLUMNS = ("domain", "role", "backlinks", "live_followed", "lost", "since")
HEADERS = {"domain": "SITE", "live_followed": "LIVE, FOLLOWED", "since": "MONITORED SINCE"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sites", help="list your sites (and competitors') with their backlink counts; add or remove one",
        description="List your sites and your competitors' with their backlink counts, or add or remove one.")
    parser.add_argument("--json", dest="output", action="store_const", const="json", default="table",
                        help="one JSON object per site per line")
    parser.set_defaults(func=run_list)
    sub = parser.add_subparsers(dest="sites_command", metavar="SUBCOMMAND")
    add = sub.add_parser("add", help="start monitoring a site of yours (or a competitor's)",
                         description="Add a site: your own, or with --competitor a competitor's (for the gap "
                         "report). Adding a stored site again with another role changes its role.")
    add.add_argument("domain", metavar="DOMAIN", help="the site's domain (example.com)")
    add.add_argument("--competitor", action="store_true", help="a competitor's site, not yours")
    add.set_defaults(func=run_add)
    remove = sub.add_parser("remove", help="stop monitoring a site (refused while it has backlinks)",
                            description="Remove a site. Refused while backlinks (or mentions) are stored for it, "
                            "unless --with-backlinks removes them too, with their checks and events.")
    remove.add_argument("domain", metavar="DOMAIN", help="the site's domain")
    remove.add_argument("--with-backlinks", action="store_true",
                        help="remove its backlinks (and their history) and its mentions with it")
    remove.set_defaults(func=run_remove)


def _domain(text: str) -> str:
    from monitor.store.sites import SiteError, normalize_site

    try:
        return normalize_site(text)
    except SiteError as exc:
        raise CliError(f"DOMAIN: {exc}") from None


def _for_table(site: dict[str, Any]) -> dict[str, Any]:
    return {**site, "role": "yours" if site["role"] == "own" else "competitor",
            **{k: human_number(site[k]) for k in ("backlinks", "live_followed", "lost")},
            "since": human_time(site["created_at"]) if site["stored"] else "config file only"}


def run_list(args: argparse.Namespace) -> int:
    from monitor.store.sites import site_summaries

    engine = open_store(args)
    rows = [s.to_json() for s in site_summaries(engine, settings_from(args).sites)]
    if args.output == "table":
        rows = [_for_table(row) for row in rows]
    count = emit(rows, args.output, JSON_FIELDS, TABLE_COLUMNS, headers=HEADERS)
    if count == 0:
        sys.stderr.write("no sites yet: your first `linkwatch add` or `linkwatch import` creates them, "
                         "or `linkwatch sites add DOMAIN`\n")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from monitor.store.db import session
    from monitor.store.sites import SiteError, add_site

    domain = _domain(args.domain)
    engine = open_store(args)
    try:
        with session(engine) as s:
            outcome = add_site(s, domain, args.competitor, settings_from(args).sites)
    except SiteError as exc:
        raise CliError(str(exc)) from None
    role = "a competitor's site" if args.competitor else "one of your own sites"
    text = {"added": f"added {domain} as {role}", "changed": f"{domain} is now {role}",
            "unchanged": f"{domain} is already {role}"}[outcome]
    sys.stdout.write(text + "\n")
    return 0


def _stored_words(stored: Removed) -> str:
    others = stored.mentions or stored.referrals
    parts = [plural(stored.backlinks, "backlink")] if stored.backlinks or not others else []
    if stored.mentions:
        parts.append(plural(stored.mentions, "unlinked mention"))
    if stored.referrals:
        parts.append(plural(stored.referrals, "referral traffic source"))
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def run_remove(args: argparse.Namespace) -> int:
    from monitor.store.db import session
    from monitor.store.sites import closest_site, remove_site, site_summaries, stored_of_site

    domain = _domain(args.domain)
    configured = any(s.domain == domain for s in settings_from(args).sites)
    engine = open_store(args)
    with session(engine) as s:
        stored = stored_of_site(s, domain)
        if stored is None:
            if configured:
                raise CliError(f"{domain} is only named in the config file ([[site]]): nothing stored to remove; "
                               "delete its [[site]] entry to stop monitoring it")
            known = [site.domain for site in site_summaries(engine, settings_from(args).sites)]
            guess = closest_site(domain, known)
            raise CliError(f"{domain} is not one of your sites" + (f" (did you mean {guess}?)" if guess else ""))
        total = stored.backlinks + stored.mentions + stored.referrals
        if total and not args.with_backlinks:
            them = "it" if total == 1 else "them"
            raise CliError(f"{domain} has {_stored_words(stored)}: add --with-backlinks to remove {them} with the "
                           "site (their check history and events go too)")
        remove_site(s, domain)
    gone = f" and its {_stored_words(stored)}" if total else ""
    sys.stdout.write(f"removed {domain}{gone}\n")
    if configured:
        sys.stdout.write(f"{domain} is still named in the config file ([[site]]), so it stays one of your sites: "
                         "delete that entry to stop monitoring it\n")
    return 0
