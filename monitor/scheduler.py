"""What to check next: due backlinks as PageJobs, read lazily in batches, and when each is due again.

`iter_due_jobs` walks the backlinks in `(source_key, target)` order with keyset
pagination over the `uq_backlinks_source_key_target` index, `batch_size` rows
per query (repeated once when the database server went away and came back,
monitor.store.db.retry_after_reconnect), keeping those whose `next_due_at` has
passed (all of them with `include_all`).  Rows of one referring page are adjacent in that order, so they
become one `PageJob` (fetched once however many backlinks it carries), even when
they straddle two batches.  Each query runs in its own short transaction and
memory holds one batch: it stays flat at a million backlinks, and a run that
dies part-way leaves everything it did not ingest due (only the ingest moves
`next_due_at`).  The `ix_backlinks_due` index answers "how much is due" and
"when is the next one due" for `serve`.

Conditional-request validators (ETag / Last-Modified) go on a job only when every
backlink of the page carries the same ones: the ingest stores them only after a
definitive verdict (the page was fetched fine) and clears them otherwise.

`next_due_at` (computed here, applied by the ingest):
- normally `check_interval`, or the shortest matching `[[schedule.rule]]` for the
  backlink's site or tags (`interval_rules`);
- a suspected loss (missing, not yet confirmed): `recheck_interval`;
- during an error streak: the streak's age, at least `recheck_interval` and at
  most the normal interval (so retries back off exponentially).

Reads settings: batch_size, render, check_interval, recheck_interval, interval_rules.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from monitor.config import IntervalRule, Settings
from monitor.domain import PageJob, RenderMode
from monitor.store.db import retry_after_reconnect, session
from monitor.store.models import Backlink

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    source_url: str
    source_key: str
    target: str
    etag: str | None
    last_modified: str | None


def _due_rows(engine: Engine, now: datetime, include_all: bool, batch_size: int) -> Iterator[_Row]:
    """Every due backlink in (source_key, target) order, one query of `batch_size` rows at a time."""
    columns = (Backlink.id, Backlink.source_url, Backlink.source_key, Backlink.target,
               Backlink.etag, Backlink.last_modified)
    after: tuple[str, str] | None = None
    while True:
        query = select(*columns).order_by(Backlink.source_key, Backlink.target).limit(batch_size)
        if not include_all:
            query = query.where(Backlink.next_due_at <= now)
        if after is not None:
            # expanded form of (source_key, target) > after: every backend plans it as an index range
            query = query.where(or_(Backlink.source_key > after[0],
                                    and_(Backlink.source_key == after[0], Backlink.target > after[1])))
        rows = retry_after_reconnect(engine, functools.partial(_read, engine, query), "reading the due backlinks")
        yield from rows
        if len(rows) < batch_size:
            return
        after = (rows[-1].source_key, rows[-1].target)


def _read(engine: Engine, query: Any) -> list[_Row]:
    with session(engine) as s:
        return [_Row(*row) for row in s.execute(query)]


def _job(rows: Sequence[_Row], render: RenderMode) -> PageJob:
    validators = {(row.etag, row.last_modified) for row in rows}
    etag, last_modified = validators.pop() if len(validators) == 1 else (None, None)
    # one page stored as http and https (the same source_key): fetch the https one
    url = next((row.source_url for row in rows if row.source_url.startswith("https:")), rows[0].source_url)
    return PageJob(url=url, targets=tuple(row.target for row in rows), render=render,
                   etag=etag, last_modified=last_modified, backlink_ids=tuple(row.id for row in rows))


def iter_due_jobs(engine: Engine, settings: Settings, now: datetime, *, include_all: bool = False,
                  limit: int | None = None) -> Iterator[PageJob]:
    """The due backlinks (all with `include_all`, at most `limit`) as one PageJob per referring page, lazily."""
    group: list[_Row] = []
    for taken, row in enumerate(_due_rows(engine, now, include_all, settings.batch_size)):
        if limit is not None and taken >= limit:
            break
        if group and row.source_key != group[0].source_key:
            yield _job(group, settings.render)
            group = []
        group.append(row)
    if group:
        yield _job(group, settings.render)


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


def _rule_matches(rule: IntervalRule, site: str | None, tags: Sequence[str]) -> bool:
    if rule.site is not None and (site or "").lower().removeprefix("www.") != rule.site.lower().removeprefix("www."):
        return False
    return rule.tag is None or rule.tag in tags


def interval_for(settings: Settings, site: str | None, tags: Sequence[str]) -> float:
    """The check interval of a backlink: the shortest matching interval rule, else `check_interval`."""
    matching = [rule.interval_seconds for rule in settings.interval_rules if _rule_matches(rule, site, tags)]
    return min(matching) if matching else settings.check_interval


def next_due(settings: Settings, now: datetime, *, interval: float, suspected_loss: bool = False,
             errors_since: datetime | None = None) -> datetime:
    """When a backlink checked at `now` is due again (see the module docstring)."""
    if suspected_loss:
        return now + timedelta(seconds=min(settings.recheck_interval, interval))
    if errors_since is not None:
        streak = (now - errors_since).total_seconds()
        return now + timedelta(seconds=max(settings.recheck_interval, min(streak, interval)))
    return now + timedelta(seconds=interval)
