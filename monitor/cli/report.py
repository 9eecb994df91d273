"""`linkwatch report NAME|--html FILE`: the backlink-management reports (docs/reports.md).

`linkwatch report traffic|ratio|velocity|domains|gap|anchors|reclaim|outreach [--site D]
[--since DATE] [--json|--csv]` prints one report: a terminal table by default, the
report's rows as spreadsheet-safe CSV, or the whole report as one JSON object.
`linkwatch report --html FILE` writes the report a client receives: a summary, then every
report, in one self-contained HTML file with charts, for the period of `--since`/`--period`
(monitor.reports.period), white-labelled from `[report]`; `--pdf FILE` prints the same to A4
through Chromium (monitor.reports.pdf).  `report gap --verify` re-checks the competitor links with the
crawler (a child process, monitor.crawl.child) and keeps only the live ones.

Reads Settings.database_url, sites, generic_anchors, min_follow_ratio, max_exact_share,
report_agency, report_logo, report_accent, chromium_path (and the crawl settings for --verify).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.cli.common import CliError, positive_int, print_table, settings_from, write_csv
from monitor.cli.store_access import open_store, parse_when
from monitor.config import Settings
from monitor.core.human import (
    NOFOLLOW_WORDS,
    RECLAIM_REASON_WORDS,
    human_date,
    human_value,
    percent,
    state_words,
)
from monitor.reports import NAMES

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="backlink-management reports: traffic, ratio, velocity, domains, gap, anchors, reclaim, "
        "outreach (or all of them as one HTML file)",
        description="Answer the monthly backlink routine from linkwatch's own data. Every figure is defined in "
        "docs/reports.md.")
    parser.add_argument("name", nargs="?", choices=NAMES, metavar="REPORT",
                        help="one of: " + ", ".join(NAMES))
    parser.add_argument("--site", metavar="DOMAIN", help="the site to report on (default: the only one of yours)")
    parser.add_argument("--since", metavar="DATE", help="start of the period: 2026-01-31, a date-time, or 30d "
                        "back from now (velocity and domains default to 90 days; see docs/reports.md)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the whole report as one JSON object")
    out.add_argument("--csv", action="store_true", help="the report's rows as CSV (spreadsheet-safe)")
    out.add_argument("--html", metavar="FILE", help="write every report into one self-contained HTML file")
    out.add_argument("--pdf", metavar="FILE", help="the same report as --html, printed to an A4 PDF by Chromium")
    parser.add_argument("--period", choices=("day", "week", "month"),
                        help="velocity and domains: count per day, week or month (default: week); --html and "
                        "--pdf: report on the last whole day, week or month (or the one holding --since)")
    parser.add_argument("--limit", type=positive_int, metavar="N", help="rows to list (default depends on the report)")
    parser.add_argument("--overdue-days", type=positive_int, default=30, metavar="N",
                        help="outreach: a pending link is overdue after N days (default: 30)")
    parser.add_argument("--verify", action="store_true",
                        help="gap: re-check the competitor links with the crawler and keep only the live ones")
    parser.set_defaults(func=run)


def _options(name: str, args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if name in ("velocity", "domains"):
        options["period"] = args.period or "week"
    if name == "outreach":
        options["overdue_days"] = args.overdue_days
    if args.limit and name not in ("ratio", "velocity"):
        options["limit"] = args.limit
    return options


def build(name: str, engine: Any, args: argparse.Namespace, settings: Settings, since: datetime | None) -> Any:
    from monitor.reports import REPORTS  # SQLAlchemy: loaded by the command, not by --help
    from monitor.reports.common import ReportError
    from monitor.reports.gap import verify_gap

    try:
        report = REPORTS[name](engine, args.site, since, settings, **_options(name, args))
    except ReportError as exc:
        raise CliError(str(exc)) from None
    if name == "gap" and args.verify:
        report = verify_gap(report, lambda links: check_live(settings, links))
    return report


def check_live(settings: Settings, links: Iterable[dict[str, Any]]) -> set[int]:
    """Ids of the links the crawler finds on their pages (followed or not) right now."""
    from monitor.core.types import PageJob, RenderMode
    from monitor.core.verdict import verdict_for
    from monitor.crawl.child import crawl

    by_page: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        by_page.setdefault(link["source_url"], []).append(link)
    jobs = [PageJob(url=url, targets=tuple(sorted({item["target"] for item in items})), render=RenderMode.AUTO)
            for url, items in by_page.items()]
    live: set[int] = set()
    for observation in crawl(settings, jobs):
        for link in by_page.get(observation.url, []):
            if verdict_for(observation, link["target"]).state in ("live", "nofollow"):
                live.add(link["id"])
    return live


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    since = parse_when(args.since, "--since") if args.since else None
    if since and since > datetime.now(UTC):
        raise CliError(f"--since: {args.since} is in the future")
    if args.html or args.pdf:
        flag = "--html" if args.html else "--pdf"
        if args.name:
            raise CliError(f"{flag} writes every report: give no report name with it")
        return _write_document(args, settings, since)
    if not args.name:
        raise CliError("which report? one of: " + ", ".join(NAMES) + " (or --html FILE for all of them)")
    if args.verify and args.name != "gap":
        raise CliError("--verify applies to the gap report only")
    engine = open_store(args, create=False)
    try:
        report = build(args.name, engine, args, settings, since)
    finally:
        engine.dispose()
    if args.json:
        from monitor.reports.common import jsonable

        data = jsonable(report)
        data["report"] = args.name
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    elif args.csv:
        write_csv(report.rows, report.COLUMNS)
    else:
        _print(args.name, report)
    return 0


def _print(name: str, report: Any) -> None:
    from monitor.reports.gap import GapReport

    out = sys.stdout
    out.write(f"{name} report for {report.site}\n")
    summary = [(_dates_in_words(_reason_key(str(key))), _dates_in_words(human_value(value)))
               for key, value in report.summary()]
    width = max((len(key) for key, _ in summary), default=0)
    for key, value in summary:
        out.write(f"  {key.ljust(width)}  {value}\n")
    for warning in report.warnings:
        out.write(f"warning: {warning}\n")
    out.write("\n")
    if report.rows:
        print_table([_row_in_words(row) for row in report.rows], report.COLUMNS, out)
    else:
        out.write("(nothing to list)\n")
    if isinstance(report, GapReport) and not report.verified and report.rows:
        out.write("\n(competitor links as stored; add --verify to re-check them with the crawler)\n")


ISO_DAY = re.compile(r"\b(\d{4}-\d\d-\d\d)\b")


def _dates_in_words(text: str) -> str:
    """`since 2026-01-31` -> `since 31 Jan 2026`."""
    return ISO_DAY.sub(lambda m: human_date(m.group(1)), text)


def _reason_key(key: str) -> str:
    """`reason: made_nofollow` -> `reason: Made not followed`; `naked_url` -> `naked URL`."""
    if key == "naked_url":
        return "naked URL"
    head, _, reason = key.partition("reason: ")
    return f"{head}reason: {RECLAIM_REASON_WORDS.get(reason, reason)}" if reason else key


def _row_in_words(row: dict[str, Any]) -> dict[str, Any]:
    """A report row for the text table: reasons and states in words, ISO days as human dates (the other
    values become words in print_table)."""
    out = dict(row)
    if isinstance(out.get("reason"), str):
        out["reason"] = RECLAIM_REASON_WORDS.get(out["reason"], out["reason"])
    if isinstance(out.get("state"), str):
        out["state"] = state_words(out["state"])
    if isinstance(out.get("share"), float):
        out["share"] = percent(out["share"])
    if out.get("class") == "naked_url":
        out["class"] = "naked URL"
    measure = out.get("measure")
    if isinstance(measure, str) and measure.startswith("nofollow by "):
        reason = measure.removeprefix("nofollow by ")
        out["measure"] = f"not followed: {NOFOLLOW_WORDS.get(reason, reason)}"
    return {k: _dates_in_words(v) if isinstance(v, str) and ISO_DAY.fullmatch(v) else v for k, v in out.items()}


def _write_document(args: argparse.Namespace, settings: Settings, since: datetime | None) -> int:
    """`--html FILE` or `--pdf FILE`: the client report for the period asked."""
    from monitor.config import ConfigError
    from monitor.reports.client import client_reports
    from monitor.reports.common import ReportError
    from monitor.reports.gap import verify_gap
    from monitor.reports.html import brand_of, render_html
    from monitor.reports.pdf import PdfError, print_pdf
    from monitor.reports.period import report_period

    now = datetime.now(UTC)
    period = report_period(since, args.period, now)
    try:
        brand = brand_of(settings)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    engine = open_store(args, create=False)
    try:
        reports = client_reports(engine, args.site, period, settings)
    except ReportError as exc:
        raise CliError(str(exc)) from None
    finally:
        engine.dispose()
    if args.verify:
        reports["gap"] = verify_gap(reports["gap"], lambda links: check_live(settings, links))
    site = next(iter(reports.values())).site
    document = render_html(reports, now, site, period, brand)
    target = args.html or args.pdf
    try:
        if args.pdf:
            print_pdf(document, Path(target), settings.chromium_path)
        else:
            Path(target).write_text(document, encoding="utf-8")
    except PdfError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from None
    sys.stderr.write(f"wrote {target} ({len(reports)} reports for {site}"
                     + (f", {period.label}" if period.label else "") + ")\n")
    return 0
