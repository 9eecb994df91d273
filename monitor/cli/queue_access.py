"""Reaching the Redis work queue for a command: `check_redis` (a one-line error when Redis is unreachable)
and `enqueue_once`, the leader's step behind `linkwatch run --once --enqueue`.

Reads settings: redis_url, database_url.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.cli.common import CliError
from monitor.cli.store_access import open_store
from monitor.config import Settings

if TYPE_CHECKING:
    import redis


def check_redis(settings: Settings) -> redis.Redis:
    import redis  # imported here, as the store below: `linkwatch --help` and `check` never load them

    from monitor.crawl import workqueue

    client = workqueue.connect(settings)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise CliError(f"cannot reach Redis at {workqueue.shown_url(settings.redis_url)}: {exc}") from None
    return client


def enqueue_once(args: argparse.Namespace, settings: Settings) -> int:
    """`linkwatch run --once --enqueue`: one leader step (see monitor.crawl.workqueue.lead_step)."""
    from monitor.crawl import workqueue
    from monitor.crawl.runs import utcnow

    client = check_redis(settings)
    engine = open_store(args, create=False)
    step = workqueue.lead_step(engine, settings, client, utcnow(), include_all=args.include_all,
                               limit=args.limit)
    engine.dispose()
    if step["requeued"]:
        print(f"re-queued {step['requeued']} jobs of workers that stopped answering")
    if step["finished"] is not None:
        print(f"run {step['finished']} finished: every job was checked")
    if step["opened"] is not None:
        print(f"run {step['opened']}: {step['jobs']} page jobs queued for the workers")
    elif step["pending"]:
        print(f"a cycle is still in progress: {step['pending']} page jobs queued or being checked")
    else:
        print("nothing is due")
    return 0
