"""The JSON API v1 (`/api/v1/...`, OpenAPI at /api/v1/openapi.json): the same reads as the pages and the CLI.

Links are the `links --json` objects (with `id`), events the `events --json` objects, reports the
`report --json` output.  Lists are keyset pages: pass the `next` of one answer as `after` to get the
following one.  Errors are `{"error": "..."}` with a 4xx status.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from monitor.core.human import state_words
from monitor.core.types import EventType
from monitor.store.link_pages import CursorError, LinkFilter, backlink_page
from monitor.store.listing import backlink_by_id, checks_of_backlink, iter_events
from monitor.store.sites import NotASiteError, not_a_site
from monitor.web.actions import add_backlink, remove_backlink
from monitor.web.app import state_of
from monitor.web.format import verdict_reason
from monitor.web.forms import FieldError, link_input
from monitor.web.pages_links import link_filter

router = APIRouter(prefix="/api/v1", tags=["v1"])
NEW_SITE_ALLOW = 'send "new_site": true'
NOT_A_SITE_EXAMPLE = not_a_site("acmeshoes.con", ["acmeshoes.com"], NEW_SITE_ALLOW)


class NewLink(BaseModel):
    """A backlink to add, with `linkwatch add`'s rules."""

    source_url: str
    target: str
    anchor: str | None = None
    tags: list[str] = []
    status: str | None = None
    campaign: str | None = None
    cost: float | None = None
    placed_on: str | None = None
    notes: str | None = None
    new_site: bool = Field(False, description="the target is on a domain that is not one of your sites yet: start "
                           "monitoring it (`add --new-site`); without it such a target is refused with 422, as a "
                           "likely typo, unless no site of yours is stored or configured yet")


def _since(text: str | None) -> datetime | None:
    """`2026-09-15`, an ISO date and time, or `7d` / `12h` back from now."""
    if not text:
        return None
    if text[:-1].isdigit() and text[-1] in "dh":
        return datetime.now(UTC) - timedelta(**{"days" if text[-1] == "d" else "hours": int(text[:-1])})
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, "since: a date (2026-09-15), an ISO date and time, or 7d / 12h") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get("/links")
def list_links(request: Request, f: Annotated[LinkFilter, Depends(link_filter)], after: str = "",
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Backlinks matching the filters (`site`, `state` (repeatable), `tag`, `flag`, `q`, `sort`), one page."""
    try:
        items, cursor = backlink_page(state_of(request).engine, f, after or None, limit)
    except CursorError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"items": items, "next": cursor}


def _one(request: Request, link_id: int) -> dict[str, Any]:
    link = backlink_by_id(state_of(request).engine, link_id)
    if link is None:
        raise HTTPException(404, "no backlink with this id")
    return link


@router.get("/links/{link_id}")
def get_link(request: Request, link_id: int) -> dict[str, Any]:
    """One backlink with its latest checks (newest first), its events and its verdict in words."""
    engine = state_of(request).engine
    link = _one(request, link_id)
    checks = checks_of_backlink(engine, link_id)
    events = [e.to_json() for e in iter_events(engine, backlink_id=link_id, limit=500)]
    return {**link, "verdict_words": state_words(link["state"]),
            "verdict_reason": verdict_reason(link, checks[0] if checks else None), "checks": checks,
            "events": events}


@router.post("/links", status_code=201, responses={422: {
    "description": "a field is wrong, or the target is not one of your sites and `new_site` is not true",
    "content": {"application/json": {"example": {"error": NOT_A_SITE_EXAMPLE}}}}})
def create_link(request: Request, body: NewLink) -> JSONResponse:
    """Add a backlink (201), or update the one stored for this page and target (200), with `linkwatch add`'s
    rules: a target on a domain that is not one of your sites is refused (422) unless `new_site` is true."""
    web = state_of(request)
    try:
        item = link_input(body.model_dump(), "api")
    except FieldError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        link_id, verb = add_backlink(web.engine, web.settings, item, datetime.now(UTC), body.new_site)
    except NotASiteError as exc:
        raise HTTPException(422, exc.words(NEW_SITE_ALLOW)) from None
    return JSONResponse(_one(request, link_id) | {"result": verb}, status_code=201 if verb == "added" else 200)


@router.delete("/links/{link_id}")
def delete_link(request: Request, link_id: int) -> dict[str, Any]:
    """Stop monitoring a backlink: it goes with its checks and events."""
    if not remove_backlink(state_of(request).engine, link_id):
        raise HTTPException(404, "no backlink with this id")
    return {"id": link_id, "deleted": True}


@router.post("/links/{link_id}/recheck", status_code=202)
def recheck_link(request: Request, link_id: int) -> dict[str, Any]:
    """Queue a priority re-check: the next check cycle fetches this page first."""
    asked = state_of(request).recheck(link_id)
    if asked is None:
        raise HTTPException(404, "no backlink with this id")
    return {"id": link_id, "queued_at": asked.isoformat()}


@router.get("/events")
def list_events(request: Request, since: str = "", type: str = "", site: str = "",
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Events newest first (`since`, `type`, `site`), at most `limit`."""
    if type and type not in {t.value for t in EventType}:
        raise HTTPException(400, f"type: one of {', '.join(t.value for t in EventType)}")
    events = iter_events(state_of(request).engine, since=_since(since), event_type=type or None,
                         site=site or None, limit=limit)
    return {"items": [e.to_json() for e in events]}


@router.get("/reports/{kind}")
def get_report(request: Request, kind: str, site: str = "", since: str = "", period: str = "") -> dict[str, Any]:
    """One report as `linkwatch report KIND --json` prints it (`since` a date or 30d; or `period` in days)."""
    from monitor.reports import REPORTS
    from monitor.reports.common import jsonable
    from monitor.web.pages_misc import build_reports

    if kind not in REPORTS:
        raise HTTPException(404, f"no report {kind!r}: one of {', '.join(REPORTS)}")
    start = _since(since) if since else _since(f"{int(period)}d") if period.isdigit() else None
    report = build_reports(request, site or None, start, (kind,))[kind]
    data: dict[str, Any] = jsonable(report)
    data["report"] = kind
    return data
