"""Step 4 of the routine: referring domains.

`domains_report(db, site, since, settings, period)` reads the site's backlinks grouped by
registrable domain (stored by the importers with tldextract, offline) from `rollup_domains`, which
every write keeps current (monitor/store/rollups.py): referring domains (followed when a live link on
them passes value, monitor.core.changes.no_value_reason), links per domain and the
top domains, new domains per period (earliest `first_seen` on or after `since`, default 90 days
ago) and lost ones (no present link left, dated by their latest `last_live`).  Definitions:
docs/reports.md#domains.

Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import case, func, select, true

from monitor.config import Settings
from monitor.core.human import human_date
from monitor.reports.common import Db, ReportError, connection, day_of, resolve_site, roll_up
from monitor.reports.velocity import DEFAULT_WINDOW
from monitor.store.models import DomainRollup


@dataclass
class DomainsReport:
    site: str
    since: datetime
    period: str
    referring_domains: int  # domains with a present link
    followed_domains: int  # ... with a followed present link that passes value
    known_domains: int  # domains with any backlink in any state
    present_links: int
    links_per_domain: float  # present_links / referring_domains
    new_domains: int  # first seen since `since`
    lost_domains: int  # lost since `since`
    rows: list[dict[str, Any]] = field(default_factory=list)  # top referring domains
    periods: list[dict[str, Any]] = field(default_factory=list)  # new and lost per period
    warnings: list[str] = field(default_factory=list)
    no_value_domains: int = 0  # domains with live links, none of them passing value

    COLUMNS: ClassVar[tuple[str, ...]] = ("referring_domain", "present_links", "followed_links", "links",
                                          "first_seen", "last_live", "no_value_links")

    def summary(self) -> list[tuple[str, Any]]:
        return [("referring domains (present links)", self.referring_domains),
                ("followed referring domains", self.followed_domains),
                ("domains whose live links pass no value", self.no_value_domains),
                ("known domains (any state)", self.known_domains),
                ("links per referring domain", f"{self.links_per_domain:.2f}"),
                (f"new domains since {self.since.date().isoformat()}", self.new_domains),
                (f"lost domains since {self.since.date().isoformat()}", self.lost_domains)]


def _per_domain(site_id: int) -> Any:
    """The site's referring domains with their counts and dates (the rollup kept by every write)."""
    return (select(DomainRollup.referring_domain.label("domain"), DomainRollup.links, DomainRollup.present_links,
                   DomainRollup.followed_links, DomainRollup.value_links, DomainRollup.first_seen,
                   DomainRollup.last_live)
            .where(DomainRollup.site_id == site_id).subquery())


def domains_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
                   period: str = "week", limit: int = 50, until: datetime | None = None) -> DomainsReport:
    """Unique referring domains, links per domain, new and lost domains per period (since `since`, and
    before `until` when given: a closed period such as last month)."""
    if period not in ("day", "week", "month"):
        raise ReportError(f"period must be day, week or month, got {period!r}")
    since = since or datetime.now(UTC) - DEFAULT_WINDOW
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        per = _per_domain(ref.id)
        is_new = (per.c.first_seen >= since) & (per.c.first_seen < until if until else true())
        is_lost = ((per.c.present_links == 0) & per.c.last_live.is_not(None) & (per.c.last_live >= since)
                   & (per.c.last_live < until if until else true()))
        totals = conn.execute(select(
            func.count(case((per.c.present_links > 0, 1))), func.count(case((per.c.value_links > 0, 1))),
            func.count(), func.coalesce(func.sum(per.c.present_links), 0),
            func.count(case((is_new, 1))), func.count(case((is_lost, 1))),
            func.count(case(((per.c.followed_links > 0) & (per.c.value_links == 0), 1))),
        )).one()
        top = conn.execute(select(per).where(per.c.present_links > 0)
                           .order_by(per.c.present_links.desc(), per.c.domain).limit(limit)).all()
        new_day, lost_day = day_of(conn, per.c.first_seen), day_of(conn, per.c.last_live)
        new_days = conn.execute(select(new_day, func.count()).where(is_new).group_by(new_day)).all()
        lost_days = conn.execute(select(lost_day, func.count()).where(is_lost).group_by(lost_day)).all()
    referring, followed, known, present_links, new, lost, no_value_domains = (int(v or 0) for v in totals)
    days: dict[date, dict[str, int]] = {}
    for key, rows in (("new_domains", new_days), ("lost_domains", lost_days)):
        for day, count in rows:
            days.setdefault(date.fromisoformat(str(day)[:10]), {})[key] = int(count)
    periods = [{"period_start": start.isoformat(), "new_domains": c.get("new_domains", 0),
                "lost_domains": c.get("lost_domains", 0),
                "net_domains": c.get("new_domains", 0) - c.get("lost_domains", 0)}
               for start, c in roll_up(days.items(), period).items()]
    report = DomainsReport(
        site=ref.domain, since=since, period=period, referring_domains=referring, followed_domains=followed,
        known_domains=known, present_links=present_links,
        links_per_domain=round(present_links / referring, 4) if referring else 0.0,
        new_domains=new, lost_domains=lost,
        rows=[{"referring_domain": r.domain, "present_links": r.present_links, "followed_links": r.value_links,
               "links": r.links, "first_seen": r.first_seen, "last_live": r.last_live,
               "no_value_links": r.followed_links - r.value_links} for r in top],
        periods=periods, no_value_domains=no_value_domains,
    )
    if lost > new:
        report.warnings.append(f"{lost:,} referring domains lost and only {new:,} new since {human_date(since)}")
    return report
