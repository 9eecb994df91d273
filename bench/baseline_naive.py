"""The typical user's alternative: a sequential requests + BeautifulSoup script.

Fetches farm pages one after the other (requests.Session, keep-alive), parses
each with BeautifulSoup's html.parser and looks for `<a href>` links to the
target, reading their rel.  Connects to 127.0.0.1 only (the farm's host name
goes in the Host header).  Bounded: stops after `--count` pages or `--max-seconds`.

    python -m bench.baseline_naive --port 8900 --count 300 [--max-seconds 60]

Prints one JSON object: pages, seconds, pages_per_second, cpu_seconds_per_page, states.
Reads no linkwatch settings.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import requests
from bs4 import BeautifulSoup

from bench.farm import DEFAULT_TARGET, page_host_path


def verdict(html: str, target: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    rels = []
    for anchor in soup.find_all("a", href=True):
        host = urlsplit(str(anchor["href"])).hostname or ""
        if host == target or host.endswith("." + target):
            rel = anchor.get("rel") or []
            rels.append({str(r).lower() for r in rel})
    if not rels:
        return "lost"
    return "live" if any(not ({"nofollow", "sponsored", "ugc"} & r) for r in rels) else "nofollow"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(port: int, count: int, max_seconds: float, domains: int = 1000, target: str = DEFAULT_TARGET,
        first: int = 0) -> dict[str, object]:
    session = requests.Session()
    states: Counter[str] = Counter()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    pages = 0
    for index in range(first, first + count):
        if time.perf_counter() - started > max_seconds:
            break
        host, path = page_host_path(index, domains)
        response = session.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host}, timeout=30)
        states[verdict(response.text, target) if response.ok else "error"] += 1
        pages += 1
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    return {"tool": "naive", "pages": pages, "seconds": round(seconds, 3),
            "pages_per_second": round(pages / seconds, 2), "cpu_seconds_per_page": round(cpu / max(pages, 1), 5),
            "states": dict(states)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sequential requests + BeautifulSoup reference point.")
    parser.add_argument("--port", type=int, required=True, help="the farm's port on 127.0.0.1")
    parser.add_argument("--count", type=int, default=300, help="pages to fetch at most")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="stop after this long")
    parser.add_argument("--first", type=int, default=0, help="first page number")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.port, args.count, args.max_seconds, first=args.first)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
