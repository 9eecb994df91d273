"""Step 7 of the routine: the worklist of lost backlinks to reclaim.

`reclaim_report(db, site, since, settings)` lists the site's backlinks that are
lost (state lost or gone) or were made nofollow (state nofollow and their latest
loss-type event is `nofollow`), with the reason from that latest event:
`removed` (lost), `page_gone`, `redirected`, `noindex`, `made_nofollow` (with the
evidence, e.g. rel_sponsored); when there is no event, the state decides (lost:
removed, gone: page_gone).  Each row has when the loss happened, when the link was
last seen live, its last anchor, its page traffic and the contact hints found on
the referring site (`backlinks.contact_hints`: mailto links, contact pages).
Highest traffic first.  `since` keeps the links lost on or after that date.
Without it the totals come from rollup_links (monitor/store/rollups.py).
Definitions: docs/reports.md#reclaim.

Reads no settings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import and_, exists, func, or_, select, union
from sqlalchemy.orm import aliased

from monitor.config import Settings
from monitor.domain import EventType
from monitor.reports.common import DEAD, Db, connection, resolve_site
from monitor.store.models import Backlink, EventRecord, LinkRollup

REASONS = {
    EventType.LOST.value: "removed",
    EventType.PAGE_GONE.value: "page_gone",
    EventType.PAGE_REDIRECTED.value: "redirected",
    EventType.PAGE_NOINDEX.value: "noindex",
    EventType.NOFOLLOW.value: "made_nofollow",
}
STATE_REASONS = {"lost": "removed", "gone": "page_gone"}


@dataclass
class ReclaimReport:
    site: str
    since: datetime | None
    links: int  # rows in the worklist (all of them, rows may be limited)
    traffic: float  # page traffic of all of them
    by_reason: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = ("reason", "page_traffic", "source_url", "target", "lost_at",
                                          "last_live", "anchor", "contact_hints", "evidence")

    def summary(self) -> list[tuple[str, Any]]:
        return [("links to reclaim", self.links), ("their page traffic", self.traffic),
                *((f"reason: {name}", count) for name, count in self.by_reason.items())]


def _worklist(conn: Any, site_id: int, since: datetime | None, ids: list[int] | None = None) -> Any:
    """The lost / made-nofollow backlinks with their latest loss-type event (a subquery); only those
    with these `ids` when given."""
    earlier = aliased(EventRecord)
    latest_id = (select(func.max(earlier.id)).where(earlier.backlink_id == Backlink.id,
                                                    earlier.type.in_(tuple(REASONS)))
                 .correlate(Backlink).scalar_subquery())
    joined = (select(Backlink.id, Backlink.source_url, Backlink.target, Backlink.state, Backlink.anchor,
                     Backlink.expected_anchor, Backlink.page_traffic, Backlink.last_live, Backlink.contact_hints,
                     Backlink.referring_domain, Backlink.updated_at, EventRecord.type.label("event_type"),
                     EventRecord.at.label("event_at"), EventRecord.detail)
              .outerjoin(EventRecord, EventRecord.id == latest_id)
              .where(Backlink.site_id == site_id, Backlink.state.in_((*DEAD, "nofollow")),
                     or_(Backlink.state.in_(DEAD),
                         and_(Backlink.state == "nofollow", EventRecord.type == EventType.NOFOLLOW.value))))
    if ids is not None:
        joined = joined.where(Backlink.id.in_(ids))
    if since is None:
        return joined.subquery()
    sub = joined.where(Backlink.id.in_(_lost_since(conn, site_id, since))).subquery()
    lost_at = func.coalesce(sub.c.event_at, sub.c.last_live)
    return select(sub).where(lost_at >= since).subquery()


def _lost_since(conn: Any, site_id: int, since: datetime) -> Any:
    """Candidates for the --since worklist, found through indexes: the backlinks with a loss-type event in
    the window (ix_events_type_at), and, when the site has lost links without any such event (rollup_links
    says so), those last seen live in the window.  A superset: the worklist filter still decides."""
    recent = aliased(EventRecord)
    candidates: Any = select(recent.backlink_id).where(recent.type.in_(tuple(REASONS)), recent.at >= since)
    silent_dead = conn.execute(select(func.sum(LinkRollup.links)).where(
        LinkRollup.site_id == site_id, LinkRollup.state.in_(DEAD), LinkRollup.loss_event == "")).scalar()
    if silent_dead:
        link, loss = aliased(Backlink), aliased(EventRecord)
        candidates = union(candidates, select(link.id).where(
            link.site_id == site_id, link.state.in_(DEAD), link.last_live >= since,
            ~exists().where(loss.backlink_id == link.id, loss.type.in_(tuple(REASONS)))))
    return candidates


def _order(work: Any) -> tuple[Any, ...]:
    """Highest traffic first, then the latest loss first, then by id."""
    return work.c.page_traffic.desc().nulls_last(), work.c.event_at.desc().nulls_last(), work.c.id


def _rollup_totals(conn: Any, site_id: int) -> tuple[tuple[int, float], list[tuple[str | None, str, int]]]:
    """Worklist size, traffic and (latest loss-type event, state) groups from rollup_links (a few rows)."""
    rows = conn.execute(select(LinkRollup.loss_event, LinkRollup.state, func.sum(LinkRollup.links),
                               func.sum(LinkRollup.traffic))
                        .where(LinkRollup.site_id == site_id,
                               or_(LinkRollup.state.in_(DEAD),
                                   and_(LinkRollup.state == "nofollow",
                                        LinkRollup.loss_event == EventType.NOFOLLOW.value)))
                        .group_by(LinkRollup.loss_event, LinkRollup.state)).all()
    groups = [(event or None, state, int(links or 0)) for event, state, links, _ in rows]
    traffic = round(sum(float(t or 0) for *_, t in rows), 6)
    return (sum(g[2] for g in groups), traffic), groups


def _reason(event_type: str | None, state: str) -> str:
    if event_type in REASONS and not (event_type == EventType.NOFOLLOW.value and state in DEAD):
        return REASONS[event_type]
    return STATE_REASONS.get(state, "removed")


def reclaim_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
                   limit: int = 500) -> ReclaimReport:
    """Lost links with reason, last seen live, last anchor, traffic and contact hints: a worklist."""
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        work = _worklist(conn, ref.id, since)
        if since is None:
            totals, groups = _rollup_totals(conn, ref.id)
            rows = conn.execute(select(work).order_by(*_order(work)).limit(limit)).all()
        else:  # one pass over the window's worklist; then the shown rows in full
            found = conn.execute(select(work.c.id, work.c.event_type, work.c.state, work.c.page_traffic)
                                 .order_by(*_order(work))).all()
            totals = (len(found), sum(r.page_traffic or 0.0 for r in found))
            counted = Counter((r.event_type, r.state) for r in found)
            groups = [(event, state, count) for (event, state), count in counted.items()]
            shown = _worklist(conn, ref.id, None, ids=[r.id for r in found[:limit]])
            rows = conn.execute(select(shown).order_by(*_order(shown))).all()
    by_reason: dict[str, int] = {}
    for event_type, state, count in groups:
        name = _reason(event_type, state)
        by_reason[name] = by_reason.get(name, 0) + int(count)
    report = ReclaimReport(site=ref.domain, since=since, links=int(totals[0]), traffic=float(totals[1]),
                           by_reason=dict(sorted(by_reason.items())))
    for r in rows:
        detail = r.detail if isinstance(r.detail, dict) else {}
        report.rows.append({
            "reason": _reason(r.event_type, r.state), "page_traffic": r.page_traffic, "source_url": r.source_url,
            "target": r.target, "referring_domain": r.referring_domain, "state": r.state,
            "lost_at": r.event_at, "last_live": r.last_live, "anchor": r.anchor or r.expected_anchor,
            "contact_hints": list(r.contact_hints or []), "evidence": _evidence(detail),
        })
    return report


def _evidence(detail: dict[str, Any]) -> str:
    """A short text of the event's evidence: reason, HTTP status, where the page went."""
    parts = []
    for key in ("reason", "sources", "http_status", "final_url"):
        value = detail.get(key)
        if value not in (None, "", [], {}):
            parts.append(f"{key}={value if not isinstance(value, list) else ','.join(map(str, value))}")
    return " ".join(parts)
