"""A `serve` over a seeded store for the web interface tests: `seeded(tmp_path, start, **env)` (`start` is the
`web_serve` fixture of tests/fixtures_web.py) and `call(served, path, ...)`, one HTTP request to it.  The
seeded live links have the anchor `FORMULA` (a spreadsheet formula) and the tag `+tag`."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from monitor.store.models import Backlink, BacklinkTag
from tests.fixtures_alerts import AlertStore
from tests.fixtures_web import Served, web_env

FORMULA = "=cmd|' /C calc'!A0"
NOW = dt.datetime.now(dt.UTC)


def call(served: Served, path: str, method: str = "GET", body: Any = None, token: str = "") -> tuple[int, Any, str]:
    """(status, JSON or None, text) of one request (with `token` as the bearer token when given)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    request = urllib.request.Request(served.base + path, method=method, data=data,
                                     headers=headers | ({"Authorization": f"Bearer {token}"} if token else {}))
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text), text
    except ValueError:
        return status, None, text


def seeded(tmp_path: Path, start: Callable[..., Served], **extra: str) -> tuple[Served, dict[str, list[int]]]:
    """A serve over: 3 lost (acme.example, 40 days ago), 4 live with a formula anchor and tag `+tag`
    (acme.example, 2 days ago), 2 page_gone (other.example, today); none due."""
    store = AlertStore(web_env(tmp_path)["LINKWATCH_DATABASE_URL"])
    made = {"lost": store.add_events(3, "lost", "acme.example", at=NOW - dt.timedelta(days=40)),
            "new": store.add_events(4, "new", "acme.example", tags=["+tag"], anchor=FORMULA,
                                    traffic=[10.0, 500.0, 20.0, None], at=NOW - dt.timedelta(days=2)),
            "page_gone": store.add_events(2, "page_gone", "other.example", anchor="gone page")}
    with store.engine.begin() as conn:
        conn.execute(update(Backlink).values(next_due_at=NOW + dt.timedelta(days=30)))
        conn.execute(update(Backlink).where(Backlink.state == "new").values(state="live", follow=True))
        conn.execute(update(Backlink).where(Backlink.state == "page_gone").values(state="gone"))
        live = conn.execute(select(Backlink.id).where(Backlink.state == "live")).scalars()
        conn.execute(insert(BacklinkTag), [{"backlink_id": i, "tag": "+tag"} for i in live])
    store.engine.dispose()
    served = start(**extra)
    links: dict[str, list[int]] = {key: [] for key in made}
    token = extra.get("LINKWATCH_API_TOKEN", "")
    for item in call(served, "/api/v1/links?limit=1000", token=token)[1]["items"]:
        links[{"lost": "lost", "live": "new", "gone": "page_gone"}[item["state"]]].append(item["id"])
    return served, links
