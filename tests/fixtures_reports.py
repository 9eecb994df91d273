"""A small hand-computed link profile for the report tests (docs/reports.md states every figure).

`report_engine` is a migrated database (SQLite; PostgreSQL too when the `database_url`
fixture of tests/fixtures_postgres.py is there) seeded by `seed_profile`: the site
acme.com with fourteen backlinks, their checks and events, two competitors and GA4
referral rows.  The expected figures are worked out in tests/test_reports.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.core.hosts import registrable_domain
from monitor.core.targets import source_key
from monitor.store import db
from monitor.store.models import Backlink, Check, EventRecord, ReferralTraffic, Site

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(hour=10, tzinfo=UTC)


def add_link(session: Any, site: Site, url: str, state: str, *, target: str | None = None, anchor: str | None = None,
             traffic: float | None = None, rel: tuple[str, ...] = (), first_seen: str | None = None,
             last_live: str | None = None, created: str = "2026-01-01", **extra: Any) -> Backlink:
    host = url.split("/")[2]
    link = Backlink(site=site, source_url=url, source_key=source_key(url), target=target or site.domain,
                    referring_domain=registrable_domain(host), referring_host=host, state=state,
                    follow=state == "live" if state in ("live", "nofollow") else None, rel=list(rel), anchor=anchor,
                    page_traffic=traffic, first_seen=day(first_seen) if first_seen else None,
                    last_live=day(last_live) if last_live else None, next_due_at=NOW, created_at=day(created),
                    updated_at=day(created), tags=[], extra={}, contact_hints=extra.pop("contact_hints", []),
                    **extra)
    session.add(link)
    return link


def event(session: Any, link: Backlink, kind: str, at: str, old: str | None, new: str, **detail: Any) -> None:
    session.add(EventRecord(backlink_id=link.id, type=kind, at=day(at), old_state=old, new_state=new, detail=detail))


def seed_profile(engine: Engine) -> None:
    with db.session(engine) as s:
        acme = Site(domain="acme.com", competitor=False, created_at=NOW)
        rival = Site(domain="rival.com", competitor=True, created_at=NOW)
        other = Site(domain="other.com", competitor=True, created_at=NOW)
        s.add_all([acme, rival, other])
        links = {
            1: add_link(s, acme, "https://a.example/p1", "live", anchor="backlink monitor", traffic=100,
                        first_seen="2026-02-10", last_live="2026-02-28"),
            2: add_link(s, acme, "https://a.example/p2", "nofollow", anchor="Acme", traffic=50, rel=("nofollow",),
                        first_seen="2026-02-11"),
            3: add_link(s, acme, "https://b.example/x", "nofollow", anchor="click here", traffic=30,
                        rel=("sponsored",), first_seen="2026-01-05"),
            4: add_link(s, acme, "https://c.example/y", "nofollow", anchor="https://acme.com/",
                        first_seen="2026-01-06"),
            5: add_link(s, acme, "https://d.example/z", "live", anchor="", traffic=10, first_seen="2026-02-20"),
            6: add_link(s, acme, "https://e.example/q", "live", anchor="best link checker tools", traffic=5,
                        first_seen="2026-02-21"),
            7: add_link(s, acme, "https://f.example/gone", "gone", anchor="Acme tools", traffic=200,
                        first_seen="2026-01-10", last_live="2026-02-15", contact_hints=["mailto:editor@f.example"]),
            8: add_link(s, acme, "https://g.example/lost", "lost", anchor="backlink monitor", traffic=40,
                        first_seen="2026-01-12", last_live="2026-02-20"),
            9: add_link(s, acme, "https://g.example/live2", "live", anchor="great tool", first_seen="2026-02-23"),
            10: add_link(s, acme, "https://h.example/nf", "nofollow", anchor="link checker", traffic=20,
                         rel=("sponsored",), first_seen="2026-01-20", last_live="2026-02-24"),
            11: add_link(s, acme, "https://i.example/promised", "pending", placed_on=date(2026, 1, 1),
                         campaign="guest posts", expected_anchor="Acme"),
            12: add_link(s, acme, "https://j.example/promised2", "pending", created="2026-02-20"),
            13: add_link(s, acme, "https://k.example/old", "lost"),
            14: add_link(s, acme, "https://l.example/went", "live", anchor="ACME", first_seen="2026-02-24",
                         placed_on=date(2026, 2, 1), campaign="guest posts"),
        }
        s.flush()
        for number, at in ((1, "2026-02-10"), (2, "2026-02-11"), (3, "2026-01-05"), (5, "2026-02-20"),
                           (6, "2026-02-21"), (7, "2026-01-10"), (8, "2026-01-12"), (9, "2026-02-23"),
                           (10, "2026-01-20")):
            event(s, links[number], "new", at, "unchecked", "live")
        event(s, links[7], "page_gone", "2026-02-16", "live", "gone", http_status=404)
        event(s, links[8], "lost", "2026-02-22", "live", "lost")
        event(s, links[10], "nofollow", "2026-02-25", "live", "nofollow", reason="rel_sponsored")
        event(s, links[14], "went_live", "2026-02-24", "pending", "live")
        for at, sources in (("2026-02-01", {"nofollow": ["header"]}), ("2026-02-27", {"nofollow": ["meta"]})):
            s.add(Check(backlink_id=links[4].id, checked_at=day(at), state="nofollow", fetch_status="ok",
                        http_status=200,
                        links=[{"href": "https://acme.com/", "rel": [], "anchor": "https://acme.com/",
                                "follow": False}], nofollow=True, directive_sources=sources))
        s.add_all([ReferralTraffic(site_id=acme.id, source="a.example", sessions=12, imported_at=NOW),
                   ReferralTraffic(site_id=acme.id, source="www.b.example", sessions=3, imported_at=NOW)])
        for site, url, state, traffic in ((rival, "https://a.example/r1", "live", 7),
                                          (rival, "https://m.example/r", "live", 500),
                                          (rival, "https://n.example/r", "unchecked", 10),
                                          (rival, "https://f.example/r", "live", 1),
                                          (rival, "https://p.example/r", "lost", 900),
                                          (other, "https://m.example/o", "live", 5),
                                          (other, "https://n.example/o2", "nofollow", None),
                                          (other, "https://q.example/o", "pending", 50)):
            add_link(s, site, url, state, traffic=traffic, anchor="rival")


@pytest.fixture
def report_engine(database_url: str) -> Iterator[Engine]:
    """The seeded profile on SQLite and on PostgreSQL (tests/fixtures_postgres.py's `database_url`)."""
    engine = db.connect(database_url)
    seed_profile(engine)
    yield engine
    engine.dispose()
