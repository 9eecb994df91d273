"""Writing crawl results: checks, state changes, events and the next due time, one transaction per batch.

`Ingestor(engine, settings, run_id)` takes one `PageObservation` per fetched referring page
(`add`, with the backlink ids `track(job)` registered) and, every `batch_size` observations and
at `flush()`, writes in ONE transaction: a `checks` row per backlink, its new state
(monitor.core.changes.detect_changes), its next due time (monitor.core.due.next_due), the events
(the alert outbox), the evidence (page snapshots, how a link was lost: monitor.store.evidence),
the run's counters, the /metrics counters (monitor.store.metric_counts) and
the report rollups (monitor.store.rollups).  Invariants: a crash loses at most the batch in
memory (those backlinks stay due); a batch lost with the connection is written again once the
server answers (monitor.store.db.retry_after_reconnect), and finds nothing to write if its first
COMMIT went through; a `fence` (monitor.crawl.lease) is called last and, when it raises, the
batch is rolled back.  A 304 reuses the last verdict as a new check; under `render=auto` a
static-only miss is an `error` check, never a miss; validators are kept only from pages fetched
fine.  The round trips per batch: docs/architecture.md, "How some parts work".

Reads settings: batch_size, render, lost_after, unreachable_after (via
monitor.core.changes), check_interval, recheck_interval, interval_rules (via
monitor.crawl.scheduler).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.core.changes import ChangeResult, ChangeRules, LinkMemory, detect_changes
from monitor.core.due import interval_for, next_due
from monitor.core.types import (
    PRESENT_STATES,
    BacklinkState,
    CheckState,
    FetchStatus,
    LinkContext,
    LinkPosition,
    ObservedLink,
    PageDirectives,
    PageJob,
    PageObservation,
    RenderMode,
    Verdict,
)
from monitor.core.verdict import site_links, untracked, unverified_static_miss, verdict_for
from monitor.store import evidence, metric_counts, rollups
from monitor.store.db import retry_after_reconnect, session
from monitor.store.models import Backlink, Check, CheckRun, EventRecord, Site

logger = logging.getLogger(__name__)

_CHECKS = cast(Table, Check.__table__)  # Core inserts: no ORM bookkeeping per row
_EVENTS = cast(Table, EventRecord.__table__)
_BACKLINKS = cast(Table, Backlink.__table__)
_MEMORY_FIELDS = ("follow", "anchor", "link_href", "final_url", "noindex", "canonical", "misses",
                  "errors_since", "last_live", "first_seen", "last_checked", "googlebot_allowed", "position")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class IngestTotals:
    """What this ingestor has written so far (for progress lines and summaries)."""

    pages: int = 0
    checks: int = 0
    rendered: int = 0
    events: int = 0
    states: Counter[str] = field(default_factory=Counter)
    event_types: Counter[str] = field(default_factory=Counter)
    batches: int = 0  # transactions committed
    write_seconds: float = 0.0  # wall time inside those transactions (the crawl goes on meanwhile)
    write_cpu_seconds: float = 0.0  # CPU time of the writing thread inside them (time.thread_time)


def memory_of(row: Any) -> LinkMemory:
    """The LinkMemory of a `backlinks` row (an ORM object or a row mapping)."""
    values = {name: getattr(row, name) for name in _MEMORY_FIELDS}
    return LinkMemory(state=BacklinkState(row.state), rel=tuple(row.rel or ()), **values)


def verdict_from_check(check: Any, url: str) -> Verdict | None:
    """The verdict a stored check reached (to reuse on a 304), or None if it was not definitive."""
    if check is None or check.state not in (CheckState.LIVE, CheckState.NOFOLLOW, CheckState.LOST):
        return None
    sources = check.directive_sources or {}
    directives = PageDirectives(noindex=check.noindex, nofollow=check.nofollow, canonical=check.canonical,
                                noindex_sources=tuple(sources.get("noindex", ())),
                                nofollow_sources=tuple(sources.get("nofollow", ())))
    links = tuple(stored_link(item) for item in check.links or ())
    return Verdict(url=url, final_url=check.final_url or url, http_status=check.http_status,
                   state=CheckState(check.state), directives=directives, links=links, rendered=check.rendered,
                   error=None)


def stored_link(item: dict[str, Any]) -> ObservedLink:
    """An ObservedLink from its `checks.links` entry (one stored before contexts existed has none)."""
    position = item.get("position")
    return ObservedLink(href=item["href"], rel=tuple(item.get("rel", ())), anchor=item.get("anchor", ""),
                        follow=bool(item.get("follow")), context=LinkContext.from_json(item.get("context")),
                        position=LinkPosition(position) if position in _POSITIONS else LinkPosition.UNKNOWN)


_POSITIONS = frozenset(str(p) for p in LinkPosition)


class Ingestor:
    """Buffers observations and writes them in batches (see the module docstring)."""

    def __init__(self, engine: Engine, settings: Settings, run_id: int | None,
                 clock: Callable[[], datetime] = utcnow, fence: Callable[[Session], None] | None = None) -> None:
        self.engine = engine
        self.fence = fence  # called last in every batch's transaction; raising rolls the batch back
        self.settings = settings
        self.run_id = run_id
        self.rules = ChangeRules.from_settings(settings)
        self.clock = clock
        self.totals = IngestTotals()
        self._jobs: dict[str, tuple[int, ...]] = {}
        self._renders: dict[str, RenderMode] = {}
        self._buffer: list[tuple[PageObservation, tuple[int, ...], RenderMode]] = []
        self._oldest = 0.0  # monotonic time of the oldest buffered observation
        self._lock = threading.RLock()  # add/flush may be called from a flushing thread too

    def track(self, job: PageJob) -> None:
        """Remember which backlinks a job's page answers for, so that `add(observation)` finds them."""
        self._jobs[job.url] = job.backlink_ids
        self._renders[job.url] = job.render

    def add(self, observation: PageObservation, backlink_ids: Sequence[int] | None = None) -> int:
        """Buffer one observation; writes a batch when `batch_size` observations are buffered.

        Returns how many backlinks the observation answers for."""
        with self._lock:
            ids = tuple(backlink_ids) if backlink_ids is not None else self._jobs.pop(observation.url, ())
            render = self._renders.pop(observation.url, self.settings.render)
            if not ids:
                logger.warning("observation of %s answers for no backlink; ignored", observation.url)
                return 0
            if not self._buffer:
                self._oldest = time.monotonic()
            self._buffer.append((observation, ids, render))
            if len(self._buffer) >= self.settings.batch_size:
                self.flush()
            return len(ids)

    def flush(self) -> None:
        """Write every buffered observation in one transaction (once more if the server went away)."""
        with self._lock:
            if not self._buffer:
                return
            batch, self._buffer = self._buffer, []
            now = self.clock()
            attempts = iter((False, True))
            retry_after_reconnect(self.engine, lambda: self._write(batch, now, repeat=next(attempts)),
                                  "storing a batch of checks")

    def _write(self, batch: Sequence[tuple[PageObservation, tuple[int, ...], RenderMode]], now: datetime,
               repeat: bool) -> None:
        """One attempt at a batch; the totals move only when it committed.  A repeat after a
        connection lost during COMMIT finds the batch's checks (same time, same run) and stops."""
        before = copy.deepcopy(self.totals)
        started, started_cpu = time.monotonic(), time.thread_time()
        try:
            with session(self.engine) as s:
                if repeat and self._stored_already(s, batch, now):
                    logger.warning("the batch of %s was stored before the connection was lost", now.isoformat())
                    return
                _BatchWriter(s, self, now).write(batch)
                if self.fence is not None:
                    self.fence(s)
        except BaseException:
            self.totals = before
            raise
        self.totals.batches += 1
        self.totals.write_seconds += time.monotonic() - started
        self.totals.write_cpu_seconds += time.thread_time() - started_cpu

    def _stored_already(self, s: Session, batch: Sequence[tuple[PageObservation, tuple[int, ...], RenderMode]],
                        now: datetime) -> bool:
        ids = sorted({i for _, batch_ids, _ in batch for i in batch_ids})[:1000]
        query = select(Check.id).where(Check.checked_at == now, Check.backlink_id.in_(ids)).limit(1)
        if self.run_id is not None:
            query = query.where(Check.run_id == self.run_id)
        return s.execute(query).first() is not None

    def flush_older_than(self, seconds: float) -> None:
        """Flush when the oldest buffered observation has waited `seconds` (a slow crawl still saves often)."""
        with self._lock:
            if self._buffer and time.monotonic() - self._oldest >= seconds:
                self.flush()


@dataclass
class _Written:
    check: dict[str, Any]
    backlink: dict[str, Any]
    events: list[dict[str, Any]]
    site: str
    page: PageObservation
    row: Any = None  # the backlink before this check
    present: bool = False  # the link is on the page


class _BatchWriter:
    """One batch in one session: load, decide, write."""

    def __init__(self, s: Session, ingestor: Ingestor, now: datetime) -> None:
        self.s = s
        self.ing = ingestor
        self.now = now

    def write(self, batch: Sequence[tuple[PageObservation, tuple[int, ...], RenderMode]]) -> None:
        ids = sorted({i for _, batch_ids, _ in batch for i in batch_ids})
        rows = self._load(ids)
        unchanged = [i for obs, batch_ids, _ in batch if obs.fetch is FetchStatus.NOT_MODIFIED for i in batch_ids]
        last_checks = self._last_checks(unchanged) if unchanged else {}
        written: list[_Written] = []
        for observation, batch_ids, render in batch:
            for backlink_id in batch_ids:
                row = rows.get(backlink_id)
                if row is None:
                    continue  # removed while the page was being fetched
                reused = last_checks.get(backlink_id)
                item = self._decide(row, observation, render, reused)
                rows[backlink_id] = _Row(row, item.backlink)
                written.append(item)
        tracker = rollups.Tracker(self.s, [w.backlink["id"] for w in written])  # report rollups, same transaction
        settings = self.ing.settings
        proofs = evidence.attach_evidence(self.s, settings, self.now, written)
        self._store(written)
        evidence.after_store(self.s, settings, proofs)
        tracker.apply()
        self._count(batch, written)

    def _load(self, ids: Sequence[int]) -> dict[int, Any]:
        found: dict[int, Any] = {}
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            query = (select(Backlink.__table__, Site.domain.label("site_domain"))
                     .join(Site, Site.id == Backlink.site_id).where(Backlink.id.in_(chunk)))
            found.update({row.id: row for row in self.s.execute(query)})
        return found

    def _last_checks(self, ids: Sequence[int]) -> dict[int, Any]:
        newest = (select(func.max(Check.id)).where(Check.backlink_id.in_(sorted(set(ids))))
                  .group_by(Check.backlink_id))
        return {c.backlink_id: c for c in self.s.execute(select(Check.__table__).where(Check.id.in_(newest)))}

    def _verdict(self, row: Any, observation: PageObservation, render: RenderMode, reused: Any) -> Verdict:
        if observation.fetch is FetchStatus.NOT_MODIFIED:
            previous = verdict_from_check(reused, observation.url)
            if previous is not None:  # robots.txt was read again: its answer is today's
                return dataclasses.replace(previous, googlebot_allowed=observation.googlebot_allowed)
            return Verdict(url=observation.url, final_url=observation.final_url, http_status=observation.http_status,
                           state=CheckState.ERROR, directives=PageDirectives(), links=(), rendered=False,
                           error="304 Not Modified without a previous verdict")
        return unverified_static_miss(verdict_for(observation, row.target), observation, render)

    def _decide(self, row: Any, observation: PageObservation, render: RenderMode, reused: Any) -> _Written:
        verdict = self._verdict(row, observation, render, reused)
        elsewhere = site_links(observation, row.target) if verdict.state == CheckState.LOST else ()
        if elsewhere:  # rare: a confirmed or suspected miss with links to other URLs of the site
            elsewhere = untracked(elsewhere, self._other_url_targets(row))
        result = detect_changes(memory_of(row), verdict, self.now, self.ing.rules, elsewhere)
        check = self._check_row(row.id, observation, verdict)
        backlink = self._backlink_update(row, observation, verdict, result)
        events = [{"backlink_id": row.id, "type": str(e.type), "at": self.now, "old_state": row.state,
                   "new_state": str(result.state), "detail": e.detail, "routed": False} for e in result.events]
        return _Written(check, backlink, events, row.site_domain, observation, row,
                        verdict.state in PRESENT_STATES and result.link is not None)

    def _other_url_targets(self, row: Any) -> list[str]:
        """The URL targets of the other backlinks of the same referring page."""
        query = select(Backlink.target).where(Backlink.source_key == row.source_key, Backlink.id != row.id)
        return [target for target in self.s.scalars(query) if "://" in target]

    def _check_row(self, backlink_id: int, observation: PageObservation, verdict: Verdict) -> dict[str, Any]:
        directives = verdict.directives
        return {
            "backlink_id": backlink_id, "run_id": self.ing.run_id, "checked_at": self.now,
            "state": str(verdict.state), "fetch_status": str(observation.fetch),
            "http_status": observation.http_status, "final_url": verdict.final_url,
            "links": [link.to_json() for link in verdict.links], "noindex": directives.noindex,
            "nofollow": directives.nofollow, "canonical": directives.canonical,
            "googlebot_allowed": observation.googlebot_allowed,
            "directive_sources": {"noindex": list(directives.noindex_sources),
                                  "nofollow": list(directives.nofollow_sources)},
            "redirects": list(observation.redirects), "rendered": verdict.rendered,
            "duration_seconds": observation.duration_seconds, "bytes_received": observation.bytes_received,
            "error": verdict.error,
        }

    def _backlink_update(self, row: Any, observation: PageObservation, verdict: Verdict,
                         result: ChangeResult) -> dict[str, Any]:
        memory = result.memory
        interval = interval_for(self.ing.settings, row.site_domain, row.tags or ())
        due = next_due(self.ing.settings, self.now, interval=interval, suspected_loss=result.suspected_loss,
                       errors_since=memory.errors_since)
        values = {name: getattr(memory, name) for name in _MEMORY_FIELDS}
        state = str(memory.state)
        changed_at = self.now if state != row.state or row.state_changed_at is None else row.state_changed_at
        values.update(id=row.id, state=state, rel=list(memory.rel), next_due_at=due, state_changed_at=changed_at,
                      http_status=verdict.http_status, updated_at=self.now,
                      contact_hints=list(observation.contact_hints) or row.contact_hints or [],
                      context=row.context or _first_context(verdict))
        if observation.fetch is FetchStatus.OK and verdict.state != CheckState.ERROR:
            values.update(etag=observation.etag, last_modified=observation.last_modified)
        elif observation.fetch is FetchStatus.NOT_MODIFIED:
            values.update(etag=row.etag, last_modified=row.last_modified)
        else:
            values.update(etag=None, last_modified=None)
        return values

    def _store(self, written: Sequence[_Written]) -> None:
        if not written:
            return
        # a plain executemany (INSERT ... RETURNING in parameter order runs row by row on SQLite);
        # the few checks that caused events are looked up by (backlink_id, checked_at) afterwards
        self.s.execute(insert(_CHECKS), [w.check for w in written])
        with_events = [w for w in written if w.events]
        if with_events:
            check_ids = self._check_ids([w.check["backlink_id"] for w in with_events])
            events = [{**event, "check_id": check_ids.get(w.check["backlink_id"])}
                      for w in with_events for event in w.events]
            self.s.execute(insert(_EVENTS), events)
        self.s.execute(*_backlink_updates([w.backlink for w in written]))

    def _check_ids(self, backlink_ids: Sequence[int]) -> dict[int, int]:
        """The ids of the checks this batch just wrote for these backlinks (the newest if one has two)."""
        query = (select(Check.backlink_id, func.max(Check.id))
                 .where(Check.backlink_id.in_(sorted(set(backlink_ids))), Check.checked_at == self.now)
                 .group_by(Check.backlink_id))
        return {backlink_id: check_id for backlink_id, check_id in self.s.execute(query)}

    def _count(self, batch: Sequence[tuple[PageObservation, tuple[int, ...], RenderMode]],
               written: Sequence[_Written]) -> None:
        totals = self.ing.totals
        pages = len(batch)
        rendered = sum(1 for obs, _, _ in batch if obs.rendered)
        events = [(w.site, e["type"]) for w in written for e in w.events]
        totals.pages += pages
        totals.checks += len(written)
        totals.rendered += rendered
        totals.events += len(events)
        totals.states.update(w.check["state"] for w in written)
        totals.event_types.update(kind for _, kind in events)
        if self.ing.run_id is not None:
            self.s.execute(update(CheckRun).where(CheckRun.id == self.ing.run_id).values(
                pages=CheckRun.pages + pages, checks=CheckRun.checks + len(written),
                rendered=CheckRun.rendered + rendered, events=CheckRun.events + len(events)))
        metric_counts.record_checks(self.s, _bytes_once_per_page(written))
        metric_counts.record_events(self.s, events)


def _first_context(verdict: Verdict) -> dict[str, str] | None:
    """The `backlinks.context` a check gives a backlink that has none yet: its first link's, if any."""
    if not verdict.links:
        return None
    return {**verdict.links[0].context.to_json(), "from": "check"}


def _backlink_updates(values: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """A Core UPDATE ... SET <the given columns> WHERE id = :row_id, and its executemany parameters.

    The ORM's bulk UPDATE by primary key evaluates and synchronises the session per call; this is
    the same statement for less CPU (bench/README.md, "What was fixed on the way").  Every row has the same keys."""
    return _UPDATE_BY_ID, [{**{k: v for k, v in row.items() if k != "id"}, "row_id": row["id"]} for row in values]


_UPDATE_BY_ID = update(_BACKLINKS).where(_BACKLINKS.c.id == bindparam("row_id"))


class _Row:
    """A backlink row with the updates of an earlier check in the same batch applied."""

    def __init__(self, row: Any, changes: dict[str, Any]) -> None:
        self._row = row
        self._changes = changes

    def __getattr__(self, name: str) -> Any:
        if name in self._changes:
            return self._changes[name]
        return getattr(self._row, name)



def _bytes_once_per_page(written: Sequence[_Written]) -> list[dict[str, Any]]:
    """Check rows for the metrics, with a shared page's bytes counted on its first backlink only."""
    rows, seen = [], set()
    for item in written:
        check = item.check
        if id(item.page) in seen:
            check = {**check, "bytes_received": 0}
        seen.add(id(item.page))
        rows.append(check)
    return rows
