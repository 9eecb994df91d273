"""Report rollups: per-site counts kept in step with the backlinks, so reports never count a million rows.

Six small tables (monitor.store.models): `rollup_links`, `rollup_domains`, `rollup_anchors`,
`rollup_event_days`, `rollup_acquired_days` and `rollup_reclaim` (what each holds: docs/reports.md, "How the figures
stay fast: rollups").  Every figure is defined once, by one per-backlink query (`_link_rows`)
and one grouped event query (`_event_days`), used both to rebuild from scratch (`rebuild`) and to
keep the tables current: a `Tracker` snapshots the touched backlinks before and after a write
and upserts the difference, rows in key order so that concurrent writers lock them in the same
order (like monitor.store.metric_counts); a write that moves an earliest/latest date back
recounts the domain's row.  Writers: ORM flushes (a Session flush hook registered here),
monitor.store.ingest and monitor.store.writer.remove_backlinks (a Tracker each), and the writer
of `add`, `import` and the API's new links (monitor.store.writer, a `Delta`).
`linkwatch db rebuild-rollups` rebuilds them all if they ever drift.

Reads no settings.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    not_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement

from monitor.core.changes import no_value_reason, no_value_reasons
from monitor.core.types import EventType
from monitor.store.models import (
    AcquiredDayRollup,
    AnchorRollup,
    Backlink,
    Check,
    DomainRollup,
    EventDayRollup,
    EventRecord,
    LinkRollup,
    ReclaimRollup,
)

logger = logging.getLogger(__name__)

PRESENT = ("live", "nofollow")
NOT_COUNTING = ("lost", "gone", "pending")
REL_TOKENS = ("nofollow", "sponsored", "ugc")
GAIN_EVENTS = (EventType.NEW.value, EventType.WENT_LIVE.value, EventType.RESTORED.value)
LOSS_EVENTS = (EventType.LOST.value, EventType.PAGE_GONE.value, EventType.PAGE_REDIRECTED.value,
               EventType.PAGE_NOINDEX.value, EventType.PAGE_BLOCKED_FOR_GOOGLE.value)
#: Loss-type events that give a reclaim reason (monitor.reports.reclaim), the latest one per backlink counts.
RECLAIM_EVENTS = (*LOSS_EVENTS, EventType.NOFOLLOW.value)
#: states a backlink on the reclaim worklist can be in (nofollow only when made nofollow: its latest loss event)
WORKLIST_STATES = ("lost", "gone", "nofollow")
#: Origins of links added one by one, whose first check is their acquisition (everything else was imported).
ADDED_BY_HAND = ("manual", "api")
CHUNK = 5000

LinkKey = tuple[int, str, str, str, str, str]  # site_id, state, rel_key, page_nofollow, loss_event, no_value
LINK_KEY = ("site_id", "state", "rel_key", "page_nofollow", "loss_event", "no_value")
DomainKey = tuple[int, str]


def day_expr(dialect: str, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column as 'YYYY-MM-DD' (as monitor.reports.common.day_of)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return cast(func.substr(column, 1, 10), String)


def rel_key_expr() -> ColumnElement[Any]:
    """The rel tokens of a backlink that make it not followed, as 'nofollow,sponsored,ugc,' (a subset)."""
    rel_text = cast(Backlink.rel, Text)
    parts = [case((rel_text.like(f'%"{token}"%'), literal(f"{token},")), else_=literal("")) for token in REL_TOKENS]
    return parts[0].op("||")(parts[1]).op("||")(parts[2])


def page_sources(sources: str | None) -> list[str]:
    """meta and/or header from a check's directive_sources JSON (its `nofollow` entry when it has one)."""
    try:
        data = json.loads(sources or "null")
    except ValueError:
        data = sources
    if isinstance(data, dict) and "nofollow" in data:
        data = data["nofollow"]
    text = json.dumps(data).lower()
    found = []
    if "meta" in text:
        found.append("meta")
    if "header" in text or "x-robots" in text:
        found.append("header")
    return found


def _link_rows(where: Any) -> Any:
    """One row per backlink with everything a rollup counts of it."""
    rel_key = rel_key_expr()
    latest_check = (select(cast(Check.directive_sources, Text)).where(Check.backlink_id == Backlink.id)
                    .order_by(Check.checked_at.desc(), Check.id.desc()).limit(1).scalar_subquery())
    loss = aliased(EventRecord)
    latest_loss = (select(loss.type).where(loss.backlink_id == Backlink.id, loss.type.in_(RECLAIM_EVENTS))
                   .order_by(loss.id.desc()).limit(1).scalar_subquery())
    loss_time = aliased(EventRecord)
    latest_loss_at = (select(loss_time.at).where(loss_time.backlink_id == Backlink.id,
                                                 loss_time.type.in_(RECLAIM_EVENTS))
                      .order_by(loss_time.id.desc()).limit(1).scalar_subquery())
    gain_at = (select(func.min(EventRecord.at)).where(EventRecord.backlink_id == Backlink.id,
                                                      EventRecord.type.in_(GAIN_EVENTS)).scalar_subquery())
    loss_at = (select(func.max(EventRecord.at)).where(EventRecord.backlink_id == Backlink.id,
                                                      EventRecord.type.in_(LOSS_EVENTS)).scalar_subquery())
    found = select(EventRecord.id).where(EventRecord.backlink_id == Backlink.id,
                                         EventRecord.type == EventType.NEW.value).exists()
    imported = and_(Backlink.origin.not_in(ADDED_BY_HAND), Backlink.first_seen.is_not(None))
    return select(
        Backlink.id, Backlink.site_id, Backlink.referring_domain, Backlink.state, rel_key.label("rel_key"),
        Backlink.page_traffic, Backlink.first_seen, Backlink.last_live,
        func.lower(func.trim(func.coalesce(Backlink.anchor, ""))).label("anchor_key"),
        case((and_(Backlink.state == "nofollow", rel_key == ""), latest_check), else_=None).label("sources"),
        case((Backlink.state.in_(WORKLIST_STATES), latest_loss), else_=None).label("loss_event"),
        case((Backlink.state.in_(WORKLIST_STATES), latest_loss_at), else_=None).label("loss_at"),
        gain_at.label("first_gain_at"), loss_at.label("last_loss_at"),
        case((and_(imported, found), True), else_=False).label("acquired"),
        Backlink.imported_first_seen, Backlink.created_at,
        Backlink.source_url, Backlink.final_url, Backlink.noindex, Backlink.googlebot_allowed, Backlink.canonical,
    ).where(where)


def acquired_on(row: Any) -> str | None:
    """The acquisition day of an imported link its first check found: the export's `First seen`, else the UTC
    day it was imported (monitor.reports.velocity counts it as gained then); None for any other link."""
    if not row.acquired:
        return None
    if row.imported_first_seen is not None:
        return str(row.imported_first_seen.isoformat())
    added = row.created_at
    return (added.astimezone(UTC) if added.tzinfo else added).date().isoformat()


def page_flag(row: Any) -> str:
    """The reclaim reason of a live link whose page says it should not count (noindex, else blocked for Google,
    else canonical elsewhere), or '' (a page redirected away is on the worklist by its `page_redirected` event)."""
    if row.state != "live":
        return ""
    reasons = no_value_reasons(row.noindex, row.googlebot_allowed, row.canonical, row.source_url, row.final_url)
    return next((reason for reason in reasons if reason != "redirected_away"), "")


def _earliest(a: Any, b: Any) -> Any:
    """The earlier of two datetimes (or two 'YYYY-MM-DD' days), None counting as unknown."""
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass
class DomainCounts:
    links: int = 0
    present_links: int = 0
    followed_links: int = 0
    value_links: int = 0
    counting_links: int = 0
    counting_traffic: float = 0.0
    first_seen: datetime | None = None
    last_live: datetime | None = None
    first_gain_at: datetime | None = None
    last_loss_at: datetime | None = None
    first_acquired: str | None = None  # 'YYYY-MM-DD'

    DATES = ("first_seen", "last_live", "first_gain_at", "last_loss_at", "first_acquired")
    COUNTS = ("links", "present_links", "followed_links", "value_links", "counting_links", "counting_traffic")


@dataclass
class Contributions:
    """What a set of backlinks adds to each rollup (links, domains, anchors), keyed like the tables."""

    links: dict[LinkKey, list[float]] = field(default_factory=dict)  # [links, with_traffic, traffic]
    domains: dict[DomainKey, DomainCounts] = field(default_factory=dict)
    anchors: Counter[tuple[int, str]] = field(default_factory=Counter)
    reclaim: dict[int, dict[str, Any]] = field(default_factory=dict)  # rollup_reclaim rows by backlink id
    acquired: Counter[tuple[int, str]] = field(default_factory=Counter)  # (site, day): links acquired
    per_link: dict[int, Any] = field(default_factory=dict)

    def add(self, row: Any, keep: bool = True) -> None:
        if keep:
            self.per_link[row.id] = row
        if row.state in ("lost", "gone") or (row.state == "nofollow" and row.loss_event == EventType.NOFOLLOW.value):
            self.reclaim[row.id] = {
                "backlink_id": row.id, "site_id": row.site_id, "state": row.state,
                "event_type": row.loss_event or "", "has_event": row.loss_event is not None,
                "event_at": row.loss_at, "lost_at": row.loss_at or row.last_live,
                "has_traffic": row.page_traffic is not None, "page_traffic": row.page_traffic, "page_flag": ""}
        flag = page_flag(row)
        if flag:
            self.reclaim[row.id] = {
                "backlink_id": row.id, "site_id": row.site_id, "state": row.state, "event_type": "",
                "has_event": False, "event_at": None, "lost_at": None, "has_traffic": row.page_traffic is not None,
                "page_traffic": row.page_traffic, "page_flag": flag}
        acquired = acquired_on(row)
        if acquired is not None:
            self.acquired[row.site_id, acquired] += 1
        traffic = row.page_traffic
        page = ""
        if row.state == "nofollow" and row.rel_key == "":
            page = ",".join(page_sources(row.sources)) or "unknown"
        no_value = live_no_value(row) or ""
        key = (row.site_id, row.state, row.rel_key, page, row.loss_event or "", no_value)
        counts = self.links.setdefault(key, [0, 0, 0.0])
        counts[0] += 1
        counts[1] += traffic is not None
        counts[2] += traffic or 0.0
        d = self.domains.setdefault((row.site_id, row.referring_domain), DomainCounts())
        d.links += 1
        d.present_links += row.state in PRESENT
        d.followed_links += row.state == "live"
        d.value_links += row.state == "live" and not no_value
        if row.state not in NOT_COUNTING:
            d.counting_links += 1
            d.counting_traffic += traffic or 0.0
        d.first_seen, d.first_gain_at = _earliest(d.first_seen, row.first_seen), _earliest(d.first_gain_at,
                                                                                           row.first_gain_at)
        d.last_live, d.last_loss_at = _latest(d.last_live, row.last_live), _latest(d.last_loss_at, row.last_loss_at)
        d.first_acquired = _earliest(d.first_acquired, acquired)
        if row.state in PRESENT:
            self.anchors[row.site_id, row.anchor_key] += 1

    def merge(self, other: Contributions) -> None:
        """Add another set of backlinks' contributions (their per-link rows are not kept)."""
        for key, (links, with_traffic, traffic) in other.links.items():
            counts = self.links.setdefault(key, [0, 0, 0.0])
            counts[0] += links
            counts[1] += with_traffic
            counts[2] += traffic
        for domain_key, theirs in other.domains.items():
            ours = self.domains.setdefault(domain_key, DomainCounts())
            for name in DomainCounts.COUNTS:
                setattr(ours, name, getattr(ours, name) + getattr(theirs, name))
            ours.first_seen = _earliest(ours.first_seen, theirs.first_seen)
            ours.first_gain_at = _earliest(ours.first_gain_at, theirs.first_gain_at)
            ours.last_live = _latest(ours.last_live, theirs.last_live)
            ours.last_loss_at = _latest(ours.last_loss_at, theirs.last_loss_at)
            ours.first_acquired = _earliest(ours.first_acquired, theirs.first_acquired)
        self.anchors.update(other.anchors)
        self.reclaim.update(other.reclaim)
        self.acquired.update(other.acquired)

    def size(self) -> int:
        return len(self.links) + len(self.domains) + len(self.anchors) + len(self.reclaim) + len(self.acquired)


def live_no_value(row: Any) -> str | None:
    """Why a live link's page passes no value (monitor.core.changes.no_value_reason); None when it does or
    the link is not live."""
    if row.state != "live":
        return None
    return no_value_reason(row.noindex, row.googlebot_allowed, row.canonical, row.source_url, row.final_url)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


@functools.cache
def _link_rows_of_ids() -> Any:
    """`_link_rows` of the backlinks in the expanding parameter `ids`, built once (ingest runs it per batch)."""
    return _link_rows(Backlink.id.in_(bindparam("ids", expanding=True)))


def contributions(session: Session, ids: Iterable[int]) -> Contributions:
    out = Contributions()
    for chunk in _chunks(list(ids)):
        for row in session.execute(_link_rows_of_ids(), {"ids": chunk}):
            out.add(row)
    return out


@functools.cache
def _event_days_query(dialect: str, of_ids: bool) -> Any:
    day = day_expr(dialect, EventRecord.at)
    by_hand = case((and_(EventRecord.type == EventType.NEW.value, Backlink.origin.in_(ADDED_BY_HAND)), 1), else_=0)
    # a loss-type event at a link's first check (`never_seen`) is how linkwatch found the page, not a loss
    baseline = and_(EventRecord.type.in_(LOSS_EVENTS), EventRecord.detail["never_seen"].as_boolean().is_(True))
    query = (select(Backlink.site_id, day, EventRecord.type, by_hand, func.count())
             .join(Backlink, Backlink.id == EventRecord.backlink_id)
             .where(not_(func.coalesce(baseline, False)))
             .group_by(Backlink.site_id, day, EventRecord.type, by_hand))
    return query.where(EventRecord.backlink_id.in_(bindparam("ids", expanding=True))) if of_ids else query


EventDayKey = tuple[int, str, str, bool]  # site_id, day, type, a `new` event of a link added by hand


def event_days(session: Session, ids: Iterable[int] | None) -> Counter[EventDayKey]:
    """Events per (site, day, type, whether a `new` event of a link added by hand): of the given backlinks,
    or of all (None).  Loss-type events at a link's first check (`never_seen`) are left out: a baseline."""
    dialect = session.get_bind().dialect.name
    out: Counter[EventDayKey] = Counter()
    for chunk in ([None] if ids is None else _chunks(list(ids))):
        rows = session.execute(_event_days_query(dialect, chunk is not None), {} if chunk is None else {"ids": chunk})
        for site_id, on, kind, by_hand, count in rows:
            out[site_id, str(on), kind, bool(by_hand)] += int(count)
    return out


def _upsert(session: Session, model: Any, keys: Sequence[str], rows: list[dict[str, Any]],
            set_: dict[str, Any]) -> None:
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite  # here: a command that writes no rollup skips ≈0.03 s

    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    values = {name: expr(getattr(model, name), statement.excluded[name]) for name, expr in set_.items()}
    session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=values), rows)


def _add(column: Any, excluded: Any) -> Any:
    return column + excluded


def _min(column: Any, excluded: Any) -> Any:
    return case((column.is_(None), excluded), (excluded.is_(None), column), (excluded < column, excluded),
                else_=column)


def _max(column: Any, excluded: Any) -> Any:
    return case((column.is_(None), excluded), (excluded.is_(None), column), (excluded > column, excluded),
                else_=column)


def _apply_links(session: Session, before: Contributions, after: Contributions) -> None:
    rows = []
    for key in sorted(set(before.links) | set(after.links)):
        old, new = before.links.get(key, [0, 0, 0.0]), after.links.get(key, [0, 0, 0.0])
        delta = [new[i] - old[i] for i in range(3)]
        if any(delta):
            rows.append(dict(zip(LINK_KEY, key, strict=True), links=delta[0], with_traffic=delta[1], traffic=delta[2]))
    _upsert(session, LinkRollup, LINK_KEY, rows,
            {"links": _add, "with_traffic": _add, "traffic": _add})
    if rows:
        session.execute(delete(LinkRollup).where(LinkRollup.links <= 0))


def _apply_anchors(session: Session, before: Contributions, after: Contributions) -> None:
    rows = [{"site_id": key[0], "anchor_hash": anchor_hash(key[1]), "anchor": key[1],
             "links": after.anchors[key] - before.anchors[key]}
            for key in sorted(set(before.anchors) | set(after.anchors)) if after.anchors[key] != before.anchors[key]]
    rows.sort(key=lambda row: (row["site_id"], row["anchor_hash"]))
    _upsert(session, AnchorRollup, ("site_id", "anchor_hash"), rows, {"links": _add})
    if rows:
        session.execute(delete(AnchorRollup).where(AnchorRollup.links <= 0))


def _apply_acquired(session: Session, before: Contributions, after: Contributions) -> None:
    """Add the difference in imported links acquired per (site, day) to `rollup_acquired_days`."""
    old, new = before.acquired, after.acquired
    rows = [{"site_id": key[0], "day": key[1], "links": new[key] - old[key], "by_hand": 0}
            for key in sorted(set(old) | set(new)) if new[key] != old[key]]
    _upsert(session, AcquiredDayRollup, ("site_id", "day"), rows, {"links": _add})
    if rows:
        _drop_empty_acquired_days(session)


def _drop_empty_acquired_days(session: Session) -> None:
    session.execute(delete(AcquiredDayRollup).where(AcquiredDayRollup.links <= 0, AcquiredDayRollup.by_hand <= 0))


def _apply_reclaim(session: Session, before: Contributions, after: Contributions) -> None:
    """Worklist rows of the touched backlinks: deleted when they left it, written (as they are now) when on it.
    Written even when unchanged: a bulk writer's `before` may be a later snapshot than what the table holds."""
    left = [i for i in before.reclaim if i not in after.reclaim]
    for chunk in _chunks(left):
        session.execute(delete(ReclaimRollup).where(ReclaimRollup.backlink_id.in_(chunk)))
    rows = [after.reclaim[i] for i in sorted(after.reclaim)]
    columns = [c.name for c in ReclaimRollup.__table__.columns if c.name != "backlink_id"]
    for start in range(0, len(rows), CHUNK):
        _upsert(session, ReclaimRollup, ("backlink_id",), rows[start:start + CHUNK],
                {name: _replace for name in columns})


def _replace(column: Any, excluded: Any) -> Any:
    return excluded


def anchor_hash(anchor: str) -> str:
    return hashlib.sha256(anchor.encode("utf-8", "surrogatepass")).hexdigest()


def _moved_back(old: Any, new: Any, earliest: bool) -> bool:
    """Whether a link's date moved the way a min (earliest) or max (latest) cannot follow by combining."""
    if old is None:
        return False
    if new is None:
        return True
    return new > old if earliest else new < old


def _regressed(before: Contributions, after: Contributions) -> set[DomainKey]:
    """Domains whose earliest/latest dates may have moved back: recount them instead of combining."""
    out = set()
    for link_id, old in before.per_link.items():
        new = after.per_link.get(link_id)
        if new is None or new.referring_domain != old.referring_domain or any(
                _moved_back(getattr(old, name), getattr(new, name), earliest)
                for name, earliest in (("first_seen", True), ("first_gain_at", True),
                                       ("last_live", False), ("last_loss_at", False))) or _moved_back(
                acquired_on(old), acquired_on(new), earliest=True):
            out.add((old.site_id, old.referring_domain))
    return out


def _domain_row(key: DomainKey, counts: DomainCounts) -> dict[str, Any]:
    return {"site_id": key[0], "referring_domain": key[1],
            **{name: getattr(counts, name) for name in (*DomainCounts.COUNTS, *DomainCounts.DATES)}}


def _apply_domains(session: Session, before: Contributions, after: Contributions,
                   regressed: set[DomainKey] | None = None) -> None:
    """Add the difference to `rollup_domains`; recount the `regressed` domains (default: from the per-link rows)."""
    rows = []
    for key in sorted(set(before.domains) | set(after.domains)):
        old, new = before.domains.get(key, DomainCounts()), after.domains.get(key, DomainCounts())
        delta = DomainCounts(**{name: getattr(new, name) - getattr(old, name) for name in DomainCounts.COUNTS},
                             **{name: getattr(new, name) for name in DomainCounts.DATES})
        if any(getattr(delta, n) for n in DomainCounts.COUNTS) or any(
                getattr(new, n) != getattr(old, n) for n in DomainCounts.DATES):
            rows.append(_domain_row(key, delta))
    merge = {name: _add for name in DomainCounts.COUNTS}
    merge.update(first_seen=_min, first_gain_at=_min, first_acquired=_min, last_live=_max, last_loss_at=_max)
    _upsert(session, DomainRollup, ("site_id", "referring_domain"), rows, merge)
    regressed = _regressed(before, after) if regressed is None else regressed
    if regressed:
        recount_domains(session, regressed)
    if rows:
        session.execute(delete(DomainRollup).where(DomainRollup.links <= 0))


def recount_domains(session: Session, keys: Iterable[DomainKey]) -> None:
    """Recount the rollup rows of these (site, referring domain) pairs from their backlinks."""
    keys = sorted(set(keys))
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        match = tuple_(Backlink.site_id, Backlink.referring_domain).in_(chunk)
        fresh = Contributions()
        for row in session.execute(_link_rows(match)):
            fresh.add(row)
        session.execute(delete(DomainRollup).where(
            tuple_(DomainRollup.site_id, DomainRollup.referring_domain).in_(chunk)))
        rows = [_domain_row(key, counts) for key, counts in sorted(fresh.domains.items())]
        if rows:
            session.execute(insert(DomainRollup), rows)


def _apply_event_days(session: Session, before: Counter[EventDayKey], after: Counter[EventDayKey]) -> None:
    """Add the difference to `rollup_event_days`, and the by-hand `new` events to `rollup_acquired_days.by_hand`."""
    delta: Counter[tuple[int, str, str]] = Counter()
    by_hand: Counter[tuple[int, str]] = Counter()
    for key in set(before) | set(after):
        change = after[key] - before[key]
        delta[key[:3]] += change
        if key[3]:
            by_hand[key[:2]] += change
    rows = [{"site_id": key[0], "day": key[1], "type": key[2], "events": delta[key]}
            for key in sorted(delta) if delta[key]]
    _upsert(session, EventDayRollup, ("site_id", "day", "type"), rows, {"events": _add})
    if rows:
        session.execute(delete(EventDayRollup).where(EventDayRollup.events <= 0))
    hand_rows = [{"site_id": key[0], "day": key[1], "links": 0, "by_hand": by_hand[key]}
                 for key in sorted(by_hand) if by_hand[key]]
    _upsert(session, AcquiredDayRollup, ("site_id", "day"), hand_rows, {"by_hand": _add})
    if hand_rows:
        _drop_empty_acquired_days(session)


class Tracker:
    """Snapshot backlinks before a write (`Tracker(session, ids)`), then `apply(more_ids)` after it."""

    def __init__(self, session: Session, ids: Iterable[int]) -> None:
        self.session = session
        self.ids = set(ids)
        self.links = contributions(session, self.ids)
        self.events = event_days(session, self.ids)

    def apply(self, more_ids: Iterable[int] = ()) -> None:
        ids = self.ids | set(more_ids)
        if not ids:
            return
        after = contributions(self.session, ids)
        _apply_links(self.session, self.links, after)
        _apply_anchors(self.session, self.links, after)
        _apply_domains(self.session, self.links, after)
        _apply_reclaim(self.session, self.links, after)
        _apply_acquired(self.session, self.links, after)
        _apply_event_days(self.session, self.events, event_days(self.session, ids))


class _Fresh(NamedTuple):
    """What `_link_rows` gives for a backlink just inserted: no check, no event, no rel, no observed anchor."""

    id: int
    site_id: int
    referring_domain: str
    state: str
    page_traffic: float | None
    rel_key: str = ""
    first_seen: datetime | None = None
    last_live: datetime | None = None
    anchor_key: str = ""
    sources: str | None = None
    loss_event: str | None = None
    loss_at: datetime | None = None
    first_gain_at: datetime | None = None
    last_loss_at: datetime | None = None
    acquired: bool = False
    imported_first_seen: date | None = None
    created_at: datetime | None = None
    source_url: str = ""
    final_url: str | None = None
    noindex: bool | None = None
    googlebot_allowed: bool | None = None
    canonical: str | None = None


@functools.cache
def backlink_columns_read() -> frozenset[str]:
    """The `backlinks` columns the rollups read: a write that changes none of them leaves the rollups as they are."""
    table = Backlink.__table__
    return frozenset(element.name for element in visitors.iterate(_link_rows(literal(True)))
                     if isinstance(element, Column) and element.table is table)


class Delta:
    """Rollup changes of a bulk write (an import), gathered chunk by chunk and applied in a few statements.

    `new_link(...)` for each backlink inserted; `snapshot(ids)` before and `changed(before, ids)` after
    updating stored backlinks; `apply()` at the end (and by itself when more than LIMIT keys are pending,
    so memory stays bounded).  Events are not written by imports, so `rollup_event_days` is not touched.
    """

    LIMIT = 10_000

    def __init__(self, session: Session) -> None:
        self.session = session
        self.before = Contributions()
        self.after = Contributions()
        self.regressed: set[DomainKey] = set()

    def new_link(self, link_id: int, site_id: int, referring_domain: str, state: str,
                 page_traffic: float | None) -> None:
        self.after.add(_Fresh(link_id, site_id, referring_domain, state, page_traffic), keep=False)
        self._maybe_apply()

    def snapshot(self, ids: Iterable[int]) -> Contributions:
        return contributions(self.session, ids)

    def changed(self, before: Contributions, ids: Iterable[int]) -> None:
        after = contributions(self.session, ids)
        self.regressed |= _regressed(before, after)
        self.before.merge(before)
        self.after.merge(after)
        self._maybe_apply()

    def _maybe_apply(self) -> None:
        if self.before.size() + self.after.size() > self.LIMIT:
            self.apply()

    def apply(self) -> None:
        _apply_links(self.session, self.before, self.after)
        _apply_anchors(self.session, self.before, self.after)
        _apply_domains(self.session, self.before, self.after, self.regressed)
        _apply_reclaim(self.session, self.before, self.after)
        _apply_acquired(self.session, self.before, self.after)
        self.before, self.after, self.regressed = Contributions(), Contributions(), set()


def rebuild(session: Session) -> dict[str, int]:
    """Recount every rollup from the backlinks and events (`linkwatch db rebuild-rollups`). Returns row counts."""
    for model in (LinkRollup, DomainRollup, AnchorRollup, EventDayRollup, ReclaimRollup, AcquiredDayRollup):
        session.execute(delete(model))
    everything = Contributions()
    for row in session.execute(_link_rows(literal(True)).execution_options(yield_per=20_000)):
        everything.add(row)
    everything.per_link.clear()
    _apply_links(session, Contributions(), everything)
    _apply_anchors(session, Contributions(), everything)
    _apply_acquired(session, Contributions(), everything)
    domain_rows = [_domain_row(key, counts) for key, counts in sorted(everything.domains.items())]
    for start in range(0, len(domain_rows), 20_000):
        session.execute(insert(DomainRollup), domain_rows[start:start + 20_000])
    worklist = [everything.reclaim[i] for i in sorted(everything.reclaim)]
    for start in range(0, len(worklist), 20_000):
        session.execute(insert(ReclaimRollup), worklist[start:start + 20_000])
    _apply_event_days(session, Counter(), event_days(session, None))
    return {"links": len(everything.links), "domains": len(everything.domains),
            "anchors": len(everything.anchors), "reclaim": len(worklist), "acquired": len(everything.acquired)}


# -- ORM writes: track every flush that touches backlinks, checks or events -------------------------------------

def _touched(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, Backlink) and obj.id is not None and session.is_modified(obj):
            ids.add(obj.id)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, EventRecord | Check) and obj.backlink_id is not None:
            ids.add(obj.backlink_id)
    for obj in session.deleted:
        if isinstance(obj, Backlink) and obj.id is not None:
            ids.add(obj.id)
    return ids


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    relevant = any(isinstance(obj, Backlink | EventRecord | Check)
                   for obj in (*session.new, *session.dirty, *session.deleted))
    if not relevant:
        return
    with session.no_autoflush:
        session.info["rollup_tracker"] = Tracker(session, _touched(session))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    tracker = session.info.pop("rollup_tracker", None)
    if tracker is None:
        return
    created = {obj.id for obj in session.new if isinstance(obj, Backlink)}
    created |= {obj.backlink_id for obj in session.new if isinstance(obj, EventRecord | Check)}
    tracker.apply(created)
