"""The reports against the hand-computed profile of tests/fixtures_reports.py (figures in docs/reports.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.config import Settings, SiteConfig
from monitor.reports import (
    anchors_report,
    domains_report,
    gap_report,
    outreach_report,
    ratio_report,
    reclaim_report,
    traffic_report,
    velocity_report,
)
from monitor.reports.common import ReportError
from monitor.reports.gap import verify_gap
from monitor.store import db
from monitor.store.models import Backlink, EventRecord, Site
from tests.fixtures_reports import NOW, add_link, day

SETTINGS = Settings(sites=(SiteConfig("acme.com", brand_terms=("Acme",),
                                      keywords=("backlink monitor", "link checker")),))
FEB = datetime(2026, 2, 1, tzinfo=UTC)


def test_traffic(report_engine):
    r = traffic_report(report_engine, "acme.com", None, SETTINGS)
    assert (r.links_with_traffic, r.present_traffic, r.followed_traffic) == (8, 215, 115)
    assert (r.at_risk_traffic, r.at_risk_links, r.referral_sessions) == (340, 5, 15)
    assert [row["source_url"] for row in r.rows[:3]] == ["https://f.example/gone", "https://a.example/p1",
                                                         "https://a.example/p2"]
    assert r.rows[1]["referral_sessions"] == 12 and r.rows[0]["at_risk"] is True
    assert {x["source"]: (x["referring_domain"], x["present_links"]) for x in r.referrals} == {
        "a.example": ("a.example", 2), "www.b.example": ("b.example", 1)}
    assert r.warnings


def test_ratio(report_engine):
    r = ratio_report(report_engine, "acme.com", None, SETTINGS)
    assert (r.links, r.followed_links, r.nofollow_links, r.link_ratio) == (9, 5, 4, 1.25)
    assert (r.domains, r.followed_domains, r.nofollow_domains, r.domain_ratio) == (8, 5, 3, 1.6667)
    assert r.reasons == {"rel_nofollow": 1, "rel_sponsored": 2, "rel_ugc": 0, "meta": 1, "header": 0, "unknown": 0}
    assert r.below_min and r.warnings
    relaxed = ratio_report(report_engine, "acme.com", None, Settings(min_follow_ratio=1.5))
    assert not relaxed.below_min and not relaxed.warnings


def test_velocity_weekly(report_engine):
    r = velocity_report(report_engine, "acme.com", FEB, SETTINGS, period="week")
    assert [(x["period_start"], x["links_gained"], x["links_lost"], x["domains_gained"], x["domains_lost"])
            for x in r.rows] == [("2026-02-09", 2, 0, 1, 0), ("2026-02-16", 2, 2, 2, 1), ("2026-02-23", 2, 0, 1, 0)]
    assert (r.links_gained, r.links_lost, r.net_links, r.domains_gained, r.domains_lost) == (6, 2, 4, 4, 1)
    assert not r.losing and not r.warnings
    monthly = velocity_report(report_engine, "acme.com", datetime(2026, 1, 1, tzinfo=UTC), SETTINGS, period="month")
    assert [(x["period_start"], x["links_gained"], x["domains_gained"]) for x in monthly.rows] == [
        ("2026-01-01", 4, 4), ("2026-02-01", 6, 4)]


def test_velocity_warns_when_losing(report_engine):
    with db.session(report_engine) as s:
        link = s.query(Backlink).filter_by(source_url="https://a.example/p1").one()
        link.state = "lost"
        s.add(EventRecord(backlink_id=link.id, type="lost", at=day("2026-02-27"), old_state="live", new_state="lost",
                          detail={}))
    r = velocity_report(report_engine, "acme.com", datetime(2026, 2, 22, tzinfo=UTC), SETTINGS, period="day")
    assert (r.links_gained, r.links_lost) == (2, 2)  # 02-23 new, 02-24 went_live; 02-22 and 02-27 lost
    assert r.domains_lost == 0  # a.example still has a.example/p2 present
    r = velocity_report(report_engine, "acme.com", datetime(2026, 2, 25, tzinfo=UTC), SETTINGS, period="day")
    assert (r.links_gained, r.links_lost, r.losing) == (0, 1, True) and r.warnings


def test_domains(report_engine):
    r = domains_report(report_engine, "acme.com", FEB, SETTINGS)
    assert (r.referring_domains, r.followed_domains, r.known_domains, r.present_links) == (8, 5, 12, 9)
    assert (r.links_per_domain, r.new_domains, r.lost_domains) == (1.125, 4, 1)
    assert r.rows[0]["referring_domain"] == "a.example" and r.rows[0]["present_links"] == 2
    assert [(p["period_start"], p["new_domains"], p["lost_domains"]) for p in r.periods] == [
        ("2026-02-09", 1, 1), ("2026-02-16", 2, 0), ("2026-02-23", 1, 0)]


def test_gap(report_engine):
    r = gap_report(report_engine, "acme.com", None, SETTINGS)
    assert r.competitors == ["other.com", "rival.com"] and r.gap_domains == 3
    assert [(x["referring_domain"], x["competitors"], x["page_traffic"]) for x in r.rows] == [
        ("m.example", 2, 505), ("n.example", 2, 10), ("f.example", 1, 1)]
    assert r.rows[0]["evidence"] == ["https://m.example/r", "https://m.example/o"]
    assert r.rows[0]["competitor_sites"] == ["other.com", "rival.com"]
    live_ids = {r.rows[0]["evidence_links"][1]["id"]}  # only m.example/o still live
    verified = verify_gap(r, lambda links: live_ids)
    assert verified.verified and [x["referring_domain"] for x in verified.rows] == ["m.example"]
    assert verified.rows[0]["evidence"] == ["https://m.example/o"] and verified.gap_domains == 1


def test_anchors(report_engine):
    r = anchors_report(report_engine, "acme.com", None, SETTINGS)
    assert r.links == 9
    assert {k: v["links"] for k, v in r.classes.items()} == {
        "exact": 2, "partial": 1, "branded": 2, "naked_url": 1, "generic": 1, "image": 1, "other": 1}
    assert r.classes["exact"]["share"] == 0.2222 and not r.over_optimised
    strict = anchors_report(report_engine, "acme.com", None, Settings(sites=SETTINGS.sites, max_exact_share=0.2))
    assert strict.over_optimised and strict.warnings
    plain = anchors_report(report_engine, "acme.com", None, Settings())  # no keywords: brand from the domain
    assert plain.brand_terms == ["acme"] and plain.classes["exact"]["links"] == 0 and plain.warnings


def test_reclaim(report_engine):
    r = reclaim_report(report_engine, "acme.com", None, SETTINGS)
    assert (r.links, r.traffic) == (4, 260)
    assert r.by_reason == {"made_nofollow": 1, "page_gone": 1, "removed": 2}
    assert [(x["source_url"], x["reason"]) for x in r.rows] == [
        ("https://f.example/gone", "page_gone"), ("https://g.example/lost", "removed"),
        ("https://h.example/nf", "made_nofollow"), ("https://k.example/old", "removed")]
    assert r.rows[0]["contact_hints"] == ["mailto:editor@f.example"] and r.rows[0]["anchor"] == "Acme tools"
    assert r.rows[2]["evidence"] == 'not followed: rel="sponsored" on the link'  # words, not reason=rel_sponsored
    recent = reclaim_report(report_engine, "acme.com", datetime(2026, 2, 20, tzinfo=UTC), SETTINGS)
    assert [x["source_url"] for x in recent.rows] == ["https://g.example/lost", "https://h.example/nf"]
    assert (recent.links, recent.traffic, recent.by_reason) == (2, 60, {"made_nofollow": 1, "removed": 1})
    top = reclaim_report(report_engine, "acme.com", None, SETTINGS, limit=2)  # the worklist's order, then the limit
    assert [x["source_url"] for x in top.rows] == ["https://f.example/gone", "https://g.example/lost"]
    assert (top.links, top.traffic) == (4, 260)


def test_outreach(report_engine):
    r = outreach_report(report_engine, "acme.com", None, SETTINGS, now=NOW)
    assert (r.pending, r.overdue, r.went_live) == (2, 1, 1)
    assert [(x["source_url"], x["overdue"], x["days_pending"]) for x in r.rows] == [
        ("https://i.example/promised", True, 59), ("https://j.example/promised2", False, 9)]
    assert outreach_report(report_engine, "acme.com", None, SETTINGS, overdue_days=60, now=NOW).overdue == 0


def test_site_resolution(report_engine):
    assert ratio_report(report_engine, None, None, SETTINGS).site == "acme.com"  # the only own site
    with pytest.raises(ReportError, match="no site"):
        ratio_report(report_engine, "nowhere.example", None, SETTINGS)
    with db.session(report_engine) as s:
        other = Site(domain="beta.com", competitor=False, created_at=NOW)
        s.add(other)
        s.flush()
        add_link(s, other, "https://z.example/1", "live")
    with pytest.raises(ReportError, match="--site"):
        ratio_report(report_engine, None, None, SETTINGS)
