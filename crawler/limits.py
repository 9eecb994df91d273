"""Per-page limits enforced as a Scrapy downloader middleware: the deadline and the redirect rules.

One page's `--timeout` bounds its robots.txt fetch, every redirect hop and the body
together: the spider puts an absolute deadline (`time.monotonic()`) in
`request.meta["linkwatch_deadline"]`, which redirects and the robots.txt request carry
along, and `LimitsMiddleware` gives each request only the time left as its
`download_timeout`.  It also stops a redirect chain that loops or passes 10 hops
(`LINKWATCH_MAX_REDIRECTS`).

Scrapy settings read: LINKWATCH_MAX_REDIRECTS.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from crawler.errors import DeadlineExceeded, RedirectLoop, TooManyRedirects

logger = logging.getLogger(__name__)

DEADLINE_KEY = "linkwatch_deadline"


def remaining_seconds(meta: dict[str, Any]) -> float | None:
    deadline = meta.get(DEADLINE_KEY)
    return None if deadline is None else deadline - time.monotonic()


class LimitsMiddleware:
    """Downloader middleware: deadline -> download_timeout, redirect loops and hop count."""

    def __init__(self, max_redirects: int) -> None:
        self.max_redirects = max_redirects

    @classmethod
    def from_crawler(cls, crawler: Any) -> LimitsMiddleware:
        return cls(crawler.settings.getint("LINKWATCH_MAX_REDIRECTS", 10))

    def process_request(self, request: Any) -> None:
        visited = request.meta.get("redirect_urls") or []
        if request.url in visited:
            raise RedirectLoop("redirect loop")
        if len(visited) > self.max_redirects:
            raise TooManyRedirects(f"more than {self.max_redirects} redirects")
        remaining = remaining_seconds(request.meta)
        if remaining is None:
            return
        if remaining <= 0:
            raise DeadlineExceeded("timeout")
        request.meta["download_timeout"] = remaining
