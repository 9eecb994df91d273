"""Snapshots kept by the ingest (monitor.store.snapshots, SQLite and PostgreSQL): one per distinct text of a
page, replaced when no event refers to them, capped in size, and within the budget with the oldest snapshots
no event refers to dropped first."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from monitor.config import Settings
from monitor.core.types import PageObservation, RenderMode
from monitor.store import db
from monitor.store.ingest import Ingestor
from monitor.store.models import Backlink, EventRecord, Snapshot
from monitor.store.snapshots import decompress, enforce_budget, total_bytes
from tests.support.store import T0, add_links, observe

PAGES = ("https://a.example/post", "https://b.example/post", "https://c.example/post")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.connect(database_url)
    add_links(engine, [(url, "mysite.com") for url in PAGES])
    yield engine
    engine.dispose()


def words(seed: str, count: int = 400) -> str:
    """Text that compresses like prose (a few KiB), different for each seed."""
    rng = random.Random(seed)
    vocabulary = [f"{rng.choice('bcdfghklmnprst')}{rng.choice('aeiou')}{rng.choice('nrstl')}{n}" for n in range(300)]
    return "\n".join(" ".join(rng.choice(vocabulary) for _ in range(12)) for _ in range(count // 12))


def ingest(engine: Engine, day: int, texts: dict[str, str], live: frozenset[str], **settings: object) -> None:
    """One check of every page on day `day`: `texts[url]` as its main text, the link present on those in `live`."""
    config = dataclasses.replace(Settings(render=RenderMode.NEVER, lost_after=2), **settings)  # type: ignore[arg-type]
    when = T0 + timedelta(days=day)
    ingestor = Ingestor(engine, config, None, clock=lambda: when)
    with db.session(engine) as s:
        ids = {b.source_url: b.id for b in s.scalars(select(Backlink))}
    for url in PAGES:
        observation = observe(url, *(("mysite.com",) if url in live else ()))
        ingestor.add(dataclasses.replace(observation, main_text=texts[url]), [ids[url]])
    ingestor.flush()


Stored = tuple[dict[str, int | None], dict[int, tuple[str, datetime]], list[tuple[int | None, ...]]]


def stored(engine: Engine) -> Stored:
    """(live snapshot per page, {snapshot id: (text, taken_at)}, [(before, after) of every event])."""
    with db.session(engine) as s:
        live = {b.source_url: b.live_snapshot_id for b in s.scalars(select(Backlink))}
        snaps = {x.id: (decompress(x.text) or "", x.taken_at) for x in s.scalars(select(Snapshot))}
        events = [(e.before_snapshot_id, e.after_snapshot_id) for e in s.scalars(select(EventRecord)
                                                                                 .where(EventRecord.type == "lost"))]
    return live, snaps, events


ALL = frozenset(PAGES)
A, B, C = PAGES


def test_replaced_snapshots_go_and_those_of_events_stay(engine: Engine) -> None:
    v1 = {url: words(url) for url in PAGES}
    ingest(engine, 0, v1, ALL)  # `new` events: the first snapshots are theirs
    ingest(engine, 1, v1, ALL)  # unchanged pages: no new snapshot
    live, snaps, _ = stored(engine)
    assert len(snaps) == 3 and {snaps[i][0] for i in live.values() if i} == set(v1.values())

    v2 = {**v1, A: words("a, edited"), B: words("b, link removed")}
    ingest(engine, 2, v2, ALL - {B})  # A changed with its link; B misses once
    v3 = {**v2, A: words("a, edited again")}
    ingest(engine, 3, v3, ALL - {B})  # A's v2 replaced by v3 (no event refers to it); B confirmed lost
    live, snaps, events = stored(engine)
    texts = {text for text, _ in snaps.values()}
    assert snaps[live[A]][0] == v3[A] and v2[A] not in texts and v1[A] in texts, "v2 replaced, v1 is the new event's"
    assert events == [(live[B], events[0][1])] and snaps[events[0][1]][0] == v2[B]
    assert snaps[live[B]][0] == v1[B], "B as last seen live, kept for its event"
    assert len(snaps) == 5


def test_the_budget_drops_the_oldest_no_event_refers_to_first(engine: Engine) -> None:
    v1 = {url: words(url) for url in PAGES}
    ingest(engine, 0, v1, ALL)  # referred to by the `new` events
    v2 = {**v1, A: words("a, later"), B: words("b, link removed")}
    ingest(engine, 1, v2, ALL - {B})  # A's v2: no event refers to it
    ingest(engine, 2, v2, ALL - {B})  # B lost: its v1 and v2 are an event's
    live, snaps, events = stored(engine)
    assert len(snaps) == 5
    with db.session(engine) as s:
        total = total_bytes(s)
    ingest(engine, 3, v2, ALL - {B}, evidence_budget_bytes=total - 1)
    live, kept, events = stored(engine)
    assert [snaps[i][0] for i in set(snaps) - set(kept)] == [v2[A]], "the newest, but the only one of no event"
    assert live[A] is None and None not in events[0]

    with db.session(engine) as s:  # only events' snapshots are left: the oldest of them goes first
        assert enforce_budget(s, total_bytes(s) - 1) == 1
    live, left, events = stored(engine)
    assert {snaps[i][0] for i in set(kept) - set(left)} == {v1[A]}

    ingest(engine, 5, v2, ALL - {B}, evidence_budget_bytes=0)
    live, kept, events = stored(engine)
    assert kept == {} and events == [(None, None)] and set(live.values()) == {None}


def test_no_snapshot_is_larger_than_the_cap_and_none_is_kept_when_evidence_is_off(engine: Engine) -> None:
    huge = {url: words(url, 40_000) for url in PAGES}
    ingest(engine, 0, huge, ALL, evidence_max_snapshot_bytes=8192)
    with db.session(engine) as s:
        sizes = [(x.stored_bytes, len(x.text), x.text_chars) for x in s.scalars(select(Snapshot))]
    assert len(sizes) == 3 and all(stored_bytes == size <= 8192 and chars > 0 for stored_bytes, size, chars in sizes)
    ingest(engine, 1, {url: words(url + "again") for url in PAGES}, ALL, evidence=False)
    live, snaps, _ = stored(engine)
    assert len(snaps) == 3 and None not in live.values(), "evidence off: nothing new, nothing replaced"


def test_a_page_without_text_now_keeps_its_snapshot(engine: Engine) -> None:
    ingest(engine, 0, {url: words(url) for url in PAGES}, ALL)
    before = stored(engine)
    with db.session(engine) as s:
        ids = {b.source_url: b.id for b in s.scalars(select(Backlink))}
    ingestor = Ingestor(engine, Settings(render=RenderMode.NEVER), None, clock=lambda: T0 + timedelta(days=1))
    for url in PAGES:
        observation: PageObservation = observe(url, "mysite.com")  # no main text: an old crawl child, say
        ingestor.add(observation, [ids[url]])
    ingestor.flush()
    assert stored(engine) == before


def test_the_html_is_kept_with_the_text_and_left_out_first_when_too_big(engine: Engine) -> None:
    with db.session(engine) as s:
        ids = {b.source_url: b.id for b in s.scalars(select(Backlink))}
    html = {A: "<p>small page</p>", B: "<p>" + words("big html", 40_000) + "</p>"}
    ingestor = Ingestor(engine, Settings(render=RenderMode.NEVER, evidence_max_snapshot_bytes=16384), None,
                        clock=lambda: T0)
    for url in (A, B):
        ingestor.add(dataclasses.replace(observe(url, "mysite.com"), main_text=words(url), html=html[url]), [ids[url]])
    ingestor.flush()
    with db.session(engine) as s:
        kept = {x.url: (decompress(x.text), decompress(x.html)) for x in s.scalars(select(Snapshot))}
    assert kept[A] == (words(A), html[A])
    assert kept[B] == (words(B), None), "the HTML went, the text stayed"
