"""POST /api/pending: the outreach intake, served over a real local HTTP server."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from sqlalchemy import select

from monitor.config import Settings, SiteConfig
from monitor.service.intake import api_app
from monitor.store import db
from monitor.store.models import Backlink

SETTINGS = Settings(api_token="s3cret", sites=(SiteConfig("acme.com"),))


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api(database_url: str) -> Iterator[tuple[str, object, list[Settings]]]:
    engine = db.connect(database_url)
    holder = [SETTINGS]

    def app(environ, start_response):
        return api_app(engine, holder[0])(environ, start_response)

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/pending", engine, holder
    server.shutdown()
    engine.dispose()


def post(url: str, body: object, token: str | None = "s3cret", method: str = "POST") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data if method == "POST" else None, method=method,
                                     headers={"Content-Type": "application/json"})
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


GOOD = {"source_url": "https://blog.example/post", "target": "https://acme.com/pricing", "anchor": "Acme pricing",
        "tags": ["guest-post"], "campaign": "spring"}


def test_adds_a_pending_link_once(api):
    url, engine, _ = api
    status, body = post(url, GOOD)
    assert status == 201 and body["created"] is True and body["state"] == "pending"
    status, again = post(url, GOOD)
    assert status == 200 and again["created"] is False and again["id"] == body["id"]
    with engine.connect() as conn:
        row = conn.execute(select(Backlink.state, Backlink.expected_anchor, Backlink.campaign, Backlink.tags,
                                  Backlink.origin)).one()
    assert tuple(row) == ("pending", "Acme pricing", "spring", ["guest-post"], "api")


@pytest.mark.parametrize("token, status", [(None, 401), ("wrong", 401), ("", 401)])
def test_refuses_without_the_token(api, token, status):
    url, engine, _ = api
    assert post(url, GOOD, token=token)[0] == status
    with engine.connect() as conn:
        assert conn.execute(select(Backlink.id)).first() is None


def test_refuses_when_no_token_is_configured(api):
    url, _, holder = api
    holder[0] = Settings(api_token=None)
    status, body = post(url, GOOD, token="anything")
    assert status == 403 and "api_token" in body["error"]


@pytest.mark.parametrize("body, status", [
    (b"not json", 400),
    ([1, 2], 400),
    ({"target": "acme.com"}, 400),
    ({**GOOD, "tags": "one"}, 400),
    ({**GOOD, "extra": 1}, 400),
    ({**GOOD, "source_url": "ftp://x.example/"}, 422),
    ({**GOOD, "target": "https://elsewhere.example/"}, 422),
    (b"x" * (64 * 1024 + 1), 413),
])
def test_validation(api, body, status):
    url, engine, _ = api
    assert post(url, body)[0] == status
    with engine.connect() as conn:
        assert conn.execute(select(Backlink.id)).first() is None


def test_other_methods_and_paths(api):
    url, _, _ = api
    assert post(url, GOOD, method="GET")[0] == 405
    assert post(url.replace("/api/pending", "/api/other"), GOOD)[0] == 404
