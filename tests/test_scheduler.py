"""The due walk (monitor.crawl.scheduler.iter_due_jobs) against a real database (SQLite and PostgreSQL): due order,
one PageJob per referring page however its rows fall over the walk's steps, pages handed out once while the
crawl ingests behind the walk, many rows sharing one due time, `include_all`, `limit`, and referring hosts
taking turns."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from monitor.config import Settings
from monitor.core.types import FetchStatus, ObservedLink, PageJob, PageObservation, RenderMode
from monitor.crawl.scheduler import interleave, iter_due_jobs
from monitor.store.backlink_input import BacklinkInput, normalize_source, normalize_target
from monitor.store.db import connect, session
from monitor.store.ingest import Ingestor
from monitor.store.models import Backlink
from monitor.store.sites import SiteResolver
from monitor.store.writer import upsert_backlinks

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Engine:
    return connect(database_url)


def add(engine: Engine, pairs: list[tuple[str, str]]) -> None:
    items = []
    for url, target_text in pairs:
        target, host = normalize_target(target_text)
        items.append(BacklinkInput(source_url=normalize_source(url), target=target, target_host=host))
    with session(engine) as s:
        upsert_backlinks(s, items, SiteResolver(s), T0)


def due_at(engine: Engine, when: dict[tuple[str, str], datetime]) -> None:
    """Set the due time of these (source_url, target) backlinks."""
    with session(engine) as s:
        for (url, target), moment in when.items():
            s.execute(update(Backlink).where(Backlink.source_url == url, Backlink.target == target)
                      .values(next_due_at=moment))


def pages(jobs: list[PageJob]) -> list[tuple[str, tuple[str, ...]]]:
    return [(job.url, job.targets) for job in jobs]


def settings(batch_size: int) -> Settings:
    return Settings(batch_size=batch_size, render=RenderMode.NEVER)


def test_due_pages_in_due_order_each_once_with_its_due_rows(engine: Engine) -> None:
    add(engine, [("https://a.example/p", "mysite.com"), ("https://a.example/p", "https://mysite.com/x"),
                 ("https://a.example/p", "https://mysite.com/y"), ("https://b.example/q", "mysite.com"),
                 ("https://c.example/r", "mysite.com"), ("https://c.example/r", "https://mysite.com/z")])
    due_at(engine, {
        ("https://a.example/p", "mysite.com"): T0 - timedelta(hours=1),
        ("https://a.example/p", "https://mysite.com/x"): T0 - timedelta(hours=5),  # a's leader
        ("https://a.example/p", "https://mysite.com/y"): T0 + timedelta(hours=1),  # not due
        ("https://b.example/q", "mysite.com"): T0 - timedelta(hours=3),
        ("https://c.example/r", "mysite.com"): T0 - timedelta(hours=4),
        ("https://c.example/r", "https://mysite.com/z"): T0 - timedelta(hours=2),
    })
    expected = [("https://a.example/p", ("https://mysite.com/x", "mysite.com")),
                ("https://c.example/r", ("https://mysite.com/z", "mysite.com")),
                ("https://b.example/q", ("mysite.com",))]
    for batch_size in (1, 2, 3, 500):  # rows of a and c fall in different steps for the small sizes
        assert pages(list(iter_due_jobs(engine, settings(batch_size), T0))) == expected, batch_size
    assert not list(iter_due_jobs(engine, settings(2), T0 - timedelta(hours=6)))
    everything = list(iter_due_jobs(engine, settings(2), T0, include_all=True))
    assert pages(everything) == [
        ("https://a.example/p", ("https://mysite.com/x", "https://mysite.com/y", "mysite.com")),
        ("https://b.example/q", ("mysite.com",)), ("https://c.example/r", ("https://mysite.com/z", "mysite.com"))]


def test_rows_sharing_one_due_time_are_walked_once_each(engine: Engine) -> None:
    """An import gives thousands of rows one due time: the walk continues inside it step by step."""
    urls = [f"https://h{n % 5}.example/page/{n}" for n in range(20)]
    add(engine, [(url, target) for url in urls for target in ("mysite.com", "https://mysite.com/pricing")])
    due_at(engine, {(url, "mysite.com"): T0 - timedelta(hours=1) for url in urls[::3]})
    for batch_size in (1, 3, 50):
        jobs = list(iter_due_jobs(engine, settings(batch_size), T0))
        assert Counter(job.url for job in jobs) == Counter(urls)
        assert all(len(job.backlink_ids) == 2 for job in jobs)
        assert sorted(i for job in jobs for i in job.backlink_ids) == list(range(1, 41))


def test_pages_handed_out_are_not_handed_out_again_while_the_crawl_ingests(engine: Engine) -> None:
    """A page whose rows straddle steps comes once, whether its check is stored before the walk reaches its
    later rows or not; what was not ingested stays due for the next run."""
    add(engine, [(f"https://s{n}.example/", target) for n in range(6)
                 for target in ("mysite.com", "https://mysite.com/a")])
    due_at(engine, {(f"https://s{n}.example/", target): T0 - timedelta(minutes=10 * n + (5 if t else 0))
                    for n in range(6) for t, target in enumerate(("mysite.com", "https://mysite.com/a"))})
    walk = settings(1)
    ingestor = Ingestor(engine, Settings(batch_size=1, render=RenderMode.NEVER), None, clock=lambda: T0)
    seen = []
    for job in iter_due_jobs(engine, walk, T0):
        seen.append(job.url)
        if len(seen) % 2:  # every other page is checked and stored at once, the others never
            links = tuple(ObservedLink(href="https://mysite.com/", rel=(), anchor="x", follow=True, target=t)
                          for t in job.targets)
            ingestor.add(PageObservation(url=job.url, final_url=job.url, fetch=FetchStatus.OK, http_status=200,
                                         links=links), job.backlink_ids)
    ingestor.flush()
    assert seen == [f"https://s{n}.example/" for n in reversed(range(6))]
    left = [job.url for job in iter_due_jobs(engine, walk, T0)]
    assert left == [seen[1], seen[3], seen[5]]


def test_limit_takes_the_most_overdue_backlinks_first(engine: Engine) -> None:
    add(engine, [(f"https://l{n}.example/", target) for n in range(5)
                 for target in ("mysite.com", "https://mysite.com/a")])
    due_at(engine, {(f"https://l{n}.example/", target): T0 - timedelta(hours=n)
                    for n in range(5) for target in ("mysite.com", "https://mysite.com/a")})
    jobs = list(iter_due_jobs(engine, settings(2), T0, limit=5))
    assert pages(jobs) == [("https://l4.example/", ("https://mysite.com/a", "mysite.com")),
                           ("https://l3.example/", ("https://mysite.com/a", "mysite.com")),
                           ("https://l2.example/", ("https://mysite.com/a",))]
    assert not list(iter_due_jobs(engine, settings(2), T0, limit=0))
    assert sum(len(job.backlink_ids) for job in iter_due_jobs(engine, settings(3), T0, include_all=True,
                                                                limit=7)) == 7


def test_referring_hosts_take_turns_within_a_step(engine: Engine) -> None:
    """Pages of one host adjacent in due order (an import sorted by domain) are handed out interleaved."""
    add(engine, [(f"https://{host}.example/{n}", "mysite.com") for host, count in (("a", 4), ("b", 2), ("c", 1))
                 for n in range(count)])
    jobs = list(iter_due_jobs(engine, settings(500), T0))
    assert [job.url for job in jobs] == ["https://a.example/0", "https://b.example/0", "https://c.example/0",
                                         "https://a.example/1", "https://b.example/1", "https://a.example/2",
                                         "https://a.example/3"]
    with session(engine) as s:
        assert s.scalars(select(Backlink.id).order_by(Backlink.id)).all() == list(range(1, 8))


def test_interleave_keeps_each_hosts_order() -> None:
    urls = ["https://x.test/1", "https://x.test/2", "http://y.test/1", "https://x.test/3", "https://z.test/1",
            "https://y.test/2", "not a url"]
    jobs = [PageJob(url=url, targets=("t",)) for url in urls]
    assert [job.url for job in interleave(jobs)] == [
        "https://x.test/1", "http://y.test/1", "https://z.test/1", "not a url", "https://x.test/2",
        "https://y.test/2", "https://x.test/3"]
    assert interleave([]) == []
