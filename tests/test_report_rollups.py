"""Reclaim and velocity read the rollups (issue 18: no request scans the backlinks table), and give what a
direct computation over the backlinks gives: the live links on noindex, blocked-for-Google or
canonical-elsewhere pages (rollup_reclaim.page_flag) and the acquisition days of imported links
(rollup_acquired_days, rollup_domains.first_acquired), after imports, crawls that set and lift the page
flags, and a removal; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from monitor.config import Settings, SiteConfig
from monitor.core.types import FetchStatus, ObservedLink, PageDirectives, PageObservation
from monitor.reports import reclaim, velocity
from monitor.reports.common import day_of, event_days, jsonable
from monitor.store import db
from monitor.store.backlink_input import BacklinkInput, normalize_source, normalize_target
from monitor.store.models import Backlink, DomainRollup, EventRecord
from monitor.store.rollups import GAIN_EVENTS, LOSS_EVENTS
from monitor.store.sites import SiteResolver
from monitor.store.writer import remove_backlinks, upsert_backlinks
from tests.fixtures_reports import NOW
from tests.support.store import crawl_kinds, recount, snapshot

SETTINGS = Settings(sites=(SiteConfig("acme.com"),))


def _import(engine: Engine, rows: list[tuple[str, float | None, date | None]]) -> None:
    items = [BacklinkInput(source_url=normalize_source(url), target=normalize_target("acme.com")[0],
                           target_host="acme.com", page_traffic=traffic, origin="ahrefs", imported_first_seen=seen)
             for url, traffic, seen in rows]
    with db.session(engine) as s:
        upsert_backlinks(s, items, SiteResolver(s), NOW)


def _page(url: str, kind: str) -> PageObservation:
    """A page with the link, flagged as `kind` says (noindex, canonical elsewhere or to itself, blocked for
    Google), or without it (missing)."""
    links = () if kind == "missing" else (
        ObservedLink(href="https://acme.com/", rel=(), anchor="Acme", follow=True, target="acme.com"),)
    canonical = {"canonical": "https://elsewhere.example/", "self": url}.get(kind)
    return PageObservation(url=url, final_url=url, fetch=FetchStatus.OK, http_status=200, links=links,
                           directives=PageDirectives(noindex=kind == "noindex", canonical=canonical),
                           googlebot_allowed=False if kind == "blocked" else None)


def _crawl(engine: Engine, when: Any, kinds: dict[str, str]) -> None:
    crawl_kinds(engine, when, kinds, _page)


def _flagged_directly(conn: Any, report: reclaim.ReclaimReport, site_id: int, room: int) -> None:
    """The live links on flagged pages counted from the backlinks themselves (what the rollup replaces)."""
    query = (select(Backlink).where(Backlink.site_id == site_id, Backlink.state == "live")
             .order_by(Backlink.page_traffic.desc().nulls_last(), Backlink.id))
    for r in conn.execute(query):
        flagged = reclaim._page_flag(r)
        if flagged is None:
            continue
        reason, evidence = flagged
        report.links += 1
        report.traffic += float(r.page_traffic or 0)
        report.by_reason[reason] = report.by_reason.get(reason, 0) + 1
        if room > 0:
            room -= 1
            report.rows.append(reclaim.flagged_row(r, reason, evidence))
    report.traffic = round(report.traffic, 6)
    report.by_reason = dict(sorted(report.by_reason.items()))


def _acquired_directly(conn: Any, site_id: int) -> list[tuple[str, str]]:
    """(acquisition day, referring domain) of every imported link its first check found, from the backlinks."""
    found = select(EventRecord.id).where(EventRecord.backlink_id == Backlink.id, EventRecord.type == "new").exists()
    rows = conn.execute(select(Backlink.imported_first_seen, day_of(conn, Backlink.created_at),
                               Backlink.referring_domain)
                        .where(Backlink.site_id == site_id, Backlink.origin.not_in(("manual", "api")),
                               Backlink.first_seen.is_not(None), found))
    return [(seen.isoformat() if seen else str(added)[:10], domain) for seen, added, domain in rows]


def _velocity_days_directly(conn: Any, site_id: int, since: datetime) -> tuple[list[Any], list[Any]]:
    """Link and domain gains per day with the acquisitions and by-hand `new` events read from the backlinks."""
    links: dict[str, list[int]] = {}
    for day, kind, count in event_days(conn, site_id, velocity.EVENT_GAINS + LOSS_EVENTS, since):
        links.setdefault(day, [0, 0])[0 if kind in GAIN_EVENTS else 1] += count
    on = day_of(conn, EventRecord.at)
    for day, count in conn.execute(select(on, func.count()).join(Backlink, Backlink.id == EventRecord.backlink_id)
                                   .where(Backlink.site_id == site_id, Backlink.origin.in_(("manual", "api")),
                                          EventRecord.type == "new", EventRecord.at >= since).group_by(on)):
        links.setdefault(str(day)[:10], [0, 0])[0] += int(count)
    for day, _domain in _acquired_directly(conn, site_id):
        if day >= since.date().isoformat():
            links.setdefault(day, [0, 0])[0] += 1
    earliest: dict[str, str] = {}
    for day, domain in _acquired_directly(conn, site_id):
        earliest[domain] = min(day, earliest.get(domain, day))
    on = day_of(conn, DomainRollup.first_gain_at)
    for domain, day in conn.execute(select(DomainRollup.referring_domain, on).where(
            DomainRollup.site_id == site_id, DomainRollup.first_gain_at.is_not(None))):
        earliest[domain] = min(str(day)[:10], earliest.get(domain, str(day)[:10]))
    domains: dict[str, int] = {}
    for day in earliest.values():
        if day >= since.date().isoformat():
            domains[day] = domains.get(day, 0) + 1
    return [(d, g, lost) for d, (g, lost) in sorted(links.items())], sorted(domains.items())


def _reports(engine: Engine) -> list[Any]:
    """Reclaim over everything, limited, and since yesterday; velocity per day from several moments (midnight,
    and either side of the profile's 10:00 events: since's own day is counted from the events)."""
    out = [jsonable(reclaim.reclaim_report(engine, "acme.com", None, SETTINGS)),
           jsonable(reclaim.reclaim_report(engine, "acme.com", None, SETTINGS, limit=2)),
           jsonable(reclaim.reclaim_report(engine, "acme.com", NOW - timedelta(days=1), SETTINGS))]
    for since in (NOW - timedelta(days=400), datetime(2026, 2, 10, tzinfo=UTC), datetime(2026, 2, 10, 9, tzinfo=UTC),
                  datetime(2026, 2, 10, 11, tzinfo=UTC), datetime(2026, 3, 2, 11, tzinfo=UTC)):
        out.append(jsonable(velocity.velocity_report(engine, "acme.com", since, SETTINGS, "day")))
    return out


def _both_ways(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reclaim and velocity variant gives the same JSON from the rollups as computed directly."""
    from_rollups = _reports(engine)
    with monkeypatch.context() as patch:
        patch.setattr(reclaim, "_add_flagged_pages", _flagged_directly)
        patch.setattr(velocity, "_link_days", lambda conn, site_id, s: _velocity_days_directly(conn, site_id, s)[0])
        patch.setattr(velocity, "_domain_gain_days",
                      lambda conn, site_id, s: _velocity_days_directly(conn, site_id, s)[1])
        directly = _reports(engine)
    assert from_rollups == directly


def test_reclaim_and_velocity_from_rollups_equal_a_direct_computation(report_engine: Engine,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    engine = report_engine
    _import(engine, [("https://n1.example/a", 40.0, date(2025, 11, 3)), ("https://n2.example/b", None, None),
                     ("https://n3.example/c", 7.5, date(2025, 12, 24)), ("https://n4.example/d", 90.0, None),
                     ("https://n5.example/e", 3.0, date(2025, 11, 3)), ("https://n6.example/f", 1.0, None)])
    _crawl(engine, NOW + timedelta(days=1), {"n1.": "noindex", "n2.": "canonical", "n3.": "blocked",
                                             "n4.": "self", "n6.": "missing", "b.example": "noindex"})
    assert snapshot(engine) == recount(engine)
    report = reclaim.reclaim_report(engine, "acme.com", None, SETTINGS)
    assert {"noindex", "blocked_for_google", "canonical_elsewhere"} <= set(report.by_reason)
    assert [r["source_url"] for r in report.rows if r["reason"] == "canonical_elsewhere"] == ["https://n2.example/b"]
    gained = velocity.velocity_report(engine, "acme.com", NOW - timedelta(days=400), SETTINGS, "day").rows
    assert {"period_start": "2025-11-03", "links_gained": 2} in [
        {k: r[k] for k in ("period_start", "links_gained")} for r in gained]
    _both_ways(engine, monkeypatch)
    # the flags lifted or moved, a link removed: the rollup follows
    _crawl(engine, NOW + timedelta(days=3), {"n1.": "live", "n2.": "self", "n3.": "noindex", "n4.": "canonical",
                                             "b.example": "blocked"})
    with db.session(engine) as s:
        assert remove_backlinks(s, "https://n5.example/e") == 1
    assert snapshot(engine) == recount(engine)
    report = reclaim.reclaim_report(engine, "acme.com", None, SETTINGS)
    assert [r["source_url"] for r in report.rows if r["reason"] == "canonical_elsewhere"] == ["https://n4.example/d"]
    assert not any(r["source_url"] == "https://n1.example/a" for r in report.rows)
    _both_ways(engine, monkeypatch)


def test_reclaim_and_velocity_read_the_rollups(report_engine: Engine) -> None:
    """The reports follow the rollups, not the backlinks: a drifted rollup shows (and a rebuild repairs it)."""
    engine = report_engine
    _import(engine, [("https://n1.example/a", 40.0, date(2025, 11, 3))])
    _crawl(engine, NOW + timedelta(days=1), {"n1.": "noindex"})
    with engine.begin() as conn:  # as if a writer had bypassed the store
        conn.execute(Backlink.__table__.update().where(Backlink.source_url == "https://n1.example/a")
                     .values(noindex=False, imported_first_seen=date(2025, 12, 1)))

    def seen() -> tuple[Any, list[str]]:
        rows = velocity.velocity_report(engine, "acme.com", NOW - timedelta(days=400), SETTINGS, "day").rows
        return (reclaim.reclaim_report(engine, "acme.com", None, SETTINGS).by_reason.get("noindex"),
                [r["period_start"] for r in rows if r["links_gained"] and r["period_start"] in DAYS])

    DAYS = ("2025-11-03", "2025-12-01")
    assert seen() == (1, ["2025-11-03"])
    recount(engine)
    assert seen() == (None, ["2025-12-01"])
