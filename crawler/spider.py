"""The spider: one request per PageJob, one PageObservation per job, whatever happens.

Every crawl mode plugs in its `jobs` (any iterable of PageJob, consumed lazily in the reactor
thread as Scrapy has room: keep each `next()` short) and its `sink` (a callable receiving each
observation once, in completion order; it should not raise: an exception is logged and that
observation is lost).  Robots.txt, the SSRF guard, the deadline and redirect rules are downloader
middlewares; every failure goes through the errback into an observation (crawler.outcome).  A page
to render waits in crawler.render_queue for one of the `render_concurrency` slots; a render that
missed `load` or did not settle proves only the links it found (`render incomplete: <why>`, never
`lost`).  How a job goes through: docs/architecture.md, "How some parts work".

Settings read: timeout, max_bytes, concurrency, render_concurrency (from linkwatch's Settings).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task
from twisted.python.failure import Failure

from crawler.challenge import challenge_body_vendor, challenge_header_vendor
from crawler.encoding import decode_html
from crawler.extract import extract_page, lacks_followed_link
from crawler.limits import DEADLINE_KEY
from crawler.outcome import failure_outcome
from crawler.render import RENDER_INCOMPLETE_KEY, SCREENSHOT_KEY, is_launch_failure, render_request
from crawler.render_queue import RenderQueue
from crawler.robots import GOOGLEBOT_KEY
from crawler.sniff import is_html, media_type
from monitor.config import Settings
from monitor.core.targets import Target, parse_target, with_site_targets
from monitor.core.types import FetchStatus, PageJob, PageObservation, RenderMode

logger = logging.getLogger(__name__)

Sink = Callable[[PageObservation], None]
BACKOUT_POLL_SECONDS = 0.02


class LinkSpider(scrapy.Spider):
    name = "linkwatch"

    def __init__(self, jobs: Iterable[PageJob], sink: Sink, config: Settings, can_render: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.jobs = jobs
        self.sink = sink
        self.config = config
        self.can_render = can_render
        self.renders: RenderQueue[Request] = RenderQueue(config.render_concurrency, self._issue_render)
        self._parsed_targets: dict[tuple[str, ...], tuple[Target, ...]] = {}
        self._scheduled_count = 0  # wait_for_room's count of the scheduler, taken at _counted_at
        self._counted_at = float("-inf")
        self._yielded_since_count = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> Any:
        for job in self.jobs:
            request = self.page_request(job)
            if request is not None:
                yield request
                await self.wait_for_room()

    #: requests kept waiting in Scrapy's scheduler, per unit of `concurrency`
    start_buffer_factor = 10

    async def wait_for_room(self) -> None:
        """Pull the next job only when the downloader has room or the scheduler runs short (called after each yield).

        Scrapy's engine keeps reading start() while it needs to back out, so without this every
        job would be turned into a queued Request at once: memory growing with the number of
        backlinks (and, for `linkwatch worker`, jobs hoarded by one worker).  A buffer of
        `start_buffer_factor` x concurrency requests stays in the scheduler, whose
        DownloaderAwarePriorityQueue hands out the least busy referring domains first, so one
        domain's pages (adjacent in the due order) do not fill every download slot."""
        engine = self.crawler.engine
        buffer = self.start_buffer_factor * self.config.concurrency
        self._yielded_since_count += 1
        while engine is not None and engine.running and (self.renders.full or (
                engine.needs_backout() and self._scheduled(engine) >= buffer)):
            await _pause(BACKOUT_POLL_SECONDS)

    def _scheduled(self, engine: Any) -> int:
        """About how many requests the scheduler holds: counted at most once per poll interval, plus the
        requests yielded since (an over-estimate, never an under-estimate).  Counting costs a pass over
        every referring domain's queue: done per job, it was ~5% of the crawl's CPU."""
        now = time.monotonic()
        if engine.scheduler is None:
            return 0
        if now - self._counted_at >= BACKOUT_POLL_SECONDS:
            self._scheduled_count = len(engine.scheduler)
            self._counted_at = now
            self._yielded_since_count = 0
        return self._scheduled_count + self._yielded_since_count

    # -- requests ---------------------------------------------------------------------------------
    def page_request(self, job: PageJob) -> Request | None:
        """The first request for a job, or None when the job failed already (its observation is emitted)."""
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        meta: dict[str, Any] = {"job": job, "started": started, "fetched_at": fetched_at,
                                DEADLINE_KEY: started + self.config.timeout}
        headers = {}
        if job.etag:
            headers["If-None-Match"] = job.etag
        if job.last_modified:
            headers["If-Modified-Since"] = job.last_modified
        try:
            meta["targets"] = self.parsed_targets(job.targets)
            if not job.url.lower().startswith(("http://", "https://")):
                raise ValueError("only http and https URLs can be checked")
            return Request(job.url, callback=self.parse_page, errback=self.page_failed, headers=headers,
                           meta=meta, dont_filter=True)
        except ValueError as exc:
            self.emit(PageObservation(url=job.url, final_url=job.url, fetch=FetchStatus.ERROR,
                                      error=f"invalid job: {exc}", fetched_at=fetched_at))
            return None

    #: distinct target lists remembered (a crawl usually has a handful: the sites' domains)
    parsed_targets_kept = 10_000

    def parsed_targets(self, targets: tuple[str, ...]) -> tuple[Target, ...]:
        """The job's targets parsed (with their site targets), once per distinct list; ValueError if one is bad."""
        parsed = self._parsed_targets.get(targets)
        if parsed is None:
            parsed = with_site_targets(tuple(parse_target(t) for t in targets))
            if len(self._parsed_targets) >= self.parsed_targets_kept:
                self._parsed_targets.clear()
            self._parsed_targets[targets] = parsed
        return parsed

    # -- callbacks --------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Request]:
        meta = response.meta
        job: PageJob = meta["job"]
        observation = self.observe(response)
        if observation.fetch is FetchStatus.OK and self.should_render(job, observation):
            render_meta = {k: meta[k] for k in ("job", "started", "fetched_at", "targets")}
            render_meta["static"] = observation
            render_meta[GOOGLEBOT_KEY] = observation.googlebot_allowed
            request = self.renders.submit((response.url, render_meta))
            if request is not None:
                yield request
            return
        self.emit(observation)

    def _issue_render(self, entry: tuple[str, dict[str, Any]]) -> Request:
        url, meta = entry
        return render_request(url, meta, self.parse_rendered, self.render_failed, self.config)

    def parse_rendered(self, response: Response) -> Iterator[Request]:
        try:
            self._rendered(response)
        except Exception as exc:  # a bug must not cost the page its observation, nor its render slot
            logger.exception("reading the rendered %s failed", response.url)
            self._render_failure(response.meta, f"render failed: {_short(exc)}")
        yield from self._next_render()

    def _rendered(self, response: Response) -> None:
        meta = response.meta
        static: PageObservation = meta["static"]
        rendered = self.observe(response, rendered=True)
        incomplete = meta.get(RENDER_INCOMPLETE_KEY)
        if incomplete and rendered.fetch is FetchStatus.OK and _lacks_followed_link(meta["job"], rendered):
            self._render_failure(meta, f"render incomplete: {incomplete}")
            return
        if rendered.fetch is not FetchStatus.OK and meta["job"].render is not RenderMode.ALWAYS:
            logger.warning("rendering %s gave %s (%s); keeping the static verdict", static.url,
                           rendered.fetch, rendered.error)
            rendered = static
        elif rendered.fetch is FetchStatus.OK:
            rendered = _merge_rendered(static, rendered)
        self.emit(rendered)

    def render_failed(self, failure: Failure) -> Iterator[Request]:
        exc = failure.value or Exception("unknown failure")
        reason = "browser unavailable" if is_launch_failure(exc) else f"render failed: {_short(exc)}"
        self._render_failure(failure.request.meta, reason)  # type: ignore[attr-defined]
        yield from self._next_render()

    def _render_failure(self, meta: dict[str, Any], reason: str) -> None:
        static: PageObservation = meta["static"]
        if meta["job"].render is RenderMode.ALWAYS:
            self.emit(_replace(static, fetch=FetchStatus.ERROR, error=reason, directives=static.directives,
                               links=(), duration_seconds=time.monotonic() - meta["started"]))
        else:  # the reason rides along: a static miss that needed this render is stored as an error with it
            logger.warning("could not render %s (%s): the static verdict stands", static.url, reason)
            self.emit(_replace(static, error=reason))

    def _next_render(self) -> Iterator[Request]:
        request = self.renders.done()
        if request is not None:
            yield request

    def _on_idle(self) -> None:
        """Nothing in flight: renders still waiting (a slot lost to a callback's bug) go now."""
        engine = self.crawler.engine
        requests = self.renders.on_idle()
        if engine is None or not requests:
            return
        for request in requests:
            engine.crawl(request)
        raise DontCloseSpider

    def page_failed(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        job: PageJob = meta["job"]
        exc = failure.value or Exception("unknown failure")
        status, reason = failure_outcome(exc, request.url, self.config.max_bytes)
        visited = meta.get("redirect_urls") or []
        reasons = [r for r in meta.get("redirect_reasons") or [] if isinstance(r, int)]
        self.emit(PageObservation(
            url=job.url, final_url=request.url if visited else job.url, fetch=status,
            http_status=reasons[-1] if reasons else None, error=reason,
            redirects=tuple(visited[1:]) + ((request.url,) if visited else ()),
            duration_seconds=time.monotonic() - meta["started"], fetched_at=meta["fetched_at"],
            googlebot_allowed=meta.get(GOOGLEBOT_KEY)))

    # -- classification ---------------------------------------------------------------------------
    def observe(self, response: Response, rendered: bool = False) -> PageObservation:
        """Turn a response (static or rendered) into an observation."""
        meta = response.meta
        job: PageJob = meta["job"]
        headers = _headers(response)
        content_type = _first(headers, "content-type")
        visited = meta.get("redirect_urls") or []
        base = PageObservation(
            url=job.url, final_url=response.url, fetch=FetchStatus.OK, http_status=response.status,
            rendered=rendered, redirects=tuple(visited[1:]) + ((response.url,) if visited else ()),
            duration_seconds=time.monotonic() - meta["started"], bytes_received=len(response.body),
            fetched_at=meta["fetched_at"], etag=_first(headers, "etag"),
            last_modified=_first(headers, "last-modified"), googlebot_allowed=meta.get(GOOGLEBOT_KEY))
        failed = _status_failure(response.status, headers, response.body)
        if failed is None and not is_html(content_type, response.body):
            failed = FetchStatus.ERROR, f"not html ({media_type(content_type) or 'unknown type'})"
        if failed is not None:
            return _replace(base, fetch=failed[0], error=failed[1])
        text, _encoding = decode_html(response.body, content_type)
        page = extract_page(text, response.url, meta["targets"], headers.get("x-robots-tag", []), scripting=rendered)
        vendor = None if page.links else challenge_body_vendor(response.status, response.body)
        if vendor:
            return _replace(base, fetch=FetchStatus.BLOCKED, error=_challenge_reason(vendor, response.status))
        return _replace(base, directives=page.directives, links=page.links, contact_hints=page.contact_hints,
                        main_text=page.main_text, page_links=page.page_links,
                        html=text if self.config.evidence and self.config.evidence_html else None,
                        screenshot=meta.get(SCREENSHOT_KEY) if rendered else None)

    def should_render(self, job: PageJob, observation: PageObservation) -> bool:
        if not self.can_render or job.render is RenderMode.NEVER:
            return False
        return job.render is RenderMode.ALWAYS or _lacks_followed_link(job, observation)

    def emit(self, observation: PageObservation) -> None:
        try:
            self.sink(observation)
        except Exception:
            logger.exception("the result sink failed for %s", observation.url)


def _lacks_followed_link(job: PageJob, observation: PageObservation) -> bool:
    """Whether some target of the job has no followed link on the page."""
    return lacks_followed_link(job.targets, observation.links)


async def _pause(seconds: float) -> None:
    from twisted.internet import reactor  # the reactor Scrapy installed

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


def _status_failure(status: int, headers: dict[str, list[str]], body: bytes) -> tuple[FetchStatus, str] | None:
    """(status, reason) when the HTTP status (or a challenge page) rules out a verdict, else None.

    The body of a 2xx response is scanned for a challenge page later, and only when it holds no link to
    a target (the scan of 64 KiB is a few per cent of a crawl's CPU; a page with the link is no challenge)."""
    vendor = challenge_header_vendor(headers)
    if not vendor and not 200 <= status < 300:
        vendor = challenge_body_vendor(status, body)
    if vendor:
        return FetchStatus.BLOCKED, _challenge_reason(vendor, status)
    if status == 304:
        return FetchStatus.NOT_MODIFIED, "not modified"
    if status in (404, 410):
        return FetchStatus.GONE, f"http {status}"
    if status in (401, 403):
        return FetchStatus.BLOCKED, f"http {status}"
    if status == 429:
        retry_after = (headers.get("retry-after") or [""])[0].strip()
        return FetchStatus.ERROR, "http 429 rate limited" + (f" (retry-after: {retry_after})" if retry_after else "")
    if 300 <= status < 400:
        return FetchStatus.ERROR, f"http {status} redirect without a usable location"
    if not 200 <= status < 300:
        return FetchStatus.ERROR, f"http {status}"
    return None


def _challenge_reason(vendor: str, status: int) -> str:
    return f"bot challenge ({vendor}, http {status})"


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _headers(response: Response) -> dict[str, list[str]]:
    return {
        key.decode("latin-1").lower(): [v.decode("latin-1") for v in values]
        for key, values in response.headers.items()
    }


def _merge_rendered(static: PageObservation, rendered: PageObservation) -> PageObservation:
    """The rendered DOM's links, directives and evidence (main text, links, HTML, screenshot), with the static
    fetch's HTTP facts.

    A link that the static HTML does not have (same target, same href) is marked `rendered_only`:
    only of such a link do alerts say it was found only after JavaScript rendering.
    """
    static_links = {(link.target, link.href) for link in static.links}
    links = tuple(link if (link.target, link.href) in static_links else _replace(link, rendered_only=True)
                  for link in rendered.links)
    return _replace(static, final_url=rendered.final_url, directives=rendered.directives, links=links,
                    rendered=True, duration_seconds=rendered.duration_seconds, main_text=rendered.main_text,
                    page_links=rendered.page_links, html=rendered.html, screenshot=rendered.screenshot)


def _replace(value: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(value, **changes)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:120]
