"""The outreach intake: `POST /api/pending` adds a link promised by outreach as `pending`.

Outreach tools call it when a publisher agrees to place a link; linkwatch then checks the page
until the link appears (`went_live`).  Invariants: idempotent per (source_url, target) (201
created, 200 already stored, values merged as an import would); nothing is written without the
bearer `api_token`, and with no token configured the endpoint is off (403).  `api_app(engine,
settings, fallback)` is a WSGI app serving this path and passing every other request to `fallback`
(the /metrics app in `linkwatch serve`); `handle_pending(...)` is the same logic without WSGI.  The
request and every answer: docs/reports.md, "POST /api/pending".

Reads Settings.api_token (LINKWATCH_API_TOKEN), Settings.sites.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from monitor.config import Settings
from monitor.core.targets import source_key
from monitor.store import db
from monitor.store.backlink_input import BacklinkInput, clean_tags, normalize_source, normalize_target
from monitor.store.models import Backlink
from monitor.store.sites import SiteResolver
from monitor.store.writer import upsert_backlinks

logger = logging.getLogger(__name__)

PATH = "/api/pending"
MAX_BODY = 64 * 1024
FIELDS = {"source_url", "target", "anchor", "tags", "campaign"}
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
STATUS_TEXT = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
               404: "Not Found", 405: "Method Not Allowed", 413: "Content Too Large", 422: "Unprocessable Content",
               500: "Internal Server Error"}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def authorize(settings: Settings, header: str | None) -> None:
    """Raise ApiError 403 when no token is configured, 401 when the bearer token is missing or wrong."""
    if not settings.api_token:
        raise ApiError(403, "the API is disabled: set api_token ([serve] api_token or LINKWATCH_API_TOKEN)")
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), settings.api_token.encode()):
        raise ApiError(401, "missing or wrong bearer token")


def parse_pending(body: bytes, settings: Settings) -> BacklinkInput:
    """The JSON body as a pending BacklinkInput. Raises ApiError 400/422."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(unknown)} (allowed: {', '.join(sorted(FIELDS))})")
    for name in ("source_url", "target"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ApiError(400, f"{name} is required (a string)")
    for name in ("anchor", "campaign"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ApiError(400, f"{name} must be a string")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ApiError(400, "tags must be a list of strings")
    try:
        source = normalize_source(data["source_url"])
        target, host = normalize_target(data["target"])
        cleaned = clean_tags(tags)
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    own = [s.domain for s in settings.sites if not s.competitor]
    if own and not any(host == d or host.endswith("." + d) for d in own):
        raise ApiError(422, f"target {target} is not on a monitored site ({', '.join(own)})")
    return BacklinkInput(source_url=source, target=target, target_host=host, anchor=data.get("anchor"),
                         tags=cleaned, campaign=data.get("campaign"), pending=True, origin="api")


def handle_pending(engine: Engine, settings: Settings, authorization: str | None, body: bytes) -> dict[str, Any]:
    """Authorize, validate and store one pending link. Returns the answer; raises ApiError."""
    authorize(settings, authorization)
    item = parse_pending(body, settings)
    now = datetime.now(UTC)
    with db.session(engine) as session:
        counts = upsert_backlinks(session, [item], SiteResolver(session, settings.sites), now)
        link = session.execute(select(Backlink.id, Backlink.state).where(
            Backlink.source_key == source_key(item.source_url), Backlink.target == item.target)).one()
    logger.info("api: pending link %s -> %s (%s)", item.source_url, item.target,
                "added" if counts.added else "already stored")
    return {"id": link.id, "source_url": item.source_url, "target": item.target, "state": link.state,
            "created": bool(counts.added)}


def _reply(start_response: Callable[..., Any], status: int, payload: dict[str, Any],
           extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = json.dumps(payload).encode() + b"\n"
    start_response(f"{status} {STATUS_TEXT.get(status, '')}".strip(),
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *(extra or [])])
    return [body]


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "bad Content-Length") from None
    if length > MAX_BODY:
        raise ApiError(413, f"body over {MAX_BODY} bytes")
    return environ["wsgi.input"].read(length) if length > 0 else b""


def api_app(engine: Engine, settings: Settings, fallback: WsgiApp | None = None) -> WsgiApp:
    """A WSGI app serving POST /api/pending, everything else to `fallback` (404 without one)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") != PATH:
            if fallback is not None:
                return fallback(environ, start_response)
            return _reply(start_response, 404, {"error": "not found"})
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                return _reply(start_response, 405, {"error": "use POST"}, [("Allow", "POST")])
            authorize(settings, environ.get("HTTP_AUTHORIZATION"))
            created = handle_pending(engine, settings, environ.get("HTTP_AUTHORIZATION"), _read_body(environ))
        except ApiError as exc:
            extra = [("WWW-Authenticate", 'Bearer realm="linkwatch"')] if exc.status == 401 else None
            return _reply(start_response, exc.status, {"error": str(exc)}, extra)
        except Exception:
            logger.exception("api: storing a pending link failed")
            return _reply(start_response, 500, {"error": "internal error (see the server log)"})
        return _reply(start_response, 201 if created["created"] else 200, created)

    return app
