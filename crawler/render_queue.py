"""The spider's render queue: at most `render_concurrency` renders in flight, the rest wait here.

A render request is handed to Scrapy only when a Chromium page is free for it, so it
never waits inside the downloader (holding a download slot that static fetches need)
nor inside scrapy-playwright's page semaphore, where its time budget would run out
before the browser even started on it.  Each waiting entry is small (the URL, the
meta the render callback needs, the static observation); the spider stops pulling
new jobs while `full` (crawler.spider.wait_for_room), so the queue stays bounded
however many pages need rendering.

Settings read: render_concurrency (passed in by the spider).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: renders allowed to wait, per render slot, before the spider stops pulling jobs
WAITING_PER_SLOT = 8


class RenderQueue(Generic[T]):
    """Counts renders in flight; `build` turns a waiting entry into its request when it is issued."""

    def __init__(self, slots: int, build: Callable[[Any], T]) -> None:
        self.slots = max(1, slots)
        self.build = build
        self.in_flight = 0
        self.waiting: deque[Any] = deque()
        self.issued = 0

    @property
    def full(self) -> bool:
        return len(self.waiting) >= WAITING_PER_SLOT * self.slots

    def submit(self, entry: Any) -> T | None:
        """The request to issue now, or None when every slot is busy (the entry waits)."""
        if self.in_flight < self.slots and not self.waiting:
            return self._issue(entry)
        self.waiting.append(entry)
        return None

    def done(self) -> T | None:
        """A render finished (rendered or failed): the next request to issue, if one waits."""
        self.in_flight = max(0, self.in_flight - 1)
        if self.waiting and self.in_flight < self.slots:
            return self._issue(self.waiting.popleft())
        return None

    def on_idle(self) -> list[T]:
        """The engine has nothing in flight: whatever still waits is issued (nothing can be rendering)."""
        if self.in_flight:
            logger.warning("rendering: %d renders counted in flight while the crawl is idle", self.in_flight)
        self.in_flight = 0
        issued = []
        while self.waiting and self.in_flight < self.slots:
            issued.append(self._issue(self.waiting.popleft()))
        return issued

    def _issue(self, entry: Any) -> T:
        self.in_flight += 1
        self.issued += 1
        return self.build(entry)
