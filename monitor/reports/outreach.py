"""Step 10 of the routine: links promised by outreach, and the overdue ones.

`outreach_report(db, site, since, settings, overdue_days)` lists the site's
`pending` backlinks (added by `linkwatch add --pending`, an import, or
`POST /api/pending`), oldest first.  A pending link is overdue when it has been
pending for more than `overdue_days` days (default 30) since the day it was placed
(`placed_on`) or, without one, since it was added (`created_at`).  It also counts
the `went_live` events since `since` (default: all time): promised links that
appeared.  Definitions: docs/reports.md#outreach.

Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import and_, case, func, or_, select

from monitor.config import Settings
from monitor.core.types import EventType
from monitor.reports.common import Db, connection, event_days, resolve_site
from monitor.store.models import Backlink

DEFAULT_OVERDUE_DAYS = 30


@dataclass
class OutreachReport:
    site: str
    since: datetime | None
    overdue_days: int
    pending: int
    overdue: int
    went_live: int  # went_live events since `since`
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = ("overdue", "days_pending", "since", "source_url", "target",
                                          "expected_anchor", "campaign", "tags")

    def summary(self) -> list[tuple[str, Any]]:
        return [("pending links", self.pending), (f"overdue (pending > {self.overdue_days} days)", self.overdue),
                ("promised links that went live" + (f" since {self.since.date()}" if self.since else ""),
                 self.went_live)]


def outreach_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
                    overdue_days: int = DEFAULT_OVERDUE_DAYS, now: datetime | None = None,
                    limit: int = 1000) -> OutreachReport:
    """Pending links oldest first, the overdue ones flagged, and how many went live."""
    now = now or datetime.now(UTC)
    cutoff_day = (now - timedelta(days=overdue_days)).date()
    cutoff = now - timedelta(days=overdue_days)
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        overdue = or_(and_(Backlink.placed_on.is_not(None), Backlink.placed_on < cutoff_day),
                      and_(Backlink.placed_on.is_(None), Backlink.created_at < cutoff))
        where = (Backlink.site_id == ref.id, Backlink.state == "pending")
        pending, late = conn.execute(select(func.count(), func.count(case((overdue, 1)))).where(*where)).one()
        rows = conn.execute(select(Backlink.source_url, Backlink.target, Backlink.expected_anchor, Backlink.campaign,
                                   Backlink.tags, Backlink.placed_on, Backlink.created_at, overdue.label("late"))
                            .where(*where).order_by(func.coalesce(Backlink.placed_on, Backlink.created_at),
                                                    Backlink.id).limit(limit)).all()
        went_live = sum(count for _, _, count in event_days(conn, ref.id, (EventType.WENT_LIVE.value,), since))
    report = OutreachReport(site=ref.domain, since=since, overdue_days=overdue_days, pending=int(pending),
                            overdue=int(late), went_live=went_live)
    for r in rows:
        start: date = r.placed_on or r.created_at.date()
        report.rows.append({
            "overdue": bool(r.late), "days_pending": (now.date() - start).days, "since": start,
            "source_url": r.source_url, "target": r.target, "expected_anchor": r.expected_anchor,
            "campaign": r.campaign, "tags": list(r.tags or []),
        })
    if report.overdue:
        report.warnings.append(f"{report.overdue} promised links still not live after {overdue_days} days: "
                               "follow up with the publishers")
    return report
