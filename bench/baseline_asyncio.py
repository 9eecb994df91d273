"""The near-physical limit: a minimal asyncio fetch-and-parse loop with linkwatch's own parser.

aiohttp fetches farm pages with N concurrent tasks (one connection pool per host,
host names resolved to 127.0.0.1 by a fixed resolver, as linkwatch's `resolve`
override does), and every page goes through the same decoding and extraction as
linkwatch (`crawler.encoding.decode_html`, `crawler.extract.extract_page`,
selectolax's Lexbor parser).  No robots.txt, no politeness, no database: what is
left is the fetch and the parse.  Bounded by `--count` and `--max-seconds`.

    python -m bench.baseline_asyncio --port 8900 --count 2000 [--concurrency 64]

Prints one JSON object: pages, seconds, pages_per_second, cpu_seconds_per_page, states.
Reads no linkwatch settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver

from bench.baseline_naive import cpu_seconds
from bench.farm import DEFAULT_TARGET, page_host_path
from crawler.encoding import decode_html
from crawler.extract import extract_page
from monitor.core.targets import Target, parse_target


class LoopbackResolver(AbstractResolver):
    """Every host name resolves to 127.0.0.1."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        return None


def verdict(body: bytes, content_type: str | None, url: str, targets: list[Target]) -> str:
    html, _encoding = decode_html(body, content_type)
    page = extract_page(html, url, targets)
    if not page.links:
        return "lost"
    return "live" if any(link.follow for link in page.links) else "nofollow"


async def _worker(queue: asyncio.Queue[int], session: aiohttp.ClientSession, port: int, domains: int,
                  targets: list[Target], states: Counter[str], deadline: float) -> None:
    while time.perf_counter() < deadline:
        try:
            index = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        host, path = page_host_path(index, domains)
        url = f"http://{host}:{port}{path}"
        try:
            async with session.get(url) as response:
                body = await response.read()
                ok = response.status == 200
                content_type = response.headers.get("Content-Type")
        except aiohttp.ClientError:
            states["error"] += 1
            continue
        states[verdict(body, content_type, url, targets) if ok else "error"] += 1


async def crawl(port: int, count: int, concurrency: int, max_seconds: float, domains: int, target: str,
                first: int) -> Counter[str]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(first, first + count):
        queue.put_nowait(index)
    states: Counter[str] = Counter()
    targets = [parse_target(target)]
    connector = aiohttp.TCPConnector(limit=concurrency, resolver=LoopbackResolver())
    deadline = time.perf_counter() + max_seconds
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(_worker(queue, session, port, domains, targets, states, deadline)
                               for _ in range(concurrency)))
    return states


def run(port: int, count: int, concurrency: int, max_seconds: float, domains: int = 1000,
        target: str = DEFAULT_TARGET, first: int = 0) -> dict[str, object]:
    started, cpu_started = time.perf_counter(), cpu_seconds()
    states = asyncio.run(crawl(port, count, concurrency, max_seconds, domains, target, first))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    pages = sum(states.values())
    return {"tool": "asyncio", "pages": pages, "seconds": round(seconds, 3), "concurrency": concurrency,
            "pages_per_second": round(pages / seconds, 2), "cpu_seconds_per_page": round(cpu / max(pages, 1), 5),
            "states": dict(states)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Minimal asyncio fetch-and-parse loop (aiohttp + linkwatch's parser).")
    parser.add_argument("--port", type=int, required=True, help="the farm's port on 127.0.0.1")
    parser.add_argument("--count", type=int, default=2000, help="pages to fetch")
    parser.add_argument("--concurrency", type=int, default=64, help="concurrent requests")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="stop after this long")
    parser.add_argument("--first", type=int, default=0, help="first page number")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.port, args.count, args.concurrency, args.max_seconds, first=args.first)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
