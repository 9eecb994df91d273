"""Rendering with Chromium through scrapy-playwright: settings, the render request, the request filter.

Rendering is opted into per request (`meta["playwright"] = True`); every other request goes
through Scrapy's own HTTP client.  The browser is Debian's Chromium, launched by path
(`Settings.chromium_path`), never a downloaded one, once per crawl and only when a page needs
rendering (crawler.render_download builds crawler.render_handler on the first render request, so a
crawl that renders nothing never imports scrapy-playwright); at most `render_concurrency` pages render
at once (the spider's crawler.render_queue hands out the slots) and a context serves
`render_pages_per_context` pages.  `RenderRequestFilter` (PLAYWRIGHT_ABORT_REQUEST, called for
every request Chromium makes) holds the SSRF guard, since Chromium resolves names itself: every
host is resolved here first and aborted when an address is not public (unless private addresses
are allowed; `resolve` overrides go to Chromium as `--host-resolver-rules`); a host that does
not resolve is aborted and remembered for a minute; images, fonts, media and sub-frames are not
loaded.  Only pages whose static fetch passed the guard are rendered.  The waits
(`DOMContentLoaded`, `load`, `render_settle`) and what an incomplete render proves:
docs/check.md, "Rendering".

Settings read: chromium_path, render_concurrency, render_pages_per_context, render_settle,
timeout, user_agent, allow_private, resolve.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request

from crawler.limits import DEADLINE_KEY
from crawler.ssrf import is_ip_literal, non_public_reason
from monitor.config import Settings

logger = logging.getLogger(__name__)

CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # one renderer process per page slot, reused from site to site, instead of a new process for every
    # site (site isolation): ~15-25% less CPU per rendered page (docs/performance.md).  The renderers run
    # without Chromium's sandbox anyway, and a context holds no logins or other secrets to isolate.
    "--disable-site-isolation-trials",
)
SKIPPED_RESOURCES = frozenset({"image", "font", "media"})
RENDER_META_KEY = "linkwatch_render"
#: request.meta key of the rendered page's screenshot (base64 JPEG), with `[evidence] screenshots`
SCREENSHOT_KEY = "linkwatch_screenshot"
RENDER_INCOMPLETE_KEY = "linkwatch_render_incomplete"
UNRESOLVED = "unresolved"
#: seconds a failed lookup is remembered (a public or non-public verdict is kept for the crawl)
UNRESOLVED_TTL = 60.0
#: render requests go before waiting static ones: a render slot is worth more than a download slot
RENDER_PRIORITY = 10


class RenderRequestFilter:
    """PLAYWRIGHT_ABORT_REQUEST: True (abort) for skipped resources, sub-frames, unresolvable and
    non-public hosts."""

    def __init__(self, allow_private: bool, overrides: dict[str, str]) -> None:
        self.allow_private = allow_private
        self.overrides = overrides
        self._verdicts: dict[str, tuple[str | None, float]] = {}  # host -> (reason, expiry)
        self._lookups: dict[str, asyncio.Future[str | None]] = {}

    async def __call__(self, request: Any) -> bool:
        if request.resource_type in SKIPPED_RESOURCES or _is_subframe(request):
            return True
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https", "ws", "wss"):
            return False  # data:, blob:, about: never reach the network
        host = (parts.hostname or "").lower().rstrip(".")
        reason = await self.reason(host)
        if reason == UNRESOLVED:
            logger.debug("rendering: %s does not resolve, not loaded", host)
            return True
        if reason and not self.allow_private:
            logger.warning("rendering: refused a request to %s (%s address)", host, reason)
            return True
        return False

    async def reason(self, host: str) -> str | None:
        """UNRESOLVED, why the host's address is not public, or None (public); cached per host."""
        cached = self._verdicts.get(host)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        lookup = self._lookups.get(host)
        if lookup is None:  # one lookup per host, however many requests ask at once
            lookup = self._lookups[host] = asyncio.ensure_future(self._reason(host))
            lookup.add_done_callback(lambda _: self._lookups.pop(host, None))
        reason = await lookup
        ttl = UNRESOLVED_TTL if reason == UNRESOLVED else float("inf")
        self._verdicts[host] = (reason, time.monotonic() + ttl)
        return reason

    async def _reason(self, host: str) -> str | None:
        if host in self.overrides:
            return non_public_reason(self.overrides[host])
        if is_ip_literal(host.strip("[]")):
            return non_public_reason(host.strip("[]"))
        try:
            answers = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return UNRESOLVED
        reasons = [non_public_reason(str(a[4][0])) for a in answers]
        return next((r for r in reasons if r), None)


def _is_subframe(request: Any) -> bool:
    try:
        return bool(request.is_navigation_request() and request.frame.parent_frame is not None)
    except Exception:  # a request without a frame (a worker's): not a sub-frame
        return False


def playwright_settings(settings: Settings) -> dict[str, Any]:
    """The Scrapy settings that turn rendering on (merged into crawler.settings' output)."""
    args = [*CHROMIUM_FLAGS, f"--renderer-process-limit={settings.render_concurrency}"]
    if settings.resolve:
        rules = ",".join(f"MAP {host} {ip}" for host, ip in settings.resolve)
        args.append(f"--host-resolver-rules={rules}")
    return {
        "DOWNLOAD_HANDLERS": {
            "http": "crawler.render_download.RenderDownloadHandler",
            "https": "crawler.render_download.RenderDownloadHandler",
        },
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": settings.chromium_path,
            "headless": True,
            "args": args,
            "timeout": 30_000,
        },
        "PLAYWRIGHT_MAX_CONTEXTS": 2,  # the current context, and the one before it finishing its pages
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": settings.render_concurrency,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": settings.timeout * 1000,
        "PLAYWRIGHT_ABORT_REQUEST": RenderRequestFilter(settings.allow_private, dict(settings.resolve)),
        "LINKWATCH_RENDER_PAGES_PER_CONTEXT": settings.render_pages_per_context,
        "LINKWATCH_RENDER_SETTLE": settings.render_settle,
        "LINKWATCH_SCREENSHOTS": settings.evidence and settings.evidence_screenshots,
    }


def render_request(url: str, meta: dict[str, Any], callback: Any, errback: Any, config: Settings) -> Request:
    """A request that loads `url` in Chromium now; the response body is the rendered DOM.

    The page's render budget (`timeout`) starts here: build it only when a render slot is free."""
    render_meta = {
        **meta,
        DEADLINE_KEY: time.monotonic() + config.timeout,
        "playwright": True,
        "playwright_context_kwargs": {"service_workers": "block", "accept_downloads": False,
                                      "user_agent": config.user_agent},
        "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded", "timeout": config.timeout * 1000},
        "dont_obey_robotstxt": True,  # the static fetch already passed robots.txt
        RENDER_META_KEY: True,
    }
    return Request(url, meta=render_meta, callback=callback, errback=errback, dont_filter=True,
                   priority=RENDER_PRIORITY)


def is_launch_failure(exc: BaseException) -> bool:
    """Whether a rendering failure means the browser itself is unusable."""
    text = f"{exc.__class__.__name__} {exc}".lower()
    return any(word in text for word in ("launch", "executable", "browser has been closed", "target closed"))
