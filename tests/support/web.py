"""The web tests' shared steps: a `serve` over a seeded store, `seeded(tmp_path, start, **env)` (`start` is the
`web_serve` fixture of tests/fixtures_web.py) and `call(served, path, ...)`, one HTTP request to it.  The
seeded live links have the anchor `FORMULA` (a spreadsheet formula) and the tag `+tag`; `api(served, path)`,
the API of a real serve as JSON; `crawled_store(site, start, count)`, a serve over crawled local pages."""

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
from tests.fixtures_web import Served, linkwatch, web_env
from tests.support.pages import TestSite
from tests.support.waiting import wait_for

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
        # last change: the lost ones 40 days ago (one time, so the cursor walks a tie), the live ones 2 days
        # ago, the gone ones never (NULL, after every dated one)
        for state, days in (("lost", 40), ("live", 2)):
            conn.execute(update(Backlink).where(Backlink.state == state)
                         .values(state_changed_at=NOW - dt.timedelta(days=days)))
        live = conn.execute(select(Backlink.id).where(Backlink.state == "live")).scalars()
        conn.execute(insert(BacklinkTag), [{"backlink_id": i, "tag": "+tag"} for i in live])
    store.engine.dispose()
    served = start(**extra)
    links: dict[str, list[int]] = {key: [] for key in made}
    token = extra.get("LINKWATCH_API_TOKEN", "")
    for item in call(served, "/api/v1/links?limit=1000", token=token)[1]["items"]:
        links[{"lost": "lost", "live": "new", "gone": "page_gone"}[item["state"]]].append(item["id"])
    return served, links

HOSTILE = '<img src=x onerror=alert(1)>'
PAGE = '<html><body><a href="https://mysite.com/">{anchor}</a><a href="javascript:alert(2)">x</a></body></html>'


def api(served: Served, path: str, token: str | None = None, method: str = "GET") -> tuple[int, Any]:
    request = urllib.request.Request(served.base + path, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def crawled_store(site: TestSite, start: Callable[..., Served], count: int, **extra: str) -> Served:
    """A serve whose store holds `count` backlinks on local pages (one hostile anchor), all checked once."""
    site.set_page("/hostile", PAGE.format(anchor=HOSTILE.replace("<", "&lt;").replace(">", "&gt;")))
    for i in range(count - 1):
        site.set_page(f"/p{i}", PAGE.format(anchor=f"anchor {i}") if i % 3 else "<html><body>none</body></html>")
    served = start(**extra)
    rows = "source_url,target\n" + "".join(f"{site.url(f'/p{i}')},mysite.com\n" for i in range(count - 1))
    csv_file = Path(served.env["HOME"]) / "links.csv"
    csv_file.write_text(rows + f"{site.url('/hostile')},mysite.com\n")
    linkwatch(served.env, "import", str(csv_file))
    token = extra.get("LINKWATCH_API_TOKEN")
    wait_for(lambda: all(item["last_checked"] for item in api(served, "/api/v1/links?limit=1000", token)[1]["items"]),
             "every backlink checked")
    return served
