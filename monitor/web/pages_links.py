"""The Links pages: `/links` (filters, sort, keyset pages, CSV of the filter) and `/links/{id}` (one link:
verdict, checks, events, tags and notes, Check now)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from monitor.core.human import STATE_ORDER, event_words
from monitor.core.spreadsheet import csv_cell
from monitor.store.link_pages import (
    FLAGS,
    SORTS,
    CursorError,
    LinkFilter,
    backlink_page,
    iter_backlink_pages,
)
from monitor.store.listing import backlink_by_id, checks_of_backlink, iter_events
from monitor.store.text_search import MIN_INDEXED_CHARS
from monitor.web import access
from monitor.web.actions import edit_backlink
from monitor.web.app import state_of
from monitor.web.format import latest_placement, verdict_reason, with_evidence
from monitor.web.forms import split_tags
from monitor.web.pages_overview import site_names

router = APIRouter(dependencies=[Depends(access.csrf_guard)], include_in_schema=False)

CSV_COLUMNS = ("id", "state", "source_url", "target", "site", "anchor", "follow", "rel", "http_status",
               "page_traffic", "referring_domain", "first_seen", "last_checked", "last_live", "tags", "campaign",
               "notes")
SORT_WORDS = {"newest": "Newest first", "traffic": "Page traffic", "state": "Most urgent state",
              "changed": "Last change"}
FLAG_WORDS = {"noindex": "Page is noindex", "blocked_for_google": "Page blocked for Google",
              "not_followed": "Link not followed", "redirected": "Page redirects"}


def link_filter(site: str = "", state: Annotated[list[str] | None, Query()] = None, tag: str = "",
                flag: Annotated[list[str] | None, Query()] = None, q: str = "", sort: str = "newest") -> LinkFilter:
    """The filter of a Links request (query parameters), refusing unknown values with a 400."""
    states = tuple(s for s in (state or []) if s)
    flags = tuple(f for f in (flag or []) if f)
    if any(s not in STATE_ORDER for s in states):
        raise HTTPException(400, f"state: one of {', '.join(STATE_ORDER)}")
    if any(f not in FLAGS for f in flags):
        raise HTTPException(400, f"flag: one of {', '.join(FLAGS)}")
    if sort not in SORTS:
        raise HTTPException(400, f"sort: one of {', '.join(SORTS)}")
    return LinkFilter(site=site.strip() or None, states=states, tag=tag.strip() or None, flags=flags,
                      text=q.strip() or None, sort=sort)


Filter = Annotated[LinkFilter, Depends(link_filter)]


def page_of(request: Request, f: LinkFilter, after: str | None) -> tuple[list[dict], str | None]:
    try:
        return backlink_page(state_of(request).engine, f, after or None)
    except CursorError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/links")
def links_page(request: Request, f: Filter, after: str = "") -> Response:
    items, cursor = page_of(request, f, after)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    return state_of(request).render(request, "links.html", {
        "items": items, "next": cursor, "filter": f, "query": query, "sites": site_names(request),
        "states": STATE_ORDER, "flags": FLAG_WORDS, "sorts": SORT_WORDS,
        "first_page": not after,
        "short_search": MIN_INDEXED_CHARS if f.text and len(f.text.strip()) < MIN_INDEXED_CHARS else None})


def csv_lines(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[str]:
    """Rows as spreadsheet-safe CSV text, in chunks (a download streams, whatever its size)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for count, row in enumerate(rows, 1):
        writer.writerow([csv_cell(row.get(c)) for c in columns])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get("/links.csv")
def links_csv(request: Request, f: Filter) -> Response:
    rows = iter_backlink_pages(state_of(request).engine, f)
    return StreamingResponse(csv_lines(rows, CSV_COLUMNS), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="linkwatch-links.csv"'})


def _link_or_404(request: Request, link_id: int) -> dict:
    link = backlink_by_id(state_of(request).engine, link_id)
    if link is None:
        raise HTTPException(404, "There is no backlink with this number.")
    return link


@router.get("/links/{link_id:int}")
def link_page(request: Request, link_id: int, queued: str = "", saved: str = "", error: str = "") -> Response:
    web = state_of(request)
    link = _link_or_404(request, link_id)
    checks = checks_of_backlink(web.engine, link_id)
    events = [with_evidence(e.to_json()) for e in iter_events(web.engine, backlink_id=link_id, limit=200)]
    waiting = None
    if queued:
        try:
            queued_at = datetime.fromisoformat(queued)
        except ValueError:
            queued_at = None
        last = datetime.fromisoformat(link["last_checked"]) if link["last_checked"] else None
        if queued_at is not None and (last is None or last < queued_at):
            waiting = queued_at.isoformat()
    return web.render(request, "link.html", {
        "link": link, "checks": checks, "events": events, "reason": verdict_reason(link, checks[0] if checks else None),
        "placement": latest_placement(checks[0] if checks else None, link["anchor"]),
        "how_lost": _how_lost(link, events),
        "waiting": waiting, "landed": bool(queued) and waiting is None, "saved": saved, "error": error,
        "event_words": event_words})


def _how_lost(link: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The evidence of the latest `lost` event of a link lost now, for the verdict; taken off that event so that
    the list of changes does not show it twice."""
    latest = next((e for e in events if e["type"] == "lost"), None)
    if link["state"] != "lost" or latest is None:
        return None
    evidence, latest["evidence"] = latest["evidence"], None
    return evidence


@router.post("/links/{link_id:int}")
def link_edit(request: Request, link_id: int, tags: Annotated[str, Form()] = "",
              notes: Annotated[str, Form()] = "") -> Response:
    _link_or_404(request, link_id)
    try:
        edit_backlink(state_of(request).engine, link_id, split_tags(tags), notes.strip(), datetime.now(UTC))
    except ValueError as exc:
        return RedirectResponse(f"/links/{link_id}?error={_q(str(exc))}#notes", status_code=303)
    return RedirectResponse(f"/links/{link_id}?saved=1#notes", status_code=303)


def _q(text: str) -> str:
    return quote(text, safe="")


@router.post("/links/{link_id:int}/recheck")
def link_recheck(request: Request, link_id: int) -> Response:
    asked = state_of(request).recheck(link_id)
    if asked is None:
        raise HTTPException(404, "There is no backlink with this number.")
    return RedirectResponse(f"/links/{link_id}?queued={_q(asked.isoformat())}", status_code=303)
