"""Reading backlinks, their checks and events for `links`, `history` and `events`.

Everything is streamed: `iter_backlinks` and `iter_events` read in batches with
keyset pagination (`WHERE id > last ORDER BY id LIMIT n`, each batch in its own
short read), so memory stays flat however many rows there are.  Rows come out
as the plain JSON objects the commands print.

Reads no settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, or_, select
from sqlalchemy.orm import Session

from monitor.core.hosts import bare_host, registrable_domain
from monitor.core.targets import source_key
from monitor.core.types import Event, EventType
from monitor.store.models import Backlink, BacklinkTag, Check, EventRecord, Site

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 1000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def backlink_json(link: Backlink, site: str) -> dict[str, Any]:
    """A stored backlink as the `linkwatch links --json` object."""
    return {
        "id": link.id,
        "source_url": link.source_url,
        "target": link.target,
        "site": site,
        "state": link.state,
        "follow": link.follow,
        "rel": list(link.rel or []),
        "anchor": link.anchor if link.anchor is not None else link.expected_anchor,
        "expected_anchor": link.expected_anchor,
        "http_status": link.http_status,
        "final_url": link.final_url,
        "first_seen": _iso(link.first_seen),
        "last_checked": _iso(link.last_checked),
        "last_live": _iso(link.last_live),
        "state_changed_at": _iso(link.state_changed_at),
        "next_due_at": _iso(link.next_due_at),
        "tags": list(link.tags or []),
        "referring_domain": link.referring_domain,
        "page_traffic": link.page_traffic,
        "origin": link.origin,
        "campaign": link.campaign,
        "cost": link.cost,
        "placed_on": link.placed_on.isoformat() if link.placed_on else None,
        "notes": link.notes,
        "page_noindex": link.noindex,
        "page_blocked_for_google": None if link.googlebot_allowed is None else not link.googlebot_allowed,
        "canonical": link.canonical,
        "position": link.position,
    }


def site_filter_domains(domain: str) -> list[str]:
    """The site names `--site D` may mean: D without `www.`, and its registrable domain."""
    host = bare_host(domain)
    return sorted({host, registrable_domain(host)})


def _backlink_query(state: str | Sequence[str] | None, site: str | None, tag: str | None,
                    changed_since: datetime | None = None) -> Select[Backlink, str]:
    """Backlinks with their site's domain: in one of the states given, of one site, with a tag, whose state
    changed at or after `changed_since` (`state_changed_at`)."""
    query = select(Backlink, Site.domain).join(Site, Backlink.site_id == Site.id)
    states = [state] if isinstance(state, str) else list(state or ())
    if states:
        query = query.where(Backlink.state.in_(states))
    if changed_since is not None:
        query = query.where(Backlink.state_changed_at >= changed_since)
    if site:
        query = query.where(Site.domain.in_(site_filter_domains(site)))
    if tag:
        query = query.where(Backlink.id.in_(select(BacklinkTag.backlink_id).where(BacklinkTag.tag == tag)))
    return query


def iter_backlinks(engine: Engine, state: str | Sequence[str] | None = None, site: str | None = None,
                   tag: str | None = None, batch_size: int = DEFAULT_BATCH, *,
                   changed_since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every backlink matching the filters (any of several states), in id order, as `links --json` objects,
    read in batches."""
    query = _backlink_query(state, site, tag, changed_since).order_by(Backlink.id).limit(batch_size)
    last_id = 0
    while True:
        with Session(engine) as session:
            rows = session.execute(query.where(Backlink.id > last_id)).all()
            batch = [backlink_json(link, domain) for link, domain in rows]
        yield from batch
        if len(rows) < batch_size:
            return
        last_id = batch[-1]["id"]


def _older_than(at: Any, row_id: Any, last: tuple[datetime, int]) -> Any:
    """Keyset condition for newest-first pages: rows strictly after `last` in (at desc, id desc) order."""
    return or_(at < last[0], and_(at == last[0], row_id < last[1]))


def check_json(check: Check, link: Backlink) -> dict[str, Any]:
    """One stored check as a `linkwatch history --json` object."""
    links = list(check.links or [])
    return {
        "checked_at": _iso(check.checked_at),
        "source_url": link.source_url,
        "target": link.target,
        "backlink_id": link.id,
        "state": check.state,
        "fetch_status": check.fetch_status,
        "http_status": check.http_status,
        "final_url": check.final_url,
        "follow": any(bool(item.get("follow")) for item in links) if links else None,
        "links": links,
        "noindex": check.noindex,
        "nofollow": check.nofollow,
        "canonical": check.canonical,
        "redirects": list(check.redirects or []),
        "rendered": check.rendered,
        "duration_seconds": check.duration_seconds,
        "error": check.error,
        "run_id": check.run_id,
    }


def backlink_by_id(engine: Engine, backlink_id: int) -> dict[str, Any] | None:
    """One stored backlink as the `links --json` object, or None."""
    with Session(engine) as session:
        row = session.execute(_backlink_query(None, None, None).where(Backlink.id == backlink_id)).first()
        return backlink_json(row[0], row[1]) if row else None


def backlinks_by_ids(engine: Engine, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Some stored backlinks (a page of events' links) as `links --json` objects by id, in one query."""
    if not ids:
        return {}
    with Session(engine) as session:
        rows = session.execute(_backlink_query(None, None, None).where(Backlink.id.in_(set(ids)))).all()
        return {link.id: backlink_json(link, domain) for link, domain in rows}


def checks_of_backlink(engine: Engine, backlink_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The latest checks of one backlink, newest first, as `history --json` objects (ix_checks_backlink_at)."""
    query = (select(Check, Backlink).join(Backlink, Check.backlink_id == Backlink.id)
             .where(Check.backlink_id == backlink_id).order_by(Check.checked_at.desc(), Check.id.desc()).limit(limit))
    with Session(engine) as session:
        return [check_json(check, link) for check, link in session.execute(query).all()]


def backlinks_of_page(engine: Engine, source_url: str) -> list[dict[str, Any]]:
    """The backlinks stored for a referring page (http/https and www spellings are the same page)."""
    key = source_key(source_url)
    with Session(engine) as session:
        rows = session.execute(_backlink_query(None, None, None).where(Backlink.source_key == key)
                               .order_by(Backlink.id)).all()
        return [backlink_json(link, domain) for link, domain in rows]


def iter_history(engine: Engine, source_url: str, batch_size: int = DEFAULT_BATCH) -> Iterator[dict[str, Any]]:
    """Every check of the backlinks of one referring page, newest first, read in batches."""
    key = source_key(source_url)
    base = (select(Check, Backlink).join(Backlink, Check.backlink_id == Backlink.id)
            .where(Backlink.source_key == key).order_by(Check.checked_at.desc(), Check.id.desc()).limit(batch_size))
    last: tuple[datetime, int] | None = None
    while True:
        query = base
        if last is not None:
            query = query.where(_older_than(Check.checked_at, Check.id, last))
        with Session(engine) as session:
            rows = session.execute(query).all()
            batch = [check_json(check, link) for check, link in rows]
            if rows:
                last = (rows[-1][0].checked_at, rows[-1][0].id)
        yield from batch
        if len(rows) < batch_size:
            return


def event_from_record(record: EventRecord, link: Backlink, site: str | None, competitor: bool = False) -> Event:
    """A stored event with its backlink's context (and its site's role), as the domain type the alert channels
    take."""
    return Event(
        type=EventType(record.type), source_url=link.source_url, target=link.target, at=record.at,
        old_state=record.old_state, new_state=record.new_state, detail=dict(record.detail or {}),
        id=record.id, backlink_id=link.id, site=site, tags=tuple(link.tags or ()),
        anchor=link.anchor or link.expected_anchor, page_traffic=link.page_traffic, last_live_at=link.last_live,
        role="competitor" if competitor else "own", contact_hints=tuple(link.contact_hints or ()),
    )


def iter_events(engine: Engine, since: datetime | None = None, event_type: str | None = None,
                site: str | None = None, limit: int | None = None,
                batch_size: int = DEFAULT_BATCH, *, until: datetime | None = None, backlink_id: int | None = None,
                after: tuple[datetime, int] | None = None) -> Iterator[Event]:
    """Events matching the filters, newest first (at most `limit`), read in batches.

    `until` (exclusive), one backlink's only, and `after` (the (at, id) of the last event of a page) serve
    the web's event pages."""
    base = (select(EventRecord, Backlink, Site.domain, Site.competitor)
            .join(Backlink, EventRecord.backlink_id == Backlink.id)
            .join(Site, Backlink.site_id == Site.id).order_by(EventRecord.at.desc(), EventRecord.id.desc()))
    if since is not None:
        base = base.where(EventRecord.at >= since)
    if until is not None:
        base = base.where(EventRecord.at < until)
    if backlink_id is not None:
        base = base.where(EventRecord.backlink_id == backlink_id)
    if event_type:
        base = base.where(EventRecord.type == event_type)
    if site:
        base = base.where(Site.domain.in_(site_filter_domains(site)))
    remaining = limit
    last: tuple[datetime, int] | None = after
    while remaining is None or remaining > 0:
        size = batch_size if remaining is None else min(batch_size, remaining)
        query = base.limit(size)
        if last is not None:
            query = query.where(_older_than(EventRecord.at, EventRecord.id, last))
        with Session(engine) as session:
            rows = session.execute(query).all()
            batch = [event_from_record(record, link, domain, bool(competitor))
                     for record, link, domain, competitor in rows]
        yield from batch
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < size:
            return
        last = (rows[-1][0].at, rows[-1][0].id)
