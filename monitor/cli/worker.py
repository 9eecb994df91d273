"""`linkwatch worker`: one of several crawler processes sharing the due queue in Redis.

Workers only crawl: they take PageJobs from the queue the leader filled
(`linkwatch serve`, or `linkwatch run --once --enqueue` from cron), fetch the
pages, write the verdicts to the shared database (PostgreSQL when workers run on
several machines) and acknowledge each job after its commit.  See
monitor.crawl.workqueue for the guarantees and docs/scale-out.md for deployment.

Reads settings: redis_url, database_url and the crawl settings (flags override them).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from typing import IO, Any

from monitor.cli.common import CliError
from monitor.cli.crawl_flags import add_crawl_flags, crawl_settings
from monitor.cli.queue_access import check_redis
from monitor.cli.store_access import open_store
from monitor.crawl import ALIVE_TTL_SECONDS
from monitor.crawl.child import open_child, stop_child


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker", help="crawl due backlinks from the shared Redis queue (scale-out)",
        description="Run one crawler worker: take page jobs from the Redis queue at redis_url "
        "(LINKWATCH_REDIS_URL), check them and store the verdicts in the shared database. Start as many "
        "as you need, on one machine or several; one leader (`linkwatch serve` with LINKWATCH_WORKERS=true, "
        "or `linkwatch run --enqueue` from cron) fills the queue. A worker that dies loses no work: its "
        "jobs go back to the queue once its heartbeat expires. See docs/scale-out.md.")
    parser.add_argument("--name", help="this worker's name in Redis, unique among live workers (default: HOST:PID); "
                        "a worker starting under a dead one's name re-queues the jobs it left")
    parser.add_argument("--exit-when-idle", action="store_true",
                        help="exit once no cycle is open and the queue is empty (default: run until stopped)")
    parser.add_argument("--alive-ttl", type=int, default=ALIVE_TTL_SECONDS, metavar="SECONDS",
                        help="heartbeat lifetime: the leader re-queues this worker's jobs this long after it "
                        f"dies (default {ALIVE_TTL_SECONDS})")
    add_crawl_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.alive_ttl < 3:
        raise CliError("--alive-ttl: must be at least 3 seconds")
    settings = crawl_settings(args)
    check_redis(settings)
    open_store(args).dispose()  # the schema is current before the child writes to it
    name = args.name or f"{socket.gethostname()}:{os.getpid()}"
    child = open_child(settings, "worker")
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps({"name": name, "exit_when_idle": args.exit_when_idle,
                                  "alive_ttl": args.alive_ttl}) + "\n")
    child.stdin.close()
    threading.Thread(target=_copy, args=(child.stderr, sys.stderr), daemon=True).start()

    def on_signal(signum: int, _frame: Any) -> None:
        threading.Thread(target=stop_child, args=(child,), daemon=True).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for line in child.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _copy(source: IO[str] | None, target: IO[str]) -> None:
    if source is None:
        return
    for line in source:
        target.write(line)
        target.flush()
