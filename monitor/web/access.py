"""Who may use the web interface and the API, and what protects a browser using it.

- With `api_token` set: the API wants `Authorization: Bearer <token>` (a signed-in browser may also
  read it, never write); the pages want the session cookie set by the login form (HttpOnly,
  SameSite=Strict, Secure behind https), signed with a key derived from the token, so changing the
  token signs everyone out.
- Without a token: only on a loopback address, and only to requests naming a loopback host (a page
  elsewhere cannot reach it by pointing its own name at 127.0.0.1).
- A state-changing request from another origin is refused before anything runs; every form carries a
  CSRF token equal to the `lw_csrf` cookie (double submit; the cookie is SameSite=Strict).
- Every answer carries a Content-Security-Policy without 'unsafe-inline', nosniff, and no referrer to other sites.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from monitor.config import Settings, is_loopback_host

SESSION_COOKIE = "lw_session"
CSRF_COOKIE = "lw_csrf"
SESSION_SECONDS = 14 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PREFIXES = ("/login", "/static/", "/share/")  # a share link checks its own signature (monitor.web.share)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _key(token: str) -> bytes:
    return hashlib.sha256(b"linkwatch web session\0" + token.encode()).digest()


def session_value(token: str, now: float | None = None) -> str:
    """A session cookie value: its expiry and an HMAC of it under the token's key."""
    expires = str(int((now or time.time()) + SESSION_SECONDS))
    return f"{expires}.{hmac.new(_key(token), expires.encode(), 'sha256').hexdigest()}"


def session_valid(token: str, value: str | None, now: float | None = None) -> bool:
    expires, _, mac = (value or "").partition(".")
    if not expires.isdigit() or int(expires) < (now or time.time()):
        return False
    return hmac.compare_digest(mac, hmac.new(_key(token), expires.encode(), "sha256").hexdigest())


def bearer_ok(token: str, header: str | None) -> bool:
    return hmac.compare_digest((header or "").encode(), f"Bearer {token}".encode())


def host_name(header: str) -> str:
    """The host of a Host header: `[::1]:80` -> `::1`, `localhost:9477` -> `localhost`."""
    if header.startswith("["):
        return header[1:].split("]")[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_is_loopback(request: Request) -> bool:
    """Whether the Host header names this machine (DNS rebinding defence when there is no token)."""
    host = host_name(request.headers.get("host") or "").lower()
    return host in LOOPBACK_NAMES or host.startswith("127.")


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another origin (Sec-Fetch-Site, else Origin)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=is_secure(request))


def check_csrf(request: Request, given: str | None) -> None:
    """Raise 403 unless the form's CSRF token equals the cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise HTTPException(403, "This form has expired or came from another site. Reload the page and try again.")


async def csrf_guard(request: Request) -> None:
    """A router dependency: every state-changing form request carries a matching CSRF token."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    given = form.get("csrf")
    check_csrf(request, given if isinstance(given, str) else None)


def _refusal(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        headers = {"WWW-Authenticate": 'Bearer realm="linkwatch"'} if status == 401 else None
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return PlainTextResponse(message + "\n", status_code=status)


def _decide(request: Request, settings: Settings, bind_host: str) -> Response | None:
    """A refusal for this request, or None to let it through (setting request.state.signed_in)."""
    token = settings.api_token
    path, method = request.url.path, request.method
    request.state.signed_in = bool(token) and session_valid(token or "", request.cookies.get(SESSION_COOKIE))
    if not token:
        if not is_loopback_host(bind_host):
            return _refusal(request, 403, "the web interface and API need LINKWATCH_API_TOKEN on a non-loopback "
                                          "address")
        if not host_is_loopback(request):
            return _refusal(request, 403, "this address is only served to requests for localhost")
    if method not in SAFE_METHODS and not same_origin(request):
        return _refusal(request, 403, "refused: a request from another site")
    if not token or path.startswith(OPEN_PREFIXES):
        return None
    if path.startswith("/api/"):
        if bearer_ok(token, request.headers.get("authorization")):
            return None
        if request.state.signed_in and method in SAFE_METHODS:
            return None
        return _refusal(request, 401, "missing or wrong bearer token")
    if request.state.signed_in:
        return None
    if method in SAFE_METHODS:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return _refusal(request, 401, "sign in first")


def install(app: FastAPI, settings: Settings, bind_host: str) -> None:
    """Add the access rules and the security headers to every request of `app`."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Response:
        csrf = request.cookies.get(CSRF_COOKIE)
        request.state.csrf = csrf or secrets.token_urlsafe(32)
        response: Response = _decide(request, settings, bind_host) or await call_next(request)
        if not csrf:
            set_cookie(response, request, CSRF_COOKIE, request.state.csrf, None)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.url.path.startswith(("/api/", "/links", "/events", "/alerts", "/login")) or \
                request.url.path == "/":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
