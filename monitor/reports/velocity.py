"""Step 3 of the routine: link velocity, from the event history.

`velocity_report(db, site, since, settings, period)` counts, per day, week or month since `since`
(default: 90 days ago), the links gained and lost (by event type) and the referring domains gained
and lost, with the net of each, and warns when losses outpace gains over the whole window.  An
imported link counts as gained on its acquisition date (the export's `First seen`, else the day it
was imported): its first check is a baseline, not a gain.  Counting happens in SQL per day, from the
rollups kept by every write (monitor/store/rollups.py: acquisitions per day, imported and added by hand, in
rollup_acquired_days, each domain's earliest in rollup_domains.first_acquired); no backlink row is read but
the `new` events of since's own day.  Days are rolled up into weeks/months here.
Definitions: docs/reports.md#velocity.

Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from sqlalchemy import func, or_, select

from monitor.config import Settings
from monitor.core.human import human_date
from monitor.core.types import EventType
from monitor.reports.common import Db, ReportError, connection, day_of, event_days, resolve_site, roll_up
from monitor.store.models import AcquiredDayRollup, Backlink, DomainRollup, EventRecord
from monitor.store.rollups import ADDED_BY_HAND, GAIN_EVENTS, LOSS_EVENTS

DEFAULT_WINDOW = timedelta(days=90)
COUNTS = ("links_gained", "links_lost", "domains_gained", "domains_lost")


@dataclass
class VelocityReport:
    site: str
    since: datetime
    period: str
    links_gained: int
    links_lost: int
    domains_gained: int
    domains_lost: int
    net_links: int
    net_domains: int
    losing: bool  # losses outpace gains (links or domains) over the window
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per period with any event
    warnings: list[str] = field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = ("period_start", "links_gained", "links_lost", "net_links",
                                          "domains_gained", "domains_lost", "net_domains")

    def summary(self) -> list[tuple[str, Any]]:
        return [("window", f"since {self.since.date().isoformat()}, per {self.period}"),
                ("links gained / lost / net", f"{self.links_gained} / {self.links_lost} / {self.net_links:+d}"),
                ("domains gained / lost / net",
                 f"{self.domains_gained} / {self.domains_lost} / {self.net_domains:+d}")]


def velocity_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
                    period: str = "week", until: datetime | None = None) -> VelocityReport:
    """Links and referring domains gained and lost per period since `since` (and before `until`, a day
    boundary, when given: a closed period such as last month), net, and the warning."""
    if period not in ("day", "week", "month"):
        raise ReportError(f"period must be day, week or month, got {period!r}")
    since = since or datetime.now(UTC) - DEFAULT_WINDOW
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        days: dict[date, dict[str, int]] = {}
        for key, rows in (("links", _link_days(conn, ref.id, since)),
                          ("domains_gained", _domain_gain_days(conn, ref.id, since)),
                          ("domains_lost", _domain_loss_days(conn, ref.id, since))):
            for row in rows:
                bucket = days.setdefault(date.fromisoformat(str(row[0])[:10]), {})
                if key == "links":
                    bucket["links_gained"], bucket["links_lost"] = int(row[1] or 0), int(row[2] or 0)
                else:
                    bucket[key] = int(row[1] or 0)
    if until is not None:
        days = {day: counts for day, counts in days.items() if day < until.astimezone(UTC).date()}
    periods = roll_up(days.items(), period)
    rows = []
    for start, counts in periods.items():
        row = {"period_start": start.isoformat(), **{name: counts.get(name, 0) for name in COUNTS}}
        row["net_links"] = row["links_gained"] - row["links_lost"]
        row["net_domains"] = row["domains_gained"] - row["domains_lost"]
        rows.append(row)
    totals = {name: sum(r[name] for r in rows) for name in COUNTS}
    report = VelocityReport(
        site=ref.domain, since=since, period=period, **totals,
        net_links=totals["links_gained"] - totals["links_lost"],
        net_domains=totals["domains_gained"] - totals["domains_lost"],
        losing=totals["links_lost"] > totals["links_gained"] or totals["domains_lost"] > totals["domains_gained"],
        rows=rows,
    )
    if report.losing:
        report.warnings.append(
            f"losing more than gaining since {human_date(since)}: links {report.net_links:+,}, "
            f"referring domains {report.net_domains:+,}; see the lost links to win back")
    return report


#: Gains counted by event day; a `new` event (a first check that found the link) counts only for a link
#: added by hand: an imported link counts on its acquisition date (rollup_acquired_days).
EVENT_GAINS = tuple(kind for kind in GAIN_EVENTS if kind != EventType.NEW.value)


def _link_days(conn: Any, site_id: int, since: datetime) -> list[Any]:
    """Per day: links gained (acquisitions: imported links on their acquisition day, the `new` events of links
    added by hand; went_live, restored), links lost.  From the rollups, since's own day counted exactly."""
    days: dict[str, list[int]] = {}
    for day, kind, count in event_days(conn, site_id, EVENT_GAINS + LOSS_EVENTS, since):
        days.setdefault(day, [0, 0])[0 if kind in GAIN_EVENTS else 1] += count
    for day, count in _acquired_days(conn, site_id, since):
        days.setdefault(day, [0, 0])[0] += count
    return [(day, gained, lost) for day, (gained, lost) in sorted(days.items())]


def _acquired_days(conn: Any, site_id: int, since: datetime) -> list[tuple[str, int]]:
    """(day, links acquired) since `since` (rollup_acquired_days): imported links from since's day on (they are
    dated by day), links added by hand by their `new` event at or after `since`: after since's day from the
    rollup, on that day counted from the events (a day of them at most)."""
    r = AcquiredDayRollup
    day = since.astimezone(UTC).date().isoformat()
    out = [(str(on), int(links)) for on, links in conn.execute(
        select(r.day, r.links).where(r.site_id == site_id, r.day >= since.date().isoformat(), r.links > 0))]
    out += [(str(on), int(count)) for on, count in conn.execute(
        select(r.day, r.by_hand).where(r.site_id == site_id, r.day > day, r.by_hand > 0))]
    on = day_of(conn, EventRecord.at)
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), UTC)
    out += [(str(d)[:10], int(count)) for d, count in conn.execute(
        select(on, func.count()).join(Backlink, Backlink.id == EventRecord.backlink_id)
        .where(Backlink.site_id == site_id, Backlink.origin.in_(ADDED_BY_HAND), EventRecord.type == EventType.NEW.value,
               EventRecord.at >= since, EventRecord.at < end).group_by(on))]
    return out


def _domain_gain_days(conn: Any, site_id: int, since: datetime) -> list[Any]:
    """Per day, the domains whose first gain is that day: the earliest of their links' acquisitions (imported
    links, rollup_domains.first_acquired) and of their gain events (rollup_domains.first_gain_at).  Only the
    domains with both on or after `since`'s day come out of SQL."""
    day = since.date().isoformat()
    midnight = datetime(since.year, since.month, since.day, tzinfo=UTC)
    on = day_of(conn, DomainRollup.first_gain_at)
    rows = conn.execute(select(on, DomainRollup.first_acquired)
                        .where(DomainRollup.site_id == site_id,
                               or_(DomainRollup.first_gain_at.is_not(None), DomainRollup.first_acquired.is_not(None)),
                               or_(DomainRollup.first_gain_at.is_(None), DomainRollup.first_gain_at >= midnight),
                               or_(DomainRollup.first_acquired.is_(None), DomainRollup.first_acquired >= day)))
    days: dict[str, int] = {}
    for gained, acquired in rows:
        earliest = min(d for d in (str(gained)[:10] if gained is not None else None, acquired) if d is not None)
        days[earliest] = days.get(earliest, 0) + 1
    return sorted(days.items())


def _domain_loss_days(conn: Any, site_id: int, since: datetime) -> list[Any]:
    """Per day, the domains with no present link whose latest loss event is on that day."""
    day = day_of(conn, DomainRollup.last_loss_at)
    return list(conn.execute(select(day, func.count())
                             .where(DomainRollup.site_id == site_id, DomainRollup.last_loss_at >= since,
                                    DomainRollup.present_links == 0)
                             .group_by(day)).all())
