"""The crawler child process: `python -m crawler MODE` (check, run, worker, mentions).

linkwatch never runs Scrapy in its own process (monitor.crawl.child spawns this one): Twisted's
reactor cannot be restarted, and Chromium's memory goes away with the child.  Invariants: stdout
carries the mode's protocol and nothing else (stray prints go to stderr, with the logs); exit
status 0 when the crawl ran, whatever the pages said, 2 for a bad invocation; with `--parent-pid
PID` the child dies with its parent (crawler.orphan).  A mode is `run_MODE(settings, lines, out) ->
int`, registered in MODES.  The `check` protocol: docs/check.md, "How it runs"; the `run` one:
docs/architecture.md, "How some parts work".

Reads no environment: its settings arrive on stdin, validated by the parent.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from crawler.mentions_mode import run_mentions
from crawler.orphan import die_with_parent
from crawler.runner import run_crawl
from monitor.config import Settings
from monitor.core.types import PageObservation, RenderMode
from monitor.core.wire import job_from_json, observation_to_json, settings_from_json

logger = logging.getLogger(__name__)


def run_check(settings: Settings, lines: Iterator[str], out: TextIO) -> int:
    """Check the PageJobs given on the remaining stdin lines, writing observations to `out`."""
    jobs = [job_from_json(line) for line in lines if line.strip()]
    render = any(job.render is not RenderMode.NEVER for job in jobs)

    def sink(observation: PageObservation) -> None:
        out.write(observation_to_json(observation) + "\n")
        out.flush()

    run_crawl(settings, jobs, sink, render=render)
    return 0


def run_run(settings: Settings, lines: Iterator[str], out: TextIO) -> int:
    """Mode `run`: pull due work from the database and ingest it (see crawler.run_mode)."""
    from crawler.run_mode import run_run as run_mode

    return run_mode(settings, lines, out)


def run_worker(settings: Settings, lines: Iterator[str], out: TextIO) -> int:
    """Mode `worker`: crawl jobs from the shared Redis queue (see crawler.worker_mode)."""
    from crawler.worker_mode import run_worker as worker_mode

    return worker_mode(settings, lines, out)


MODES: dict[str, Callable[[Settings, Iterator[str], TextIO], int]] = {
    "check": run_check, "run": run_run, "mentions": run_mentions, "worker": run_worker}


def _protocol_stdout() -> TextIO:
    """Keep the real stdout for the protocol; point fd 1 (and sys.stdout) at stderr for everything else."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


#: the signal a mode gets when its parent dies (SIGTERM when not listed)
ORPHAN_SIGNALS = {"run": signal.SIGUSR1}


def _parent_pid(argv: list[str]) -> int | None:
    """The `--parent-pid` value (None without it); ValueError when the arguments are wrong."""
    if len(argv) == 1 and argv[0] in MODES:
        return None
    if len(argv) == 3 and argv[0] in MODES and argv[1] == "--parent-pid" and argv[2].isdigit():
        return int(argv[2])
    raise ValueError("bad arguments")


def main(argv: list[str]) -> int:
    try:
        parent = _parent_pid(argv)
    except ValueError:
        sys.stderr.write(f"usage: python -m crawler {{{','.join(MODES)}}} [--parent-pid PID]"
                         " < settings-and-jobs.jsonl\n")
        return 2
    if parent is not None and not die_with_parent(parent, ORPHAN_SIGNALS.get(argv[0], signal.SIGTERM)):
        sys.stderr.write("crawler: the parent process is gone; not starting\n")
        return 1
    out = _protocol_stdout()
    lines = iter(sys.stdin.read().splitlines())
    try:
        settings = settings_from_json(next(lines))
    except (StopIteration, ValueError, TypeError) as exc:
        sys.stderr.write(f"crawler: error: no valid settings on the first line of stdin ({exc})\n")
        return 2
    return MODES[argv[0]](settings, lines, out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
