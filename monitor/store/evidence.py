"""The evidence of one ingest batch: snapshots of the pages, and how each confirmed loss happened.

Called by monitor.store.ingest inside its batch's transaction, between deciding and storing:
`attach_evidence` gives every backlink seen live its page's snapshot (`live_snapshot_id`), every event
its snapshots before and after, and every `lost` event's detail the fields of monitor.core.loss
(`how`, `before`, `after`, `changed_share`, `moved_to`, `moved_to_competitor`); `after_store` then
deletes the snapshots that were replaced and keeps the total within the budget
(monitor.store.snapshots).  With `[evidence] enabled = false` no snapshot is kept, and a loss is still
explained from the page as it is now (`changed_share` unknown).

Reads settings: evidence, evidence_max_snapshot_bytes, evidence_budget_bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.core.hosts import host_of, registrable_domain
from monitor.core.loss import explain_loss
from monitor.core.types import EventType, LinkContext, PageObservation
from monitor.store import snapshots
from monitor.store.models import Check, Site

_LIVE_STATES = ("live", "nofollow")


class Written(Protocol):
    """What the ingest decided for one backlink (monitor.store.ingest._Written)."""

    row: Any  # the backlink as it was before this check
    present: bool  # the link is on the page (live or nofollow)
    backlink: dict[str, Any]
    events: list[dict[str, Any]]
    page: PageObservation


@dataclass
class EvidenceBatch:
    """The snapshots one batch replaced, to delete once the batch's rows are stored."""

    replaced: list[int] = field(default_factory=list)


def attach_evidence(s: Session, settings: Settings, now: datetime, written: Sequence[Written]) -> EvidenceBatch:
    """Fill the snapshot ids and the loss fields into the rows about to be stored (see the module docstring)."""
    ids = _snapshot_ids(s, settings, now, written) if settings.evidence else {}
    lost = [w for w in written if any(e["type"] == EventType.LOST for e in w.events)]
    then = snapshots.texts(s, (w.row.live_snapshot_id for w in lost)) if lost and settings.evidence else {}
    contexts = _live_contexts(s, lost) if lost else {}
    competitor_of = _CompetitorLookup(s, settings) if lost else None
    batch = EvidenceBatch()
    for w in written:
        snapshot_id = ids.get(id(w.page))
        old = w.row.live_snapshot_id
        new = snapshot_id if w.present and snapshot_id is not None else old
        w.backlink["live_snapshot_id"] = new
        if old is not None and new != old:
            batch.replaced.append(old)
        for event in w.events:
            event.update(before_snapshot_id=old, after_snapshot_id=snapshot_id)
            if event["type"] == EventType.LOST and competitor_of is not None:
                evidence = explain_loss(w.row.anchor or "", contexts.get(w.row.id, LinkContext()),
                                        then.get(old) if old is not None else None, w.page.main_text,
                                        w.page.page_links, competitor_of)
                event["detail"] = {**event["detail"], **evidence.to_detail()}
    return batch


def after_store(s: Session, settings: Settings, batch: EvidenceBatch) -> None:
    """Delete the snapshots the batch replaced (if nothing else refers to them), then keep to the budget."""
    if not settings.evidence:
        return
    if batch.replaced:
        snapshots.release(s, batch.replaced)
    snapshots.enforce_budget(s, settings.evidence_budget_bytes)


def _snapshot_ids(s: Session, settings: Settings, now: datetime, written: Sequence[Written]) -> dict[int, int]:
    """The snapshot of each page that needs one (a link seen live, or an event), by id(observation)."""
    store = snapshots.SnapshotBatch(s, settings.evidence_max_snapshot_bytes, now)
    captures = {id(w.page): store.want(w.page) for w in written if w.present or w.events}
    stored = store.store()
    return {page: stored[(c.source_key, c.digest)] for page, c in captures.items() if c is not None}


def _live_contexts(s: Session, lost: Sequence[Written]) -> dict[int, LinkContext]:
    """The context of each lost link as last seen live: from its last live check, else its first known one."""
    ids = sorted({w.row.id for w in lost})
    newest = (select(func.max(Check.id)).where(Check.backlink_id.in_(ids), Check.state.in_(_LIVE_STATES))
              .group_by(Check.backlink_id))
    links = {backlink_id: stored for backlink_id, stored in
             s.execute(select(Check.backlink_id, Check.links).where(Check.id.in_(newest)))}
    found = {}
    for w in lost:
        context = _matching_context(links.get(w.row.id) or [], w.row.link_href)
        found[w.row.id] = context if context is not None else LinkContext.from_json(w.row.context)
    return found


def _matching_context(links: Iterable[dict[str, Any]], href: str | None) -> LinkContext | None:
    candidates = list(links)
    chosen = next((link for link in candidates if link.get("href") == href), candidates[0] if candidates else None)
    return LinkContext.from_json(chosen.get("context")) if chosen is not None else None


class _CompetitorLookup:
    """The competitor site (`[[site]] competitor = true`, configured or stored) a URL is on, read once per batch."""

    def __init__(self, s: Session, settings: Settings) -> None:
        self.s = s
        self.configured = frozenset(site.domain for site in settings.sites if site.competitor)

    @functools.cached_property
    def domains(self) -> frozenset[str]:
        return self.configured | frozenset(self.s.scalars(select(Site.domain).where(Site.competitor.is_(True))))

    def __call__(self, url: str) -> str | None:
        host = host_of(url)
        if not host or not self.domains:
            return None
        domain = registrable_domain(host)
        return next((d for d in (host.removeprefix("www."), domain) if d in self.domains), None)
