"""The store on SQLite and PostgreSQL: migrations, upserts, tags, removal, streamed listings, UTC datetimes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, func, inspect, select
from sqlalchemy.exc import StatementError

from monitor.config import SiteConfig
from monitor.core.hosts import host_of, registrable_domain
from monitor.store import db
from monitor.store.backlink_input import BacklinkInput, normalize_source, normalize_target
from monitor.store.listing import iter_backlinks, iter_events, iter_history
from monitor.store.models import Backlink, BacklinkTag, Check, EventRecord, Site
from monitor.store.sites import SiteResolver
from monitor.store.writer import remove_backlinks, upsert_backlinks

NOW = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.connect(database_url)
    yield engine
    engine.dispose()


def item(source: str, target: str = "example.com", **fields: Any) -> BacklinkInput:
    url = normalize_source(source)
    stored, host = normalize_target(target)
    return BacklinkInput(source_url=url, target=stored, target_host=host, **fields)


def upsert(engine: Engine, *items: BacklinkInput, sites: tuple[SiteConfig, ...] = (), now: datetime = NOW) -> Any:
    with db.session(engine) as s:
        return upsert_backlinks(s, list(items), SiteResolver(s, sites), now)


def count(engine: Engine, model: Any) -> int:
    with db.session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_migrations_bring_an_empty_database_to_head(database_url: str) -> None:
    engine = db.connect(database_url)
    config = db.alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    tables = set(inspect(engine).get_table_names())
    assert {"sites", "backlinks", "backlink_tags", "checks", "events", "runs", "referral_traffic"} <= tables
    db.connect(database_url).dispose()  # a second connect is a no-op, not an error
    engine.dispose()


def test_head_revision_is_the_head_of_the_migrations(tmp_path: Any) -> None:
    engine = db.create(f"sqlite:///{tmp_path / 'head.db'}")
    assert ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head() == db.HEAD_REVISION


def test_a_database_at_head_is_recognised_without_alembic(database_url: str, monkeypatch: Any) -> None:
    engine = db.create(database_url)
    assert not db.is_current(engine)  # new: no alembic_version table yet
    db.upgrade(engine)
    assert db.is_current(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'older'")
    assert not db.is_current(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{db.HEAD_REVISION}'")
    monkeypatch.setattr(db, "HEAD_REVISION", "newer")  # the code knows a newer head: Alembic takes over
    migrated: list[str] = []
    monkeypatch.setattr("alembic.command.upgrade", lambda config, to: migrated.append(to))
    db.upgrade(engine)
    assert migrated == []  # Alembic's own head is the database's: nothing to do
    engine.dispose()


def test_upsert_is_idempotent(engine: Engine) -> None:
    first = upsert(engine, item("https://blog.example.org/post", anchor="best tool", tags=("pr",)))
    again = upsert(engine, item("https://blog.example.org/post", anchor="best tool", tags=("pr",)))
    assert (first.added, first.updated, first.unchanged) == (1, 0, 0)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert count(engine, Backlink) == 1
    [row] = list(iter_backlinks(engine))
    assert row["state"] == "unchecked"
    assert row["next_due_at"] == NOW.isoformat()
    assert row["referring_domain"] == "example.org"
    assert row["site"] == "example.com"


def test_update_changes_only_given_values(engine: Engine) -> None:
    upsert(engine, item("https://a.org/p", anchor="old", notes="keep me"))
    later = NOW + timedelta(days=1)
    counts = upsert(engine, item("https://a.org/p", anchor="new"), now=later)
    assert counts.updated == 1
    with db.session(engine) as s:
        link = s.scalars(select(Backlink)).one()
        assert (link.expected_anchor, link.notes) == ("new", "keep me")
        assert link.updated_at == later and link.next_due_at == NOW


def test_http_and_https_and_www_are_the_same_backlink(engine: Engine) -> None:
    upsert(engine, item("http://www.a.org/page"))
    counts = upsert(engine, item("https://a.org/page/"))
    assert counts.added == 0
    assert count(engine, Backlink) == 1
    [row] = list(iter_backlinks(engine))
    assert row["source_url"] == "https://a.org/page/"  # http -> https upgrades the stored URL
    upsert(engine, item("http://a.org/page"))  # never downgrades
    assert next(iter_backlinks(engine))["source_url"] == "https://a.org/page/"


def test_spellings_of_a_url_target_are_one_target(engine: Engine) -> None:
    upsert(engine, item("https://a.org/p", "https://acme.com/pricing?utm_source=x"))
    counts = upsert(engine, item("https://a.org/p", "http://www.acme.com/pricing/#plans"),
                    item("https://a.org/p", "ACME.com"), item("https://a.org/p", "https://acme.com/pricing?plan=2"))
    assert (counts.added, counts.unchanged) == (2, 1)
    assert [r["target"] for r in iter_backlinks(engine)] == [
        "https://acme.com/pricing?utm_source=x", "acme.com", "https://acme.com/pricing?plan=2"]
    with db.session(engine) as s:
        assert remove_backlinks(s, "https://a.org/p", "https://www.acme.com/pricing/") == 1
    assert len(list(iter_backlinks(engine))) == 2


def test_pending_status_and_tags_are_mirrored(engine: Engine) -> None:
    upsert(engine, item("https://a.org/1", tags=("guest", "q3"), pending=True), item("https://a.org/2", tags=("q3",)))
    upsert(engine, item("https://a.org/1", tags=("q3", "outreach")))
    with db.session(engine) as s:
        tags = sorted((row.backlink_id, row.tag) for row in s.scalars(select(BacklinkTag)))
    first, second = (row["id"] for row in iter_backlinks(engine))
    assert tags == sorted([(first, "guest"), (first, "q3"), (first, "outreach"), (second, "q3")])
    assert [r["id"] for r in iter_backlinks(engine, tag="q3")] == [first, second]
    assert [r["id"] for r in iter_backlinks(engine, tag="outreach")] == [first]
    assert [r["state"] for r in iter_backlinks(engine)] == ["pending", "unchecked"]
    assert [r["id"] for r in iter_backlinks(engine, state="pending")] == [first]


def test_sites_come_from_the_target_and_the_config(engine: Engine) -> None:
    sites = (SiteConfig("rival.com", competitor=True), SiteConfig("shop.example.co.uk"))
    upsert(engine, item("https://a.org/1", "https://www.blog.example.co.uk/x"),
           item("https://a.org/2", "https://shop.example.co.uk/y"),
           item("https://a.org/3", "news.rival.com"), sites=sites)
    with db.session(engine) as s:
        found = {site.domain: site.competitor for site in s.scalars(select(Site))}
    assert found == {"example.co.uk": False, "shop.example.co.uk": False, "rival.com": True}
    assert [r["source_url"] for r in iter_backlinks(engine, site="www.rival.com")] == ["https://a.org/3"]


def add_check(engine: Engine, backlink_id: int, at: datetime, state: str = "live") -> int:
    with db.session(engine) as s:
        check = Check(backlink_id=backlink_id, checked_at=at, state=state, fetch_status="ok", http_status=200,
                      links=[{"href": "https://example.com/", "rel": [], "anchor": "x", "follow": True}])
        s.add(check)
        s.flush()
        s.add(EventRecord(backlink_id=backlink_id, check_id=check.id, type="new", at=at, old_state="unchecked",
                          new_state=state, detail={"http_status": 200}))
        return check.id


def test_remove_cascades_to_checks_and_events(engine: Engine) -> None:
    upsert(engine, item("https://a.org/p"), item("https://a.org/p", "other.com"), item("https://b.org/q"))
    ids = [r["id"] for r in iter_backlinks(engine)]
    for backlink_id in ids:
        add_check(engine, backlink_id, NOW)
    with db.session(engine) as s:
        assert remove_backlinks(s, "http://www.a.org/p", "other.com") == 1
    with db.session(engine) as s:
        assert remove_backlinks(s, "https://a.org/p/") == 1
        assert remove_backlinks(s, "https://nowhere.org/") == 0
    assert [r["id"] for r in iter_backlinks(engine)] == [ids[2]]
    assert count(engine, Check) == 1 and count(engine, EventRecord) == 1
    with db.session(engine) as s:
        assert {t.backlink_id for t in s.scalars(select(BacklinkTag))} <= {ids[2]}


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.selects = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "backlinks" in statement:
            self.selects += 1


def test_listing_is_keyset_paginated(engine: Engine) -> None:
    items = [item(f"https://site{n}.org/p", tags=("even",) if n % 2 == 0 else ()) for n in range(25)]
    upsert(engine, *items)
    counter = StatementCounter(engine)
    rows = list(iter_backlinks(engine, batch_size=10))
    assert [r["source_url"] for r in rows] == [f"https://site{n}.org/p" for n in range(25)]
    assert len({r["id"] for r in rows}) == 25
    assert counter.selects == 3  # 10 + 10 + 5
    assert len(list(iter_backlinks(engine, tag="even", batch_size=4))) == 13


def test_history_and_events_newest_first_across_batches(engine: Engine) -> None:
    upsert(engine, item("https://a.org/p"), item("https://a.org/p", "https://example.com/pricing"))
    first, second = (r["id"] for r in iter_backlinks(engine))
    times = [NOW + timedelta(hours=h) for h in (0, 1, 1, 2)]  # two checks share a timestamp
    for at in times:
        add_check(engine, first, at)
    add_check(engine, second, NOW + timedelta(hours=3), state="nofollow")
    history = list(iter_history(engine, "http://www.a.org/p", batch_size=2))
    assert [h["checked_at"] for h in history] == [(NOW + timedelta(hours=h)).isoformat() for h in (3, 2, 1, 1, 0)]
    assert history[0]["state"] == "nofollow" and history[0]["target"] == "https://example.com/pricing"
    assert history[1]["follow"] is True
    events = list(iter_events(engine, batch_size=2))
    assert len(events) == 5 and len({e.id for e in events}) == 5
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    assert [e.at for e in iter_events(engine, since=NOW + timedelta(hours=2), batch_size=1)] == [
        NOW + timedelta(hours=3), NOW + timedelta(hours=2)]
    assert len(list(iter_events(engine, limit=3, batch_size=2))) == 3
    assert list(iter_events(engine, event_type="lost")) == []
    assert events[0].site == "example.com" and events[0].source_url == "https://a.org/p"


def test_datetimes_round_trip_as_utc_and_naive_ones_are_refused(engine: Engine) -> None:
    paris = timezone(timedelta(hours=2))
    local = datetime(2026, 9, 15, 14, 30, 5, 123456, tzinfo=paris)
    upsert(engine, item("https://a.org/p"), now=local)
    with db.session(engine) as s:
        link = s.scalars(select(Backlink)).one()
        assert link.created_at == local and link.created_at.tzinfo == UTC
        assert link.created_at.hour == 12 and link.created_at.microsecond == 123456
    with pytest.raises(StatementError, match="naive datetime"), db.session(engine) as s:
        s.scalars(select(Backlink)).one().last_checked = datetime(2026, 1, 1)
    assert next(iter_backlinks(engine))["last_checked"] is None


@pytest.mark.parametrize(("host", "domain"), [
    ("www.blog.example.co.uk", "example.co.uk"), ("Example.COM.", "example.com"), ("127.0.0.1", "127.0.0.1"),
    ("localhost", "localhost"), ("::1", "::1"), ("a.b.github.io", "b.github.io"),
])
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_host_of() -> None:
    assert host_of("https://User@WWW.Example.com:8443/x?y") == "www.example.com"
    assert host_of("http://[::1]:80/") == "::1"
    assert host_of("not a url") == ""
