"""The Overview page `/` and signing in and out (`/login`, `/logout`)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from monitor.core.human import event_words
from monitor.core.types import Event
from monitor.store.listing import backlinks_by_ids, iter_events, site_filter_domains
from monitor.store.sites import site_domains
from monitor.web import access
from monitor.web.app import state_of
from monitor.web.format import with_page_flags
from monitor.web.overview import overview

router = APIRouter(dependencies=[Depends(access.csrf_guard)], include_in_schema=False)


@router.get("/")
def overview_page(request: Request, site: str = "", revoked: str = "") -> Response:
    from monitor.web.share import share_keys

    web = state_of(request)
    figures = overview(web.engine, datetime.now(UTC))
    all_sites = figures["sites"]
    shown = [s for s in all_sites if not site or s.domain in site_filter_domains(site)]
    events = flagged_events(web.engine, iter_events(web.engine, site=site or None, limit=15))
    return web.render(request, "overview.html", {
        "all_sites": all_sites, "sites": shown, "site": site, "run": figures["last_run"], "due": figures["due"],
        "overdue": figures["overdue"], "next_due": figures["next_due"], "events": events,
        "event_words": event_words, "revoked": bool(revoked),
        "share": share_keys(web.engine, web.settings.api_token) if request.state.signed_in else {},
        "base_url": str(request.base_url).rstrip("/")})


def flagged_events(engine: Engine, events: Iterable[Event]) -> list[dict[str, Any]]:
    """Events as the lists of changes show them: JSON with `backlink_id` and `page_flags` (format.with_page_flags),
    their links read in one query."""
    rows = [e.to_json() | {"backlink_id": e.backlink_id} for e in events]
    return with_page_flags(rows, backlinks_by_ids(engine, [r["backlink_id"] for r in rows if r["backlink_id"]]))


def site_names(request: Request) -> list[str]:
    """Every stored site's domain, for the site selectors."""
    return site_domains(state_of(request).engine)


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return state_of(request).render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    web = state_of(request)
    expected = web.settings.api_token
    if not expected:
        return RedirectResponse("/", status_code=303)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return web.render(request, "login.html", {"next": _safe_next(next), "error": "That token is not right."},
                          status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    access.set_cookie(response, request, access.SESSION_COOKIE, access.session_value(expected),
                      access.SESSION_SECONDS)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(access.SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=access.is_secure(request))
    return response
