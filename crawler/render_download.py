"""The download handler of a crawl that may render: Scrapy's HTTP/1.1 one until a page is to be rendered.

Requests without `meta["playwright"]` (every static fetch, robots.txt, redirects) go through
Scrapy's HTTP/1.1 handler, as scrapy-playwright's handler would send them; the first request to
render builds crawler.render_handler.LazyPlaywrightHandler, which then takes every rendered
request.  Why: importing scrapy-playwright and Playwright costs ≈0.07 CPU seconds, which a
`--render auto` crawl whose pages all have their followed link (the common case) never needs
(docs/performance.md, "Start-up"; tests/test_startup_imports.py).  Its close closes both.

Scrapy settings read: those of crawler.render_handler, when a page is rendered.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Request, Response


class RenderDownloadHandler(HTTP11DownloadHandler):
    """See the module docstring."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._renderer: Any = None

    async def download_request(self, request: Request) -> Response:
        if request.meta.get("playwright"):
            response: Response = await self._render_handler().download_request(request)
            return response
        return await super().download_request(request)

    def _render_handler(self) -> Any:
        """scrapy-playwright's handler (linkwatch's subclass), built on the first rendered request."""
        if self._renderer is None:
            from crawler.render_handler import LazyPlaywrightHandler

            self._renderer = LazyPlaywrightHandler(self._crawler)
        return self._renderer

    async def close(self) -> None:
        await super().close()
        if self._renderer is not None:
            await self._renderer.close()
