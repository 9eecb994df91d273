"""Pages of backlinks for the web interface and the API: filters, sort orders and keyset cursors.

A page is read with `LIMIT n` after the cursor of the previous page's last row, never with OFFSET,
so page 50 costs what page 1 costs.  Each sort order walks an index: `newest` the primary key,
`traffic` ix_backlinks_site_traffic (with a site), `state` one state after the other, most urgent
first, each through ix_backlinks_site_state, `changed` the last state change first
(ix_backlinks_changed, ix_backlinks_site_changed with a site), then the never-checked ones newest first.
Rows are the
`links --json` objects (monitor.store.listing.backlink_json); the CLI's `links` shares the filters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, or_
from sqlalchemy.orm import Session

from monitor.core.human import STATE_ORDER
from monitor.store import text_search
from monitor.store.listing import _backlink_query, backlink_json
from monitor.store.models import Backlink

SORTS = ("newest", "traffic", "state", "changed")
FLAGS = {
    "noindex": Backlink.noindex.is_(True),
    "blocked_for_google": Backlink.googlebot_allowed.is_(False),
    "not_followed": Backlink.follow.is_(False),
    "redirected": and_(Backlink.final_url.is_not(None), Backlink.final_url != Backlink.source_url),
}


class CursorError(ValueError):
    """A `next` cursor that this listing did not give."""


@dataclass(frozen=True)
class LinkFilter:
    """What the Links page and GET /api/v1/links filter on (all optional)."""

    site: str | None = None
    states: tuple[str, ...] = ()
    tag: str | None = None
    flags: tuple[str, ...] = ()
    text: str | None = None
    sort: str = "newest"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filtered(f: LinkFilter, narrow: Any = None) -> Select[Any]:
    """The SELECT of (Backlink, site domain) for a filter, without order or cursor.

    `narrow` is the search index's condition for `f.text` (monitor.store.text_search.narrowing), if any: the
    ILIKE condition stays, so the rows are the same with or without it."""
    query: Any = _backlink_query(None, f.site, f.tag)
    if f.states:
        query = query.where(Backlink.state.in_(f.states))
    for flag in f.flags:
        query = query.where(FLAGS[flag])
    if f.text and f.text.strip():
        if narrow is not None:
            query = query.where(narrow)
        pattern = _like(f.text.strip().lower())
        query = query.where(or_(Backlink.source_url.ilike(pattern, escape="\\"),
                                Backlink.referring_domain.ilike(pattern, escape="\\"),
                                Backlink.anchor.ilike(pattern, escape="\\"),
                                Backlink.expected_anchor.ilike(pattern, escape="\\")))
    return query


def _parse_cursor(cursor: str, sort: str) -> tuple[str, int]:
    value, _, last_id = cursor.rpartition("~")
    if not last_id.isdigit() or (sort == "newest" and value):
        raise CursorError("this `next` cursor is not one of this listing's")
    return value, int(last_id)


def _newest(session: Session, f: LinkFilter, value: str, last_id: int | None, limit: int,
            narrow: Any) -> list[Any]:
    query = filtered(f, narrow).order_by(Backlink.id.desc()).limit(limit)
    if last_id is not None:
        query = query.where(Backlink.id < last_id)
    return list(session.execute(query).all())


def _traffic(session: Session, f: LinkFilter, value: str, last_id: int | None, limit: int,
            narrow: Any) -> list[Any]:
    query = (filtered(f, narrow).order_by(Backlink.page_traffic.desc().nulls_last(), Backlink.id.desc())
             .limit(limit))
    if last_id is not None:
        if value == "none":
            query = query.where(Backlink.page_traffic.is_(None), Backlink.id < last_id)
        else:
            traffic = float(value)
            query = query.where(or_(Backlink.page_traffic < traffic, Backlink.page_traffic.is_(None),
                                    and_(Backlink.page_traffic == traffic, Backlink.id < last_id)))
    return list(session.execute(query).all())


def _by_state(session: Session, f: LinkFilter, value: str, last_id: int | None, limit: int,
            narrow: Any) -> list[Any]:
    states = [s for s in STATE_ORDER if not f.states or s in f.states]
    if last_id is not None:
        if value not in states:
            raise CursorError("this `next` cursor is not one of this listing's")
        states = states[states.index(value):]
    rows: list[Any] = []
    for state in states:
        one_state = LinkFilter(f.site, (state,), f.tag, f.flags, f.text)
        query = filtered(one_state, narrow).order_by(Backlink.id.desc())
        if last_id is not None and state == value:
            query = query.where(Backlink.id < last_id)
        rows += session.execute(query.limit(limit - len(rows))).all()
        if len(rows) >= limit:
            break
    return rows


def _changed_at(value: str) -> datetime | None:
    """A `changed` cursor's time: `none` or an ISO 8601 time with its zone (ValueError otherwise)."""
    if value == "none":
        return None
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("a cursor time without its zone")
    return at


def _changed(session: Session, f: LinkFilter, value: str, last_id: int | None, limit: int,
            narrow: Any) -> list[Any]:
    """Last state change first; the never-checked rows (no change time) after them, newest first.
    Two walks, each in index order on both backends (no NULLS LAST to sort)."""
    at = _changed_at(value) if last_id is not None else None
    in_nulls = last_id is not None and at is None  # the cursor is past every row with a change time
    rows: list[Any] = []
    if not in_nulls:
        query = (filtered(f, narrow).where(Backlink.state_changed_at.is_not(None))
                 .order_by(Backlink.state_changed_at.desc(), Backlink.id.desc()).limit(limit))
        if at is not None and last_id is not None:
            query = query.where(or_(Backlink.state_changed_at < at,
                                    and_(Backlink.state_changed_at == at, Backlink.id < last_id)))
        rows = list(session.execute(query).all())
    if len(rows) < limit:
        query = (filtered(f, narrow).where(Backlink.state_changed_at.is_(None)).order_by(Backlink.id.desc())
                 .limit(limit - len(rows)))
        if in_nulls and last_id is not None:
            query = query.where(Backlink.id < last_id)
        rows += session.execute(query).all()
    return rows


def _cursor_of(sort: str, link: Backlink) -> str:
    if sort == "traffic":
        return f"{'none' if link.page_traffic is None else repr(link.page_traffic)}~{link.id}"
    if sort == "state":
        return f"{link.state}~{link.id}"
    if sort == "changed":
        changed = link.state_changed_at
        return f"{'none' if changed is None else changed.isoformat()}~{link.id}"
    return f"~{link.id}"


def backlink_page(engine: Engine, f: LinkFilter, cursor: str | None = None,
                  limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """One page of backlinks matching `f` in its sort order, and the cursor of the next page (None: last page).

    Raises CursorError for a cursor this listing did not give."""
    read = {"newest": _newest, "traffic": _traffic, "state": _by_state, "changed": _changed}[f.sort]
    value, last_id = _parse_cursor(cursor, f.sort) if cursor else ("", None)
    try:
        with Session(engine) as session:
            narrow = text_search.narrowing(session, f.text.strip().lower()) if f.text else None
            rows = read(session, f, value, last_id, limit + 1, narrow)
            items = [backlink_json(link, domain) for link, domain in rows[:limit]]
            cursor = _cursor_of(f.sort, rows[limit - 1][0]) if len(rows) > limit else None
    except ValueError as exc:
        raise CursorError("this `next` cursor is not one of this listing's") from exc
    return items, cursor


def iter_backlink_pages(engine: Engine, f: LinkFilter, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every backlink matching `f`, in its sort order, page after page (the CSV download)."""
    cursor: str | None = None
    while True:
        items, cursor = backlink_page(engine, f, cursor, batch)
        yield from items
        if cursor is None:
            return
