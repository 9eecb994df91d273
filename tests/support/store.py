"""Database helpers the tests share: backlinks and observations made by hand (`add_links`, `observe`, at
`T0`), the rollup tables as rows (`snapshot`, `recount`), and the invariants a fault must not break
(`assert_consistent`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from monitor.config import Settings
from monitor.core.types import FetchStatus, ObservedLink, PageObservation, RenderMode
from monitor.crawl.runs import start_run
from monitor.crawl.scheduler import iter_due_jobs
from monitor.store import db, rollups
from monitor.store.backlink_input import BacklinkInput, normalize_source, normalize_target
from monitor.store.db import connect, session
from monitor.store.ingest import Ingestor
from monitor.store.models import (
    AcquiredDayRollup,
    AnchorRollup,
    Backlink,
    Check,
    DomainRollup,
    EventDayRollup,
    EventRecord,
    LinkRollup,
    ReclaimRollup,
)
from monitor.store.sites import SiteResolver
from monitor.store.writer import upsert_backlinks

TABLES = (LinkRollup, DomainRollup, AnchorRollup, EventDayRollup, ReclaimRollup, AcquiredDayRollup)


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_links(engine: Engine, pairs: list[tuple[str, str]], tags: tuple[str, ...] = ()) -> None:
    items = []
    for url, target_text in pairs:
        target, host = normalize_target(target_text)
        items.append(BacklinkInput(source_url=normalize_source(url), target=target, target_host=host, tags=tags))
    with session(engine) as s:
        upsert_backlinks(s, items, SiteResolver(s), T0)


def ingest_a_cycle(database_url: str, target: str = "acme.com", without: Collection[str] = (),
                   now: datetime | None = None) -> None:
    """One check cycle through the real ingest: every due page links to `target` except the pages in
    `without` (answered fine, no link): a check per backlink and its events."""
    engine = db.connect(database_url)
    settings = Settings(render=RenderMode.NEVER)
    now = now or datetime.now(UTC)
    ingestor = Ingestor(engine, settings, start_run(engine, now), clock=lambda: now)
    for job in iter_due_jobs(engine, settings, now, include_all=True):
        ingestor.track(job)
        ingestor.add(observe(job.url) if job.url in without else observe(job.url, target))
    ingestor.flush()
    engine.dispose()


def crawl_kinds(engine: Engine, when: datetime, kinds: dict[str, str],
                page: Callable[[str, str], PageObservation]) -> None:
    """One check cycle through the real ingest at `when` (lost after one miss): each due page answered as
    `page(url, kind)`, the kind of the first key of `kinds` in its URL, else "live"."""
    settings = Settings(batch_size=3, render=RenderMode.NEVER, lost_after=1)
    ingestor = Ingestor(engine, settings, None, clock=lambda: when)
    for job in iter_due_jobs(engine, settings, when, include_all=True):
        ingestor.track(job)
        ingestor.add(page(job.url, next((k for part, k in kinds.items() if part in job.url), "live")))
    ingestor.flush()


def observe(url: str, *targets: str, fetch: FetchStatus = FetchStatus.OK, rel: tuple[str, ...] = (),
            etag: str | None = None, rendered: bool = False, status: int = 200) -> PageObservation:
    links = tuple(ObservedLink(href="https://mysite.com/", rel=rel, anchor="My site", follow=not rel, target=t)
                  for t in targets)
    return PageObservation(url=url, final_url=url, fetch=fetch, http_status=status, links=links, etag=etag,
                           rendered=rendered)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with db.session(engine) as s:
        for model in TABLES:
            columns = list(model.__table__.columns)
            rows = s.execute(select(*columns).order_by(*model.__table__.primary_key.columns)).all()
            out[model.__tablename__] = [tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows]
    return out


def recount(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with db.session(engine) as s:
        rollups.rebuild(s)
    return snapshot(engine)


def assert_consistent(database_url: str) -> dict[int, int]:
    """The invariants a fault must not break; returns the number of checks per backlink."""
    engine = connect(database_url)
    try:
        with session(engine) as s:
            per_run = s.execute(select(Check.run_id, Check.backlink_id, func.count())
                                .group_by(Check.run_id, Check.backlink_id)).all()
            orphans = s.scalar(select(func.count()).select_from(Check)
                               .where(Check.backlink_id.not_in(select(Backlink.id))))
            events = s.execute(select(EventRecord.backlink_id, EventRecord.type, Check.backlink_id)
                               .outerjoin(Check, Check.id == EventRecord.check_id)).all()
            backlinks = s.execute(select(Backlink.id, Backlink.last_checked)).all()
    finally:
        engine.dispose()
    assert orphans == 0, "every check belongs to a backlink"
    assert {n for _, _, n in per_run} <= {1}, "no backlink has two checks in one run"
    assert all(check_backlink == backlink for backlink, _, check_backlink in events), \
        "every event comes with its check"
    checked: dict[int, int] = {}
    for _, backlink_id, _ in per_run:
        checked[backlink_id] = checked.get(backlink_id, 0) + 1
    assert sorted(b for b, kind, _ in events if kind == "new") == sorted(checked), "one `new` per checked backlink"
    for backlink_id, last_checked in backlinks:  # the state moved exactly for the stored checks
        assert (last_checked is not None) == (backlink_id in checked)
    return checked



def link_event_samples(database_url: str) -> list[tuple[str, dict[str, str], float]]:
    """The `linkwatch_link_events_total` samples /metrics would show for this store (the collector in-process)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from monitor.service.metrics import LinkwatchCollector

    engine = connect(database_url)
    try:
        registry = CollectorRegistry()
        registry.register(LinkwatchCollector(engine))
        text = generate_latest(registry).decode()
    finally:
        engine.dispose()
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == "linkwatch_link_events_total"]
