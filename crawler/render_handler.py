"""scrapy-playwright's download handler, as linkwatch runs it: lazy start, bounded contexts, bounded waits.

Playwright and Chromium start with the first render; a page that finished rendering waits (at
most IDLE_PAGE_SECONDS) for the next render instead of being closed; a browser context serves
`LINKWATCH_RENDER_PAGES_PER_CONTEXT` renders and is closed once its last page is, so Chromium's
memory stays flat.  After `DOMContentLoaded` a page has until its render deadline
(`linkwatch_deadline`, less a margin to read the DOM) to reach `load`, then up to
`LINKWATCH_RENDER_SETTLE` seconds within it to settle (crawler.settle; every page has a
RequestTracker, every context runs INIT_JS) unless every target already has a followed link;
a page that runs out of either is read as it is and marked with RENDER_INCOMPLETE_KEY (the
reason) instead of failing.  The DOM read is `page.content()`, or, when the page has open shadow roots,
the DOM with them (crawler.render_dom; the early stop reads the same).  Every request Chromium makes
goes through one route per context (`_route`, installed when the context is created) to
crawler.render.RenderRequestFilter; scrapy-playwright's per-page routing is not used, and the user agent
is a context option.
Why (measured): bench/README.md, "Rendering"; the behaviour: docs/check.md, "Rendering".

This relies on internals of scrapy-playwright 0.0.48 (pinned): `_launch`,
`_maybe_launch_in_thread`, `_download_request`, `_download_request_with_retry`,
`_download_request_with_page`, `_create_browser_context`, `_create_page`,
`_apply_page_methods`, `_get_response_and_download`, `_close`, `context_wrappers`,
`abort_request`, `_utils._encode_body`, and its `playwright_page`/`playwright_include_page` meta keys.

With `[evidence] screenshots` (LINKWATCH_SCREENSHOTS) the top of each rendered page is shot as a JPEG
(SCREENSHOT_KEY) for the page's snapshot (monitor.store.snapshots).

Scrapy settings read: LINKWATCH_RENDER_PAGES_PER_CONTEXT, LINKWATCH_RENDER_SETTLE, LINKWATCH_SCREENSHOTS (and
scrapy-playwright's own).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

from playwright.async_api import Error as PlaywrightError
from scrapy_playwright._utils import _encode_body
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.limits import remaining_seconds
from crawler.render import RENDER_INCOMPLETE_KEY, RENDER_META_KEY, SCREENSHOT_KEY
from crawler.render_dom import read_dom
from crawler.settle import INIT_JS, RequestTracker, dom_lacks_followed_link, settle

logger = logging.getLogger(__name__)

RENDER_CONTEXT = "linkwatch-render"
#: seconds of the render budget kept for reading the DOM after waiting for `load`
READ_MARGIN = 2.0
#: seconds an idle page waits for the next render before it is closed
IDLE_PAGE_SECONDS = 2.0
#: request.meta key of the navigation's response while the page renders (its headers, for the early stop)
NAV_RESPONSE_KEY = "_linkwatch_nav_response"
#: request.meta key of the rendered DOM with its open shadow roots, when it has some (the response body then)
SHADOW_DOM_KEY = "_linkwatch_shadow_dom"
#: the screenshot: the top of the page, at most this tall, in a 1280-pixel-wide viewport, JPEG of this quality
SCREENSHOT_HEIGHT, SCREENSHOT_QUALITY = 2000, 55


class LazyPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """See the module docstring."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.pages_per_context = max(1, crawler.settings.getint("LINKWATCH_RENDER_PAGES_PER_CONTEXT", 50))
        self.settle_seconds = max(0.0, crawler.settings.getfloat("LINKWATCH_RENDER_SETTLE", 5.0))
        self.screenshots = crawler.settings.getbool("LINKWATCH_SCREENSHOTS", False)
        self._trackers: dict[int, RequestTracker] = {}  # id(page) -> its requests in flight
        self._lazy_start_lock = asyncio.Lock()
        self._generation = 0
        self._renders_in_generation = 0
        self._page_context: dict[int, str] = {}  # id(page) -> its context's name
        self._open_pages: dict[str, int] = {}  # context name -> pages open in it
        self._idle: list[tuple[Any, asyncio.TimerHandle]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def _context_name(self) -> str:
        return f"{RENDER_CONTEXT}-{self._generation}"

    async def _maybe_launch_in_thread(self) -> None:
        return None  # deferred to the first rendered request

    async def _download_request(self, request: Any, spider: Any = None) -> Any:
        async with self._lazy_start_lock:
            if getattr(self, "browser_provider", None) is None:
                await self._launch()
        self._count_render()
        request.meta["playwright_context"] = self._context_name
        request.meta["playwright_include_page"] = True  # the page comes back here, not to the spider
        idle = self._take_idle_page()
        if idle is not None:
            request.meta["playwright_page"] = idle
            tracker = self._trackers.get(id(idle))
            if tracker is not None:
                tracker.reset()
        failed = True
        try:
            response = await super()._download_request(request, spider)
            failed = False
            shadow = request.meta.pop(SHADOW_DOM_KEY, None)
            if shadow is not None:  # the DOM with its shadow roots replaces page.content()'s
                response = response.replace(body=_encode_body(response.headers, shadow)[0])
            return response
        finally:
            page = request.meta.pop("playwright_page", None)
            request.meta.pop("playwright_include_page", None)
            request.meta.pop(NAV_RESPONSE_KEY, None)
            request.meta.pop(SHADOW_DOM_KEY, None)
            if page is not None:
                await (_close_page(page) if failed else self._release(page))

    # -- pages: reused while their context is current -----------------------------------------------
    def _take_idle_page(self) -> Any:
        while self._idle:
            page, timer = self._idle.pop()
            timer.cancel()
            if not page.is_closed() and self._page_context.get(id(page)) == self._context_name:
                return page
            self._spawn(_close_page(page))
        return None

    async def _release(self, page: Any) -> None:
        if page.is_closed():
            return
        if self._page_context.get(id(page)) != self._context_name:
            await _close_page(page)  # its context is retired
            return
        timer = asyncio.get_running_loop().call_later(IDLE_PAGE_SECONDS, self._close_idle, page)
        self._idle.append((page, timer))

    def _close_idle(self, page: Any) -> None:
        self._idle = [(p, t) for p, t in self._idle if p is not page]
        self._spawn(_close_page(page))

    async def _download_request_with_retry(self, request: Any, spider: Any) -> Any:
        """scrapy-playwright's, without its per-page, per-request routing (the context's route filters)."""
        page = request.meta.get("playwright_page")
        if page is None or page.is_closed():
            page = await self._create_page(request, spider)
        return await self._download_request_with_page(request, page, spider)

    async def _create_browser_context(self, name: str, context_kwargs: Any, spider: Any = None) -> Any:
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        await wrapper.context.route("**", self._route)  # every request of every page of the context
        await wrapper.context.add_init_script(script=INIT_JS)
        return wrapper

    async def _route(self, route: Any, request: Any) -> None:
        try:
            if self.abort_request is not None and await self.abort_request(request):
                self.stats.inc_value("playwright/request_count/aborted")
                await route.abort()
            else:
                await route.continue_()
        except PlaywrightError as exc:  # the page or context closed meanwhile
            logger.debug("rendering: routing %s: %s", request.url, exc)

    async def _create_page(self, request: Any, spider: Any) -> Any:
        name = request.meta["playwright_context"]
        page = await super()._create_page(request, spider)
        request.meta["playwright_page"] = page  # so that _download_request gets it back whatever happens
        self._page_context[id(page)] = name
        self._trackers[id(page)] = RequestTracker(page)
        self._open_pages[name] = self._open_pages.get(name, 0) + 1
        page.on("close", lambda *_: self._page_closed(page, name))
        return page

    # -- contexts: a fresh one every `pages_per_context` renders ------------------------------------
    def _count_render(self) -> None:
        """Count this render in the current context, first moving on to a fresh one if that one is used up."""
        if self._renders_in_generation >= self.pages_per_context:
            retired = self._context_name
            self._generation += 1
            self._renders_in_generation = 0
            if not self._open_pages.get(retired):
                self._close_context(retired)
        self._renders_in_generation += 1

    def _page_closed(self, page: Any, name: str) -> None:
        self._page_context.pop(id(page), None)
        self._trackers.pop(id(page), None)
        left = self._open_pages.get(name, 1) - 1
        self._open_pages[name] = left
        if left <= 0 and name != self._context_name:
            self._close_context(name)

    def _close_context(self, name: str) -> None:
        self._open_pages.pop(name, None)
        wrapper = self.context_wrappers.get(name)
        if wrapper is not None:
            self._spawn(self._close_context_now(name, wrapper.context))

    async def _close_context_now(self, name: str, context: Any) -> None:
        try:
            await context.close()
        except PlaywrightError as exc:
            logger.debug("rendering: closing context %s: %s", name, exc)
        self.stats.inc_value("linkwatch/render_contexts_recycled")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close(self) -> None:
        for _, timer in self._idle:
            timer.cancel()
        self._idle.clear()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await super()._close()

    # -- navigation: DOMContentLoaded, then `load` while the budget lasts ---------------------------
    async def _apply_page_methods(self, page: Any, request: Any, spider: Any) -> None:
        if request.meta.get(RENDER_META_KEY):
            await self._wait_for_load(page, request)
        await super()._apply_page_methods(page, request, spider)
        if request.meta.get(RENDER_META_KEY):
            try:
                request.meta[SHADOW_DOM_KEY] = await read_dom(page, always=False)
            except PlaywrightError as exc:  # navigating: page.content() retries, and has the light DOM
                logger.debug("rendering %s: reading shadow roots: %s", request.url, exc)
            if self.screenshots:
                await _screenshot(page, request)

    async def _get_response_and_download(self, request: Any, page: Any, spider: Any) -> Any:
        response, download = await super()._get_response_and_download(request, page, spider)
        request.meta[NAV_RESPONSE_KEY] = response
        return response, download

    async def _wait_for_load(self, page: Any, request: Any) -> None:
        budget = _waiting_budget(request.meta)
        if budget is not None and budget <= 0:
            request.meta[RENDER_INCOMPLETE_KEY] = NO_LOAD
            return
        try:
            await page.wait_for_load_state("load", timeout=None if budget is None else budget * 1000)
        except PlaywrightError as exc:  # playwright's TimeoutError is one
            logger.debug("rendering %s: no load event in time (%s)", request.url, exc)
            request.meta[RENDER_INCOMPLETE_KEY] = NO_LOAD
            return
        await self._settle(page, request)

    async def _settle(self, page: Any, request: Any) -> None:
        """After `load`: wait for the page to settle (crawler.settle), within the settle budget and the deadline."""
        remaining = _waiting_budget(request.meta)
        budget = self.settle_seconds if remaining is None else min(self.settle_seconds, remaining)
        tracker = self._trackers.get(id(page))
        if budget <= 0 or tracker is None:
            return
        job, targets = request.meta.get("job"), request.meta.get("targets") or ()
        wanted = tuple(job.targets) if job is not None else ()
        hosts = sorted({target.host for target in targets if target.raw in wanted})

        async def all_found() -> bool:
            return bool(wanted) and not await self._dom_lacks_followed_link(page, request, targets, wanted)

        reason = await settle(page, tracker, budget, hosts, all_found)
        if reason:
            logger.debug("rendering %s: %s", request.url, reason)
            request.meta[RENDER_INCOMPLETE_KEY] = reason

    @staticmethod
    async def _dom_lacks_followed_link(page: Any, request: Any, targets: Any, wanted: tuple[str, ...]) -> bool:
        response = request.meta.get(NAV_RESPONSE_KEY)
        try:
            headers = await response.all_headers() if response is not None else {}
            text = await read_dom(page) or ""
        except PlaywrightError as exc:  # navigating: not now
            logger.debug("rendering %s: reading the DOM early: %s", request.url, exc)
            return True
        return dom_lacks_followed_link(text, page.url, headers, targets, wanted)


NO_LOAD = "no load event within the timeout"


def _waiting_budget(meta: dict[str, Any]) -> float | None:
    """Seconds left to wait in this render: its deadline less a margin to read the DOM (None: no deadline)."""
    remaining = remaining_seconds(meta)
    return None if remaining is None else remaining - min(READ_MARGIN, remaining / 4)


async def _screenshot(page: Any, request: Any) -> None:
    """The top of the rendered page as a JPEG (bounded: SCREENSHOT_HEIGHT pixels, SCREENSHOT_QUALITY) into
    request.meta[SCREENSHOT_KEY], base64; a page that cannot be shot has none."""
    try:
        height = await page.evaluate("Math.max(1, document.documentElement.scrollHeight || 0)")
        width = (page.viewport_size or {}).get("width", 1280)
        image = await page.screenshot(type="jpeg", quality=SCREENSHOT_QUALITY, full_page=True, timeout=5000,
                                      clip={"x": 0, "y": 0, "width": width,
                                            "height": min(SCREENSHOT_HEIGHT, int(height))})
    except PlaywrightError as exc:
        logger.debug("rendering %s: no screenshot: %s", request.url, exc)
        return
    request.meta[SCREENSHOT_KEY] = base64.b64encode(image).decode("ascii")


async def _close_page(page: Any) -> None:
    try:
        await page.close()
    except PlaywrightError as exc:
        logger.debug("rendering: closing a page: %s", exc)
