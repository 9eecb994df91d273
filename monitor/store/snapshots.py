"""Snapshots of referring pages: compressed copies of their main text (and HTML, screenshot) as evidence.

The ingest (monitor.store.ingest) keeps, inside its batch's transaction, a snapshot of a page at every
check where one of its links is seen live (`backlinks.live_snapshot_id`) and at every check that
confirms an event (`events.after_snapshot_id`; `before_snapshot_id` is the link's live one then).
Invariants: one row per distinct text and HTML of a page (`digest`), so an unchanged page costs
nothing more; a snapshot no event refers to is deleted when no backlink points at it any more (it was
replaced by a newer one); no snapshot exceeds `[evidence] max_snapshot_bytes` (the HTML and the
screenshot are left out first, then the text is cut); all of them together stay within
`[evidence] budget_bytes`, the oldest no event refers to dropped first, then the oldest of the others.
docs/monitoring.md, "Evidence and snapshots".

Reads settings: evidence_max_snapshot_bytes, evidence_budget_bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from monitor.core.changes import page_key
from monitor.core.types import PageObservation
from monitor.store.models import Backlink, EventRecord, Snapshot

logger = logging.getLogger(__name__)

_SNAPSHOTS = cast(Table, Snapshot.__table__)
_LEVEL = 6  # zlib: within a few per cent of 9 for text, at half the CPU


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), _LEVEL)


def decompress(data: bytes | None) -> str | None:
    return None if data is None else zlib.decompress(data).decode("utf-8")


@dataclass(frozen=True, slots=True)
class Capture:
    """One page's snapshot, ready to store: compressed and within the per-snapshot cap."""

    source_key: str
    url: str
    digest: str
    text_chars: int
    text: bytes
    html: bytes | None
    screenshot: bytes | None

    @property
    def size(self) -> int:
        return len(self.text) + len(self.html or b"") + len(self.screenshot or b"")


def capture(observation: PageObservation, max_bytes: int) -> Capture | None:
    """The snapshot of an observation, or None when it has no main text (a 304, a failed fetch)."""
    if observation.main_text is None:
        return None
    text = observation.main_text
    digest = hashlib.sha256(f"{text}\0{observation.html or ''}".encode()).hexdigest()
    packed = compress(text)
    while len(packed) > max_bytes and text:  # rare: a page of over a megabyte of varied text
        text = text[:len(text) * max_bytes // len(packed) * 9 // 10]
        packed = compress(text)
    html = compress(observation.html) if observation.html else None
    if html is not None and len(packed) + len(html) > max_bytes:
        html = None
    shot = _screenshot(observation.screenshot)
    if shot is not None and len(packed) + len(html or b"") + len(shot) > max_bytes:
        shot = None
    key = page_key(observation.final_url or observation.url) or observation.url
    return Capture(key, observation.final_url or observation.url, digest, len(text), packed, html, shot)


def _screenshot(encoded: str | None) -> bytes | None:
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        logger.warning("a screenshot that is not base64 was left out")
        return None


class SnapshotBatch:
    """The snapshots of one ingest batch: found or stored in a few statements, in the batch's session."""

    def __init__(self, s: Session, max_bytes: int, now: datetime) -> None:
        self.s = s
        self.max_bytes = max_bytes
        self.now = now
        self._captures: dict[int, Capture | None] = {}  # by id(observation)

    def want(self, observation: PageObservation) -> Capture | None:
        """Ask for the snapshot of this observation (once per page however many of its backlinks ask)."""
        key = id(observation)
        if key not in self._captures:
            self._captures[key] = capture(observation, self.max_bytes)
        return self._captures[key]

    def store(self) -> dict[tuple[str, str], int]:
        """Store what was asked for and is not stored yet; the ids by (source_key, digest)."""
        wanted = {(c.source_key, c.digest): c for c in self._captures.values() if c is not None}
        if not wanted:
            return {}
        ids = self._known(wanted)
        new = [c for key, c in wanted.items() if key not in ids]
        if new:
            self.s.execute(insert(_SNAPSHOTS), [
                {"source_key": c.source_key, "url": c.url, "digest": c.digest, "taken_at": self.now,
                 "stored_bytes": c.size, "text_chars": c.text_chars, "text": c.text, "html": c.html,
                 "screenshot": c.screenshot} for c in new])
            ids.update(self._known({(c.source_key, c.digest): c for c in new}))
        return ids

    def _known(self, wanted: dict[tuple[str, str], Capture]) -> dict[tuple[str, str], int]:
        digests = sorted({digest for _, digest in wanted})
        found: dict[tuple[str, str], int] = {}
        for start in range(0, len(digests), 1000):
            query = select(Snapshot.id, Snapshot.source_key, Snapshot.digest).where(
                Snapshot.digest.in_(digests[start:start + 1000]))
            found.update({(key, digest): i for i, key, digest in self.s.execute(query) if (key, digest) in wanted})
        return found


def texts(s: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The main texts of these snapshots, by id (those that are gone are left out)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = s.execute(select(Snapshot.id, Snapshot.text).where(Snapshot.id.in_(wanted)))
    return {i: decompress(data) or "" for i, data in rows}


def _unreferenced(ids: Sequence[int] | None = None) -> Any:
    """The condition: no event refers to the snapshot (and, with `ids`, no backlink either)."""
    by_event = exists().where(or_(EventRecord.before_snapshot_id == Snapshot.id,
                                  EventRecord.after_snapshot_id == Snapshot.id))
    if ids is None:
        return ~by_event
    by_backlink = exists().where(Backlink.live_snapshot_id == Snapshot.id)
    return ~by_event & ~by_backlink & Snapshot.id.in_(ids)


def release(s: Session, replaced: Iterable[int | None]) -> int:
    """Delete the snapshots among `replaced` that neither an event nor a backlink refers to any more."""
    ids = sorted({i for i in replaced if i is not None})
    dropped = 0
    for start in range(0, len(ids), 1000):
        result = s.execute(delete(Snapshot).where(_unreferenced(ids[start:start + 1000]))
                           .execution_options(synchronize_session=False))
        dropped += result.rowcount or 0  # type: ignore[attr-defined]
    return dropped


def total_bytes(s: Session) -> int:
    return int(s.scalar(select(func.coalesce(func.sum(Snapshot.stored_bytes), 0))) or 0)


def enforce_budget(s: Session, budget: int) -> int:
    """Drop snapshots, oldest first (those no event refers to before the others), until the total is within
    `budget`; returns how many were dropped."""
    excess = total_bytes(s) - budget
    if excess <= 0:
        return 0
    dropped: dict[int, None] = {}  # in order, once each
    for condition in (_unreferenced(), None):
        query = select(Snapshot.id, Snapshot.stored_bytes).order_by(Snapshot.taken_at, Snapshot.id)
        if condition is not None:
            query = query.where(condition)
        for snapshot_id, size in s.execute(query.execution_options(yield_per=1000)):
            if excess <= 0:
                break
            if snapshot_id not in dropped:
                dropped[snapshot_id] = None
                excess -= size
        if excess <= 0:
            break
    _drop(s, list(dropped))
    logger.info("evidence budget: %d snapshots dropped", len(dropped))
    return len(dropped)


def _drop(s: Session, ids: Sequence[int]) -> None:
    """Delete snapshots, clearing what refers to them first (the same on SQLite and PostgreSQL)."""
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        backlinks, events = cast(Table, Backlink.__table__), cast(Table, EventRecord.__table__)
        s.execute(update(backlinks).where(backlinks.c.live_snapshot_id.in_(chunk)).values(live_snapshot_id=None))
        s.execute(update(events).where(events.c.before_snapshot_id.in_(chunk)).values(before_snapshot_id=None))
        s.execute(update(events).where(events.c.after_snapshot_id.in_(chunk)).values(after_snapshot_id=None))
        s.execute(delete(_SNAPSHOTS).where(_SNAPSHOTS.c.id.in_(chunk)))
