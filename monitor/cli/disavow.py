"""`linkwatch disavow add|remove|export|check`: keep a list of toxic domains and URLs, write Google's file.

Disavowing is only for sites with a manual action or a suspected link penalty; every
subcommand that changes or writes the list says so.  `add` takes domains or URLs,
`--tag T` (every referring domain of the site's backlinks tagged T) and `--file F`
(one entry per line, disavow-file syntax; comments and blank lines skipped); a bad
entry stops the command before anything is stored.  `export` writes a valid disavow
file (monitor.core.disavow) or refuses when it would break Google's limits; `check`
validates an existing file and exits 1 when it is invalid.

Reads Settings.database_url.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.cli.common import CliError
from monitor.cli.store_access import open_store
from monitor.core.disavow import WARNING, DisavowError, Entry, build_disavow, check_disavow, parse_entry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.reports.common import SiteRef

# The store (SQLAlchemy) is imported inside the functions that use it: `linkwatch --help` stays quick.


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "disavow", help="mark toxic domains/URLs and export Google's disavow file (only after a penalty)",
        description=f"Manage the disavow list. {WARNING}")
    sub = parser.add_subparsers(dest="disavow_command", metavar="SUBCOMMAND", required=True)
    for name, text in (("add", "mark domains or URLs as toxic"), ("remove", "take domains or URLs off the list")):
        cmd = sub.add_parser(name, help=text, description=f"{text[0].upper()}{text[1:]}. {WARNING}")
        cmd.add_argument("entries", nargs="*", metavar="DOMAIN_OR_URL",
                         help="example.com, domain:example.com or https://example.com/page")
        cmd.add_argument("--site", metavar="DOMAIN", help="the site whose list to change (default: your only site)")
        cmd.add_argument("--tag", metavar="T", help="every referring domain of the site's backlinks tagged T")
        cmd.add_argument("--file", metavar="F", help="entries one per line (disavow-file syntax)")
        if name == "add":
            cmd.add_argument("--reason", metavar="TEXT", help="why (written as a comment in the export)")
        cmd.set_defaults(func=run_add if name == "add" else run_remove)
    export = sub.add_parser("export", help="write the site's disavow file",
                            description=f"Write a valid Google disavow file. {WARNING}")
    export.add_argument("--site", metavar="DOMAIN", help="the site (default: your only site)")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    export.set_defaults(func=run_export)
    check = sub.add_parser("check", help="validate an existing disavow file (exit 1 when invalid)",
                           description="Check a disavow file against Google's rules: each problem with its line.")
    check.add_argument("path", metavar="FILE")
    check.set_defaults(func=run_check)


def _site(session: Session, domain: str | None) -> SiteRef:
    from monitor.reports.common import ReportError, resolve_site

    try:
        return resolve_site(session, domain)
    except ReportError as exc:
        raise CliError(str(exc)) from None


def _read_lines(path: str) -> list[tuple[int, str]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path} is not UTF-8 text") from None
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#")]


def _entries(args: argparse.Namespace, session: Session, site: SiteRef, reason: str | None) -> list[Entry]:
    """Every entry the command names; a bad one raises CliError before anything is written."""
    from sqlalchemy import select

    from monitor.store.models import Backlink, BacklinkTag

    entries = []
    for text in args.entries:
        try:
            entries.append(parse_entry(text, reason))
        except DisavowError as exc:
            raise CliError(str(exc)) from None
    if args.file:
        for number, text in _read_lines(args.file):
            try:
                entries.append(parse_entry(text, reason))
            except DisavowError as exc:
                raise CliError(f"{args.file}: line {number}: {exc}") from None
    if args.tag:
        domains = session.scalars(
            select(Backlink.referring_domain).join(BacklinkTag, BacklinkTag.backlink_id == Backlink.id)
            .where(Backlink.site_id == site.id, BacklinkTag.tag == args.tag).distinct()).all()
        if not domains:
            raise CliError(f"no backlink of {site.domain} is tagged {args.tag!r}")
        entries += [Entry("domain", d, reason or f"tagged {args.tag}") for d in domains]
    if not entries:
        raise CliError("nothing to do: give DOMAIN_OR_URL, --tag or --file")
    return entries


def run_add(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from monitor.store import db
    from monitor.store.models import DisavowEntry

    engine = open_store(args, create=False)
    added = 0
    with db.session(engine) as session:
        site = _site(session, args.site)
        entries = _entries(args, session, site, args.reason)
        existing = {(k, v) for k, v in session.execute(
            select(DisavowEntry.kind, DisavowEntry.value).where(DisavowEntry.site_id == site.id)).all()}
        now = datetime.now(UTC)
        for entry in dict.fromkeys(entries):
            if (entry.kind, entry.value) not in existing:
                session.add(DisavowEntry(site_id=site.id, kind=entry.kind, value=entry.value, reason=entry.reason,
                                         created_at=now))
                existing.add((entry.kind, entry.value))
                added += 1
    engine.dispose()
    sys.stderr.write(f"warning: {WARNING}\n")
    print(f"{added} added to the disavow list of {site.domain} ({len(entries) - added} already there)")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from sqlalchemy import delete

    from monitor.store import db
    from monitor.store.models import DisavowEntry

    engine = open_store(args, create=False)
    removed = 0
    with db.session(engine) as session:
        site = _site(session, args.site)
        for entry in dict.fromkeys(_entries(args, session, site, None)):
            result = session.execute(delete(DisavowEntry).where(
                DisavowEntry.site_id == site.id, DisavowEntry.kind == entry.kind, DisavowEntry.value == entry.value))
            removed += int(getattr(result, "rowcount", 0) or 0)
    engine.dispose()
    print(f"{removed} removed from the disavow list of {site.domain}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from monitor.store import db
    from monitor.store.models import DisavowEntry

    engine = open_store(args, create=False)
    with db.session(engine) as session:
        site = _site(session, args.site)
        rows = session.execute(select(DisavowEntry.kind, DisavowEntry.value, DisavowEntry.reason)
                               .where(DisavowEntry.site_id == site.id)).all()
    engine.dispose()
    header = [f"Disavow file for {site.domain}, exported by linkwatch on {datetime.now(UTC):%Y-%m-%d}.", WARNING]
    try:
        text = build_disavow([Entry(r.kind, r.value, r.reason) for r in rows], header)
    except DisavowError as exc:
        raise CliError(str(exc)) from None
    sys.stderr.write(f"warning: {WARNING}\n")
    if args.output:
        try:
            Path(args.output).write_bytes(text.encode("utf-8"))
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
        sys.stderr.write(f"wrote {len(rows)} entries to {args.output}\n")
    else:
        sys.stdout.write(text)
    return 0


def run_check(args: argparse.Namespace) -> int:
    try:
        data = Path(args.path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.path}: {exc.strerror}") from None
    problems = check_disavow(data)
    for problem in problems:
        print(f"{args.path}: {problem}")
    if problems:
        print(f"{args.path}: invalid ({len(problems)} problems)")
        return 1
    print(f"{args.path}: valid disavow file")
    return 0
