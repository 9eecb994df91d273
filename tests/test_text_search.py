"""The Links text search through its index (monitor.store.text_search) gives what a plain scan gives.

On a small store with hostile anchors (`%`, `_`, quotes, FTS5 operators, non-ASCII), every search is run
twice: through the index and with the index switched off (the ILIKE scan the page used before).  Rows are
added, re-anchored and deleted first, so the index is shown to follow every writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.orm import Session

from monitor.store import db, text_search
from monitor.store.backlink_input import BacklinkInput, normalize_source, normalize_target
from monitor.store.link_pages import LinkFilter, backlink_page
from monitor.store.models import Backlink
from monitor.store.sites import SiteResolver
from monitor.store.writer import upsert_backlinks

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ANCHORS = ["100% free", "a_b c", '"quoted" words', "it's here", "NEAR(x y)", "foo* bar", "this AND that",
           "^start col:val", "-minus", "Éclair café", "plain anchor", "😀 smile", None, "AbC", "a\\b back"]
SEARCHES = ["100%", "0%", "a_b", "_", "%", '"quo', '"', "it's", "'", "near(", "oo*", " and ", "^st", "col:",
            "-mi", "éclair", "CAFÉ", "café", "ab", "a", "example", "EXAMPLE", "blog-7", "no-such-text",
            "😀", "a\\b", "\\", "moved", "new anchor", "AND", "OR", "*", "plain"]


@pytest.fixture
def store(database_url: str) -> Iterator[Engine]:
    engine = db.connect(database_url)
    items = []
    for index, anchor in enumerate(ANCHORS * 3):
        target, host = normalize_target("example.com" if index % 2 else "https://acme.test/page")
        url = normalize_source(f"https://blog-{index}.example{index % 4}.org/post/{index}?q=a_b%25")
        items.append(BacklinkInput(source_url=url, target=target, target_host=host, anchor=anchor))
    with db.session(engine) as session:
        upsert_backlinks(session, items, SiteResolver(session), NOW)
    with db.session(engine) as session:  # writers after the insert: the index must follow them
        session.execute(update(Backlink).where(Backlink.id % 5 == 0).values(anchor="new anchor"))
        session.execute(update(Backlink).where(Backlink.id == 2).values(source_url="https://moved.example/x"))
        session.execute(delete(Backlink).where(Backlink.id % 7 == 0))
    yield engine
    engine.dispose()


def _all_ids(engine: Engine, needle: str) -> list[int]:
    items, cursor, ids = [], None, []
    while True:
        items, cursor = backlink_page(engine, LinkFilter(text=needle), cursor, limit=7)
        ids += [item["id"] for item in items]
        if cursor is None:
            return ids


@pytest.mark.parametrize("candidates", [5000, 2])  # 2: broad searches leave the index for the plain walk
def test_search_through_the_index_equals_a_plain_scan(store: Engine, monkeypatch: pytest.MonkeyPatch,
                                                      candidates: int) -> None:
    monkeypatch.setattr(text_search, "MAX_CANDIDATES", candidates)
    indexed = {needle: _all_ids(store, needle) for needle in SEARCHES}
    monkeypatch.setattr(text_search, "narrowing", lambda session, needle: None)
    scanned = {needle: _all_ids(store, needle) for needle in SEARCHES}
    assert indexed == scanned
    assert indexed["new anchor"] and indexed["moved"] and indexed["100%"] and indexed['"quo']
    assert not indexed["no-such-text"]


def test_the_search_uses_the_index(store: Engine) -> None:
    with store.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM backlinks WHERE id IN "
                "(SELECT rowid FROM backlinks_fts WHERE backlinks_fts MATCH '\"abc\"')").all()
            assert any("VIRTUAL TABLE INDEX" in str(row) for row in plan)
        else:
            names = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'backlinks'")).scalars())
            assert set(text_search.PG_INDEXES) <= names


def test_fts_phrase_quotes_every_operator() -> None:
    assert text_search.fts_phrase('say "hi" AND *') == '"say ""hi"" AND *"'
    assert text_search.MIN_INDEXED_CHARS == 3  # a trigram needs 3 characters


def test_short_and_broad_searches_skip_the_index(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(store) as session:
        if session.get_bind().dialect.name != "sqlite":
            assert text_search.narrowing(session, "anchor") is None  # PostgreSQL: the GIN indexes serve ILIKE
            return
        assert text_search.narrowing(session, "ab") is None
        assert text_search.narrowing(session, "anchor") is not None
        monkeypatch.setattr(text_search, "MAX_CANDIDATES", 2)
        assert text_search.narrowing(session, "anchor") is None
