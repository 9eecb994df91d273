"""Server time of the web pages on a large store (seed it with `bench.seed --spread`).

Each request goes straight into the ASGI app that `serve` runs (monitor.web.app.create_app) as a loopback
client, with no socket: what is timed is the server's work, from the request to the last byte of the
answer (routing, access rules, the queries, the template).  Every path is asked once to warm up, then
`--repeat` times; we report p50 and p95 in milliseconds.  Page 50 is reached by following the `next`
cursor of 49 pages, as a user clicking "Next page" would, and then timed alone.  The Reports page, its
report (every report of `--site`, in the page's frame) and the reclaim and velocity reports as JSON are
timed too (on a `bench.seed_reports` store, `--site acme.com`).

    python -m bench.web --url sqlite:///web-1m.db [--repeat 30] [--name web-1m] [--site acme.com]

Reads no linkwatch settings (the defaults are used; the URL is given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from bench.farm import DEFAULT_TARGET
from monitor.config import Settings
from monitor.store import db
from monitor.store.models import Backlink
from monitor.web.app import create_app

RESULTS = Path(__file__).resolve().parent / "results"


async def _get(app: Any, target: str) -> tuple[int, bytes]:
    """One GET through the ASGI app, as 127.0.0.1 naming 127.0.0.1: (status, body)."""
    parts = urlsplit(target)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": parts.path, "raw_path": parts.path.encode(), "query_string": parts.query.encode(),
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
             "root_path": ""}
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


async def _timed(app: Any, target: str, repeat: int) -> dict[str, float]:
    status, body = await _get(app, target)
    if status != 200:
        raise SystemExit(f"{target}: HTTP {status}: {body[:200]!r}")
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await _get(app, target)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1), "bytes": len(body)}


async def _page_50(app: Any, query: str) -> str:
    """The /links URL of page 50 of `query`, reached through 49 `next` cursors of the API."""
    after = ""
    for _ in range(49):
        status, body = await _get(app, f"/api/v1/links?{query}&limit=50&after={quote(after, safe='')}")
        after = json.loads(body)["next"]
        if status != 200 or after is None:
            raise SystemExit(f"fewer than 50 pages of {query}")
    return f"/links?{query}&after={quote(after, safe='')}"


async def run(url: str, repeat: int, site: str = DEFAULT_TARGET) -> dict[str, Any]:
    engine = db.connect(url)
    app = create_app(engine, Settings(database_url=url), None, "127.0.0.1")
    with engine.connect() as conn:
        count = conn.scalar(select(Backlink.id).order_by(Backlink.id.desc()).limit(1)) or 0
    paths = {
        "overview": "/",
        "links, first page": "/links",
        "links, first page by last change": "/links?sort=changed",
        "links, filtered (site, lost, by traffic)": f"/links?site={DEFAULT_TARGET}&state=lost&sort=traffic",
        "links, filtered (text search)": "/links?q=site0042",
        "links, filtered (text search, no match)": "/links?q=no-such-text",
        "links, filtered (text search, every row matches)": "/links?q=farm.test",
        "links, filtered (text search, an anchor of a quarter of the rows)": "/links?q=click+here",
        "links, filtered (site, text search, by traffic)": f"/links?site={DEFAULT_TARGET}&q=site0042&sort=traffic",
        "links, filtered (text search of 2 characters, no match: every row read)": "/links?q=zq",
        "links, page 50": await _page_50(app, "sort=newest"),
        "links, page 50 by last change": await _page_50(app, "sort=changed"),
        "a link": f"/links/{count // 2}",
        "reports page": f"/reports?site={site}",
        "the report, everything (every report)": f"/reports/view?site={site}&period=",
        "the report, last 30 days (every report)": f"/reports/view?site={site}&period=30",
        "reclaim as JSON": f"/api/v1/reports/reclaim?site={site}",
        "velocity as JSON": f"/api/v1/reports/velocity?site={site}",
    }
    results = {}
    for name, path in paths.items():
        results[name] = await _timed(app, path, repeat)
        print(f"{name}: {results[name]}", flush=True)
    engine.dispose()
    return {"backlinks": count, "repeat": repeat, "load": list(os.getloadavg()), "results": results}


def markdown(name: str, figures: dict[str, Any]) -> str:
    rows = "".join(f"| {page} | {r['p50_ms']} | {r['p95_ms']} | {r['bytes']:,} |\n"
                   for page, r in figures["results"].items())
    load = ", ".join(f"{x:.1f}" for x in figures["load"])
    return (f"# {name}: server time of the web pages, {figures['backlinks']:,} backlinks\n\n"
            f"`python -m bench.web`, {figures['repeat']} requests per page after one warm-up; load average "
            f"{load}.\n\n| page | p50 ms | p95 ms | answer bytes |\n| --- | --- | --- | --- |\n{rows}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the web pages' server work on a seeded database.")
    parser.add_argument("--url", required=True, help="database URL (sqlite:///... or postgresql+psycopg://...)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--name", default="web", help="results file name (bench/results/NAME.json and .md)")
    parser.add_argument("--site", default=DEFAULT_TARGET, help="the site of the report pages")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.url, args.repeat, args.site))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(figures, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(markdown(args.name, figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
