"""Where `linkwatch serve` listens: one ASGI app under uvicorn, in a thread of serve's own process.

Why one process: the web pages, the JSON API, /metrics and /healthz read the same store and the
serve loop's state (leader, running cycle), and "Check now" wakes that loop; a second process would
need a second port and its own locking.  `build_asgi` sends /metrics, /healthz and /api/pending to
the WSGI apps that served them before (unchanged answers, through monitor.web.bridge) and everything
else to the FastAPI app (monitor.web.app).  `start_http` binds the socket itself, so a bad address
fails at once with an OSError and port 0 is known before serving starts.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

from monitor.config import parse_host_port
from monitor.service.intake import MAX_BODY, api_app
from monitor.service.loop import Service, http_app
from monitor.service.metrics import build_registry, metrics_app
from monitor.web.bridge import wsgi_endpoint

logger = logging.getLogger(__name__)

LEGACY_PATHS = frozenset({"/metrics", "/metrics/", "/healthz", "/healthz/", "/api/pending", "/api/pending/"})


def build_asgi(service: Service, host: str) -> Callable[..., Any]:
    """The whole HTTP surface of serve: the legacy endpoints and the web app, by path."""
    from monitor.web.app import create_app

    settings = service.settings
    metrics = metrics_app(build_registry(service.engine, settings), settings.api_token)
    legacy = wsgi_endpoint(http_app(service, api_app(service.engine, settings, metrics)), MAX_BODY)
    web = create_app(service.engine, settings, service=service, bind_host=host)

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "http" and scope["path"] in LEGACY_PATHS:
            await legacy(scope, receive, send)
        else:
            await web(scope, receive, send)

    return app


class WebServer:
    """uvicorn serving `app` on an already bound socket from a daemon thread; `stop()` ends it."""

    def __init__(self, app: Callable[..., Any], host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(128)
        except OSError:
            self.socket.close()
            raise
        self.host, self.port = host, self.socket.getsockname()[1]
        quiet = "debug" if logging.getLogger().getEffectiveLevel() <= logging.DEBUG else "warning"
        config = uvicorn.Config(app, log_level=quiet, access_log=False, lifespan="off", log_config=None,
                                proxy_headers=True, server_header=False, timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, name="http",
                                       daemon=True)
        self.thread.start()
        logger.debug("serving the web interface, /metrics and /healthz on http://%s:%d/", host, self.port)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


def start_http(service: Service, addr: str) -> WebServer:
    """Serve everything at `addr` (HOST:PORT; port 0 picks one) from a thread."""
    host, port = parse_host_port(addr, "--metrics-addr")
    return WebServer(build_asgi(service, host), host, port)
