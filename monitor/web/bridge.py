"""Serving the existing WSGI endpoints (/metrics, /healthz, POST /api/pending) inside the ASGI app.

Why: those endpoints keep their exact answers (status, headers, bodies, bearer rules) by running the
very WSGI apps that served them before, in a worker thread, instead of being written twice.  Only
plain request/response is needed: the body is read whole (at most `max_body` + 1 bytes, so the WSGI
app itself still answers 413 past its limit).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

from anyio import to_thread

WsgiApp = Callable[..., Iterable[bytes]]
Scope = dict[str, Any]


def environ_of(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP request."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": "", "PATH_INFO": scope["path"],
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"), "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]), "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0], "CONTENT_LENGTH": str(len(body)), "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"), "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name, value = raw_name.decode("latin-1").upper().replace("-", "_"), raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":  # the body as read is what counts
            continue
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _call(app: WsgiApp, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        answer["status"], answer["headers"] = int(status.split()[0]), headers
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer["headers"]]
    return answer["status"], headers, body


def wsgi_endpoint(app: WsgiApp, max_body: int) -> Callable[..., Any]:
    """An ASGI app that runs the WSGI `app` in a worker thread for each request."""

    async def endpoint(scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        body = bytearray()
        more = True
        while more and len(body) <= max_body:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status, headers, payload = await to_thread.run_sync(_call, app, environ_of(scope, bytes(body)))
        if not any(k == b"content-length" for k, _ in headers):
            headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return endpoint
