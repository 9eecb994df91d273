"""`linkwatch run --once [--all] [--limit N] ...`: check every due backlink now, then say what changed.

One crawl in a child process (monitor.crawl.runs): due work is read from the
database in batches and results are written in batches as the crawl goes, so a
run that is interrupted keeps what it checked and the next run does the rest.
On a terminal, a progress bar goes to stderr.  The summary on stdout is in words
(monitor.crawl.run_text): links and pages checked and how long it took, the pages
rendered in Chromium, what the checks found, and the changes most urgent first (up
to `--max-events`); its last line says how many database transactions the crawl
wrote and how long they took (wall and CPU seconds of the writing thread).  `run`
always needs `--once`: `linkwatch serve` is the long-running loop.

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
from monitor.core.human import human_time, plural

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

    engine = open_store(args, create=False)
    total = backlink_count(engine) if args.include_all else due_count(engine, utcnow())
    if args.limit is not None:
        total = min(total, args.limit)
    if total == 0:
        upcoming = next_due_time(engine)
        when = f" (the next is due on {human_time(upcoming)})" if upcoming else ""
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
    """`[#####.....] 1,120/5,000 links, 1,090 pages, 3 changes` redrawn in place on a terminal."""

    def __init__(self, total: int, out: TextIO, width: int = 30) -> None:
        self.total = max(total, 1)
        self.out = out
        self.width = width

    def update(self, message: dict[str, Any]) -> None:
        data = message.get("progress") or message.get("done") or {}
        done = min(int(data.get("backlinks", data.get("checks", 0))), self.total)
        filled = self.width * done // self.total
        self.out.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{self.total:,} links, "
                       f"{plural(int(data.get('pages', 0)), 'page')}, {plural(int(data.get('events', 0)), 'change')} ")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()


def print_summary(summary: RunSummary, out: TextIO) -> None:
    """The run's summary in words (monitor.crawl.run_text), most urgent change first."""
    from monitor.crawl.run_text import summary_lines

    out.write("".join(line + "\n" for line in summary_lines(summary)))


def print_writes(done: dict[str, Any], out: TextIO) -> None:
    """`database: 20 transactions, 3.1 s writing (2.4 s of CPU)`: the crawl's own account of its writes.

    The writes run beside the crawl (a thread of the crawl child), so the time is not added to the run's."""
    from monitor.crawl.run_text import writes_line

    line = writes_line(done)
    if line:
        out.write(line + "\n")
