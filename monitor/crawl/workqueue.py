"""The shared due queue of `linkwatch worker`: PageJobs in Redis, a reliable-queue pattern, one leader.

The leader (`linkwatch run --enqueue`, or `lead_step` from `serve`) opens a cycle (a `runs`
row) and pushes every due PageJob once onto `linkwatch:queue`; no new cycle opens before the
previous one is drained.  Workers `take` jobs atomically (a Lua script) into their processing
list `linkwatch:processing:<name>` and `ack` them only once their verdicts are committed; the
leader's `requeue_dead` puts the list of a worker whose `linkwatch:alive:<name>` key expired back
at the head of the queue, marked redelivered (a worker starting under a dead one's name gives its
leftovers back first, `register`).  Per referring domain D: `linkwatch:polite:D` is the request
turn (`polite_turn`, SET NX PX `delay`), `linkwatch:taken:D` spreads D's jobs over workers.
Queue entries are `domain \\t run_id \\t redelivered(0|1) \\t PageJob JSON`.  The guarantees and
why: docs/scale-out.md.

Reads settings: redis_url (through `connect`), delay, and those of
monitor.crawl.scheduler.iter_due_jobs for the leader.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from sqlalchemy import Engine, delete, select

from monitor.config import Settings
from monitor.core.hosts import host_of, registrable_domain
from monitor.core.types import PageJob
from monitor.core.wire import job_from_json, job_to_json
from monitor.crawl import ALIVE_TTL_SECONDS
from monitor.crawl.scheduler import iter_due_jobs
from monitor.store.db import session
from monitor.store.models import Check, CheckRun

logger = logging.getLogger(__name__)

PREFIX = "linkwatch:"
QUEUE = PREFIX + "queue"
WORKERS = PREFIX + "workers"
CYCLE = PREFIX + "cycle"  # hash: run_id, jobs
ENQUEUE_CHUNK = 1000

# KEYS: queue, processing. ARGV: delay_ms, max_tries, polite key prefix.
# Returns the job, 0 when every job tried belongs to a domain still in its delay, nil when the queue is empty.
_TAKE = """
for i = 1, tonumber(ARGV[2]) do
  local job = redis.call('LPOP', KEYS[1])
  if not job then return nil end
  local domain = string.sub(job, 1, string.find(job, '\\t', 1, true) - 1)
  local ok = true
  if tonumber(ARGV[1]) > 0 then
    ok = redis.call('SET', ARGV[3] .. domain, '1', 'PX', ARGV[1], 'NX')
  end
  if ok then
    redis.call('RPUSH', KEYS[2], job)
    return job
  end
  redis.call('RPUSH', KEYS[1], job)
end
return 0
"""

# Lua: `job` with its redelivered flag (the third field) set.
_MARK = """
local function redelivered(job)
  local a = string.find(job, '\\t', 1, true)
  local b = string.find(job, '\\t', a + 1, true)
  return string.sub(job, 1, b) .. '1' .. string.sub(job, b + 2)
end
"""

# KEYS: processing, queue. Moves every job back to the head of the queue, flagged redelivered.
_REQUEUE = _MARK + """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #items, 1, -1 do
  redis.call('LPUSH', KEYS[2], redelivered(items[i]))
end
redis.call('DEL', KEYS[1])
return #items
"""

# KEYS: processing, queue. ARGV: entries. Moves those entries back to the head of the queue, flagged redelivered.
_RELEASE = _MARK + """
local moved = 0
for i = #ARGV, 1, -1 do
  if redis.call('LREM', KEYS[1], 1, ARGV[i]) > 0 then
    redis.call('LPUSH', KEYS[2], redelivered(ARGV[i]))
    moved = moved + 1
  end
end
return moved
"""

# KEYS: the domain's turn key. ARGV: delay_ms. 0 when the turn is taken, else the milliseconds it is still held.
_TURN = """
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then return 1 end
return left
"""


@dataclass(frozen=True)
class QueuedJob:
    raw: str  # the entry as stored (what `ack` removes)
    domain: str
    run_id: int
    redelivered: bool
    job: PageJob


def connect(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, decode_responses=True, socket_timeout=30)


def shown_url(url: str) -> str:
    """A Redis URL fit for messages and logs: its password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rsplit('@', 1)[1]}"))


def polite_key(domain: str) -> str:
    return f"{PREFIX}polite:{domain}"


def domain_of(url: str) -> str:
    """The referring domain politeness is counted by: the registrable domain of the URL's host."""
    host = host_of(url)
    return registrable_domain(host) or host or "-"


def processing_key(worker: str) -> str:
    return f"{PREFIX}processing:{worker}"


def alive_key(worker: str) -> str:
    return f"{PREFIX}alive:{worker}"


def encode(job: PageJob, run_id: int) -> str:
    return f"{domain_of(job.url)}\t{run_id}\t0\t{job_to_json(job)}"


def decode(raw: str) -> QueuedJob:
    domain, run_id, redelivered, payload = raw.split("\t", 3)
    return QueuedJob(raw, domain, int(run_id), redelivered == "1", job_from_json(payload))


# -- the leader --------------------------------------------------------------------------------------
def _workers(client: redis.Redis) -> list[str]:
    return sorted(str(w) for w in client.smembers(WORKERS))


def cycle_open(client: redis.Redis) -> int | None:
    """The run id of the cycle in progress (jobs queued or being processed), else None."""
    run_id = client.hget(CYCLE, "run_id")
    return int(str(run_id)) if run_id else None


def pending(client: redis.Redis) -> int:
    """Jobs queued plus jobs in every worker's processing list."""
    total = int(client.llen(QUEUE))
    for worker in _workers(client):
        total += int(client.llen(processing_key(worker)))
    return total


def enqueue_cycle(engine: Engine, settings: Settings, client: redis.Redis, run_id: int, now: datetime, *,
                  include_all: bool = False, limit: int | None = None) -> int:
    """Push every due PageJob for run `run_id` (a `runs` row the caller created). Returns the number of jobs."""
    if cycle_open(client) is not None:
        raise RuntimeError("a cycle is still in progress; finish it before enqueueing another")
    client.hset(CYCLE, mapping={"run_id": run_id, "jobs": 0})
    count, chunk = 0, []
    for job in iter_due_jobs(engine, settings, now, include_all=include_all, limit=limit):
        chunk.append(encode(job, run_id))
        if len(chunk) >= ENQUEUE_CHUNK:
            client.rpush(QUEUE, *chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        client.rpush(QUEUE, *chunk)
        count += len(chunk)
    client.hset(CYCLE, "jobs", count)
    logger.debug("cycle %s: %d page jobs queued", run_id, count)
    return count


def requeue_dead(client: redis.Redis) -> int:
    """Put the jobs of workers whose heartbeat expired back on the queue. Returns how many."""
    moved = 0
    for worker in _workers(client):
        if client.exists(alive_key(worker)):
            continue
        count = int(client.eval(_REQUEUE, 2, processing_key(worker), QUEUE))
        client.srem(WORKERS, worker)
        if count:
            logger.warning("worker %s is gone: %d jobs re-queued", worker, count)
        moved += count
    return moved


def close_cycle_if_done(client: redis.Redis) -> int | None:
    """When the open cycle is drained, close it and return its run id (the caller finishes the run)."""
    run_id = cycle_open(client)
    if run_id is None or pending(client):
        return None
    client.delete(CYCLE)
    return run_id


def lead_step(engine: Engine, settings: Settings, client: redis.Redis, now: datetime, *,
              include_all: bool = False, limit: int | None = None) -> dict[str, Any]:
    """One step of the leader: re-queue dead workers' jobs, finish a drained cycle, open the next one.

    Returns what it did: {"requeued": n, "finished": run_id|None, "opened": run_id|None, "jobs": n,
    "pending": n}.  Call it from one process only (`serve`, or `linkwatch run --once --enqueue` from cron).
    """
    from monitor.crawl.runs import finish_run, start_run  # the runs table's owner

    step: dict[str, Any] = {"requeued": requeue_dead(client), "finished": None, "opened": None, "jobs": 0}
    finished = close_cycle_if_done(client)
    if finished is not None:
        finish_run(engine, finished, ok=True)
        step["finished"] = finished
    if cycle_open(client) is None:
        run_id = start_run(engine, now)
        count = enqueue_cycle(engine, settings, client, run_id, now, include_all=include_all, limit=limit)
        if count:
            step.update(opened=run_id, jobs=count)
        else:  # nothing due: no cycle
            client.delete(CYCLE)
            with session(engine) as s:
                s.execute(delete(CheckRun).where(CheckRun.id == run_id))
    step["pending"] = pending(client)
    return step


# -- a worker ----------------------------------------------------------------------------------------
def register(client: redis.Redis, worker: str, ttl: int = ALIVE_TTL_SECONDS) -> int:
    """Announce a starting worker. Jobs left in its processing list by a dead process of the same name
    (a restarted container keeps its HOST:PID) go back to the queue first; returns how many."""
    leftovers = give_back(client, worker)
    if leftovers:
        logger.warning("worker %s: %d jobs of a previous process of that name re-queued", worker, leftovers)
    heartbeat(client, worker, ttl)
    client.sadd(WORKERS, worker)
    return leftovers


def heartbeat(client: redis.Redis, worker: str, ttl: int = ALIVE_TTL_SECONDS) -> None:
    client.set(alive_key(worker), "1", ex=ttl)


def take(client: redis.Redis, worker: str, delay: float, tries: int = 50) -> QueuedJob | str | None:
    """The next job, moved to this worker's processing list; "busy" when every job tried is of a domain
    taken less than `delay` ago; None when the queue is empty."""
    raw = client.eval(_TAKE, 2, QUEUE, processing_key(worker), int(delay * 1000), tries, PREFIX + "taken:")
    if raw is None:
        return None
    if raw == 0:
        return "busy"
    return decode(str(raw))


def polite_turn(client: redis.Redis, domain: str, delay: float) -> float:
    """Take referring domain `domain`'s request turn for `delay` seconds: 0.0 when taken (send now), else
    the seconds until the current holder's turn ends (wait, then ask again)."""
    left = int(client.eval(_TURN, 1, polite_key(domain), max(1, int(delay * 1000))))
    return left / 1000


def ack(client: redis.Redis, worker: str, raws: list[str]) -> None:
    """Forget jobs whose verdicts are committed."""
    if raws:
        pipe = client.pipeline(transaction=False)
        for raw in raws:
            pipe.lrem(processing_key(worker), 1, raw)
        pipe.execute()


def give_back(client: redis.Redis, worker: str) -> int:
    """On a clean stop: return the jobs this worker took but did not finish to the queue."""
    return int(client.eval(_REQUEUE, 2, processing_key(worker), QUEUE))


def release(client: redis.Redis, worker: str, raws: list[str]) -> int:
    """Put these taken jobs back at the head of the queue, flagged redelivered (their verdicts could not be
    stored, or only some of them were: a redelivered job skips the backlinks already checked)."""
    if not raws:
        return 0
    return int(client.eval(_RELEASE, 2, processing_key(worker), QUEUE, *raws))


def unregister(client: redis.Redis, worker: str) -> None:
    client.delete(alive_key(worker))
    client.srem(WORKERS, worker)


def already_checked(engine: Engine, run_id: int, backlink_ids: tuple[int, ...]) -> set[int]:
    """Which of these backlinks already have a check in run `run_id` (for redelivered jobs)."""
    with session(engine) as s:
        rows = s.scalars(select(Check.backlink_id).where(Check.run_id == run_id,
                                                         Check.backlink_id.in_(backlink_ids)))
        return set(rows)


def queue_stats(client: redis.Redis) -> dict[str, Any]:
    return {"queued": client.llen(QUEUE), "workers": _workers(client), "cycle": client.hgetall(CYCLE)}
