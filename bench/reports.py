"""Time every report and the due-selection queries on a seeded database (bench/seed_reports.py).

Each report function of monitor.reports runs as `linkwatch report NAME` calls it,
twice: over the whole profile (velocity and domains over their default 90-day
window) and with `--since` 30 days; then the scheduler's due selection at the
seed's NOW: the first batch of `iter_due_jobs` (what one step of a run reads),
the whole walk (every due backlink, as a run reads them), `due_count` and
`next_due_time` (what `serve` asks).  Best of `--repeat` runs
after one warm-up, in milliseconds of wall time and of this process's CPU time; a table on stdout and
`bench/results/NAME.json` (default `reports-1m`) with the machine and its load.

    python -m bench.reports --url sqlite:///reports-1m.db [--repeat 5] [--name reports-1m]

Reads no linkwatch settings (the URL is given; the site settings are the seed's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.seed_reports import BRAND_TERMS, KEYWORDS, NOW
from monitor.config import Settings, SiteConfig
from monitor.crawl import scheduler
from monitor.reports import REPORTS
from monitor.store import db

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = 200.0
WINDOWED = ("velocity", "domains")  # reports whose default is "the last 90 days"


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, sites=(SiteConfig("acme.com", brand_terms=BRAND_TERMS, keywords=KEYWORDS),
                                             SiteConfig("rival.com", competitor=True)))


def report_calls(engine: Engine, settings: Settings) -> dict[str, Callable[[], Any]]:
    calls: dict[str, Callable[[], Any]] = {}
    for name, report in REPORTS.items():
        extra = {"now": NOW} if name == "outreach" else {}
        default = NOW - timedelta(days=90) if name in WINDOWED else None
        for label, since in ((name, default), (f"{name} --since 30d", NOW - timedelta(days=30))):
            calls[label] = (lambda report=report, since=since, extra=extra:
                            report(engine, "acme.com", since, settings, **extra))
    return calls


def due_calls(engine: Engine, settings: Settings) -> dict[str, Callable[[], Any]]:
    def first_batch() -> int:
        return len(list(islice(scheduler.iter_due_jobs(engine, settings, NOW), settings.batch_size - 1)))

    def whole_walk() -> int:
        return sum(len(job.backlink_ids) for job in scheduler.iter_due_jobs(engine, settings, NOW))

    return {f"due: first batch ({settings.batch_size})": first_batch,
            "due: whole walk (every due backlink)": whole_walk,
            "due: due_count": lambda: scheduler.due_count(engine, NOW),
            "due: next_due_time": lambda: scheduler.next_due_time(engine)}


def best_of(function: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Wall ms (best and median) and this process's CPU ms (best: on SQLite the queries run in-process, so
    that is the query's cost whatever else the machine runs; on PostgreSQL only the client's share)."""
    function()  # warm-up: caches, lazy imports
    samples, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {"best_ms": round(min(samples), 1), "median_ms": round(statistics.median(samples), 1),
            "cpu_ms": round(min(cpu), 1)}


def machine() -> dict[str, Any]:
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the reports and due selection on a seeded database.")
    parser.add_argument("--url", required=True, help="database URL seeded by bench.seed_reports")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (best of them is kept)")
    parser.add_argument("--name", default="reports-1m", help="results file: bench/results/NAME.json")
    parser.add_argument("--only", nargs="*", help="time only the queries whose label starts with one of these")
    args = parser.parse_args(argv)
    engine = db.connect(args.url)
    settings = settings_for(args.url)
    with engine.connect() as conn:
        backlinks = conn.execute(text("SELECT count(*) FROM backlinks")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    calls = {**report_calls(engine, settings), **due_calls(engine, settings)}
    if args.only:
        calls = {label: call for label, call in calls.items() if label.startswith(tuple(args.only))}
    info = {"database": engine.dialect.name, "backlinks": backlinks, "events": events, "machine": machine()}
    print(f"{info['database']}: {backlinks} backlinks, {events} events; load {info['machine']['load_average']}")
    results: dict[str, dict[str, float]] = {}
    for label, call in calls.items():
        results[label] = best_of(call, args.repeat)
        flag = "" if results[label]["best_ms"] < TARGET_MS else f"  over {TARGET_MS:g} ms"
        print(f"{label:38s} {results[label]['best_ms']:9.1f} ms  (median {results[label]['median_ms']:.1f}, "
              f"CPU {results[label]['cpu_ms']:.1f}){flag}", flush=True)
    info["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps({**info, "repeat": args.repeat, "results": results},
                                                          indent=1) + "\n")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
