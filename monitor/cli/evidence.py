"""`linkwatch evidence SOURCE_URL [--target T] [--html FILE] [--json]`: what a page looked like before and after
its latest change, with the link's sentence highlighted.

The text says what happened in plain words, the link's sentence as last seen live and the closest passage of
the page now; `--html FILE` writes a self-contained page to send to the publisher (monitor.cli.evidence_page);
`--json` prints the machine values.  http/https and `www.` spellings of the page are the same page.

Reads `Settings.database_url`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from monitor.cli.common import CliError
from monitor.cli.store_access import open_stored_page


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evidence", help="show a page before and after its latest change",
        description="Show what a referring page looked like before and after the latest change of its link: "
                    "how the link was lost, its sentence as last seen, and the closest passage now.")
    parser.add_argument("source_url", metavar="SOURCE_URL", help="the referring page")
    parser.add_argument("--target", help="the backlink's target, when the page links to several of yours")
    parser.add_argument("--html", metavar="FILE", type=Path,
                        help="also write a self-contained HTML page of the evidence to FILE")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.cli.evidence_page import render_html, render_text
    from monitor.store.evidence_view import latest_evidence

    engine, source, links = open_stored_page(args)
    if args.target is not None and args.target not in {link["target"] for link in links}:
        known = ", ".join(sorted({str(link["target"]) for link in links}))
        raise CliError(f"--target: {args.source_url} has no backlink to {args.target} (it has: {known})")
    evidence = latest_evidence(engine, source, args.target)
    if evidence is None:
        raise CliError(f"no change of {args.source_url} is recorded yet (see `linkwatch history`)")
    if args.html is not None:
        try:
            args.html.write_text(render_html(evidence), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--html: cannot write {args.html}: {exc.strerror or exc}") from None
    if args.json:
        sys.stdout.write(json.dumps(evidence.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(evidence))
    return 0
