"""Adding, updating and removing backlinks: the write side of `add`, `import` and `remove`.

A backlink is keyed by `(source_key, target)`: the referring URL without scheme
and leading `www.` (so http -> https stays the same backlink) and the target's
identity per monitor.targets (so `https://a.com/x/` and `http://www.a.com/x` are
one target; the first spelling given is the one stored).  `upsert_backlinks` writes a batch in the
caller's transaction and says how many were added, updated or unchanged;
re-writing the same data changes nothing.  Tags are kept in `backlinks.tags`
and mirrored one row per tag in `backlink_tags`; new tags are added, existing
ones are never dropped by an upsert.  New backlinks are due at once, in state
`unchecked` (or `pending` for a promised link).

Reads `Settings.sites` through the SiteResolver the caller passes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from monitor.domain import BacklinkState, TargetKind
from monitor.domains import host_of, registrable_domain
from monitor.store import rollups
from monitor.store.models import Backlink, BacklinkTag
from monitor.store.sites import SiteResolver
from monitor.targets import normalize_url, parse_target, source_key

logger = logging.getLogger(__name__)

MAX_TAG_LENGTH = 128


@dataclass(frozen=True)
class BacklinkInput:
    """One backlink to add or update. None means "not given": the stored value is kept."""

    source_url: str  # normalised (see normalize_source)
    target: str  # normalised (see normalize_target)
    target_host: str
    anchor: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    campaign: str | None = None
    cost: float | None = None
    placed_on: date | None = None
    pending: bool = False
    origin: str = "manual"
    page_traffic: float | None = None
    imported_first_seen: date | None = None
    imported_last_seen: date | None = None
    imported_follow: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, TargetIdentity]:
        return source_key(self.source_url), target_identity(self.target)


@dataclass
class UpsertCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged


TargetIdentity = tuple[str, str, str, str, tuple[tuple[str, str], ...]]


@functools.lru_cache(maxsize=8192)
def target_identity(target: str) -> TargetIdentity:
    """What makes two spellings of a target the same target (`https://a.com/x/` is `http://www.a.com/x`)."""
    parsed = parse_target(target)
    return str(parsed.kind), parsed.host, parsed.port, parsed.path, parsed.query


def normalize_source(url: str) -> str:
    """The referring page URL as stored. Raises ValueError for anything but an absolute http(s) URL."""
    text = url.strip()
    normalized = normalize_url(text) if text else None
    if not normalized:
        raise ValueError(f"invalid URL {text[:200]!r}: expected an absolute http(s) URL")
    return normalized


def normalize_target(text: str) -> tuple[str, str]:
    """(target as stored, its host). Raises ValueError for a target that is neither a domain nor a URL.

    A domain target is stored as its host (lower case, IDNA, no `www.`), a URL target as
    its WHATWG serialisation (`example.com/pricing` -> `http://example.com/pricing`).
    """
    target = parse_target(text.strip())
    if target.kind is TargetKind.DOMAIN:
        return target.host, target.host
    text = text.strip()
    url = normalize_url(text if "://" in text else "http://" + text)
    if url is None:  # parse_target accepted it, so this does not happen
        raise ValueError(f"target {text!r} is not a valid URL")
    return url, target.host


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Stripped, non-empty, first-seen order, no duplicates. Raises ValueError for an over-long tag."""
    out: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"tag longer than {MAX_TAG_LENGTH} characters: {tag[:40]!r}...")
        if tag and tag not in out:
            out.append(tag)
    return tuple(out)


_PLAIN_FIELDS = (
    ("anchor", "expected_anchor"),
    ("notes", "notes"),
    ("campaign", "campaign"),
    ("cost", "cost"),
    ("placed_on", "placed_on"),
    ("page_traffic", "page_traffic"),
    ("imported_first_seen", "imported_first_seen"),
    ("imported_last_seen", "imported_last_seen"),
    ("imported_follow", "imported_follow"),
)


def _new_backlink(item: BacklinkInput, site_id: int, now: datetime) -> Backlink:
    host = host_of(item.source_url)
    link = Backlink(
        site_id=site_id, source_url=item.source_url, source_key=item.key[0], target=item.target,
        referring_host=host, referring_domain=registrable_domain(host), tags=list(item.tags),
        origin=item.origin, extra=dict(item.extra), rel=[], misses=0,
        state=str(BacklinkState.PENDING if item.pending else BacklinkState.UNCHECKED),
        next_due_at=now, created_at=now, updated_at=now,
    )
    for attr, column in _PLAIN_FIELDS:
        setattr(link, column, getattr(item, attr))
    return link


def _upgrades(stored: str, given: str) -> bool:
    """Whether a new spelling of the same page replaces the stored one: only http -> https (never back)."""
    return stored.startswith("http://") and given.startswith("https://")


def _apply(link: Backlink, item: BacklinkInput, now: datetime) -> tuple[bool, list[str]]:
    """Apply the given values to a stored backlink: (anything changed, the tags it did not have yet)."""
    changed = False
    if _upgrades(link.source_url, item.source_url):
        host = host_of(item.source_url)
        link.source_url, link.referring_host, link.referring_domain = item.source_url, host, registrable_domain(host)
        changed = True
    for attr, column in _PLAIN_FIELDS:
        value = getattr(item, attr)
        if value is not None and getattr(link, column) != value:
            setattr(link, column, value)
            changed = True
    merged_extra = {**(link.extra or {}), **item.extra}
    if merged_extra != (link.extra or {}):
        link.extra = merged_extra
        changed = True
    new_tags = [t for t in item.tags if t not in (link.tags or [])]
    if new_tags:
        link.tags = [*(link.tags or []), *new_tags]
        changed = True
    if item.pending and link.state == BacklinkState.UNCHECKED:
        link.state = str(BacklinkState.PENDING)
        changed = True
    if changed:
        link.updated_at = now
    return changed, new_tags


def _existing(session: Session, items: Sequence[BacklinkInput]) -> dict[tuple[str, TargetIdentity], Backlink]:
    keys = {item.key for item in items}
    source_keys = sorted({k[0] for k in keys})
    rows = session.scalars(select(Backlink).where(Backlink.source_key.in_(source_keys))).all()
    found = {(b.source_key, target_identity(b.target)): b for b in rows}
    return {key: link for key, link in found.items() if key in keys}


def upsert_backlinks(session: Session, items: Sequence[BacklinkInput], resolver: SiteResolver,
                     now: datetime) -> UpsertCounts:
    """Add or update a batch of backlinks in the caller's transaction (keep batches to a few thousand)."""
    counts = UpsertCounts()
    if not items:
        return counts
    known = _existing(session, items)
    created: list[Backlink] = []
    tag_rows: list[dict[str, Any]] = []
    for item in items:
        link = known.get(item.key)
        if link is None:
            link = _new_backlink(item, resolver.site_id(item.target_host), now)
            session.add(link)
            known[item.key] = link
            created.append(link)
            counts.added += 1
            continue
        changed, new_tags = _apply(link, item, now)
        if link.id is not None:  # stored before this batch (tags of links created here are written below)
            tag_rows.extend({"backlink_id": link.id, "tag": t} for t in new_tags)
        if changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    for link in created:
        tag_rows.extend({"backlink_id": link.id, "tag": t} for t in link.tags)
    if tag_rows:
        session.execute(insert(BacklinkTag), tag_rows)
    return counts


def remove_backlinks(session: Session, source_url: str, target: str | None = None) -> int:
    """Delete the backlinks of a referring page (only the one to `target` if given). Checks and events go too."""
    key = source_key(normalize_source(source_url))
    stored = session.execute(select(Backlink.id, Backlink.target).where(Backlink.source_key == key)).all()
    wanted = target_identity(normalize_target(target)[0]) if target is not None else None
    ids = [row_id for row_id, stored_target in stored if wanted is None or target_identity(stored_target) == wanted]
    if ids:
        tracker = rollups.Tracker(session, ids)
        session.execute(delete(Backlink).where(Backlink.id.in_(ids)).execution_options(synchronize_session=False))
        tracker.apply()
    return len(ids)
