"""The evidence of a referring page's latest change, read for `linkwatch evidence` (and the web's link page).

`latest_evidence(engine, source_url, target)` is the newest event of the page's backlinks (of `target` only,
when given) with the snapshots it refers to: the page as the link was last seen live, and at the event.
The link's sentence and the closest passage now come from a `lost` event's detail (monitor.core.loss);
for another event, from the link's context at the event's check.  Machine values only: the command renders
them (monitor.cli.evidence_page).

Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from monitor.core.loss import link_passage
from monitor.core.targets import source_key
from monitor.core.types import LinkContext
from monitor.store.models import Backlink, Check, EventRecord, Snapshot
from monitor.store.snapshots import decompress


@dataclass(frozen=True, slots=True)
class PageCopy:
    """One snapshot, decompressed."""

    url: str
    taken_at: datetime
    text: str
    html: str | None
    screenshot: bytes | None

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "taken_at": self.taken_at.isoformat(), "text": self.text,
                "html": self.html is not None, "screenshot": self.screenshot is not None}


@dataclass(frozen=True, slots=True)
class Evidence:
    """The latest change of a backlink and what the page looked like before and after it."""

    source_url: str
    target: str
    event: str
    at: datetime
    anchor: str | None
    last_live: datetime | None
    detail: dict[str, Any]
    sentence_before: str  # the link's context as last seen live
    passage_after: str  # the closest passage of the page at the event ("" when none)
    before: PageCopy | None
    after: PageCopy | None

    def to_json(self) -> dict[str, Any]:
        return {"source_url": self.source_url, "target": self.target, "event": self.event, "at": self.at.isoformat(),
                "anchor": self.anchor, "last_live": self.last_live.isoformat() if self.last_live else None,
                "how": self.detail.get("how"), "before": self.sentence_before, "after": self.passage_after,
                "changed_share": self.detail.get("changed_share"), "moved_to": self.detail.get("moved_to"),
                "moved_to_competitor": self.detail.get("moved_to_competitor"), "detail": self.detail,
                "snapshot_before": self.before.to_json() if self.before else None,
                "snapshot_after": self.after.to_json() if self.after else None}


def latest_evidence(engine: Engine, source_url: str, target: str | None = None) -> Evidence | None:
    """The evidence of the newest event of the page's backlinks (see the module docstring), or None."""
    query = (select(EventRecord, Backlink).join(Backlink, Backlink.id == EventRecord.backlink_id)
             .where(Backlink.source_key == source_key(source_url)))
    if target is not None:
        query = query.where(Backlink.target == target)
    with Session(engine) as s:
        found = s.execute(query.order_by(EventRecord.at.desc(), EventRecord.id.desc()).limit(1)).first()
        if found is None:
            return None
        event, backlink = found
        detail = dict(event.detail or {})
        before, after = _copy(s, event.before_snapshot_id), _copy(s, event.after_snapshot_id)
        sentence = detail.get("before")
        if sentence is None:
            sentence = _sentence_at(s, event.check_id, detail)
        return Evidence(source_url=backlink.source_url, target=backlink.target, event=event.type, at=event.at,
                        anchor=detail.get("last_anchor") or detail.get("anchor") or backlink.anchor,
                        last_live=backlink.last_live, detail=detail, sentence_before=sentence,
                        passage_after=str(detail.get("after") or ""), before=before, after=after)


def _copy(s: Session, snapshot_id: int | None) -> PageCopy | None:
    if snapshot_id is None:
        return None
    row = s.get(Snapshot, snapshot_id)
    if row is None:
        return None
    return PageCopy(url=row.url, taken_at=row.taken_at, text=decompress(row.text) or "", html=decompress(row.html),
                    screenshot=row.screenshot)


def _sentence_at(s: Session, check_id: int | None, detail: dict[str, Any]) -> str:
    """The link's context at the event's check (an event other than `lost`), else ""."""
    check = s.get(Check, check_id) if check_id is not None else None
    links = check.links if check is not None else []
    chosen = next((link for link in links if link.get("href") == detail.get("href")), links[0] if links else None)
    if chosen is None:
        return ""
    return link_passage(str(chosen.get("anchor") or ""), LinkContext.from_json(chosen.get("context")))
