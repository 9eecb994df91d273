"""Time a full /metrics scrape (HTTP GET, the collector's SQL, the exposition) on a seeded database.

Seeds a fresh database with `--count` backlinks (`bench.seed --spread`: mixed
states, ~4% due, 1000 referring domains) and a year's worth of pre-aggregated
counters, serves /metrics with monitor.service.metrics.start_metrics_server (as
`linkwatch serve` does) and GETs it `--repeat` times after one warm-up.
Reports the median and worst scrape in milliseconds, on SQLite and, with
`--postgres`, on a throwaway PostgreSQL (bench/pg.py), vacuumed and analysed
after the bulk load as autovacuum would (without statistics the planner
seq-scans and a scrape takes ~3x longer).

    python -m bench.metrics_scrape --count 100000 [--repeat 20] [--postgres]

Reads no linkwatch settings (the defaults are used).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.seed import seed
from monitor.config import Settings
from monitor.core.types import CheckState, EventType
from monitor.service import metrics
from monitor.store import db, metric_counts

RESULTS = Path(__file__).resolve().parent / "results"


def add_counters(url: str) -> None:
    """Counter rows as after many batches: every label set present (their number, not their values, matters)."""
    engine = db.connect(url)
    with db.session(engine) as session:
        for _ in range(3):
            metric_counts.record_checks(session, [
                {"state": state.value, "rendered": rendered, "duration_seconds": seconds, "bytes_received": 50_000}
                for state in CheckState for rendered in (False, True) for seconds in (0.05, 0.3, 2, 9, 90)])
            metric_counts.record_events(session, [("example.com", kind.value) for kind in EventType])
    engine.dispose()


def time_scrapes(url: str, repeat: int) -> dict[str, Any]:
    engine = db.connect(url)
    server = metrics.start_metrics_server(engine, Settings(), "127.0.0.1:0")
    endpoint = f"http://127.0.0.1:{server.port}/metrics"
    try:
        size = len(urllib.request.urlopen(endpoint, timeout=60).read())
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            urllib.request.urlopen(endpoint, timeout=60).read()
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        server.stop()
        engine.dispose()
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1),
            "bytes": size, "scrapes": repeat}


def vacuum_analyze(url: str) -> None:
    """What autovacuum does soon after a bulk load on PostgreSQL: statistics and the visibility map."""
    engine = db.connect(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def run(url: str, count: int, repeat: int) -> dict[str, Any]:
    seeded = seed(url, count, port=8900, spread=True)
    add_counters(url)
    if url.startswith("postgresql"):
        vacuum_analyze(url)
    return {"backlinks": count, "seed_seconds": seeded["seconds"], **time_scrapes(url, repeat)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time a /metrics scrape on a seeded database.")
    parser.add_argument("--count", type=int, default=100_000, help="backlinks to seed")
    parser.add_argument("--repeat", type=int, default=20, help="scrapes to time")
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run(f"sqlite:///{Path(tmp) / 'metrics.db'}", args.count, args.repeat)
        print("sqlite:", results["sqlite"], flush=True)
    if args.postgres:
        from bench.pg import TempPostgres

        with TempPostgres() as pg:
            results["postgresql"] = run(pg.create_database("metrics"), args.count, args.repeat)
            print("postgresql:", results["postgresql"], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"metrics-scrape-{args.count}.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
