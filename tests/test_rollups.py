"""The report rollups (monitor/store/rollups.py) equal a from-scratch recount after a mixed workload:
ORM writes (the hand-computed profile), add/import (upsert_backlinks), several ingest cycles that make links
live, nofollow (by rel and by the page's meta robots), lost and gone, a hand edit, and removals; on SQLite and
PostgreSQL.  Also `linkwatch db rebuild-rollups` repairs a drifted table."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from monitor.config import Settings, SiteConfig
from monitor.core.types import FetchStatus, ObservedLink, PageDirectives, PageObservation
from monitor.reports import anchors_report, gap_report, ratio_report, traffic_report
from monitor.reports.common import jsonable
from monitor.store import db
from monitor.store.backlink_input import BacklinkInput, normalize_source, normalize_target
from monitor.store.models import Backlink, DomainRollup, LinkRollup
from monitor.store.sites import SiteResolver
from monitor.store.writer import remove_backlinks, upsert_backlinks
from tests.fixtures_reports import NOW
from tests.support.store import crawl_kinds, recount, snapshot


def import_links(engine: Engine, rows: list[tuple[str, str, float | None]], when: Any) -> None:
    items = []
    for url, target_text, traffic in rows:
        target, host = normalize_target(target_text)
        items.append(BacklinkInput(source_url=normalize_source(url), target=target, target_host=host,
                                   page_traffic=traffic, origin="ahrefs"))
    with db.session(engine) as s:
        upsert_backlinks(s, items, SiteResolver(s), when)


def page(url: str, kind: str) -> PageObservation:
    """What a crawl of `url` sees: the link followed, nofollow by rel or by meta robots, gone, or not there;
    or followed on a page that passes no value (noindex, blocked for Google, canonical elsewhere, redirected)."""
    if kind == "gone":
        return PageObservation(url=url, final_url=url, fetch=FetchStatus.OK, http_status=404)
    rel = ("nofollow", "ugc") if kind == "rel" else ()
    links = () if kind == "missing" else (
        ObservedLink(href="https://acme.com/", rel=rel, anchor=f"Anchor {kind}", follow=kind not in ("rel", "meta"),
                     target="acme.com"),)
    directives = {"meta": PageDirectives(nofollow=True, nofollow_sources=("meta",)),
                  "noindex": PageDirectives(noindex=True, noindex_sources=("meta",)),
                  "canonical": PageDirectives(canonical=url + "-original")}.get(kind, PageDirectives())
    return PageObservation(url=url, final_url=url + "-moved" if kind == "redirected" else url, fetch=FetchStatus.OK,
                           http_status=200, links=links, directives=directives,
                           googlebot_allowed=kind != "blocked")


def crawl(engine: Engine, when: Any, kinds: dict[str, str]) -> None:
    crawl_kinds(engine, when, kinds, page)


def test_rollups_equal_a_recount_after_a_mixed_workload(report_engine: Engine) -> None:
    engine = report_engine
    assert snapshot(engine) == recount(engine)  # ORM writes of the hand-computed profile
    import_links(engine, [("https://new1.example/a", "acme.com", 12.5), ("https://new2.example/b", "acme.com", None),
                          ("https://www.a.example/p9", "acme.com", 3.0), ("https://m.example/x", "rival.com", 8.0)],
                 NOW)
    import_links(engine, [("https://a.example/p1", "acme.com", 250.0)], NOW)  # new traffic figure on a live link
    assert snapshot(engine) == recount(engine)
    later = NOW + timedelta(days=1)
    crawl(engine, later, {"new1.": "rel", "new2.": "meta", "a.example/p1": "missing", "d.example": "gone",
                          "b.example": "live", "m.example": "rel"})
    crawl(engine, later + timedelta(days=2), {"new1.": "live", "a.example/p1": "missing", "c.example": "meta",
                                              "e.example": "missing", "h.example": "live"})
    assert snapshot(engine) == recount(engine)
    with db.session(engine) as s:  # a hand edit through the ORM, and a removal
        s.scalars(select(Backlink).where(Backlink.source_url == "https://g.example/live2")).one().anchor = "Acme"
        assert remove_backlinks(s, "https://g.example/lost") == 1
        assert remove_backlinks(s, "https://f.example/gone") == 1
    crawl(engine, later + timedelta(days=3), {"new2.": "live", "k.example": "live", "new1.": "rel", "c.example": "meta",
                                              "d.example": "gone", "a.example/p1": "missing", "e.example": "missing",
                                              "h.example": "noindex", "b.example": "canonical",
                                              "www.a.example": "blocked"})
    final = snapshot(engine)
    assert final == recount(engine)
    states = {row[1] for row in final["rollup_links"]}
    assert {"live", "nofollow", "lost", "pending"} <= states
    assert any(row[3] == "meta" for row in final["rollup_links"])  # page-level nofollow counted by source
    assert {row[5] for row in final["rollup_links"]} >= {"", "noindex", "canonical_elsewhere",
                                                                "blocked_for_google"}  # pages passing no value
    assert {row[2] for row in final["rollup_reclaim"]} >= {"lost", "nofollow"}  # nofollow: made nofollow
    assert math.isclose(sum(row[8] for row in final["rollup_links"] if row[0] == 1),
                        _traffic_of_site(engine, 1), abs_tol=1e-6)


def _traffic_of_site(engine: Engine, site_id: int) -> float:
    with db.session(engine) as s:
        return float(sum(v or 0 for v in s.scalars(select(Backlink.page_traffic).where(Backlink.site_id == site_id))))


def test_rebuild_rollups_command_repairs_drift(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    engine = db.connect(url)
    from tests.fixtures_reports import seed_profile
    seed_profile(engine)
    good = snapshot(engine)
    with engine.begin() as conn:  # drift: as if a writer had bypassed the store
        conn.execute(update(DomainRollup).values(links=DomainRollup.links + 5, last_live=None))
        conn.execute(update(LinkRollup).values(traffic=0.0))
    assert snapshot(engine) != good
    proc = subprocess.run([sys.executable, "-m", "monitor.cli.main", "db", "rebuild-rollups"],
                          env={"LINKWATCH_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "rebuilt" in proc.stdout
    assert snapshot(engine) == good
    engine.dispose()


def test_reports_from_rollups_equal_reports_from_rows(report_engine: Engine) -> None:
    """Over all links the reports read the rollups; with --since they count the rows in the window. With a
    window holding every link, both must give the same figures, after the same mixed workload."""
    engine = report_engine
    import_links(engine, [("https://new1.example/a", "acme.com", 12.5), ("https://m.example/x", "rival.com", 8.0)],
                 NOW)
    crawl(engine, NOW + timedelta(days=1), {"new1.": "rel", "c.example": "meta", "a.example/p1": "missing",
                                            "m.example": "rel", "h.example": "noindex", "k.example": "blocked",
                                            "b.example": "canonical", "d.example": "redirected"})
    with db.session(engine) as s:
        remove_backlinks(s, "https://g.example/lost")
    settings = Settings(sites=(SiteConfig("acme.com", keywords=("backlink monitor", "link checker")),))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for report in (traffic_report, ratio_report, anchors_report, gap_report):
        whole, windowed = jsonable(report(engine, "acme.com", None, settings)), jsonable(
            report(engine, "acme.com", epoch, settings))
        whole.pop("since"), windowed.pop("since")
        assert whole == windowed, report.__name__
        if report in (traffic_report, ratio_report):
            assert whole["no_value_links"] == 4, whole  # pages that pass no value are counted both ways
