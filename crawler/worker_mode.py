"""The `worker` mode of the crawler child: crawl PageJobs taken from the shared Redis queue.

`python -m crawler worker` (spawned by `linkwatch worker`) reads the Settings on
the first stdin line, then one JSON object of options:
`{"name": "host:pid", "exit_when_idle": bool, "alive_ttl": seconds}`.

It registers with the queue (monitor.workqueue) and keeps a heartbeat key alive
from a housekeeping thread.  The spider's start loop takes jobs one at a time
as Scrapy has room (each one moves atomically to this worker's processing list;
jobs of a referring domain still inside its `delay` are passed over), and polls
when the queue is empty.  Every observation goes to monitor.ingest.Ingestor for
the job's cycle (its `runs` row); a job is acknowledged (removed from the
processing list) only after the batch holding its verdicts is committed, at
`batch_size` observations or after FLUSH_AFTER seconds.  A redelivered job (its
worker died) skips the backlinks that already have a check in that cycle, so a
crash between commit and acknowledgement never yields a second verdict.

With `exit_when_idle` the worker stops once no cycle is open and the queue is
empty; otherwise it runs until SIGTERM/SIGINT, after which it finishes what is
in flight, commits, acknowledges and gives back anything it took but did not
crawl.  Progress goes to stdout as JSON lines: {"progress": {...}}, {"done": {...}}.

Reads settings: redis_url, database_url, delay, batch_size, render (and the crawl
settings via crawler.settings and the spider).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, TextIO

from scrapy.crawler import CrawlerProcess
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from crawler.run_mode import parse_options
from crawler.settings import scrapy_settings
from crawler.spider import LinkSpider
from monitor import workqueue
from monitor.config import Settings
from monitor.domain import PageObservation, RenderMode
from monitor.ingest import Ingestor
from monitor.store import db

logger = logging.getLogger(__name__)

FLUSH_AFTER = 1.0  # seconds a verdict may wait before its batch is committed and its job acknowledged
IDLE_POLL = 0.5  # seconds between polls of an empty queue
BUSY_POLL = 0.05  # seconds to wait when every queued job's domain is inside its delay


class WorkerState:
    """What this worker holds: jobs in flight, verdicts not yet committed, one Ingestor per cycle."""

    def __init__(self, settings: Settings, name: str, alive_ttl: int) -> None:
        self.settings = settings
        self.name = name
        self.alive_ttl = alive_ttl
        self.client = workqueue.connect(settings)
        self.engine = db.create(settings.database_url)
        self.lock = threading.RLock()
        self.inflight: dict[str, workqueue.QueuedJob] = {}  # by page URL
        self.unacked: list[str] = []  # raw queue entries whose verdicts are buffered, not committed
        self.oldest = 0.0
        self.ingestors: dict[int, Ingestor] = {}
        self.pages = 0
        self.skipped = 0

    def next_job(self) -> workqueue.QueuedJob | str | None:
        """A job to crawl, "busy" (try again soon) or None (the queue is empty)."""
        while True:
            taken = workqueue.take(self.client, self.name, self.settings.delay)
            if not isinstance(taken, workqueue.QueuedJob):
                return taken
            job = taken.job
            if taken.redelivered:
                done = workqueue.already_checked(self.engine, taken.run_id, job.backlink_ids)
                keep = [i for i, bid in enumerate(job.backlink_ids) if bid not in done]
                if not keep:
                    self.skipped += 1
                    workqueue.ack(self.client, self.name, [taken.raw])
                    continue
                job = dataclasses.replace(job, targets=tuple(job.targets[i] for i in keep),
                                          backlink_ids=tuple(job.backlink_ids[i] for i in keep))
                taken = dataclasses.replace(taken, job=job)
            with self.lock:
                self.inflight[job.url] = taken
                self._ingestor(taken.run_id).track(job)
            return taken

    def _ingestor(self, run_id: int) -> Ingestor:
        if run_id not in self.ingestors:
            self.ingestors[run_id] = Ingestor(self.engine, self.settings, run_id)
        return self.ingestors[run_id]

    def observed(self, observation: PageObservation) -> None:
        with self.lock:
            taken = self.inflight.pop(observation.url, None)
            if taken is None:
                logger.warning("observation of %s matches no job taken; ignored", observation.url)
                return
            if not self.unacked:
                self.oldest = time.monotonic()
            self._ingestor(taken.run_id).add(observation, taken.job.backlink_ids)
            self.unacked.append(taken.raw)
            self.pages += 1
            if len(self.unacked) >= self.settings.batch_size:
                self.commit()

    def commit(self) -> None:
        """Write every buffered verdict, then acknowledge their jobs."""
        with self.lock:
            for ingestor in self.ingestors.values():
                ingestor.flush()
            workqueue.ack(self.client, self.name, self.unacked)
            self.unacked = []

    def commit_if_old(self) -> None:
        with self.lock:
            if self.unacked and time.monotonic() - self.oldest >= FLUSH_AFTER:
                self.commit()

    def idle(self) -> bool:
        with self.lock:
            return not self.inflight and not self.unacked

    def totals(self) -> dict[str, Any]:
        checks = sum(i.totals.checks for i in self.ingestors.values())
        events = sum(i.totals.events for i in self.ingestors.values())
        return {"worker": self.name, "pages": self.pages, "checks": checks, "events": events,
                "skipped_redelivered": self.skipped}


class WorkerSpider(LinkSpider):
    """LinkSpider whose jobs come from the Redis queue, for as long as the worker runs."""

    name = "linkwatch-worker"
    start_buffer_factor = 2  # take few jobs ahead: the rest stays in the queue for the other workers

    def __init__(self, state: WorkerState, exit_when_idle: bool, **kwargs: Any) -> None:
        super().__init__(jobs=(), sink=state.observed, **kwargs)
        self.state = state
        self.exit_when_idle = exit_when_idle
        self.stopping = False

    async def start(self) -> AsyncIterator[Any]:
        while not self.stopping:
            taken = self.state.next_job()
            if isinstance(taken, workqueue.QueuedJob):
                request = self.page_request(taken.job)
                if request is not None:
                    yield request
                    await self.wait_for_room()
                continue
            if taken is None and self.exit_when_idle and self._cycle_over():
                return
            await _sleep(BUSY_POLL if taken == "busy" else IDLE_POLL)

    def _cycle_over(self) -> bool:
        return self.state.idle() and workqueue.cycle_open(self.state.client) is None


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor  # the one Scrapy installed (importing it earlier would install another)

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


def _housekeeping(state: WorkerState, done: threading.Event, out: TextIO) -> None:
    """Heartbeat, commits of verdicts that waited FLUSH_AFTER, a progress line now and then."""
    last_beat = last_progress = 0.0
    while not done.wait(FLUSH_AFTER / 2):
        now = time.monotonic()
        try:
            if now - last_beat >= state.alive_ttl / 3:
                workqueue.heartbeat(state.client, state.name, state.alive_ttl)
                last_beat = now
            state.commit_if_old()
        except Exception:
            logger.exception("worker housekeeping failed; retrying")
        if now - last_progress >= 5:
            out.write(json.dumps({"progress": state.totals()}) + "\n")
            out.flush()
            last_progress = now


def run_worker(settings: Settings, lines: Iterator[str], out: TextIO) -> int:
    """Crawl jobs from the shared queue until idle (or stopped); see the module docstring."""
    options = parse_options(lines)
    state = WorkerState(settings, str(options.get("name") or "worker"),
                        int(options.get("alive_ttl") or workqueue.ALIVE_TTL_SECONDS))
    workqueue.register(state.client, state.name, state.alive_ttl)
    done = threading.Event()
    keeper = threading.Thread(target=_housekeeping, args=(state, done, out), name="housekeeping", daemon=True)
    keeper.start()
    render = settings.render is not RenderMode.NEVER
    try:
        process = CrawlerProcess(scrapy_settings(settings, render=render))
        process.crawl(WorkerSpider, state=state, exit_when_idle=bool(options.get("exit_when_idle")),
                      config=settings, can_render=render)
        process.start()
    finally:
        done.set()
        keeper.join()
        state.commit()
        returned = workqueue.give_back(state.client, state.name)
        if returned:
            logger.warning("gave %d unfinished jobs back to the queue", returned)
        workqueue.unregister(state.client, state.name)
        out.write(json.dumps({"done": state.totals()}) + "\n")
        out.flush()
        state.engine.dispose()
    return 0
