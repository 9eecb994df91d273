"""The `worker` mode of the crawler child: crawl PageJobs taken from the shared Redis queue.

`python -m crawler worker` (spawned by `linkwatch worker`) reads the Settings on the first
stdin line, then `{"name": "host:pid", "exit_when_idle": bool, "alive_ttl": seconds}`, and
writes progress to stdout as JSON lines: {"progress": {...}}, {"done": {...}}.  The spider is a
scrapy-redis `RedisSpider` with its `fetch_data` replaced by monitor.crawl.workqueue.take and its
feed by `start()` taking one job whenever the downloader has room (LinkSpider.wait_for_room).
Invariants: a job is acknowledged only once the batch holding its verdicts is committed (a
batch the database refuses gives its jobs back to the queue); a redelivered job skips the
backlinks already checked in its cycle, so a crash between commit and ack never yields a second
verdict; on SIGTERM/SIGINT or its parent's death it finishes what is in flight, commits,
acknowledges and gives back what it did not crawl.  Why each part is replaced, the heartbeat and
housekeeping threads: docs/scale-out.md.

Reads settings: redis_url, database_url, delay, batch_size, render (and the crawl
settings via crawler.settings and the spider).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, TextIO

import redis
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy_redis.spiders import RedisSpider
from twisted.internet import task

from crawler.run_mode import parse_options
from crawler.runner import new_process
from crawler.settings import worker_settings
from crawler.spider import LinkSpider
from monitor.config import Settings
from monitor.core.types import PageObservation, RenderMode
from monitor.crawl import workqueue
from monitor.store import db
from monitor.store.ingest import Ingestor

logger = logging.getLogger(__name__)

FLUSH_AFTER = 1.0  # seconds a verdict may wait before its batch is committed and its job acknowledged
IDLE_POLL = 0.5  # seconds between polls of an empty queue
BUSY_POLL = 0.05  # seconds to wait when every queued job's domain was taken less than `delay` ago
PROGRESS_EVERY = 5.0  # seconds between progress lines


class WorkerState:
    """What this worker holds: jobs in flight, verdicts not yet committed, one Ingestor per cycle."""

    def __init__(self, settings: Settings, name: str, alive_ttl: int, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.name = name
        self.alive_ttl = alive_ttl
        self.client = client  # set by the spider once scrapy-redis has connected (`connect`)
        self.engine = db.create(settings.database_url)
        self.lock = threading.RLock()
        self.inflight: dict[str, workqueue.QueuedJob] = {}  # by page URL
        self.unacked: list[str] = []  # raw queue entries whose verdicts are buffered, not committed
        self.oldest = 0.0
        self.ingestors: dict[int, Ingestor] = {}
        self.feed = "empty"  # what the last take found: "took", "busy" or "empty"
        self.pages = 0
        self.skipped = 0
        self.given_back = 0

    def connect(self, client: redis.Redis) -> None:
        workqueue.register(client, self.name, self.alive_ttl)
        self.client = client

    def take(self, count: int) -> list[workqueue.QueuedJob]:
        """Up to `count` jobs, each moved to this worker's processing list (see monitor.crawl.workqueue.take)."""
        assert self.client is not None
        jobs: list[workqueue.QueuedJob] = []
        while len(jobs) < count:
            taken = workqueue.take(self.client, self.name, self.settings.delay)
            if not isinstance(taken, workqueue.QueuedJob):
                self.feed = "busy" if taken == "busy" else "empty"
                return jobs
            jobs.append(taken)
        self.feed = "took"
        return jobs

    def accept(self, taken: workqueue.QueuedJob) -> workqueue.QueuedJob | None:
        """Hold a taken job as in flight; None when it is a redelivered job already done (acknowledged)."""
        assert self.client is not None
        job = taken.job
        if taken.redelivered:
            done = workqueue.already_checked(self.engine, taken.run_id, job.backlink_ids)
            keep = [i for i, bid in enumerate(job.backlink_ids) if bid not in done]
            if not keep:
                self.skipped += 1
                workqueue.ack(self.client, self.name, [taken.raw])
                return None
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
            self.unacked.append(taken.raw)
            self.pages += 1
            try:  # the Ingestor writes a batch by itself every batch_size observations
                self._ingestor(taken.run_id).add(observation, taken.job.backlink_ids)
            except Exception as exc:
                self._give_back(exc)
                return
            if len(self.unacked) >= self.settings.batch_size:
                self.commit()

    def commit(self) -> None:
        """Write every buffered verdict, then acknowledge their jobs (or give them back if writing failed)."""
        with self.lock:
            try:
                for ingestor in self.ingestors.values():
                    ingestor.flush()
            except Exception as exc:
                self._give_back(exc)
                return
            raws, self.unacked = self.unacked, []
            if raws and self.client is not None:
                try:
                    workqueue.ack(self.client, self.name, raws)
                except redis.RedisError:
                    self.unacked = raws + self.unacked  # stored: acknowledged at the next commit
                    raise

    def _give_back(self, exc: Exception) -> None:
        """The database refused a batch: its jobs go back to the queue (redelivered), not acknowledged."""
        raws, self.unacked = self.unacked, []
        if self.client is not None:
            try:
                self.given_back += workqueue.release(self.client, self.name, raws)
            except redis.RedisError:
                logger.exception("could not give jobs back; they return when this worker stops")
        logger.error("could not store a batch of %d pages (given back to the queue): %s", len(raws), exc)

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
                "skipped_redelivered": self.skipped, "given_back": self.given_back}


class WorkerSpider(RedisSpider, LinkSpider):
    """LinkSpider fed from the Redis queue through scrapy-redis, for as long as the worker runs."""

    name = "linkwatch-worker"
    redis_key = workqueue.QUEUE
    redis_batch_size = 1  # jobs per take: one at a time, as the downloader has room
    start_buffer_factor = 2  # take few jobs ahead: the rest stays in the queue for the other workers

    def __init__(self, state: WorkerState, exit_when_idle: bool, **kwargs: Any) -> None:
        super().__init__(jobs=(), sink=state.observed, **kwargs)
        self.state = state
        self.exit_when_idle = exit_when_idle

    def setup_redis(self, crawler: Any = None) -> None:
        """scrapy-redis's setup (connection from REDIS_URL, redis_key, the idle signal), then the reliable take."""
        super().setup_redis(crawler)
        self.fetch_data = self.take_jobs
        try:
            self.state.connect(self.server)
        except redis.RedisError as exc:  # start() then ends at once and the worker exits 1
            logger.error("cannot reach Redis at %s: %s", workqueue.shown_url(self.config.redis_url), exc)

    def take_jobs(self, _key: str, count: int) -> list[workqueue.QueuedJob]:
        """scrapy-redis's `fetch_data`, made reliable: jobs move to this worker's processing list."""
        return self.state.take(count)

    def make_request_from_data(self, data: workqueue.QueuedJob) -> Request | None:
        taken = self.state.accept(data)
        return None if taken is None else self.page_request(taken.job)

    async def start(self) -> AsyncIterator[Any]:
        while self.state.client is not None:
            try:
                requests = list(self.next_requests())  # scrapy-redis: fetch_data, make_request_from_data
                if not requests and self.state.feed == "empty" and self.exit_when_idle and self._cycle_over():
                    return
            except redis.RedisError as exc:  # a blip: what this worker holds is safe in its processing list
                logger.warning("Redis: %s; trying again", exc)
                await _sleep(IDLE_POLL)
                continue
            for request in requests:
                yield request
                await self.wait_for_room()
            if self.state.feed != "took":  # else: taken, but already done (redelivered) or answered (invalid)
                await _sleep(BUSY_POLL if self.state.feed == "busy" else IDLE_POLL)

    def spider_idle(self) -> None:
        """scrapy-redis feeds batches from here; this spider feeds from `start()`, so once that has
        returned (or while shutting down) the spider may close."""

    def _cycle_over(self) -> bool:
        return self.state.idle() and workqueue.cycle_open(self.server) is None


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor  # the one Scrapy installed (importing it earlier would install another)

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


class _Heartbeat(threading.Thread):
    """Refreshes this worker's alive key every alive_ttl/3 seconds, on its own thread: a commit waiting
    for the database (a PostgreSQL restart) must not let the key expire while the worker still lives."""

    def __init__(self, state: WorkerState) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.state = state
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            if self.state.client is None:  # the spider has not connected yet
                self.done.wait(0.1)
                continue
            try:
                workqueue.heartbeat(self.state.client, self.state.name, self.state.alive_ttl)
            except redis.RedisError:
                logger.exception("worker heartbeat failed; retrying")
            self.done.wait(self.state.alive_ttl / 3)


class _Housekeeping(threading.Thread):
    """Commits of verdicts that waited FLUSH_AFTER, a progress line now and then, and a graceful stop
    when the parent process is gone (the heartbeat goes on until the stop is done)."""

    def __init__(self, state: WorkerState, out: TextIO) -> None:
        super().__init__(name="housekeeping", daemon=True)
        self.state, self.out = state, out
        self.done = threading.Event()
        self.parent = os.getppid()
        self.orphaned = False

    def run(self) -> None:
        last_progress = 0.0
        while not self.done.wait(FLUSH_AFTER / 2):
            if os.getppid() != self.parent and not self.orphaned:
                self._orphaned()
            try:
                self.state.commit_if_old()
            except Exception:
                logger.exception("worker housekeeping failed; retrying")
            if time.monotonic() - last_progress >= PROGRESS_EVERY:
                self.line({"progress": self.state.totals()})
                last_progress = time.monotonic()

    def line(self, data: dict[str, Any]) -> None:
        if self.orphaned:
            return
        try:
            self.out.write(json.dumps(data) + "\n")
            self.out.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._orphaned()

    def _orphaned(self) -> None:
        self.orphaned = True
        logger.warning("the worker process is gone; stopping (what is in flight is finished and stored)")
        os.kill(os.getpid(), signal.SIGTERM)  # Scrapy's graceful shutdown


def run_worker(settings: Settings, lines: Iterator[str], out: TextIO,
               spider: type[WorkerSpider] = WorkerSpider) -> int:
    """Crawl jobs from the shared queue until idle (or stopped); see the module docstring."""
    options = parse_options(lines)
    state = WorkerState(settings, str(options.get("name") or "worker"),
                        int(options.get("alive_ttl") or workqueue.ALIVE_TTL_SECONDS))
    keeper, beat = _Housekeeping(state, out), _Heartbeat(state)
    keeper.start()
    beat.start()
    render = settings.render is not RenderMode.NEVER
    try:
        process = new_process(worker_settings(settings, render=render), settings)
        process.crawl(spider, state=state, exit_when_idle=bool(options.get("exit_when_idle")),
                      config=settings, can_render=render)
        process.start()
    finally:
        keeper.done.set()
        keeper.join()
        ok = state.client is not None and _stop(state, beat)
        beat.done.set()
        keeper.line({"done": state.totals()})
        state.engine.dispose()
    return 0 if ok else 1


def _stop(state: WorkerState, beat: _Heartbeat) -> bool:
    """Commit, acknowledge, give back what was not crawled, leave the worker set. False if Redis failed."""
    assert state.client is not None
    try:
        state.commit()
        returned = workqueue.give_back(state.client, state.name)
        if returned:
            logger.warning("gave %d unfinished jobs back to the queue", returned)
        beat.done.set()
        beat.join()
        workqueue.unregister(state.client, state.name)
    except redis.RedisError as exc:
        logger.error("could not hand back to Redis (%s): the leader re-queues this worker's jobs once its "
                     "heartbeat expires", exc)
        return False
    return True
