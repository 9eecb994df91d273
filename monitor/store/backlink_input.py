"""Backlinks to add: BacklinkInput, the normalisation of its fields, and the backlink key.

A backlink is keyed by `(source_key, target)`: the referring URL without scheme
and leading `www.` (so http -> https stays the same backlink) and the target's
identity per monitor.core.targets (so `https://a.com/x/` and `http://www.a.com/x` are
one target; the first spelling given is the one stored).  monitor.store.writer writes
them; this module touches no database, so the importers, the CLI and the intake share it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from monitor.core.hosts import clean_host, host_of
from monitor.core.targets import normalize_url, parse_source, parse_target, source_key
from monitor.core.types import TargetKind

logger = logging.getLogger(__name__)

MAX_TAG_LENGTH = 128
MAX_HOST_LENGTH = 253  # DNS; the columns holding host names are VARCHAR(255)


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
    context: tuple[str, str] | None = None  # (before, after) from the export: the link's first known context
    # source_key(source_url) and host_of(source_url), when the caller knows them (see source_parts)
    source_key: str = field(default="", compare=False, repr=False)
    source_host: str = field(default="", compare=False, repr=False)

    @property
    def key(self) -> tuple[str, TargetIdentity]:
        return self.source_key or source_key(self.source_url), target_identity(self.target)

    @property
    def referring_host(self) -> str:
        return self.source_host or host_of(self.source_url)

    def values_hash(self) -> int:
        """A hash of the values besides the page and target spelling: equal for rows that repeat each other."""
        return hash((self.target_host, self.anchor, self.tags, self.notes, self.campaign, self.cost, self.placed_on,
                     self.pending, self.origin, self.page_traffic, self.imported_first_seen,
                     self.imported_last_seen, self.imported_follow, tuple(self.extra.items()), self.context))


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
    return source_parts(url)[0]


def source_parts(url: str) -> tuple[str, str, str]:
    """(normalize_source(url), its source_key, its host as host_of gives it) from one parse of the URL.

    Raises ValueError as normalize_source."""
    text = url.strip()
    parsed = parse_source(text) if text else None
    if parsed is None:
        raise ValueError(f"invalid URL {text[:200]!r}: expected an absolute http(s) URL")
    href, key, host = parsed
    if len(host) > MAX_HOST_LENGTH:
        raise ValueError(f"host name longer than {MAX_HOST_LENGTH} characters: {host[:60]!r}...")
    return href, key, clean_host(host)


@functools.lru_cache(maxsize=4096)
def normalize_target(text: str) -> tuple[str, str]:
    """(target as stored, its host). Raises ValueError for a target that is neither a domain nor a URL.

    A domain target is stored as its host (lower case, IDNA, no `www.`), a URL target as
    its WHATWG serialisation (`example.com/pricing` -> `http://example.com/pricing`).
    """
    target = parse_target(text.strip())
    if len(target.host) > MAX_HOST_LENGTH:
        raise ValueError(f"target host name longer than {MAX_HOST_LENGTH} characters: {target.host[:60]!r}...")
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
