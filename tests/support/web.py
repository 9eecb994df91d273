"""The web tests' shared steps: the API of a real serve as JSON (`api`) and a serve over crawled local pages
(`crawled_store`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fixtures_web import Served, linkwatch
from tests.support.pages import TestSite
from tests.support.waiting import wait_for

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
