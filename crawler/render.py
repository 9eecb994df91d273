"""Rendering with Chromium through scrapy-playwright: settings, the per-request opt-in, the request filter.

Rendering is opted into per request (`meta["playwright"] = True`); every other request
keeps going through Scrapy's own HTTP client, since scrapy-playwright's download
handler hands non-Playwright requests to it.  The browser is Debian's Chromium,
launched by executable path (`Settings.chromium_path`), never a downloaded one, once
per crawl and only when a page needs rendering; pages share one context, at most
`Settings.render_concurrency` at a time.  Images, fonts and media are not loaded.

SSRF: Chromium resolves names itself, so `RenderRequestFilter` (scrapy-playwright's
PLAYWRIGHT_ABORT_REQUEST) resolves every request's host and aborts it when an
address is not public, unless private addresses are allowed; `resolve` overrides are
passed to Chromium as `--host-resolver-rules`.  Only pages whose static fetch passed
the guard are rendered at all.

Settings read (from linkwatch's Settings): chromium_path, render_concurrency, timeout,
allow_private, resolve.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.ssrf import is_ip_literal, non_public_reason
from monitor.config import Settings

logger = logging.getLogger(__name__)

CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)
SKIPPED_RESOURCES = frozenset({"image", "font", "media"})
RENDER_CONTEXT = "linkwatch-render"
RENDER_META_KEY = "linkwatch_render"


class RenderRequestFilter:
    """PLAYWRIGHT_ABORT_REQUEST: True (abort) for images/fonts/media and for non-public hosts."""

    def __init__(self, allow_private: bool, overrides: dict[str, str]) -> None:
        self.allow_private = allow_private
        self.overrides = overrides
        self._verdicts: dict[str, str | None] = {}

    async def __call__(self, request: Any) -> bool:
        if request.resource_type in SKIPPED_RESOURCES:
            return True
        if self.allow_private:
            return False
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https", "ws", "wss"):
            return False  # data:, blob:, about: never reach the network
        host = (parts.hostname or "").lower().rstrip(".")
        if host not in self._verdicts:
            self._verdicts[host] = await self._reason(host)
        reason = self._verdicts[host]
        if reason:
            logger.warning("rendering: refused a request to %s (%s address)", host, reason)
        return reason is not None

    async def _reason(self, host: str) -> str | None:
        if host in self.overrides:
            return non_public_reason(self.overrides[host])
        if is_ip_literal(host.strip("[]")):
            return non_public_reason(host.strip("[]"))
        try:
            answers = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return None  # Chromium will fail to resolve it too
        reasons = [non_public_reason(str(a[4][0])) for a in answers]
        return next((r for r in reasons if r), None)


class LazyPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, starting Playwright only when a page is first rendered.

    The stock handler starts the Playwright driver when the engine starts; with
    `--render auto` most crawls never render, and the driver costs seconds.  This
    relies on two methods of scrapy-playwright 0.0.48 (pinned): `_launch` and
    `_maybe_launch_in_thread`.
    """

    async def _maybe_launch_in_thread(self) -> None:
        return None  # deferred to the first rendered request

    async def _download_request(self, request: Any, spider: Any = None) -> Any:
        if not hasattr(self, "_lazy_start_lock"):
            self._lazy_start_lock = asyncio.Lock()
        async with self._lazy_start_lock:
            if getattr(self, "browser_provider", None) is None:
                await self._launch()
        return await super()._download_request(request, spider)


def playwright_settings(settings: Settings) -> dict[str, Any]:
    """The Scrapy settings that turn rendering on (merged into crawler.settings' output)."""
    args = list(CHROMIUM_FLAGS)
    if settings.resolve:
        rules = ",".join(f"MAP {host} {ip}" for host, ip in settings.resolve)
        args.append(f"--host-resolver-rules={rules}")
    return {
        "DOWNLOAD_HANDLERS": {
            "http": "crawler.render.LazyPlaywrightHandler",
            "https": "crawler.render.LazyPlaywrightHandler",
        },
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": settings.chromium_path,
            "headless": True,
            "args": args,
            "timeout": 30_000,
        },
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": settings.render_concurrency,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": settings.timeout * 1000,
        "PLAYWRIGHT_ABORT_REQUEST": RenderRequestFilter(settings.allow_private, dict(settings.resolve)),
    }


def render_request(url: str, meta: dict[str, Any], callback: Any, errback: Any) -> Request:
    """A request that loads `url` in Chromium; the response body is the rendered DOM."""
    render_meta = {
        **meta,
        "playwright": True,
        "playwright_context": RENDER_CONTEXT,
        "playwright_context_kwargs": {"service_workers": "block", "accept_downloads": False},
        "playwright_page_goto_kwargs": {"wait_until": "load"},
        "dont_obey_robotstxt": True,  # the static fetch already passed robots.txt
        RENDER_META_KEY: True,
    }
    return Request(url, meta=render_meta, callback=callback, errback=errback, dont_filter=True)


def is_launch_failure(exc: BaseException) -> bool:
    """Whether a rendering failure means the browser itself is unusable."""
    text = f"{exc.__class__.__name__} {exc}".lower()
    return any(word in text for word in ("launch", "executable", "browser has been closed", "target closed"))
