"""Politeness across `linkwatch worker`s: request starts to one referring domain at least `delay` apart.

Scrapy's DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN hold within one process only.
`PoliteDownloadHandler` wraps the download handler a crawl would use anyway (Scrapy's HTTP/1.1
one, or scrapy-playwright's) and, just before it hands a request over, takes the referring
domain's turn in Redis (monitor.crawl.workqueue.polite_turn), waiting out the rest of a turn held
by another request.  Invariants: no request goes out without its turn (pages, robots.txt,
redirects, render navigations; while Redis does not answer the turn is asked again every
REDIS_RETRY seconds); the wait counts against the page's deadline (crawler.limits).  A rendered
page's subresources are not spaced.  How and why: docs/scale-out.md.

Scrapy settings read: LINKWATCH_POLITE_INNER (the wrapped handler's class path),
LINKWATCH_POLITE_DELAY (seconds), REDIS_URL and friends (scrapy_redis.connection).
Set by crawler.settings.worker_settings when `delay` > 0.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis
from scrapy.http import Request, Response
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_redis.connection import get_redis_from_settings

from crawler.errors import DeadlineExceeded
from crawler.limits import remaining_seconds
from monitor.crawl import workqueue

logger = logging.getLogger(__name__)

REDIS_RETRY = 0.5  # seconds before asking again when Redis did not answer


class PoliteDownloadHandler:
    """A download handler that waits for the referring domain's shared turn, then delegates."""

    lazy = False

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.delay = settings.getfloat("LINKWATCH_POLITE_DELAY")
        self.inner = build_from_crawler(load_object(settings["LINKWATCH_POLITE_INNER"]), crawler)
        self.client = get_redis_from_settings(settings)

    @classmethod
    def from_crawler(cls, crawler: Any) -> PoliteDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        domain = workqueue.domain_of(request.url)
        while (wait := self._turn(domain)) > 0:
            remaining = remaining_seconds(request.meta)
            if remaining is not None and remaining <= wait:
                raise DeadlineExceeded("timeout")
            await asyncio.sleep(wait)
        remaining = remaining_seconds(request.meta)
        if remaining is not None:
            if remaining <= 0:
                raise DeadlineExceeded("timeout")
            request.meta["download_timeout"] = remaining
        response: Response = await self.inner.download_request(request)
        return response

    def _turn(self, domain: str) -> float:
        """0 when the turn is ours, else seconds to wait (Redis unreachable: ask again in a moment)."""
        try:
            return workqueue.polite_turn(self.client, domain, self.delay)
        except redis.RedisError as exc:
            logger.warning("Redis: %s; asking for the turn of %s again", exc, domain)
            return REDIS_RETRY

    async def close(self) -> None:
        await self.inner.close()
        self.client.close()
