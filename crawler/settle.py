"""Waiting, after `load`, for a rendered page to settle, so that links a script adds later are read.

After `load` (crawler.render_handler) a page is watched until it has been quiet for
QUIET_SECONDS, within a settle budget the caller passes (`[crawl] render_settle`, within the
page's `timeout`).  Quiet: no request of IN_FLIGHT_TYPES in flight, started or ended
(`RequestTracker`, from the page's request events); no page-set `setTimeout` of at most
TIMER_HORIZON_MS pending or fired (one set from a timer's or an interval's callback is a loop and
does not count); no DOM mutation that can change a link.  Timers and mutations are watched in the
page by INIT_JS, a context init script.  Early stop: once every target of the page has a followed
link, decided by the real extractor (crawler.extract, scripting on, on the DOM crawler.render_dom reads,
shadow roots included), never by an in-page approximation.  When the budget runs out still
loading or changing, `settle` returns why and the caller marks the render incomplete
(RENDER_INCOMPLETE_KEY); a page busy only with its timers counts as settled.
What is and is not waited for, and why: docs/check.md.

Reads no settings (the caller passes the budget).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from playwright.async_api import Error as PlaywrightError
from scrapy.http import Headers
from scrapy_playwright._utils import _encode_body

from crawler.encoding import decode_html
from crawler.extract import extract_page, lacks_followed_link
from monitor.core.targets import Target

logger = logging.getLogger(__name__)

IN_FLIGHT_TYPES = frozenset({"document", "script", "fetch", "xhr"})
#: seconds without activity after which a page has settled
QUIET_SECONDS = 0.5
#: seconds between two looks at the page
POLL_SECONDS = 0.1
#: least seconds between two early-stop reads of the DOM (each is a serialisation and a parse)
CHECK_SECONDS = 0.25
#: a setTimeout of at most this many milliseconds is waited for
TIMER_HORIZON_MS = 2000

INIT_JS = """(() => {
  if (Object.getOwnPropertyDescriptor(window, '__linkwatchSettle')) return;
  const now = () => performance.now();
  const pending = new Set();
  const st = {mutations: 0, lastMutation: 0, lastTimer: 0, since: 0, observer: null};
  let inTimer = 0;
  const wrap = (fn, counted, id) => function () {
    if (counted) { pending.delete(id.value); st.lastTimer = now(); }
    inTimer++;
    try { return fn.apply(this, arguments); } finally { inTimer--; }
  };
  const realSet = window.setTimeout, realClear = window.clearTimeout;
  const realInterval = window.setInterval, realClearInterval = window.clearInterval;
  window.setTimeout = function (fn, delay, ...args) {
    if (typeof fn !== 'function') return realSet.call(window, fn, delay, ...args);
    const counted = !inTimer && !(Number(delay) > HORIZON), id = {value: 0};
    id.value = realSet.call(window, wrap(fn, counted, id), delay, ...args);
    if (counted) pending.add(id.value);
    return id.value;
  };
  window.setInterval = function (fn, delay, ...args) {
    if (typeof fn !== 'function') return realInterval.call(window, fn, delay, ...args);
    return realInterval.call(window, wrap(fn, false, null), delay, ...args);
  };
  window.clearTimeout = function (id) { pending.delete(id); return realClear.call(window, id); };
  window.clearInterval = function (id) { pending.delete(id); return realClearInterval.call(window, id); };
  const candidates = (hosts) => {
    const has = (text) => { text = String(text).toLowerCase(); return hosts.some((h) => text.includes(h)); };
    for (const a of document.querySelectorAll('a[href], area[href]')) if (has(a.href)) return true;
    for (const n of document.querySelectorAll('noscript')) if (has(n.textContent)) return true;
    return false;
  };
  Object.defineProperty(window, '__linkwatchSettle', {value: (hosts, seen) => {
    const t = now();
    if (!st.observer) {
      st.since = t;
      st.observer = new MutationObserver(() => { st.mutations++; st.lastMutation = now(); });
      st.observer.observe(document, {childList: true, subtree: true, attributes: true,
                                     attributeFilter: ['href', 'rel', 'name', 'content']});
    }
    const mutated = t - Math.max(st.lastMutation, st.since);
    return {timers: pending.size, mutations: st.mutations, mutatedMs: mutated,
            idleMs: Math.min(mutated, t - Math.max(st.lastTimer, st.since)),
            candidates: st.mutations !== seen ? candidates(hosts) : false};
  }});
})();""".replace("HORIZON", str(TIMER_HORIZON_MS))

POLL_JS = """([hosts, seen]) => window.__linkwatchSettle ? window.__linkwatchSettle(hosts, seen)
  : {timers: 0, mutations: 0, mutatedMs: 1e9, idleMs: 1e9, candidates: seen !== 0}"""


class RequestTracker:
    """The page's requests in flight of the types that delay settling, and when the last one started or ended."""

    def __init__(self, page: Any) -> None:
        self.in_flight: set[Any] = set()
        self.last_event = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def reset(self) -> None:
        """Forget the previous document's requests (a reused page, before its next navigation)."""
        self.in_flight.clear()
        self.last_event = time.monotonic()

    def _started(self, request: Any) -> None:
        if request.resource_type in IN_FLIGHT_TYPES:
            self.in_flight.add(request)
            self.last_event = time.monotonic()

    def _ended(self, request: Any) -> None:
        if request in self.in_flight:
            self.in_flight.discard(request)
            self.last_event = time.monotonic()

    def quiet_for(self) -> float:
        return 0.0 if self.in_flight else time.monotonic() - self.last_event


def dom_lacks_followed_link(text: str, url: str, headers: dict[str, str], targets: Sequence[Target],
                            wanted: Iterable[str]) -> bool:
    """Whether a target in `wanted` has no followed link in the rendered DOM `text`, read exactly as the
    spider reads the rendered response: encoded as scrapy-playwright encodes it, decoded, extracted."""
    body, _encoding = _encode_body(Headers(headers), text)
    decoded, _encoding = decode_html(body, headers.get("content-type"))
    robots = [headers["x-robots-tag"]] if "x-robots-tag" in headers else []
    page = extract_page(decoded, url, targets, robots, scripting=True)
    return lacks_followed_link(wanted, page.links)


async def settle(page: Any, tracker: RequestTracker, budget: float, hosts: Sequence[str],
                 all_found: Callable[[], Awaitable[bool]]) -> str | None:
    """Wait until the page is quiet, every target has a followed link (`all_found`), or `budget` s pass.

    Returns None when the DOM may be read as final, else why the render is incomplete."""
    deadline = time.monotonic() + budget
    seen, last_check = -1, float("-inf")
    state: dict[str, Any] = {"mutatedMs": 0.0}
    while True:
        try:
            state = await page.evaluate(POLL_JS, [list(hosts), seen])
        except PlaywrightError as exc:  # navigating (a script redirect): the next document is watched
            if page.is_closed():
                raise
            logger.debug("settling %s: %s", page.url, exc)
            seen, state = -1, {"timers": 1, "mutations": -1, "mutatedMs": 0.0, "idleMs": 0.0, "candidates": False}
        now = time.monotonic()
        if state["mutations"] != seen and not state["candidates"]:
            seen = state["mutations"]  # changed, but nothing a target could be found in
        elif state["mutations"] != seen and now - last_check >= CHECK_SECONDS:
            seen, last_check = state["mutations"], now
            if await all_found():
                return None
        quiet = min(state["idleMs"] / 1000, tracker.quiet_for())
        if not state["timers"] and quiet >= QUIET_SECONDS:
            return None
        if now >= deadline:
            return _busy_reason(tracker, state, budget)
        await asyncio.sleep(min(POLL_SECONDS, deadline - now))


def _busy_reason(tracker: RequestTracker, state: dict[str, Any], budget: float) -> str | None:
    """Why a page that ran out of settle budget is incomplete, or None if only its timers kept it busy."""
    if tracker.quiet_for() < QUIET_SECONDS:
        return f"the page was still loading after {_seconds(budget)} s"
    if state["mutatedMs"] < QUIET_SECONDS * 1000:
        return f"the page was still changing after {_seconds(budget)} s"
    return None


def _seconds(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
