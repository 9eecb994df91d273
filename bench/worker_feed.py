"""The crawler child of bench/workers.py: `python -m crawler worker`, with a choice of feed.

    python -m bench.worker_feed steady|idle < settings-and-options.jsonl

`steady` is the shipped WorkerSpider: `start()` takes one job whenever the
downloader has room.  `idle` is scrapy-redis's own feed, kept here only to be
measured against it: nothing from `start()`, and a batch of CONCURRENT_REQUESTS
jobs (through the same reliable take) each time the spider goes idle, i.e. once
the previous batch has been downloaded and parsed to the last page.
Reads its settings on stdin, like the crawler child.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any, TextIO

from scrapy_redis.spiders import RedisMixin

from crawler import __main__ as child
from crawler.worker_mode import WorkerSpider, run_worker
from monitor.config import Settings


class IdleBatchSpider(WorkerSpider):
    """WorkerSpider fed the scrapy-redis way: batches on `spider_idle`."""

    redis_batch_size = None  # scrapy-redis: CONCURRENT_REQUESTS per batch

    async def start(self) -> AsyncIterator[Any]:
        return
        yield  # an async generator that yields nothing

    def spider_idle(self) -> None:
        if self.exit_when_idle and self.state.feed == "empty" and self._cycle_over():
            return  # let the spider close
        RedisMixin.spider_idle(self)  # schedule the next batch; raise DontCloseSpider


def _idle(settings: Settings, lines: Iterator[str], out: TextIO) -> int:
    return run_worker(settings, lines, out, spider=IdleBatchSpider)


def main(argv: list[str]) -> int:
    if argv not in (["steady"], ["idle"]):
        sys.stderr.write("usage: python -m bench.worker_feed steady|idle < settings-and-options.jsonl\n")
        return 2
    child.MODES["worker-idle"] = _idle
    return child.main(["worker" if argv[0] == "steady" else "worker-idle"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
