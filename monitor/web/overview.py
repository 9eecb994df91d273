"""The figures of the Overview page, read from the report rollups (never by scanning the backlinks).

Per site: followed live links, referring domains with a present link, the dofollow ratio, links gained
and lost in the last 7 and 30 days (the per-day event rollup), and the page traffic at risk (lost,
gone and nofollow links, and live links on pages that pass no value: `rollup_links.no_value`; "followed"
counts only links that pass value, as the reports do); for the whole store: the last run and what is due
or overdue (ix_backlinks_due).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from monitor.store.models import Backlink, CheckRun, DomainRollup, EventDayRollup, LinkRollup, Site
from monitor.store.rollups import GAIN_EVENTS, LOSS_EVENTS

AT_RISK = ("lost", "gone", "nofollow")
OVERDUE_AFTER = timedelta(days=1)


@dataclass
class SiteFigures:
    domain: str
    competitor: bool
    by_state: dict[str, int] = field(default_factory=dict)
    referring_domains: int = 0
    gained: dict[int, int] = field(default_factory=dict)  # days -> links gained in the last `days`
    lost: dict[int, int] = field(default_factory=dict)
    traffic_at_risk: float = 0.0
    no_value: int = 0  # live links on pages that pass no value (noindex, blocked for Google, ...)

    @property
    def followed(self) -> int:
        return self.by_state.get("live", 0) - self.no_value

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def dofollow_ratio(self) -> float | None:
        present = self.by_state.get("live", 0) + self.by_state.get("nofollow", 0)
        return self.followed / present if present else None

    @property
    def needs_attention(self) -> int:
        return sum(self.by_state.get(s, 0) for s in AT_RISK)


def site_figures(session: Session, site_id: int, domain: str, competitor: bool, now: datetime) -> SiteFigures:
    figures = SiteFigures(domain, competitor)
    for state, no_value, links, traffic in session.execute(
            select(LinkRollup.state, LinkRollup.no_value != "", func.sum(LinkRollup.links),
                   func.sum(LinkRollup.traffic))
            .where(LinkRollup.site_id == site_id).group_by(LinkRollup.state, LinkRollup.no_value != "")):
        figures.by_state[state] = figures.by_state.get(state, 0) + int(links or 0)
        if no_value:
            figures.no_value += int(links or 0)
        if state in AT_RISK or no_value:
            figures.traffic_at_risk += float(traffic or 0)
    figures.referring_domains = int(session.scalar(
        select(func.count()).select_from(DomainRollup)
        .where(DomainRollup.site_id == site_id, DomainRollup.present_links > 0)) or 0)
    for days in (7, 30):
        since = (now - timedelta(days=days - 1)).strftime("%Y-%m-%d")
        counts = dict(session.execute(
            select(EventDayRollup.type, func.sum(EventDayRollup.events))
            .where(EventDayRollup.site_id == site_id, EventDayRollup.day >= since)
            .group_by(EventDayRollup.type)).all())
        figures.gained[days] = int(sum(counts.get(t, 0) or 0 for t in GAIN_EVENTS))
        figures.lost[days] = int(sum(counts.get(t, 0) or 0 for t in LOSS_EVENTS))
    return figures


def overview(engine: Engine, now: datetime) -> dict[str, Any]:
    """Every site's figures (your sites first), the last run, and how many backlinks are due and overdue."""
    with Session(engine) as session:
        sites = session.execute(select(Site.id, Site.domain, Site.competitor)
                                .order_by(Site.competitor, Site.domain)).all()
        figures = [site_figures(session, s.id, s.domain, s.competitor, now) for s in sites]
        last_run = session.execute(select(CheckRun).order_by(CheckRun.id.desc()).limit(1)).scalar_one_or_none()
        due = session.scalar(select(func.count()).select_from(Backlink).where(Backlink.next_due_at <= now))
        overdue = session.scalar(select(func.count()).select_from(Backlink)
                                 .where(Backlink.next_due_at <= now - OVERDUE_AFTER))
        next_due = session.scalar(select(func.min(Backlink.next_due_at)))
        run = None
        if last_run is not None:
            run = {"id": last_run.id, "started_at": last_run.started_at, "finished_at": last_run.finished_at,
                   "status": last_run.status, "pages": last_run.pages, "checks": last_run.checks,
                   "events": last_run.events, "error": last_run.error}
    return {"sites": figures, "last_run": run, "due": int(due or 0), "overdue": int(overdue or 0),
            "next_due": next_due}
