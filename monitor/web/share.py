"""Read-only share links for clients: `/share/{key}/` (one site's overview) and `/share/{key}/report`.

A key is `SITE_ID-GENERATION-MAC`: an HMAC of the site id and its `share_generation` under a key derived
from `api_token` (another derivation than the session cookie's), so a key opens that one site and nothing
else, and is refused once tampered with.  Revoking bumps the site's generation: every link given out before
stops working, and the new one differs.  Without `api_token` there are no share links (`serve` then only
answers loopback requests, which a client cannot make).  docs/ui.md, "Share links".
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from monitor.store.models import Site
from monitor.web import access
from monitor.web.app import state_of
from monitor.web.overview import overview

router = APIRouter(include_in_schema=False)
actions = APIRouter(dependencies=[Depends(access.csrf_guard)], include_in_schema=False)

REFUSED = "This share link is not valid: it was mistyped or has been revoked."


def _mac(token: str, site_id: int, generation: int) -> str:
    key = hashlib.sha256(b"linkwatch share link\0" + token.encode()).digest()
    return hmac.new(key, f"{site_id}.{generation}".encode(), "sha256").hexdigest()[:32]


def share_key(token: str, site_id: int, generation: int) -> str:
    return f"{site_id}-{generation}-{_mac(token, site_id, generation)}"


def share_keys(engine: Engine, token: str | None) -> dict[str, str]:
    """Site domain -> its current share key (none without a token)."""
    if not token:
        return {}
    with Session(engine) as session:
        rows = session.execute(select(Site.domain, Site.id, Site.share_generation)).all()
    return {domain: share_key(token, site_id, generation or 0) for domain, site_id, generation in rows}


def site_of_key(request: Request, key: str) -> Site:
    """The site a share key opens; 404 for a wrong, tampered or revoked key, or without a token."""
    web = state_of(request)
    token = web.settings.api_token
    parts = key.split("-")
    if not token or len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise HTTPException(404, REFUSED)
    site_id, generation = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2].encode(), _mac(token, site_id, generation).encode()):
        raise HTTPException(404, REFUSED)
    with Session(web.engine) as session:
        site = session.get(Site, site_id)
    if site is None or (site.share_generation or 0) != generation:
        raise HTTPException(404, REFUSED)
    return site


def _private(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/share/{key}/")
def shared_overview(request: Request, key: str) -> Response:
    web = state_of(request)
    site = site_of_key(request, key)
    figures: Any = next(s for s in overview(web.engine, datetime.now(UTC))["sites"] if s.domain == site.domain)
    return _private(web.render(request, "share.html", {"s": figures, "key": key}))


@router.get("/share/{key}/report")
def shared_report(request: Request, key: str, period: str = "30") -> Response:
    from monitor.web.pages_misc import report_view

    site = site_of_key(request, key)
    return _private(report_view(request, site.domain, period))


@actions.post("/share/revoke")
def revoke(request: Request, site: Annotated[str, Form()] = "") -> Response:
    """Give the site a new share link: the one given out before stops working."""
    with state_of(request).engine.begin() as conn:
        changed = conn.execute(update(Site).where(Site.domain == site)
                               .values(share_generation=Site.share_generation + 1)).rowcount
    if not changed:
        raise HTTPException(400, "site: not a stored site")
    return RedirectResponse(f"/?site={quote(site, safe='')}&revoked=1#share", status_code=303)
