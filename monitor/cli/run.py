"""`linkwatch run --once [--all] [--limit N] ...`: check every due backlink now, then say what changed.

One crawl in a child process (monitor.crawl.runs): due work is read from the
database in batches and results are written in batches as the crawl goes, so a
run that is interrupted keeps what it checked and the next run does the rest.
On a terminal, a progress bar goes to stderr.  The summary on stdout counts the
checks per state, the pages rendered in Chromium (their share of the run's pages,
and the checks left without a verdict because rendering failed) and the events per
type, and lists the events (up to `--max-events`); its last line says how many
database transactions the crawl wrote and how long they took (wall and CPU seconds
of the writing thread).  `run` always needs `--once`: `linkwatch serve` is the
long-running loop.

Exit status: 0 when the run completed (whatever the pages said), 1 when the crawl
failed or was interrupted, 2 for bad input.

Reads settings: database_url, and the crawl settings that the flags override
(concurrency, per_domain, delay, render), which the crawl child receives.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from monitor.cli.common import CliError
from monitor.cli.crawl_flags import add_crawl_flags, crawl_settings
from monitor.cli.store_access import open_store

if TYPE_CHECKING:
    from monitor.crawl.runs import RunSummary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="check the due backlinks once and report what changed",
        description="Check every backlink that is due (or all of them with --all) in one crawl, then print "
        "a summary of what changed. Results are stored in batches as the crawl goes: an interrupted run "
        "keeps what it checked and the next run picks up the rest. For continuous checking use "
        "`linkwatch serve`.")
    parser.add_argument("--once", action="store_true", help="run once and exit (required)")
    parser.add_argument("--all", dest="include_all", action="store_true",
                        help="check every backlink, not only the due ones")
    parser.add_argument("--limit", type=int, metavar="N", help="check at most N backlinks")
    parser.add_argument("--enqueue", action="store_true",
                        help="do not crawl here: push the due page jobs onto the Redis queue for `linkwatch "
                        "worker`s (one leader step; see docs/scale-out.md)")
    add_crawl_flags(parser)
    parser.add_argument("--max-events", type=int, default=50, metavar="N",
                        help="list at most N events in the summary (default 50)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.once and not args.enqueue:
        raise CliError("run needs --once (for continuous checking use `linkwatch serve`)")
    if args.max_events < 0:
        raise CliError("--max-events: must not be negative")
    settings = crawl_settings(args)
    if args.enqueue:
        from monitor.cli.queue_access import enqueue_once  # Redis: loaded only by the commands that use it

        return enqueue_once(args, settings)
    from monitor.crawl.runs import RunCycle, run_summary, utcnow  # the store: not for `linkwatch --help`
    from monitor.crawl.scheduler import backlink_count, due_count, next_due_time

    engine = open_store(args)
    total = backlink_count(engine) if args.include_all else due_count(engine, utcnow())
    if args.limit is not None:
        total = min(total, args.limit)
    if total == 0:
        upcoming = next_due_time(engine)
        when = f" (the next is due at {upcoming:%Y-%m-%d %H:%M} UTC)" if upcoming else ""
        print(f"nothing is due{when}; --all checks every backlink now")
        return 0
    bar = ProgressBar(total, sys.stderr) if sys.stderr.isatty() else None
    cycle = RunCycle(engine, settings, include_all=args.include_all, limit=args.limit)
    outcome = cycle.run(bar.update if bar else None)
    if bar:
        bar.close()
    print_summary(run_summary(engine, outcome.run_id, args.max_events), sys.stdout)
    print_writes(outcome.progress, sys.stdout)
    if not outcome.ok:
        sys.stderr.write(f"linkwatch: the crawl failed: {outcome.error}\n")
        return 1
    return 0


class ProgressBar:
    """`[#####.....] 120/500 backlinks, 3 events` redrawn in place on a terminal."""

    def __init__(self, total: int, out: TextIO, width: int = 30) -> None:
        self.total = max(total, 1)
        self.out = out
        self.width = width

    def update(self, message: dict[str, Any]) -> None:
        data = message.get("progress") or message.get("done") or {}
        done = min(int(data.get("backlinks", data.get("checks", 0))), self.total)
        filled = self.width * done // self.total
        self.out.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} backlinks, "
                       f"{data.get('pages', 0)} pages, {data.get('events', 0)} events ")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()


def print_summary(summary: RunSummary, out: TextIO) -> None:
    checks = sum(summary.checks_by_state.values())
    out.write(f"run {summary.run_id} {summary.status}: {checks} backlinks checked on {summary.pages} pages\n")
    if summary.pages:
        failed = f"; {summary.render_failures} checks without a verdict: rendering failed" \
            if summary.render_failures else ""
        out.write(f"rendered in Chromium: {summary.rendered} of {summary.pages} pages "
                  f"({summary.rendered / summary.pages:.0%}){failed}\n")
    if summary.checks_by_state:
        states = ", ".join(f"{state} {n}" for state, n in sorted(summary.checks_by_state.items()))
        out.write(f"checks by state: {states}\n")
    if not summary.events_by_type:
        out.write("no changes\n")
        return
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.events_by_type.items()))
    out.write(f"events: {kinds}\n")
    for event in summary.events:
        evidence = _evidence(event.detail)
        out.write(f"  {event.type:<17} {event.source_url} -> {event.target}"
                  f"  ({event.old_state} -> {event.new_state}{evidence})\n")
    listed = len(summary.events)
    total = sum(summary.events_by_type.values())
    if total > listed:
        out.write(f"  ... and {total - listed} more (linkwatch events)\n")


def print_writes(done: dict[str, Any], out: TextIO) -> None:
    """`database: 20 transactions, 3.1 s writing (2.4 CPU s)`: the crawl's own account of its writes.

    The writes run beside the crawl (a thread of the crawl child), so the time is not added to the run's."""
    if "write_seconds" in done:
        out.write(f"database: {done.get('transactions', 0)} transactions, {done['write_seconds']:.1f} s writing "
                  f"({done.get('write_cpu_seconds', 0.0):.1f} CPU s)\n")


def _evidence(detail: Any) -> str:
    parts = []
    if detail.get("redirected_to"):
        parts.append(f"redirected to {detail['redirected_to']}")
    if detail.get("http_status") is not None:
        parts.append(f"http {detail['http_status']}")
    if detail.get("reason"):
        parts.append(str(detail["reason"]))
    if "new_anchor" in detail:
        parts.append(f"anchor {detail.get('old_anchor')!r} -> {detail['new_anchor']!r}")
    if "new_href" in detail:
        parts.append(f"href {detail['new_href']}")
    if detail.get("error"):
        parts.append(str(detail["error"])[:80])
    return "; " + ", ".join(parts) if parts else ""
