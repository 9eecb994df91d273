"""Step 7 of the routine: the worklist of lost backlinks to reclaim.

`reclaim_report(db, site, since, settings)` lists the site's backlinks that are lost (state lost
or gone) or were made nofollow, with the reason from their latest loss-type event (else from the
state): `removed`, `page_gone`, `redirected` (with `redirected_to`), `noindex`, `blocked_for_google`,
`made_nofollow`; then the live links whose page is noindex, blocked for Google by its robots.txt or names
another page as canonical (`noindex`, `blocked_for_google`, `canonical_elsewhere`).  Each row: when,
the last anchor, the page traffic, the contact hints, and for a lost link how it went (`how`) and the
sentence it was in (`before`, monitor.core.loss); highest traffic first; `since` keeps the links lost on
or after that date.  Invariant: both parts of the worklist are read from `rollup_reclaim`
(monitor/store/rollups.py, kept current by every write; the live links' rows carry their `page_flag`) in
the order of its index, the lost links' totals over all links from rollup_links; only the shown rows are
read from backlinks.  Definitions: docs/reports.md#reclaim.

Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from monitor.config import Settings
from monitor.core.human import event_detail_words
from monitor.core.loss import sentence_of
from monitor.core.types import EventType
from monitor.reports.common import DEAD, Db, connection, resolve_site
from monitor.store.models import Backlink, EventRecord, LinkRollup, ReclaimRollup
from monitor.store.rollups import page_flag

REASONS = {
    EventType.LOST.value: "removed",
    EventType.PAGE_GONE.value: "page_gone",
    EventType.PAGE_REDIRECTED.value: "redirected",
    EventType.PAGE_NOINDEX.value: "noindex",
    EventType.PAGE_BLOCKED_FOR_GOOGLE.value: "blocked_for_google",
    EventType.NOFOLLOW.value: "made_nofollow",
}
STATE_REASONS = {"lost": "removed", "gone": "page_gone"}
#: reasons of live links whose page says they should not count (rollup_reclaim.page_flag), with their evidence
PAGE_EVIDENCE = {"noindex": "the page is noindex", "blocked_for_google": "blocked for Google by robots.txt",
                 "canonical_elsewhere": "canonical {canonical}"}
PAGE_FLAGS = tuple(PAGE_EVIDENCE)


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
                                          "last_live", "anchor", "contact_hints", "evidence", "how", "before")

    def summary(self) -> list[tuple[str, Any]]:
        return [("links to reclaim", self.links), ("their page traffic", self.traffic),
                *((f"reason: {name}", count) for name, count in self.by_reason.items())]


def _worklist(site_id: int, ids: list[int]) -> Any:
    """The rows shown: these worklist backlinks in full, with their latest loss-type event (a subquery)."""
    earlier = aliased(EventRecord)
    latest_id = (select(func.max(earlier.id)).where(earlier.backlink_id == Backlink.id,
                                                    earlier.type.in_(tuple(REASONS)))
                 .correlate(Backlink).scalar_subquery())
    return (select(Backlink.id, Backlink.source_url, Backlink.target, Backlink.state, Backlink.anchor,
                   Backlink.expected_anchor, Backlink.page_traffic, Backlink.last_live, Backlink.contact_hints,
                   Backlink.referring_domain, Backlink.updated_at, EventRecord.type.label("event_type"),
                   EventRecord.at.label("event_at"), EventRecord.detail)
            .outerjoin(EventRecord, EventRecord.id == latest_id)
            .where(Backlink.site_id == site_id, Backlink.id.in_(ids))).subquery()


def _ranked() -> tuple[Any, ...]:
    """The worklist order as ix_rollup_reclaim_order gives it: highest traffic first (none last), then the
    latest loss first (none last), then by id."""
    r = ReclaimRollup
    return (r.has_traffic.desc(), r.page_traffic.desc(), r.has_event.desc(), r.event_at.desc(), r.backlink_id)


def _window_totals(conn: Any, site_id: int, since: datetime) -> tuple[tuple[int, float], list[Any]]:
    """Worklist size, traffic and (latest loss-type event, state) groups of the links lost since `since`."""
    rows = conn.execute(select(ReclaimRollup.event_type, ReclaimRollup.state, func.count(),
                               func.sum(ReclaimRollup.page_traffic))
                        .where(ReclaimRollup.site_id == site_id, ReclaimRollup.lost_at >= since)
                        .group_by(ReclaimRollup.event_type, ReclaimRollup.state)).all()
    groups = [(event or None, state, int(links)) for event, state, links, _ in rows]
    return (sum(g[2] for g in groups), round(sum(float(t or 0) for *_, t in rows), 6)), groups


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


def _reason(event_type: str | None, state: str, detail: dict[str, Any] | None = None) -> str:
    if detail and detail.get("redirected_to") and state in DEAD:
        return "redirected"  # the link is missing because the page now redirects to another one
    if event_type in REASONS and not (event_type == EventType.NOFOLLOW.value and state in DEAD):
        return REASONS[event_type]
    return STATE_REASONS.get(state, "removed")


def reclaim_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
                   limit: int = 500) -> ReclaimReport:
    """Lost links with reason, last seen live, last anchor, traffic and contact hints: a worklist."""
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        where = [ReclaimRollup.site_id == ref.id, ReclaimRollup.page_flag == ""]
        if since is None:
            totals, groups = _rollup_totals(conn, ref.id)
        else:
            totals, groups = _window_totals(conn, ref.id, since)
            where.append(ReclaimRollup.lost_at >= since)
        ids = list(conn.scalars(select(ReclaimRollup.backlink_id).where(*where).order_by(*_ranked()).limit(limit)))
        shown = _worklist(ref.id, ids)
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
            "reason": _reason(r.event_type, r.state, detail), "page_traffic": r.page_traffic,
            "source_url": r.source_url,
            "target": r.target, "referring_domain": r.referring_domain, "state": r.state,
            "lost_at": r.event_at, "last_live": r.last_live, "anchor": r.anchor or r.expected_anchor,
            "contact_hints": list(r.contact_hints or []), "evidence": _evidence(r.event_type, detail),
            "redirected_to": detail.get("redirected_to"),
            # how a lost link went, and the sentence it was in (monitor.core.loss; empty for other reasons)
            "how": detail.get("how"), "before": sentence_of(str(detail.get("before") or ""), detail.get("last_anchor")),
        })
    _count_redirects(report)
    with connection(db) as conn:
        _add_flagged_pages(conn, report, ref.id, limit - len(report.rows))
    return report


FLAGGED = ReclaimRollup.page_flag.in_(PAGE_FLAGS)


def _add_flagged_pages(conn: Any, report: ReclaimReport, site_id: int, room: int) -> None:
    """Live links whose page turned noindex, is blocked for Google by its robots.txt or names another
    page as canonical: the link counts for little until the site lifts it.  Current flags, whatever
    `since`; one reason per link (`noindex`, else `blocked_for_google`, else `canonical_elsewhere`),
    highest traffic first, after the lost links.  Counted from rollup_reclaim; the shown rows read by id."""
    for reason, links, traffic in conn.execute(
            select(ReclaimRollup.page_flag, func.count(), func.sum(ReclaimRollup.page_traffic))
            .where(ReclaimRollup.site_id == site_id, FLAGGED).group_by(ReclaimRollup.page_flag)):
        report.links += int(links)
        report.traffic += float(traffic or 0)
        report.by_reason[reason] = report.by_reason.get(reason, 0) + int(links)
    report.traffic = round(report.traffic, 6)
    report.by_reason = dict(sorted(report.by_reason.items()))
    if room <= 0:
        return
    ids = list(conn.scalars(select(ReclaimRollup.backlink_id).where(ReclaimRollup.site_id == site_id, FLAGGED)
                            .order_by(ReclaimRollup.has_traffic.desc(), ReclaimRollup.page_traffic.desc(),
                                      ReclaimRollup.backlink_id).limit(room)))
    query = select(Backlink.id, Backlink.source_url, Backlink.target, Backlink.referring_domain, Backlink.state,
                   Backlink.noindex, Backlink.googlebot_allowed, Backlink.canonical, Backlink.final_url,
                   Backlink.page_traffic, Backlink.last_live, Backlink.anchor, Backlink.expected_anchor,
                   Backlink.contact_hints).where(Backlink.id.in_(ids))
    found = {r.id: r for r in conn.execute(query)}
    for r in (found[i] for i in ids if i in found):
        flagged = _page_flag(r)
        if flagged is not None:
            reason, evidence = flagged
            report.rows.append(flagged_row(r, reason, evidence))


def flagged_row(r: Any, reason: str, evidence: str) -> dict[str, Any]:
    """The worklist row of a live link on a flagged page (a backlinks row): no loss, no sentence."""
    return {"reason": reason, "page_traffic": r.page_traffic, "source_url": r.source_url, "target": r.target,
            "referring_domain": r.referring_domain, "state": r.state, "lost_at": None, "last_live": r.last_live,
            "anchor": r.anchor or r.expected_anchor, "contact_hints": list(r.contact_hints or []),
            "evidence": evidence, "redirected_to": None, "how": None, "before": ""}


def _page_flag(r: Any) -> tuple[str, str] | None:
    """The reason and evidence of a live link whose page says it should not count (as the rollup has it), or None."""
    reason = page_flag(r)
    if not reason:
        return None
    return reason, PAGE_EVIDENCE[reason].format(canonical=r.canonical)


def _count_redirects(report: ReclaimReport) -> None:
    """Move the links lost because their page redirects elsewhere from `removed` to `redirected` in the
    counts by reason (the rollups count by event type; the redirect is in the event's detail).  Exact when
    every row of the worklist is shown, the usual case; otherwise only the shown rows move."""
    moved = sum(1 for row in report.rows if row["reason"] == "redirected" and row["state"] in DEAD)
    moved = min(moved, report.by_reason.get("removed", 0))
    if moved:
        report.by_reason["removed"] -= moved
        report.by_reason["redirected"] = report.by_reason.get("redirected", 0) + moved
        report.by_reason = {k: v for k, v in sorted(report.by_reason.items()) if v}


def _evidence(event_type: str | None, detail: dict[str, Any]) -> str:
    """A short text of the event's evidence in words: where the page went, its HTTP status, why not followed."""
    if detail.get("redirected_to"):
        return f"redirected to {detail['redirected_to']}"
    return event_detail_words(event_type or "", detail)
