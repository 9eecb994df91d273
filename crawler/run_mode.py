"""The `run` mode of the crawler child: pull due PageJobs from the database, ingest what the crawl observes.

`python -m crawler run` (spawned by monitor.crawl.runs) reads the Settings (first stdin line,
monitor.core.wire), then `{"run_id": N, "now": ISO-8601, "include_all": bool, "limit": int|null}`
(and optionally `lease_wait`, default monitor.crawl.lease.WAIT).  It walks the due backlinks
lazily (monitor.crawl.scheduler.iter_due_jobs), hands every PageObservation to
monitor.store.ingest.Ingestor and writes progress as JSON lines on stdout (the protocol:
docs/architecture.md, "How some parts work").  Invariants: a kill at any point leaves the
database consistent (what was not ingested keeps its due time); a refused batch, or due
backlinks it cannot list, exit 1 with a one-line reason as the last line on stderr, never a
success with results missing; one run-mode crawl per database, under the crawl lease
(monitor.crawl.lease), every batch fenced; when the parent dies (crawler.orphan) or the lease is
lost, the child stops at once (docs/monitoring.md, "One crawl at a time").

Reads settings: database_url, render, batch_size (and the crawl settings via the spider).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from crawler.orphan import StopSignal, exit_now
from crawler.runner import run_crawl
from monitor.config import Settings
from monitor.core.types import PageJob, PageObservation, RenderMode
from monitor.crawl.lease import WAIT, CrawlLease
from monitor.crawl.scheduler import iter_due_jobs
from monitor.store import db
from monitor.store.ingest import Ingestor
from monitor.store.leases import LeaseLost

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 0.25  # seconds between progress lines
FLUSH_AFTER = 1.0  # seconds an observation may wait in the buffer before its batch is written
ORPHANED = "the parent process is gone: stopped at once, what was observed is stored"


class _Progress:
    def __init__(self, out: TextIO, ingestor: Ingestor, stop: StopSignal) -> None:
        self.out = out
        self.ingestor = ingestor
        self.stop = stop
        self.pages = 0
        self.backlinks = 0
        self._last = 0.0

    def observed(self, backlinks: int) -> None:
        self.pages += 1
        self.backlinks += backlinks
        if time.monotonic() - self._last >= PROGRESS_EVERY:
            self.write()

    def write(self) -> None:
        totals = self.ingestor.totals
        self._line({"progress": {"pages": self.pages, "backlinks": self.backlinks, "checks": totals.checks,
                                 "events": totals.events}})
        self._last = time.monotonic()

    def done(self) -> None:
        totals = self.ingestor.totals
        self._line({"done": {"pages": totals.pages, "checks": totals.checks, "rendered": totals.rendered,
                             "events": totals.events, "transactions": totals.batches,
                             "write_seconds": round(totals.write_seconds, 3),
                             "write_cpu_seconds": round(totals.write_cpu_seconds, 3)}})

    def _line(self, data: dict[str, Any]) -> None:
        if self.stop.requested:
            return
        try:
            self.out.write(json.dumps(data) + "\n")
            self.out.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.stop.request(ORPHANED)  # the parent is gone (where no signal told us)


class _WriteFailures:
    """Batches the database refused (disk full, connection lost, ...).

    Their backlinks keep their due time, so the next run checks them again; the
    run itself must then say it failed instead of reporting success."""

    def __init__(self, lease: CrawlLease, stop: Callable[[str], None]) -> None:
        self.count = 0
        self.last_error = ""
        self.reading_error = ""  # the due backlinks could not be read: the run stopped early
        self.lease = lease
        self.stop = stop  # called when a batch was refused because the crawl lease is no longer ours

    def reading_failed(self, exc: BaseException) -> None:
        self.reading_error = _one_line(exc)
        logger.error("could not read the due backlinks (the rest stays due): %s", self.reading_error)

    def summary(self) -> str | None:
        """The run's one-line error (its last stderr line), or None when everything was stored."""
        if self.reading_error:
            stored = f"; {self.count} batch(es) of results could not be stored either" if self.count else ""
            return f"stopped early: could not read the due backlinks (they stay due): {self.reading_error}{stored}"
        if self.count:
            return f"{self.count} batch(es) of results could not be stored and stay due: {self.last_error}"
        return None

    def guard(self, write: Callable[[], Any]) -> Any:
        try:
            return write()
        except Exception as exc:  # any database error: the batch stays due
            self.count += 1
            self.last_error = _one_line(exc)
            if self.count == 1:
                logger.error("could not store a batch of results (it stays due): %s", self.last_error)
            if isinstance(exc, LeaseLost):
                self.lease.held = False
                self.stop(f"stopped: {exc}")
            return 0


class _Gate:
    """Observations go to the ingestor until the gate closes; after that nothing more is stored."""

    def __init__(self, ingestor: Ingestor, failures: _WriteFailures) -> None:
        self.ingestor = ingestor
        self.failures = failures
        self.closed = False
        self._lock = threading.Lock()

    def add(self, observation: PageObservation) -> int:
        with self._lock:
            if self.closed:
                return 0
            return int(self.failures.guard(lambda: self.ingestor.add(observation)))

    def close(self, store: bool) -> None:
        """Waits for an add (and its batch) in progress; with `store`, writes what is buffered."""
        with self._lock:
            self.closed = True
            if store:
                self.failures.guard(self.ingestor.flush)


def _stop_at_once(reason: str, gate: _Gate, lease: CrawlLease) -> None:
    """From the StopSignal thread: store what was observed (while the lease is ours), then end the process."""
    try:
        logger.warning("%s", reason)
        gate.close(store=lease.held)
        lease.release()
        sys.stderr.write(reason + "\n")  # the last line: the run's error, when a parent still reads it
    except OSError:  # the parent is gone: no one reads our stderr (EPIPE) -- and we must still end
        pass
    finally:
        exit_now(1)


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}"


def _flush_while(done: threading.Event, ingestor: Ingestor, failures: _WriteFailures) -> None:
    """Write what waited FLUSH_AFTER seconds, so a stop or a kill loses at most that much."""
    while not done.wait(FLUSH_AFTER / 2):
        failures.guard(lambda: ingestor.flush_older_than(FLUSH_AFTER))


def parse_options(lines: Iterator[str]) -> dict[str, Any]:
    text = next((line for line in lines if line.strip()), "{}")
    options = json.loads(text)
    if not isinstance(options, dict):
        raise ValueError("run options must be a JSON object")
    return options


def run_run(settings: Settings, lines: Iterator[str], out: TextIO) -> int:
    """Check what is due, ingesting as the crawl goes (see the module docstring)."""
    options = parse_options(lines)
    now = datetime.fromisoformat(options["now"]) if options.get("now") else datetime.now(UTC)
    engine = db.create(settings.database_url)
    lease = CrawlLease(engine, f"run{options.get('run_id')}")
    ingestor = Ingestor(engine, settings, options.get("run_id"), fence=lease.fence)
    stop = StopSignal(lambda reason: _stop_at_once(reason, gate, lease))
    failures = _WriteFailures(lease, stop.request)
    gate = _Gate(ingestor, failures)
    stop.install(signal.SIGUSR1, ORPHANED)
    progress = _Progress(out, ingestor, stop)
    try:
        refused = lease.acquire(lambda: stop.requested, float(options.get("lease_wait") or WAIT))
    except Exception as exc:
        refused = f"could not take the crawl lease: {_one_line(exc)}"
    if refused:
        engine.dispose()
        sys.stderr.write(refused + "\n")
        return 1
    lease.keep(stop.request)

    def jobs() -> Iterator[PageJob]:
        try:
            for job in iter_due_jobs(engine, settings, now, include_all=bool(options.get("include_all")),
                                     limit=options.get("limit")):
                ingestor.track(job)
                yield job
        except Exception as exc:  # Scrapy would only log it and finish "successfully"
            failures.reading_failed(exc)

    def sink(observation: PageObservation) -> None:
        progress.observed(gate.add(observation))

    crawling = threading.Event()
    flusher = threading.Thread(target=_flush_while, args=(crawling, ingestor, failures), name="flush",
                               daemon=True)
    flusher.start()
    try:
        run_crawl(settings, jobs(), sink, render=settings.render is not RenderMode.NEVER)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):  # finishing already (the parent SIGKILLs a hang)
            signal.signal(signum, signal.SIG_IGN)
        crawling.set()
        flusher.join()
        gate.close(store=lease.held)
        progress.write()
        progress.done()
        lease.release()
        engine.dispose()
    error = failures.summary()
    if error:
        sys.stderr.write(error + "\n")  # the last stderr line is what the parent reports as the run's error
        return 1
    return 0
