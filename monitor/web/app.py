"""The FastAPI app of `linkwatch serve`: server-rendered pages (Jinja2) and the JSON API v1.

`create_app(engine, settings, service=None, bind_host=...)` builds it; the pages live in
monitor/web/pages_*.py, the API in monitor/web/api.py, access rules (login, CSRF, security headers)
in monitor/web/access.py.  Route handlers are plain `def`s: FastAPI runs them in worker threads, so a
database read never blocks the event loop.  Pages and routes: docs/ui.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.config import VERSION, Settings
from monitor.web.format import FILTERS

HERE = Path(__file__).parent


def make_templates() -> Jinja2Templates:
    """Jinja2 with auto-escaping on for every template, and the formatting filters."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    return Jinja2Templates(env=env)


class WebState:
    """What every request handler needs: the store, the settings, the serve loop (None in tests)."""

    def __init__(self, engine: Engine, settings: Settings, service: Any, bind_host: str) -> None:
        self.engine = engine
        self.settings = settings
        self.service = service
        self.bind_host = bind_host
        self.templates = make_templates()

    def recheck(self, link_id: int) -> datetime | None:
        """Queue a priority re-check of a backlink and wake the serve loop: when it was asked, None if no link."""
        from monitor.web.actions import queue_recheck

        now = datetime.now(UTC)
        if not queue_recheck(self.engine, link_id, now):
            return None
        wake = getattr(self.service, "wake", None)
        if wake is not None:
            wake()
        return now

    def render(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        base = {"version": VERSION, "csrf": getattr(request.state, "csrf", ""), "path": request.url.path,
                "signed_in": getattr(request.state, "signed_in", False), "login_needed": bool(self.settings.api_token)}
        return self.templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def state_of(request: Request) -> WebState:
    return request.app.state.web


def create_app(engine: Engine, settings: Settings, service: Any = None, bind_host: str = "127.0.0.1") -> FastAPI:
    """The web app over `engine`; `service` (the serve loop) is woken by Check now when given."""
    from monitor.web import access, api, pages_links, pages_misc, pages_overview, share

    app = FastAPI(title="linkwatch API", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.state.web = WebState(engine, settings, service, bind_host)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (pages_overview, pages_links, pages_misc, api, share):
        app.include_router(module.router)
    app.include_router(share.actions)
    access.install(app, settings, bind_host)
    install_errors(app)
    return app


def install_errors(app: FastAPI) -> None:
    """Errors in plain words: `{"error": ...}` from the API, a short page elsewhere; never a traceback."""

    def answer(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        return state_of(request).render(request, "error.html", {"status": status, "message": message},
                                        status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "not found" if exc.status_code == 404 else "error"
        return answer(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return answer(request, 422 if request.url.path.startswith("/api/") else 400,
                      f"{where}: {first.get('msg', 'not valid')}")
