"""The parent side of a crawl: runs `python -P -m crawler MODE` as a child process and talks to it.

linkwatch never imports Scrapy here.  `crawl(settings, jobs)` sends the child the settings and the
jobs on stdin (monitor.core.wire) and yields the PageObservations it writes back, as they arrive;
`open_child(settings, mode)` starts a child of any mode and sends it the settings line (a mode that
pulls its own work from the database needs nothing more).  The child's stderr passes through to ours.
Invariants: failures are data (a child that dies or sends garbage gives every job it did not answer
an ERROR observation, "crawler failed: ..."); an interrupted parent stops the child (SIGTERM to its
process group, SIGKILL after a grace period); a parent killed with -9 takes its child with it
(`--parent-pid`, crawler.orphan).  Details: docs/check.md, "How it runs".

Reads no settings of its own: it forwards the Settings it is given.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from monitor.config import Settings
from monitor.core.types import FetchStatus, PageJob, PageObservation
from monitor.core.wire import job_to_json, observation_from_json, settings_to_json

logger = logging.getLogger(__name__)

GRACE_SECONDS = 5.0


class CrawlTerminated(KeyboardInterrupt):
    """The parent received SIGTERM during a crawl (treated like Ctrl-C)."""


def open_child(settings: Settings, mode: str) -> subprocess.Popen[str]:
    """Start `python -P -m crawler MODE` in its own process group and send it the settings line.

    `-P`: `-m` alone puts the working directory first on sys.path, so a `crawler/` folder there (a cloned
    repository) would run instead of the installed package; PYTHONPATH still applies.
    The child dies with the calling thread (crawler.orphan): call this from the thread that waits for it."""
    child = subprocess.Popen(
        [sys.executable, "-P", "-m", "crawler", mode, "--parent-pid", str(os.getpid())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", bufsize=1, start_new_session=True,
    )
    assert child.stdin is not None
    child.stdin.write(settings_to_json(settings) + "\n")
    child.stdin.flush()
    return child


def stop_child(child: subprocess.Popen[str], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM the child's process group (twice), then SIGKILL it if it has not ended within `grace` seconds."""
    if child.poll() is not None:
        return
    # Scrapy: the first SIGTERM closes the crawl gracefully, the second stops it at once
    for sig, wait in ((signal.SIGTERM, grace / 2), (signal.SIGTERM, grace / 2), (signal.SIGKILL, grace)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)
        try:
            child.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def crawl(settings: Settings, jobs: Iterable[PageJob], mode: str = "check") -> Iterator[PageObservation]:
    """Fetch every job in a child process; yield one PageObservation per job, in completion order."""
    jobs = list(jobs)
    child = open_child(settings, mode)
    stderr_tail = _pass_through(child.stderr)
    writer = threading.Thread(target=_write_jobs, args=(child.stdin, jobs), daemon=True)
    writer.start()
    pending = collections.Counter(job.url for job in jobs)
    try:
        with _sigterm_as_interrupt():
            yield from _read_observations(child, pending)
            child.wait()
    finally:
        stop_child(child)
    if pending:
        reason = _failure_reason(child.returncode, stderr_tail)
        logger.error("crawler process failed: %s", reason)
        yield from _unanswered(jobs, pending, reason)


def _read_observations(child: subprocess.Popen[str], pending: collections.Counter[str]) -> Iterator[PageObservation]:
    assert child.stdout is not None
    for line in child.stdout:
        try:
            observation = observation_from_json(line)
        except (ValueError, TypeError, KeyError) as exc:
            logger.error("crawler process sent an unreadable line (%s): %.200s", exc, line)
            continue
        if pending[observation.url] > 0:
            pending[observation.url] -= 1
            if not pending[observation.url]:
                del pending[observation.url]
        yield observation


def _unanswered(jobs: list[PageJob], pending: collections.Counter[str], reason: str) -> Iterator[PageObservation]:
    now = datetime.now(UTC)
    for job in jobs:
        if pending[job.url] > 0:
            pending[job.url] -= 1
            yield PageObservation(url=job.url, final_url=job.url, fetch=FetchStatus.ERROR,
                                  error=f"crawler failed: {reason}", fetched_at=now)


def _failure_reason(returncode: int | None, tail: collections.deque[str]) -> str:
    last = next((line for line in reversed(tail) if line.strip()), "")
    if returncode is not None and returncode < 0:
        status = f"killed by signal {-returncode}"
    else:
        status = f"exit status {returncode}"
    return f"{status}: {last.strip()[:200]}" if last else status


def _write_jobs(stdin: IO[str] | None, jobs: list[PageJob]) -> None:
    assert stdin is not None
    try:
        for job in jobs:
            stdin.write(job_to_json(job) + "\n")
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass  # the child died: the reader reports it


def _pass_through(stream: IO[str] | None, keep: int = 20) -> collections.deque[str]:
    """Copy the child's stderr to ours from a thread; return the (live) last `keep` lines."""
    tail: collections.deque[str] = collections.deque(maxlen=keep)

    def pump() -> None:
        assert stream is not None
        for line in stream:
            tail.append(line)
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(line)

    threading.Thread(target=pump, daemon=True).start()
    return tail


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the main thread, make SIGTERM raise CrawlTerminated so `finally` stops the child."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise CrawlTerminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
