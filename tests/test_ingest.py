"""The scheduler and the batch ingest against a real database (SQLite and PostgreSQL), with observations
built by hand: grouping by page, keyset batches, limits, validators, 304 reuse, the render-auto rule,
the outbox, the run counters and the next due times."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from monitor.config import IntervalRule, Settings
from monitor.core.due import interval_for, next_due
from monitor.core.types import FetchStatus, PageObservation, RenderMode
from monitor.crawl.runs import start_run
from monitor.crawl.scheduler import due_count, iter_due_jobs
from monitor.store.db import connect, session
from monitor.store.ingest import Ingestor
from monitor.store.models import Backlink, Check, CheckRun, EventRecord
from tests.support.store import T0, add_links, observe


@pytest.fixture
def engine(database_url: str) -> Engine:
    return connect(database_url)


def test_jobs_group_pages_across_batches(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com"), ("http://www.a.example/p", "https://mysite.com/x"),
                       ("https://a.example/p", "https://mysite.com/y"), ("https://b.example/", "mysite.com"),
                       ("https://c.example/q", "mysite.com"), ("https://c.example/q", "https://mysite.com/z")])
    settings = Settings(batch_size=2, render=RenderMode.NEVER)
    jobs = list(iter_due_jobs(engine, settings, T0))
    assert [(job.url, len(job.targets), len(job.backlink_ids)) for job in jobs] == [
        ("https://a.example/p", 3, 3), ("https://b.example/", 1, 1), ("https://c.example/q", 2, 2)]
    assert all(job.render is RenderMode.NEVER for job in jobs)
    limited = list(iter_due_jobs(engine, settings, T0, limit=4))
    assert sum(len(job.backlink_ids) for job in limited) == 4
    assert not list(iter_due_jobs(engine, settings, T0 - timedelta(seconds=1)))  # nothing due before it was added
    assert len(list(iter_due_jobs(engine, settings, T0 - timedelta(days=1), include_all=True))) == 3


def test_ingest_writes_checks_events_states_and_counters(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com"), ("https://a.example/p", "https://mysite.com/x"),
                       ("https://b.example/", "mysite.com")])
    settings = Settings(batch_size=1, render=RenderMode.NEVER)
    run_id = start_run(engine, T0)
    ingestor = Ingestor(engine, settings, run_id, clock=lambda: T0)
    for job in iter_due_jobs(engine, settings, T0):
        ingestor.track(job)
        targets = ("mysite.com",) if job.url.startswith("https://a.") else ()
        ingestor.add(observe(job.url, *targets, etag='"v1"'))
    ingestor.flush()
    with session(engine) as s:
        links = {(b.source_url, b.target): b for b in s.scalars(select(Backlink))}
        events = s.scalars(select(EventRecord)).all()
        run = s.get(CheckRun, run_id)
        checks = s.scalars(select(Check)).all()
    assert len(checks) == 3 and {c.run_id for c in checks} == {run_id}
    live = links["https://a.example/p", "mysite.com"]
    assert (live.state, live.follow, live.anchor, live.etag) == ("live", True, "My site", '"v1"')
    assert live.next_due_at == T0 + timedelta(days=1)
    missing = links["https://a.example/p", "https://mysite.com/x"]
    assert (missing.state, missing.misses) == ("unchecked", 1)  # suspected, not confirmed
    assert missing.next_due_at == T0 + timedelta(hours=1)
    [event] = events
    assert (event.type, event.backlink_id, event.routed) == ("new", live.id, False)
    assert event.check_id in {c.id for c in checks if c.backlink_id == live.id}
    assert (run.pages, run.checks, run.events) == (2, 3, 1)


def test_not_modified_reuses_the_last_verdict_and_validators(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com")])
    settings = Settings(render=RenderMode.NEVER)
    first = Ingestor(engine, settings, None, clock=lambda: T0)
    [job] = iter_due_jobs(engine, settings, T0)
    assert job.etag is None
    first.add(observe(job.url, "mysite.com", rel=("sponsored",), etag='"v1"'), job.backlink_ids)
    first.flush()
    later = T0 + timedelta(days=2)
    [job] = iter_due_jobs(engine, settings, later)
    assert job.etag == '"v1"'  # the last verdict was definitive: ask conditionally
    second = Ingestor(engine, settings, None, clock=lambda: later)
    second.add(observe(job.url, fetch=FetchStatus.NOT_MODIFIED, status=304), job.backlink_ids)
    second.flush()
    with session(engine) as s:
        backlink = s.scalars(select(Backlink)).one()
        checks = s.scalars(select(Check).order_by(Check.id)).all()
        kinds = s.scalars(select(EventRecord.type)).all()
    assert [c.state for c in checks] == ["nofollow", "nofollow"]
    assert checks[1].fetch_status == "not_modified" and checks[1].http_status == 304
    assert checks[1].links == checks[0].links
    assert (backlink.state, backlink.etag, backlink.last_checked) == ("nofollow", '"v1"', later)
    assert kinds == ["new"]
    third = Ingestor(engine, settings, None, clock=lambda: later + timedelta(days=2))
    third.add(observe(job.url, fetch=FetchStatus.ERROR, status=503), job.backlink_ids)
    third.flush()
    [job] = iter_due_jobs(engine, settings, later + timedelta(days=5))
    assert job.etag is None  # after an error the page is fetched in full


def test_static_miss_without_rendering_is_not_a_miss(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com")])
    settings = Settings(render=RenderMode.AUTO)
    ingestor = Ingestor(engine, settings, None, clock=lambda: T0)
    [job] = iter_due_jobs(engine, settings, T0)
    ingestor.track(job)
    ingestor.add(observe(job.url))  # auto mode, no link, not rendered: rendering failed
    ingestor.flush()
    with session(engine) as s:
        backlink = s.scalars(select(Backlink)).one()
        check = s.scalars(select(Check)).one()
    assert check.state == "error" and (check.error or "").startswith("link missing from the static HTML (")
    assert backlink.misses == 0 and backlink.errors_since == T0


def test_rendered_miss_counts(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com")])
    settings = Settings(render=RenderMode.AUTO)
    ingestor = Ingestor(engine, settings, None, clock=lambda: T0)
    [job] = iter_due_jobs(engine, settings, T0)
    ingestor.add(observe(job.url, rendered=True), job.backlink_ids)
    ingestor.flush()
    with session(engine) as s:
        assert s.scalars(select(Backlink.misses)).one() == 1
    assert due_count(engine, T0 + timedelta(hours=2)) == 1


def test_intervals_and_backoff() -> None:
    settings = Settings(check_interval=86400, recheck_interval=3600, interval_rules=(
        IntervalRule(6 * 3600, site="example.com"), IntervalRule(12 * 3600, tag="paid"),
        IntervalRule(2 * 3600, site="example.com", tag="vip")))
    assert interval_for(settings, "other.org", ()) == 86400
    assert interval_for(settings, "www.example.com", ()) == 6 * 3600
    assert interval_for(settings, "other.org", ["paid"]) == 12 * 3600
    assert interval_for(settings, "example.com", ["vip", "paid"]) == 2 * 3600
    assert next_due(settings, T0, interval=86400) == T0 + timedelta(days=1)
    assert next_due(settings, T0, interval=86400, suspected_loss=True) == T0 + timedelta(hours=1)
    streak = [next_due(settings, T0, interval=86400, errors_since=T0 - timedelta(hours=h)) - T0
              for h in (0, 2, 5, 100)]
    assert streak == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=5), timedelta(days=1)]


def test_contact_hints_are_kept_for_the_reclaim_worklist(engine: Engine) -> None:
    """A fetched page's contact hints are stored on its backlinks; a page that fails keeps the old ones."""
    add_links(engine, [("https://a.example/p", "mysite.com")])
    settings = Settings(batch_size=10, render=RenderMode.NEVER)
    hints = ("mailto:editor@a.example", "https://a.example/contact")
    for fetch, page_hints in ((FetchStatus.OK, hints), (FetchStatus.ERROR, ())):
        ingestor = Ingestor(engine, settings, start_run(engine, T0), clock=lambda: T0)
        for job in iter_due_jobs(engine, settings, T0, include_all=True):
            ingestor.track(job)
            observation = observe(job.url, "mysite.com", fetch=fetch)
            ingestor.add(PageObservation(**{**{f: getattr(observation, f) for f in observation.__slots__},
                                            "contact_hints": page_hints}))
        ingestor.flush()
        with session(engine) as s:
            assert s.scalars(select(Backlink.contact_hints)).one() == list(hints)


def test_state_changed_at_moves_only_when_the_state_changes(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com"), ("https://b.example/", "mysite.com")])
    settings = Settings(render=RenderMode.NEVER)
    with session(engine) as s:
        assert set(s.scalars(select(Backlink.state_changed_at))) == {None}, "never checked: no change time"
    ids = {job.url: job.backlink_ids for job in iter_due_jobs(engine, settings, T0)}

    def check(at: datetime, **observations: PageObservation) -> dict[str, datetime | None]:
        ingestor = Ingestor(engine, settings, None, clock=lambda: at)
        for url, observation in observations.items():
            ingestor.add(observation, ids[url])
        ingestor.flush()
        with session(engine) as s:
            return {b.source_url: b.state_changed_at for b in s.scalars(select(Backlink))}

    a, b = "https://a.example/p", "https://b.example/"
    live_a, live_b = observe(a, "mysite.com"), observe(b, "mysite.com")
    assert check(T0, **{a: live_a}) == {a: T0, b: None}, "the first check sets it"
    t1, t2, t3 = (T0 + timedelta(days=n) for n in (1, 2, 3))
    assert check(t1, **{a: live_a, b: live_b}) == {a: T0, b: t1}, "live again: no change, a keeps T0"
    assert check(t2, **{a: observe(a, "mysite.com", rel=("nofollow",)), b: live_b}) == {a: t2, b: t1}
    error = observe(a, fetch=FetchStatus.ERROR, status=503)
    assert check(t3, **{a: error}) == {a: t3, b: t1}, "an error is a state"
    assert check(t3 + timedelta(days=1), **{a: error}) == {a: t3, b: t1}, "a second error is no change"
