"""Benchmark `linkwatch worker`: the steady feed against scrapy-redis's idle batches, and workers added.

For each feed (`steady`: the shipped WorkerSpider; `idle`: scrapy-redis's
spider_idle batches, bench/worker_feed.py) and each number of workers, it seeds
a fresh PostgreSQL database with N backlinks on the farm (bench/farm.py, run with
`--latency` and, with `--spread`, a per-page latency like the web's), opens one
cycle (monitor.crawl.workqueue.lead_step) on a throwaway Redis, starts the workers as
crawler children (`python -m bench.worker_feed FEED`, settings on stdin as
`linkwatch worker` passes them) and measures: seconds until the queue is drained
(every job acknowledged), pages/s, CPU seconds per page (os.wait4 of every
worker) and the load average.  Every backlink's verdict is checked against the
farm's.  Everything targets 127.0.0.1; every run is bounded (`--timeout`).

    python -m bench.workers --size 3000 --workers 1,2 --feeds steady,idle --latency 0.15 --spread \
        --concurrency 16 --name workers-feed

writes bench/results/<name>.json and bench/results/<name>.md.
Reads no linkwatch settings: they are built here and passed to the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench.farm import host_for
from bench.pg import TempPostgres
from bench.run import PYCACHE, RESULTS, kill_tree, machine, start_farm, verify
from bench.seed import seed
from monitor.config import Settings
from monitor.core.types import RenderMode
from monitor.core.wire import settings_to_json
from monitor.crawl import workqueue
from monitor.store import db

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(stack: ExitStack) -> str:
    port = _free_port()
    server = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--bind", "127.0.0.1",
                               "--port", str(port), "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(server.wait, 10)
    stack.callback(server.terminate)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(200):
        try:
            client.ping()
            return url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def worker_settings(url: str, redis_url: str, domains: int, args: argparse.Namespace) -> Settings:
    return Settings(database_url=url, redis_url=redis_url, allow_private=True, render=RenderMode.NEVER,
                    concurrency=args.concurrency, per_domain=args.per_domain, delay=args.delay, timeout=60,
                    resolve=tuple((host_for(d), "127.0.0.1") for d in range(1, domains + 1)))


def run_workers(settings: Settings, feed: str, count: int, timeout: float, log: Path) -> dict[str, Any]:
    client = workqueue.connect(settings)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w") as out:
        children = []
        for n in range(count):
            child = subprocess.Popen([sys.executable, "-m", "bench.worker_feed", feed], stdin=subprocess.PIPE,
                                     stdout=out, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env)
            assert child.stdin is not None
            child.stdin.write(settings_to_json(settings) + "\n")
            child.stdin.write(json.dumps({"name": f"{feed}-{n}", "exit_when_idle": True, "alive_ttl": 60}) + "\n")
            child.stdin.close()
            children.append(child)
        drained = None
        while drained is None and time.perf_counter() - started < timeout:
            if workqueue.pending(client) == 0:
                drained = time.perf_counter() - started
                workqueue.close_cycle_if_done(client)
            time.sleep(0.05)
        cpu = 0.0
        for child in children:
            if drained is None:
                kill_tree(child.pid)
            _, _status, usage = os.wait4(child.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
    client.close()
    return {"seconds": round(drained if drained is not None else timeout, 2), "timed_out": drained is None,
            "cpu_seconds": round(cpu, 2), "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2)}


def measure(pg: TempPostgres, redis_url: str, port: int, feed: str, count: int, args: argparse.Namespace,
            workdir: Path) -> dict[str, Any]:
    tag = f"{feed}_{count}_{int(time.time())}"
    url = pg.create_database(f"bench_{tag}")
    seed(url, args.size, port, args.domains)
    settings = worker_settings(url, redis_url, args.domains, args)
    engine = db.create(url)
    client = workqueue.connect(settings)
    client.flushdb()
    step = workqueue.lead_step(engine, settings, client, datetime.now(UTC), include_all=True)
    engine.dispose()
    result = run_workers(settings, feed, count, args.timeout, workdir / f"{tag}.log")
    result.update(verify(url, args.size, args.domains))
    pages = result["checks"]
    result.update({"feed": feed, "workers": count, "backlinks": args.size, "jobs": step["jobs"],
                   "concurrency": args.concurrency, "latency": args.latency, "spread": args.spread,
                   "pages_per_second": round(pages / result["seconds"], 2),
                   "cpu_seconds_per_page": round(result["cpu_seconds"] / max(pages, 1), 5)})
    print(json.dumps(result), flush=True)
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| feed | workers | backlinks | seconds | pages/s | CPU s/page | wrong | load before/after |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        lines.append(f"| {r['feed']} | {r['workers']} | {r['backlinks']} | {r['seconds']} | {r['pages_per_second']} "
                     f"| {r['cpu_seconds_per_page']} | {r['wrong_verdicts']} | {r['load_before']}/{r['load_after']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark linkwatch workers: steady feed vs idle batches.")
    parser.add_argument("--size", type=int, default=3000, help="backlinks (one farm page each)")
    parser.add_argument("--domains", type=int, default=300, help="referring domains on the farm")
    parser.add_argument("--workers", default="1,2", help="comma-separated numbers of workers")
    parser.add_argument("--feeds", default="steady,idle", help="steady, idle or both")
    parser.add_argument("--latency", type=float, default=0.15, help="the farm's wait before each page (s)")
    parser.add_argument("--spread", action="store_true", help="vary the wait per page (bench/farm.py)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-domain", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a run is stopped")
    parser.add_argument("--name", default="workers", help="results file name under bench/results")
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as work:
        pg = stack.enter_context(TempPostgres())
        redis_url = start_redis(stack)
        farm, port = start_farm(args.latency, args.spread)
        stack.callback(farm.wait, 10)
        stack.callback(farm.terminate)
        for count in (int(n) for n in args.workers.split(",")):
            for feed in args.feeds.split(","):
                results.append(measure(pg, redis_url, port, feed, count, args, Path(work)))
    RESULTS.mkdir(exist_ok=True)
    report = {"machine": machine(), "args": vars(args), "results": results}
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
