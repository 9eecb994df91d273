"""Writing the backlinks table: `upsert_backlinks`, `remove_backlinks` and the bulk BacklinkWriter.

`upsert_backlinks` writes a batch in the caller's transaction (`add`, the intake) and counts what was
added, updated or unchanged; `BacklinkWriter(session, resolver, now)` writes chunks of BacklinkInput
(`import`) with a few statements per chunk, never an ORM object or a query per row, and keeps the
report rollups in step through a `rollups.Delta` applied by `finish()`.  Invariants: re-writing the
same values changes nothing; None keeps a stored value; tags are added, never dropped; new
backlinks are due at once, `unchecked` (or `pending`).  With `remember=True` a later item for the
same backlink is a `Repeat`, left out (remembered in the temporary table `import_seen`, so memory
stays flat).  The statements per chunk and the update rules: docs/importing.md.

Reads `Settings.sites` through the SiteResolver the caller passes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from monitor.core.hosts import registrable_domain
from monitor.core.targets import source_key
from monitor.core.types import BacklinkState
from monitor.store import rollups
from monitor.store.backlink_input import (
    BacklinkInput,
    TargetIdentity,
    UpsertCounts,
    normalize_source,
    normalize_target,
    target_identity,
)
from monitor.store.bulk import insert_rows
from monitor.store.models import Backlink, BacklinkTag
from monitor.store.sites import SiteResolver

logger = logging.getLogger(__name__)

BACKLINKS = cast(Table, Backlink.__table__)  # Core statements: no ORM bookkeeping per row
TAGS = cast(Table, BacklinkTag.__table__)
#: BacklinkInput attribute -> backlinks column, for the values given as they are
PLAIN_FIELDS = (
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
_STORED = (BACKLINKS.c.id, BACKLINKS.c.source_key, BACKLINKS.c.target, BACKLINKS.c.source_url, BACKLINKS.c.state,
           BACKLINKS.c.tags, BACKLINKS.c.extra, BACKLINKS.c.context,
           *(BACKLINKS.c[column] for _, column in PLAIN_FIELDS))
_SEEN = Table("import_seen", MetaData(), Column("backlink_id", BigInteger, primary_key=True, autoincrement=False),
              Column("line", Integer, nullable=False), Column("values_hash", BigInteger, nullable=False),
              prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
Key = tuple[str, TargetIdentity]
_TRAFFIC = 10 + [column for _, column in PLAIN_FIELDS].index("page_traffic")  # its position in a new_row


@dataclass(frozen=True)
class Repeat:
    """An item for a backlink an earlier item (of this write or an earlier chunk) already gave."""

    line: int
    earlier: int  # the line of the first item for that backlink (kept)
    same: bool  # an exact duplicate (else: the same backlink with other values)


@functools.lru_cache(maxsize=1 << 14)
def _domain_of(host: str) -> str:
    return registrable_domain(host)


def _same_site(a: TargetIdentity, b: TargetIdentity) -> bool:
    """A domain target and a URL target of that domain (or of a subdomain): the same site."""
    domain, url = (a, b) if a[0] == "domain" else (b, a)
    if domain[0] != "domain" or url[0] != "url":
        return False
    return url[1] == domain[1] or url[1].endswith("." + domain[1])


def _merge_same_link(first: dict[Key, int], stored: dict[Key, Any],
                     pages: dict[str, list[tuple[Key, Any]]]) -> None:
    """An imported item with a domain target for a page that has a backlink with a URL target on that site
    (or the other way round) is that backlink: one link on the page, given once by Search Console (domain)
    and once by Ahrefs (URL).  Such an item is re-keyed to the stored backlink, which it updates, instead
    of becoming a second backlink (two alerts and two reclaim rows for one removed link)."""
    for key in [k for k in first if k not in stored]:
        same = [(other, row) for other, row in pages.get(key[0], ()) if _same_site(key[1], other[1])]
        if same and same[0][0] not in first:
            other, row = same[0]
            first[other] = first.pop(key)
            stored[other] = row


def _upgrades(stored: str, given: str) -> bool:
    """Whether a new spelling of the same page replaces the stored one: only http -> https (never back)."""
    return stored.startswith("http://") and given.startswith("https://")


def changes(stored: Any, item: BacklinkInput) -> tuple[dict[str, Any], list[str]]:
    """The columns `item` changes on a stored backlink (a row of _STORED), and the tags it adds."""
    out: dict[str, Any] = {}
    if _upgrades(stored.source_url, item.source_url):
        host = item.referring_host
        out.update(source_url=item.source_url, referring_host=host, referring_domain=_domain_of(host))
    for attr, column in PLAIN_FIELDS:
        value = getattr(item, attr)
        if value is not None and getattr(stored, column) != value:
            out[column] = value
    extra = stored.extra or {}
    merged = {**extra, **item.extra}
    if merged != extra:
        out["extra"] = merged
    if item.context is not None and stored.context is None:  # the first known context is never replaced
        out["context"] = imported_context(item)
    tags = stored.tags or []
    new_tags = [t for t in item.tags if t not in tags]
    if new_tags:
        out["tags"] = [*tags, *new_tags]
    if item.pending and stored.state == BacklinkState.UNCHECKED:
        out["state"] = str(BacklinkState.PENDING)
    return out, new_tags


#: the columns of a new backlink's row (new_row), then those equal on every row of a chunk (_constants)
NEW_COLUMNS = ("site_id", "source_url", "source_key", "target", "referring_host", "referring_domain", "tags",
               "origin", "extra", "state", *(column for _, column in PLAIN_FIELDS), "context")


def new_row(item: BacklinkInput, site_id: int) -> tuple[Any, ...]:
    """The `backlinks` row of a new backlink (NEW_COLUMNS): `unchecked`, or `pending` for a promised link."""
    host = item.referring_host
    return (site_id, item.source_url, item.key[0], item.target, host, _domain_of(host), list(item.tags),
            item.origin, dict(item.extra), str(BacklinkState.PENDING if item.pending else BacklinkState.UNCHECKED),
            *(getattr(item, attr) for attr, _ in PLAIN_FIELDS), imported_context(item))


def imported_context(item: BacklinkInput) -> dict[str, str] | None:
    """The `backlinks.context` of an export's left/right context, or None when it gave none."""
    if item.context is None:
        return None
    return {"before": item.context[0], "after": item.context[1], "from": "import"}


def _constants(now: datetime) -> dict[str, Any]:
    """The columns every new backlink starts with: due at once, never checked."""
    return {"rel": [], "contact_hints": [], "misses": 0, "next_due_at": now, "created_at": now, "updated_at": now}


def upsert_backlinks(session: Session, items: Sequence[BacklinkInput], resolver: SiteResolver,
                     now: datetime) -> UpsertCounts:
    """Add or update a batch of backlinks in the caller's transaction (see monitor.store.writer)."""
    writer = BacklinkWriter(session, resolver, now)
    writer.write(items)
    return writer.finish()


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


class BacklinkWriter:
    """Writes chunks of backlinks in one transaction; `finish()` applies the rollups and gives the counts."""

    def __init__(self, session: Session, resolver: SiteResolver, now: datetime, remember: bool = False) -> None:
        self.session = session
        self.resolver = resolver
        self.now = now
        self.remember = remember
        self.counts = UpsertCounts()
        self.delta = rollups.Delta(session)
        self._read = rollups.backlink_columns_read()
        if remember:
            connection = session.connection()
            _SEEN.drop(connection, checkfirst=True)  # left by an import that failed on this connection
            _SEEN.create(connection)

    def write(self, items: Sequence[BacklinkInput], lines: Sequence[int] = ()) -> list[Repeat]:
        """Add or update a chunk (a few thousand items); the repeats found are left out and returned."""
        lines = lines or range(len(items))
        hashes = [item.values_hash() for item in items] if self.remember else []
        repeats: list[Repeat] = []
        first: dict[Key, int] = {}
        for index, item in enumerate(items):
            earlier = first.setdefault(item.key, index)
            if earlier != index:
                repeats.append(Repeat(lines[index], lines[earlier],
                                      item.values_hash() == items[earlier].values_hash()))
        if not first:
            return repeats
        stored = self._stored(first)
        if self.remember:
            _merge_same_link(first, stored, self._stored_of_pages(first))
        if self.remember and stored:
            seen = self._seen([row.id for row in stored.values()])
            for key in [k for k, row in stored.items() if row.id in seen]:
                index = first.pop(key)
                earlier, values = seen[stored.pop(key).id]
                repeats.append(Repeat(lines[index], earlier, values == hashes[index]))
        new = [index for key, index in first.items() if key not in stored]
        ids = self._insert([items[index] for index in new])
        self._update([(items[index], stored[key]) for key, index in first.items() if key in stored])
        if self.remember:
            remembered = [*zip(ids, new, strict=True),
                          *((stored[key].id, index) for key, index in first.items() if key in stored)]
            insert_rows(self.session.connection(), _SEEN, ("backlink_id", "line", "values_hash"),
                        [(link_id, lines[index], hashes[index]) for link_id, index in remembered])
        return repeats

    def finish(self) -> UpsertCounts:
        self.delta.apply()
        if self.remember:
            _SEEN.drop(self.session.connection(), checkfirst=True)
        return self.counts

    def _stored(self, keys: Iterable[Key]) -> dict[Key, Any]:
        """The stored backlinks of these keys (rows of _STORED)."""
        wanted = set(keys)
        source_keys = sorted({key[0] for key in wanted})
        rows = self.session.execute(select(*_STORED).where(BACKLINKS.c.source_key.in_(source_keys)))
        found = {(row.source_key, target_identity(row.target)): row for row in rows}
        return {key: row for key, row in found.items() if key in wanted}

    def _stored_of_pages(self, keys: Iterable[Key]) -> dict[str, list[tuple[Key, Any]]]:
        """Every stored backlink of these keys' referring pages, by source_key."""
        source_keys = sorted({key[0] for key in keys})
        pages: dict[str, list[tuple[Key, Any]]] = {}
        for row in self.session.execute(select(*_STORED).where(BACKLINKS.c.source_key.in_(source_keys))):
            pages.setdefault(row.source_key, []).append(((row.source_key, target_identity(row.target)), row))
        return pages

    def _seen(self, ids: list[int]) -> dict[int, tuple[int, int]]:
        query = select(_SEEN.c.backlink_id, _SEEN.c.line, _SEEN.c.values_hash).where(_SEEN.c.backlink_id.in_(ids))
        return {link_id: (line, values) for link_id, line, values in self.session.execute(query)}

    def _insert(self, items: list[BacklinkInput]) -> list[int]:
        """Insert new backlinks (bulk, then their ids read back by key); returns the ids in `items` order."""
        if not items:
            return []
        rows = [new_row(item, self.resolver.site_id(item.target_host)) for item in items]
        connection = self.session.connection()
        insert_rows(connection, BACKLINKS, NEW_COLUMNS, rows, _constants(self.now))
        found = self.session.execute(select(BACKLINKS.c.id, BACKLINKS.c.source_key, BACKLINKS.c.target)
                                     .where(BACKLINKS.c.source_key.in_(sorted({row[2] for row in rows}))))
        by_key = {(key, target): link_id for link_id, key, target in found}
        ids = [by_key[row[2], row[3]] for row in rows]
        tags = [(link_id, tag) for link_id, item in zip(ids, items, strict=True) for tag in item.tags]
        if tags:
            insert_rows(connection, TAGS, ("backlink_id", "tag"), tags)
        for link_id, row in zip(ids, rows, strict=True):
            self.delta.new_link(link_id, row[0], row[5], row[9], row[_TRAFFIC])
        self.counts.added += len(ids)
        return ids

    def _update(self, old: list[tuple[BacklinkInput, Any]]) -> None:
        updates: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        tracked: list[int] = []
        for item, row in old:
            changed, new_tags = changes(row, item)
            if not changed:
                self.counts.unchanged += 1
                continue
            updates.append({"id": row.id, **changed, "updated_at": self.now})
            tags.extend({"backlink_id": row.id, "tag": tag} for tag in new_tags)
            if self._read.intersection(changed):
                tracked.append(row.id)
        self.counts.updated += len(updates)
        before = self.delta.snapshot(tracked) if tracked else None
        if updates:
            self.session.execute(update(Backlink), updates)
        if tags:
            self.session.execute(insert(BacklinkTag), tags)
        if before is not None:
            self.delta.changed(before, tracked)
