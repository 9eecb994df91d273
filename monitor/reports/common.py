"""What every report shares: the site it is about, the `--since` date, day buckets in SQL.

Reports take `(db, site, since, settings)` where `db` is an Engine, a Connection or
a Session: `connection(db)` gives something to `.execute()` on either way.  The
site is a domain (`--site`); None means the one non-competitor site in the store.
Day buckets are computed in the database (`day_of`) so a report fetches one row
per day, never one per backlink; weeks and months are rolled up from days here.

Reads no settings itself (reports read theirs from the Settings they are given).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, Subquery, and_, func, or_, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from monitor.core.changes import NO_VALUE_REASONS, no_value_reason
from monitor.store.models import Backlink, EventDayRollup, EventRecord, Site
from monitor.store.rollups import day_expr

#: Backlink states in which the link is on the page (followed or not).
PRESENT = ("live", "nofollow")
#: Backlink states in which the link is known to be gone.
DEAD = ("lost", "gone")
PERIODS = ("day", "week", "month")

Db = Engine | Connection | Session


class ReportError(ValueError):
    """The report cannot be made as asked (unknown site, bad date). One line for the user."""


@dataclass(frozen=True)
class SiteRef:
    id: int
    domain: str
    competitor: bool


@contextmanager
def connection(db: Db) -> Iterator[Connection | Session]:
    """Something to execute statements on: the Session or Connection given, or a new Connection."""
    if isinstance(db, Engine):
        with db.connect() as conn:
            yield conn
    else:
        yield db


def resolve_site(conn: Connection | Session, domain: str | None) -> SiteRef:
    """The site a report is about. None: the only non-competitor site in the store."""
    if domain:
        wanted = domain.strip().lower().removeprefix("www.")
        row = conn.execute(select(Site.id, Site.domain, Site.competitor).where(Site.domain == wanted)).first()
        if row is None:
            raise ReportError(f"no site {wanted!r} in the store (add a backlink to it first)")
        return SiteRef(row.id, row.domain, bool(row.competitor))
    rows = conn.execute(select(Site.id, Site.domain, Site.competitor)
                        .where(Site.competitor.is_(False)).order_by(Site.domain).limit(2)).all()
    if not rows:
        raise ReportError("no site in the store yet: add or import backlinks first")
    if len(rows) > 1:
        raise ReportError("several sites in the store: choose one with --site DOMAIN")
    return SiteRef(rows[0].id, rows[0].domain, bool(rows[0].competitor))


def dialect_of(conn: Connection | Session) -> str:
    return conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name


def day_of(conn: Connection | Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, as an SQL expression ('YYYY-MM-DD' text)."""
    return day_expr(dialect_of(conn), column)  # SQLite keeps 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC


def seen_since(since: datetime) -> ColumnElement[bool]:
    """Backlinks first seen live on or after `since`, else added on or after it: coalesce(first_seen,
    created_at) >= since, spelled as two ranges of ix_backlinks_site_seen (site_id, first_seen, created_at)."""
    return or_(Backlink.first_seen >= since, and_(Backlink.first_seen.is_(None), Backlink.created_at >= since))


def seen_window(since: datetime, columns: Sequence[Any], *where: Any) -> Subquery:
    """`columns` (labelled) of the backlinks that `seen_since(since)` keeps and `where` too, as the two ranges
    of ix_backlinks_site_seen (site_id, first_seen, created_at, state, page_traffic, referring_domain) read one
    after the other (UNION ALL): when `columns` and `where` use only the index's columns, each range is an
    index-only scan, where an OR of the two would fetch every row of the window from the table.  (A column
    outside the index read only inside a CASE, e.g. for nofollow links, is fetched only for those rows.)"""
    first_seen = select(*columns).where(Backlink.first_seen >= since, *where)
    added = select(*columns).where(Backlink.first_seen.is_(None), Backlink.created_at >= since, *where)
    return union_all(first_seen, added).subquery("window")


class _Unindexed(ColumnElement[Any]):
    """A column that SQLite's planner cannot match to an index (see in_window)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012 (SQLAlchemy's own)

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _as_is(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_Unindexed, "sqlite")
def _concatenated(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} || '')"


def in_window(column: Any) -> Any:
    """`column` as an expression no index answers, on SQLite (`column || ''`): with --since, a state filter
    stays a filter on the rows of the window (ix_backlinks_site_seen) instead of making SQLite's planner,
    which has no histograms, walk every live link of the site through ix_backlinks_site_state.  PostgreSQL
    gets the column as is: its planner knows the window is small, and checks the state inside the index."""
    return _Unindexed(column)


def window_no_value(conn: Connection | Session, site_id: int, since: datetime) -> list[tuple[str, float | None, str]]:
    """(referring domain, page traffic, reason) of the live links first seen since `since` whose page passes
    no value (monitor.core.changes.no_value_reason).  Only live links with a page flag are read from the
    table (their flags are not in ix_backlinks_site_seen), so the cost is that of the window's flagged links."""
    flagged = or_(Backlink.noindex.is_(True), Backlink.googlebot_allowed.is_(False), Backlink.canonical.is_not(None),
                  and_(Backlink.final_url.is_not(None), Backlink.final_url != Backlink.source_url))
    window = seen_window(since, (Backlink.referring_domain.label("domain"), Backlink.page_traffic.label("traffic"),
                                 Backlink.source_url.label("source_url"), Backlink.noindex.label("noindex"),
                                 Backlink.googlebot_allowed.label("googlebot_allowed"),
                                 Backlink.canonical.label("canonical"), Backlink.final_url.label("final_url")),
                         Backlink.site_id == site_id, in_window(Backlink.state) == "live", flagged)
    out = []
    for r in conn.execute(select(window)):
        reason = no_value_reason(r.noindex, r.googlebot_allowed, r.canonical, r.source_url, r.final_url)
        if reason is not None:
            out.append((str(r.domain), r.traffic, reason))
    return out


def no_value_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Links on pages that pass no value by reason, every reason present (0 when none), in their order."""
    return {reason: int(counts.get(reason, 0)) for reason in NO_VALUE_REASONS}


def event_days(conn: Connection | Session, site_id: int, types: tuple[str, ...],
               since: datetime | None) -> list[tuple[str, str, int]]:
    """(day, event type, events) of the site's events of these types at or after `since`, from the
    per-day rollup; the part of since's own day before `since` is left out by counting that day's
    events directly (a few thousand rows at most, through ix_events_at)."""
    where = [EventDayRollup.site_id == site_id, EventDayRollup.type.in_(types)]
    boundary: date | None = None
    if since is not None:
        boundary = since.astimezone(UTC).date()
        exact_midnight = since.astimezone(UTC) == datetime.combine(boundary, time(), UTC)
        where.append(EventDayRollup.day >= boundary.isoformat() if exact_midnight
                     else EventDayRollup.day > boundary.isoformat())
        if exact_midnight:
            boundary = None
    rows = [(str(day), kind, int(count)) for day, kind, count in conn.execute(
        select(EventDayRollup.day, EventDayRollup.type, EventDayRollup.events).where(*where)).all()]
    if boundary is not None and since is not None:
        end = datetime.combine(boundary + timedelta(days=1), time(), UTC)
        rows += [(boundary.isoformat(), kind, int(count)) for kind, count in conn.execute(
            select(EventRecord.type, func.count()).join(Backlink, Backlink.id == EventRecord.backlink_id)
            .where(Backlink.site_id == site_id, EventRecord.type.in_(types), EventRecord.at >= since,
                   EventRecord.at < end).group_by(EventRecord.type)).all()]
    return rows


def to_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def period_start(day: date, period: str) -> date:
    """The first day of the day's period (weeks start on Monday)."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def roll_up(days: Iterable[tuple[Any, Mapping[str, int]]], period: str) -> dict[date, dict[str, int]]:
    """Sum per-day counts into per-period counts, keyed by the period's first day, in order."""
    out: dict[date, dict[str, int]] = {}
    for day, counts in days:
        bucket = out.setdefault(period_start(to_date(day), period), {})
        for key, count in counts.items():
            bucket[key] = bucket.get(key, 0) + int(count or 0)
    return dict(sorted(out.items()))


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator : denominator as one number; None when the denominator is 0 (nothing to compare)."""
    return round(numerator / denominator, 4) if denominator else None


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def jsonable(value: Any) -> Any:
    """A report dataclass (or anything in it) as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
