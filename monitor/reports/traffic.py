"""Step 1 of the routine: referring page traffic, and the traffic at risk.

`traffic_report(db, site, since, settings)` ranks the site's backlinks by the page
traffic that came with imports (Ahrefs `Page traffic`, Semrush), sums the traffic
of present links and the "traffic at risk" (links currently lost, gone or
nofollow, and live links on pages that pass no value: noindex, blocked for Google,
canonicalised or redirected away, monitor.core.changes.no_value_reason), and
lists GA4 referral sessions per imported source with how many of
the site's backlinks come from it.  Everything is summed in SQL: over all links
from the per-state rollup (monitor/store/rollups.py), with `--since` over the
links in the window (index-only, `seen_window`); the ranking uses the (site_id,
page_traffic) index.  Definitions: docs/reports.md#traffic.

Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import case, func, select, true

from monitor.config import Settings
from monitor.core.changes import no_value_reason
from monitor.core.hosts import bare_host, registrable_domain
from monitor.reports.common import (
    DEAD,
    PRESENT,
    Db,
    connection,
    no_value_counts,
    resolve_site,
    seen_since,
    seen_window,
    window_no_value,
)
from monitor.store.models import Backlink, LinkRollup, ReferralTraffic

AT_RISK = (*DEAD, "nofollow")


@dataclass
class TrafficReport:
    site: str
    since: datetime | None
    links_with_traffic: int  # backlinks with a page traffic figure
    present_traffic: float  # sum over links live or nofollow
    followed_traffic: float  # sum over links live, followed and passing value
    at_risk_traffic: float  # sum over links lost, gone or nofollow, or live on pages that pass no value
    at_risk_links: int  # those links that have a traffic figure
    referral_sessions: float  # all GA4 referral sessions imported for the site
    rows: list[dict[str, Any]] = field(default_factory=list)  # top links by page traffic
    referrals: list[dict[str, Any]] = field(default_factory=list)  # GA4 sources by sessions
    warnings: list[str] = field(default_factory=list)
    no_value_links: int = 0  # live links on pages that pass no value (with or without a traffic figure)
    no_value_traffic: float = 0.0  # their page traffic (part of at_risk_traffic)
    no_value: dict[str, int] = field(default_factory=dict)  # no_value_links by reason

    COLUMNS: ClassVar[tuple[str, ...]] = ("rank", "page_traffic", "state", "at_risk", "referring_domain",
                                          "source_url", "target", "anchor", "referral_sessions", "no_value")

    def summary(self) -> list[tuple[str, Any]]:
        return [("links with page traffic", self.links_with_traffic),
                ("traffic of present links", self.present_traffic),
                ("traffic of followed links", self.followed_traffic),
                ("traffic at risk (lost, nofollow or passing no value)", self.at_risk_traffic),
                ("traffic of live links passing no value", self.no_value_traffic),
                ("links at risk with traffic", self.at_risk_links),
                ("GA4 referral sessions", self.referral_sessions)]


def _since_filter(since: datetime | None) -> Any:
    return true() if since is None else seen_since(since)


def traffic_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
                   limit: int = 50) -> TrafficReport:
    """Links ranked by page traffic, traffic totals and at risk, GA4 referral sessions per source."""
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        where = (Backlink.site_id == ref.id, _since_filter(since))
        totals = _totals(conn, ref.id, since) if since is not None else _rollup_totals(conn, ref.id)
        no_value = _window_no_value(conn, ref.id, since) if since is not None else _rollup_no_value(conn, ref.id)
        top = conn.execute(select(
            Backlink.page_traffic, Backlink.state, Backlink.referring_domain, Backlink.source_url,
            Backlink.target, Backlink.anchor, Backlink.noindex, Backlink.googlebot_allowed, Backlink.canonical,
            Backlink.final_url,
        ).where(*where, Backlink.page_traffic.is_not(None))
            .order_by(Backlink.page_traffic.desc(), Backlink.id).limit(limit)).all()
        referrals = _referrals(conn, ref.id)
    sessions_by_domain: dict[str, float] = {}
    for item in referrals:
        domain = item["referring_domain"]
        sessions_by_domain[domain] = sessions_by_domain.get(domain, 0.0) + item["sessions"]
    by_reason, no_value_traffic, no_value_with_traffic = no_value
    report = TrafficReport(
        site=ref.domain, since=since, links_with_traffic=int(totals[0] or 0),
        present_traffic=float(totals[1] or 0), followed_traffic=round(float(totals[2] or 0) - no_value_traffic, 6),
        at_risk_traffic=round(float(totals[3] or 0) + no_value_traffic, 6),
        at_risk_links=int(totals[4] or 0) + no_value_with_traffic,
        referral_sessions=float(sum(r["sessions"] for r in referrals)),
        rows=[_row(n, r, sessions_by_domain.get(r.referring_domain)) for n, r in enumerate(top, 1)],
        referrals=referrals, no_value_links=sum(by_reason.values()), no_value_traffic=no_value_traffic,
        no_value=by_reason,
    )
    if report.at_risk_traffic > 0:
        report.warnings.append(f"{report.at_risk_traffic:,.0f} visits a month of page traffic are on links that are "
                               "lost, not followed or on pages that pass no value now: see the links to win back")
    return report


def _row(rank: int, r: Any, sessions: float | None) -> dict[str, Any]:
    """One ranked link; `no_value`: why its page passes no value ('' when it does or the link is not live)."""
    reason = (no_value_reason(r.noindex, r.googlebot_allowed, r.canonical, r.source_url, r.final_url)
              if r.state == "live" else None)
    return {"rank": rank, "page_traffic": r.page_traffic, "state": r.state,
            "at_risk": r.state in AT_RISK or reason is not None, "referring_domain": r.referring_domain,
            "source_url": r.source_url, "target": r.target, "anchor": r.anchor, "referral_sessions": sessions,
            "no_value": reason or ""}


NoValue = tuple[dict[str, int], float, int]  # links by reason, their traffic, how many have a traffic figure


def _rollup_no_value(conn: Any, site_id: int) -> NoValue:
    """The live links passing no value over all the site's backlinks, from the rollup (a few rows)."""
    by_reason: dict[str, int] = {}
    traffic, with_traffic = 0.0, 0
    for reason, links, known, summed in conn.execute(
            select(LinkRollup.no_value, func.sum(LinkRollup.links), func.sum(LinkRollup.with_traffic),
                   func.sum(LinkRollup.traffic))
            .where(LinkRollup.site_id == site_id, LinkRollup.state == "live", LinkRollup.no_value != "")
            .group_by(LinkRollup.no_value)).all():
        by_reason[reason] = int(links or 0)
        traffic += float(summed or 0)
        with_traffic += int(known or 0)
    return no_value_counts(by_reason), round(traffic, 6), with_traffic


def _window_no_value(conn: Any, site_id: int, since: datetime) -> NoValue:
    """The same over the live links first seen since `since` (window_no_value)."""
    by_reason: dict[str, int] = {}
    traffic, with_traffic = 0.0, 0
    for _, page_traffic, reason in window_no_value(conn, site_id, since):
        by_reason[reason] = by_reason.get(reason, 0) + 1
        traffic += page_traffic or 0.0
        with_traffic += page_traffic is not None
    return no_value_counts(by_reason), round(traffic, 6), with_traffic


def _totals(conn: Any, site_id: int, since: datetime) -> tuple[Any, ...]:
    """The totals over the backlinks first seen in the window (--since): index-only ranges (seen_window)."""
    window = seen_window(since, (Backlink.state.label("state"), Backlink.page_traffic.label("page_traffic")),
                         Backlink.site_id == site_id)
    state, page_traffic = window.c.state, window.c.page_traffic
    traffic = func.coalesce(page_traffic, 0.0)
    return tuple(conn.execute(select(
        func.count(page_traffic),
        func.sum(case((state.in_(PRESENT), traffic), else_=0.0)),
        func.sum(case((state == "live", traffic), else_=0.0)),
        func.sum(case((state.in_(AT_RISK), traffic), else_=0.0)),
        func.count(case((state.in_(AT_RISK) & page_traffic.is_not(None), 1))),
    )).one())


def _rollup_totals(conn: Any, site_id: int) -> tuple[Any, ...]:
    """The same totals over all the site's backlinks, from the per-state rollup (a few rows)."""
    by_state: dict[str, tuple[int, float]] = {}
    for state, with_traffic, traffic in conn.execute(
            select(LinkRollup.state, func.sum(LinkRollup.with_traffic), func.sum(LinkRollup.traffic))
            .where(LinkRollup.site_id == site_id).group_by(LinkRollup.state)).all():
        by_state[state] = (int(with_traffic or 0), round(float(traffic or 0), 6))

    def summed(states: tuple[str, ...], index: int) -> Any:
        return sum(counts[index] for state, counts in by_state.items() if state in states)

    return (sum(c[0] for c in by_state.values()), summed(PRESENT, 1), summed(("live",), 1), summed(AT_RISK, 1),
            summed(AT_RISK, 0))


def _referrals(conn: Any, site_id: int) -> list[dict[str, Any]]:
    """GA4 referral sources by sessions, with the number of the site's present backlinks from each source's
    registrable domain (a few hundred sources at most: one grouped count over the indexed domains)."""
    rows = conn.execute(select(ReferralTraffic.source, ReferralTraffic.sessions)
                        .where(ReferralTraffic.site_id == site_id)
                        .order_by(ReferralTraffic.sessions.desc(), ReferralTraffic.source)).all()
    domains = {r.source: registrable_domain(bare_host(r.source)) for r in rows}
    counts: dict[str, int] = {}
    wanted = sorted(set(domains.values()))
    for start in range(0, len(wanted), 500):
        counts.update({domain: int(count) for domain, count in conn.execute(
            select(Backlink.referring_domain, func.count())
            .where(Backlink.site_id == site_id, Backlink.referring_domain.in_(wanted[start:start + 500]),
                   Backlink.state.in_(PRESENT))
            .group_by(Backlink.referring_domain)).all()})
    return [{"source": r.source, "referring_domain": domains[r.source], "sessions": float(r.sessions),
             "present_links": counts.get(domains[r.source], 0)} for r in rows]
