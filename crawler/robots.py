"""robots.txt per RFC 9309, as a Scrapy downloader middleware.

For each scheme+host+port, robots.txt is fetched once per crawl (the first page on that host
waits for it; later ones reuse the answer) and parsed with protego for the product token
`linkwatch`, else `*`, the longest match winning.  2xx: the rules apply; 4xx (or a redirect chain
that never ends in a document): everything allowed; 5xx: everything disallowed (`blocked`);
unreachable: the page is `error` with the network reason.  A disallowed page fails with
`RobotsBlocked` (`FetchStatus.BLOCKED`).  The same rules are read for Google (GOOGLEBOT_TOKEN, else `*`)
for every hop, and the answer rides in the request's meta (GOOGLEBOT_KEY: False when a hop is
disallowed, None when a hop's robots.txt was not available, else True), whether or not linkwatch may
fetch the page.  The robots.txt request carries the page's deadline, so it counts against the page's
`--timeout`; it goes through a download slot of its own, so it does not start the host's politeness
delay: the first page follows it at once, and pages stay `delay` apart (across `linkwatch worker`s it
still takes a turn, crawler.polite).  For users: docs/check.md, "Fetching".

Scrapy settings read: LINKWATCH_OBEY_ROBOTS (default True), LINKWATCH_ROBOTS_TOKEN
(default "linkwatch").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http.request import NO_CALLBACK

from crawler.errors import RobotsBlocked, SsrfBlocked
from crawler.limits import DEADLINE_KEY
from crawler.outcome import failure_outcome
from monitor.core.types import FetchStatus

logger = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB
GOOGLEBOT_TOKEN = "Googlebot"
#: request.meta key: may Googlebot crawl every URL of the redirect chain so far (True/False/None: unknown)
GOOGLEBOT_KEY = "linkwatch_googlebot"


@dataclass(frozen=True)
class RobotsRules:
    parser: Protego | None  # None: no rules (4xx) or everything refused (see refused)
    refused: str | None = None  # why every URL is disallowed
    fetch: FetchStatus = FetchStatus.BLOCKED  # what a refusal means for the page

    def verdict(self, url: str, token: str) -> str | None:
        """None when `url` may be fetched, else the reason it may not."""
        if self.refused:
            return self.refused
        if self.parser is None or self.parser.can_fetch(url, token):
            return None
        return "robots.txt disallows it"

    def allows(self, url: str, token: str) -> bool | None:
        """Whether these rules let `token` crawl `url`; None when robots.txt was not available (5xx,
        unreachable, refused by the SSRF guard): what its crawler would do then is not known here."""
        if self.refused:
            return None
        return self.parser is None or bool(self.parser.can_fetch(url, token))


def chain_allows(before: bool | None, hop: bool | None) -> bool | None:
    """Googlebot's answer for a redirect chain so far and one more hop: False if any hop is disallowed,
    else None if any is unknown, else True."""
    if before is False or hop is False:
        return False
    if before is None or hop is None:
        return None
    return True


def rules_from_response(status: int, body: bytes) -> RobotsRules:
    if 200 <= status < 300:
        text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        return RobotsRules(Protego.parse(text))
    if status >= 500:
        return RobotsRules(None, f"robots.txt unavailable (http {status}): treated as disallowing all")
    return RobotsRules(None)  # 4xx, or 3xx that was not followed to a document: all allowed


class RobotsMiddleware:
    """Downloader middleware applying robots.txt to every page request, redirects included."""

    def __init__(self, crawler: Any, token: str) -> None:
        self.crawler = crawler
        self.token = token
        self._rules: dict[str, RobotsRules | asyncio.Future[RobotsRules]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> RobotsMiddleware:
        if not crawler.settings.getbool("LINKWATCH_OBEY_ROBOTS", True):
            raise NotConfigured
        return cls(crawler, crawler.settings.get("LINKWATCH_ROBOTS_TOKEN", "linkwatch"))

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.meta.get("playwright"):
            return
        rules = await self.rules_for(request)
        request.meta[GOOGLEBOT_KEY] = chain_allows(request.meta.get(GOOGLEBOT_KEY, True),
                                                   rules.allows(request.url, GOOGLEBOT_TOKEN))
        reason = rules.verdict(request.url, self.token)
        if reason:
            raise RobotsBlocked(reason, rules.fetch)

    async def rules_for(self, request: Request) -> RobotsRules:
        parts = urlsplit(request.url)
        key = f"{parts.scheme}://{parts.netloc}"
        cached = self._rules.get(key)
        if isinstance(cached, RobotsRules):
            return cached
        if cached is not None:
            return await asyncio.shield(cached)
        waiting: asyncio.Future[RobotsRules] = asyncio.get_running_loop().create_future()
        self._rules[key] = waiting
        rules = await self._fetch(key, request)
        self._rules[key] = rules
        waiting.set_result(rules)
        return rules

    async def _fetch(self, origin: str, page: Request) -> RobotsRules:
        # its own download slot: robots.txt does not start the host's `delay` clock (docs/check.md, "Fetching")
        meta = {"dont_obey_robotstxt": True, "linkwatch_robots": True, "download_slot": f"robots.txt {origin}"}
        if DEADLINE_KEY in page.meta:
            meta[DEADLINE_KEY] = page.meta[DEADLINE_KEY]
        robots = Request(f"{origin}/robots.txt", meta=meta, callback=NO_CALLBACK, dont_filter=True, priority=1000)
        try:
            response = await self.crawler.engine.download_async(robots)
        except SsrfBlocked as exc:
            return RobotsRules(None, str(exc))
        except Exception as exc:
            status, reason = failure_outcome(exc, robots.url, 0)
            logger.info("robots.txt of %s unreachable: %s", origin, reason)
            if status is FetchStatus.BLOCKED:
                return RobotsRules(None, reason)
            return RobotsRules(None, f"{reason} (fetching robots.txt)", FetchStatus.ERROR)
        if 300 <= response.status < 400:
            return RobotsRules(None)
        return rules_from_response(response.status, response.body)
