"""What to check next: due backlinks as PageJobs, read lazily in batches.

`iter_due_jobs` walks the due backlinks in `(next_due_at, id)` order through the
`ix_backlinks_due` index (every backlink in `id` order with `include_all`), one keyset step of
`batch_size` rows at a time, each in one short transaction repeated once after a reconnect
(monitor.store.db.retry_after_reconnect).  All the due backlinks of one referring page become
one `PageJob`, handed out once, at the step holding the page's first due row; the jobs of a
step go out with their referring hosts in turn (`interleave`), so that politeness does not
queue one host's pages behind each other.  Validators (ETag / Last-Modified) go on a job only
when every backlink of the page carries the same ones.  Invariants: memory holds one step; only
the ingest moves `next_due_at`, so a run that dies leaves what it did not ingest due.  How the
walk works: docs/architecture.md, "How some parts work"; when a backlink is due again:
monitor.core.due.

Reads settings: batch_size, render.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, select, true
from sqlalchemy.engine import Connection

from monitor.config import Settings
from monitor.core.types import PageJob, RenderMode
from monitor.store.db import retry_after_reconnect, session
from monitor.store.models import Backlink

logger = logging.getLogger(__name__)

#: values in one IN (...) of a step (SQLite allows 32,766 bound parameters per statement)
KEYS_PER_QUERY = 1000

_COLUMNS = (Backlink.id, Backlink.source_url, Backlink.source_key, Backlink.target, Backlink.etag,
            Backlink.last_modified, Backlink.next_due_at)
Key = tuple[Any, ...]


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), KEYS_PER_QUERY):
        yield values[start:start + KEYS_PER_QUERY]


@dataclass(frozen=True)
class _Walk:
    """One due walk: which backlinks (due at `now`, or all) in which order (the keyset)."""

    now: datetime
    include_all: bool
    batch_size: int

    def key(self, row: Any) -> Key:
        return (row.id,) if self.include_all else (row.next_due_at, row.id)

    def due(self) -> Any:
        return true() if self.include_all else Backlink.next_due_at <= self.now

    def walked(self, conn: Connection, after: Key | None) -> list[Any]:
        """The next `batch_size` rows after `after` in walk order.  A due time many rows share (an import)
        is continued with `= due AND id >`: both backends start that index range at the key, where SQLite
        would scan a row-value comparison from the first row of the due time."""
        if self.include_all:
            later = true() if after is None else Backlink.id > after[0]
            return list(conn.execute(select(*_COLUMNS).where(later).order_by(Backlink.id).limit(self.batch_size)).all())
        rows: list[Any] = []
        if after is not None:
            rows = list(conn.execute(select(*_COLUMNS).where(Backlink.next_due_at == after[0], Backlink.id > after[1])
                                     .order_by(Backlink.id).limit(self.batch_size)).all())
        if len(rows) < self.batch_size:
            later = self.due() if after is None else and_(Backlink.next_due_at > after[0], self.due())
            rows += conn.execute(select(*_COLUMNS).where(later).order_by(Backlink.next_due_at, Backlink.id)
                                 .limit(self.batch_size - len(rows))).all()
        return rows

    def siblings(self, conn: Connection, walked: list[Any]) -> list[Any]:
        """The due rows of the walked rows' pages that were not walked: the page ids from the unique
        (source_key, target) index alone, then the rows of the few pages with several backlinks."""
        known = {row.id for row in walked}
        keys = sorted({row.source_key for row in walked})
        others = sorted(i for chunk in _chunks(keys) for i in conn.scalars(
            select(Backlink.id).where(Backlink.source_key.in_(chunk))).all() if i not in known)
        return [row for chunk in _chunks(others)
                for row in conn.execute(select(*_COLUMNS).where(Backlink.id.in_(chunk), self.due())).all()]

    def step(self, conn: Connection, after: Key | None) -> tuple[int, Key | None, list[list[Any]]]:
        """Rows walked, the last one's key, and the pages led by one of them (all their due rows)."""
        walked = self.walked(conn, after)
        if not walked:
            return 0, after, []
        last = self.key(walked[-1])
        pages: dict[str, list[Any]] = {}
        for row in (*walked, *self.siblings(conn, walked)):
            pages.setdefault(row.source_key, []).append(row)
        led = []
        for rows in pages.values():
            leader = min(self.key(row) for row in rows)
            if (after is None or leader > after) and leader <= last:
                led.append((leader, sorted(rows, key=lambda row: (row.target, row.id))))
        led.sort(key=lambda item: item[0])
        return len(walked), last, [rows for _, rows in led]


def _due_pages(engine: Engine, walk: _Walk) -> Iterator[list[list[Any]]]:
    """Step by step, the due rows of the pages led by that step's `batch_size` rows, in leader order."""
    after: Key | None = None
    while True:
        count, after, pages = retry_after_reconnect(engine, functools.partial(_step, engine, walk, after),
                                                    "reading the due backlinks")
        yield pages
        if count < walk.batch_size:
            return


def _step(engine: Engine, walk: _Walk, after: Key | None) -> tuple[int, Key | None, list[list[Any]]]:
    with engine.connect() as conn:
        return walk.step(conn, after)


def _job(rows: Sequence[Any], render: RenderMode) -> PageJob:
    validators = {(row.etag, row.last_modified) for row in rows}
    etag, last_modified = validators.pop() if len(validators) == 1 else (None, None)
    # one page stored as http and https (the same source_key): fetch the https one
    url = next((row.source_url for row in rows if row.source_url.startswith("https:")), rows[0].source_url)
    return PageJob(url=url, targets=tuple(row.target for row in rows), render=render,
                   etag=etag, last_modified=last_modified, backlink_ids=tuple(row.id for row in rows))


def _host(url: str) -> str:
    """The host[:port] of an absolute URL (its download slot in the crawler), cheaply: no parsing needed
    for an interleaving key."""
    rest = url.partition("://")[2] or url
    return rest.split("/", 1)[0].rpartition("@")[2].lower()


def interleave(jobs: Sequence[PageJob]) -> list[PageJob]:
    """The jobs with their referring hosts in turn: the first job of every host (in order of first
    appearance), then the second of every host that has one, and so on; one host's jobs keep their order."""
    first: dict[str, int] = {}
    seen: Counter[str] = Counter()
    ranked = []
    for position, job in enumerate(jobs):
        host = _host(job.url)
        first.setdefault(host, position)
        ranked.append((seen[host], first[host], position, job))
        seen[host] += 1
    return [job for *_, job in sorted(ranked, key=lambda item: item[:3])]


def iter_due_jobs(engine: Engine, settings: Settings, now: datetime, *, include_all: bool = False,
                  limit: int | None = None) -> Iterator[PageJob]:
    """The due backlinks (all with `include_all`, at most `limit`) as one PageJob per referring page, lazily."""
    left = limit
    if left is not None and left <= 0:
        return
    for pages in _due_pages(engine, _Walk(now, include_all, settings.batch_size)):
        jobs = []
        for rows in pages:
            if left is not None:
                rows = rows[:left]
                left -= len(rows)
            if rows:
                jobs.append(_job(rows, settings.render))
        yield from interleave(jobs)
        if left is not None and left <= 0:
            return


def due_count(engine: Engine, now: datetime) -> int:
    """How many backlinks are due at `now` (the ix_backlinks_due index)."""
    with session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Backlink).where(Backlink.next_due_at <= now)) or 0)


def backlink_count(engine: Engine) -> int:
    with session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Backlink)) or 0)


def next_due_time(engine: Engine) -> datetime | None:
    """When the next backlink becomes due (None when there are none)."""
    with session(engine) as s:
        return s.scalar(select(func.min(Backlink.next_due_at)))
