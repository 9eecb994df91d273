"""Time the due-selection and report queries on a large database (seed it with `bench.seed --spread`).

Each query runs `--repeat` times after one warm-up; we report the median and the
worst in milliseconds.  Due selection is timed per batch query (what one step
of `iter_due_jobs` costs: the first page of due jobs) and for the whole walk
(every due backlink of the million, as a run would read them).  Reports are
timed as the CLI calls them (monitor.reports.*), and so is the /metrics collector.

    python -m bench.queries --url sqlite:///bench-1m.db [--repeat 5] [--name queries-1m]

Reads no linkwatch settings (the defaults are used; the URL is given).
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from monitor.config import Settings
from monitor.store import db

RESULTS = Path(__file__).resolve().parent / "results"
REPORTS = ("anchors", "domains", "gap", "outreach", "ratio", "reclaim", "traffic", "velocity")


def timed(function: Callable[[], Any], repeat: int) -> dict[str, float]:
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def scheduler_queries(engine: Engine, settings: Settings, now: datetime) -> dict[str, Callable[[], Any]]:
    from monitor.crawl import scheduler

    def first_batch() -> Any:
        return list(islice(scheduler.iter_due_jobs(engine, settings, now), settings.batch_size - 1))

    def whole_walk() -> Any:
        return sum(1 for _ in scheduler.iter_due_jobs(engine, settings, now))

    return {"due: count": lambda: scheduler.due_count(engine, now),
            "due: next due time": lambda: scheduler.next_due_time(engine),
            f"due: first batch ({settings.batch_size} rows)": first_batch,
            "due: whole walk (every due backlink)": whole_walk}


def report_queries(engine: Engine, settings: Settings, now: datetime) -> dict[str, Callable[[], Any]]:
    queries: dict[str, Callable[[], Any]] = {}
    since = now - timedelta(days=90)
    for name in REPORTS:
        try:
            module = importlib.import_module(f"monitor.reports.{name}")
        except ImportError:
            continue
        report = getattr(module, f"{name}_report")
        queries[f"report: {name}"] = lambda report=report: report(engine, None, since, settings)
    try:
        from monitor.service.metrics import LinkwatchCollector
    except ImportError:
        return queries
    collector = LinkwatchCollector(engine)
    queries["metrics: /metrics collect"] = lambda: list(collector.collect())
    return queries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time due-selection and report queries.")
    parser.add_argument("--url", required=True, help="database URL of a seeded database")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--name", default="queries", help="results file name (bench/results/NAME.json)")
    parser.add_argument("--skip-walk", action="store_true", help="skip timing the whole due walk")
    args = parser.parse_args(argv)
    engine = db.connect(args.url)
    settings = Settings(database_url=args.url)
    now = datetime.now(UTC)
    queries = {**scheduler_queries(engine, settings, now), **report_queries(engine, settings, now)}
    results = {}
    for name, function in queries.items():
        if args.skip_walk and "whole walk" in name:
            continue
        try:
            results[name] = timed(function, 1 if "whole walk" in name else args.repeat)
        except Exception as exc:  # a report that cannot run on this data: say so, go on
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
        print(f"{name}: {results[name]}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps({"url": args.url.rsplit("/", 1)[-1],
                                                           "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
