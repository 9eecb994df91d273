"""Scrapy settings for a linkwatch crawl, built from linkwatch's validated `Settings`.

Identity (the configured user agent, no cookies), politeness (`concurrency`, `per_domain`, `delay`
with AutoThrottle), limits (DOWNLOAD_MAXSIZE = `max_bytes`, which also stops decompression;
DOWNLOAD_TIMEOUT = `timeout`, narrowed to the page's deadline by crawler.limits; at most 10
redirects, no meta refresh, no retries: a failed fetch is data), linkwatch's components (the SSRF
guard crawler.ssrf as DNS resolver and middleware, crawler.limits, crawler.robots instead of
Scrapy's robots.txt middleware), logs to stderr at WARNING, no telnet console, only http and https.
`worker_settings` adds scrapy-redis's connection (REDIS_URL, text replies) and, when `delay` > 0,
crawler.polite's download handler around the one above.  What each means: docs/check.md, "Fetching".

Settings read: user_agent, concurrency, per_domain, delay, max_bytes, timeout,
allow_private, resolve, redis_url (worker), log_level, and (when rendering) those crawler.render reads.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.settings import default_settings

from monitor.config import Settings

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 10

#: Scrapy's default middlewares that do nothing here, left out of its bases because Scrapy imports every
#: middleware it is given, one set to None too: its robots.txt one (crawler.robots instead), offsite (no
#: allowed_domains), HTTP auth, per-request stats nobody reads, those our settings turn off (retry, meta
#: refresh, cookies, HTTP cache; the cookies one imports tldextract and requests), and the spider side's URL
#: length, depth and meta-copy checks (one request per page, no link following; the Referer one stays:
#: RedirectMiddleware warns without it).  Any other default of Scrapy's stays, with its priority.
UNUSED_MIDDLEWARES = frozenset({f"scrapy.downloadermiddlewares.{name}" for name in (
    "robotstxt.RobotsTxtMiddleware", "offsite.OffsiteMiddleware", "httpauth.HttpAuthMiddleware",
    "stats.DownloaderStats", "retry.RetryMiddleware", "redirect.MetaRefreshMiddleware",
    "cookies.CookiesMiddleware", "httpcache.HttpCacheMiddleware")} | {f"scrapy.spidermiddlewares.{name}" for name in (
    "urllength.UrlLengthMiddleware", "depth.DepthMiddleware", "metacopy.MetaCopyDetectionMiddleware")})


def middleware_base(scrapy_default: dict[str, int]) -> dict[str, int]:
    """One of Scrapy's middleware bases without UNUSED_MIDDLEWARES."""
    return {path: priority for path, priority in scrapy_default.items() if path not in UNUSED_MIDDLEWARES}


def scrapy_settings(settings: Settings, *, render: bool) -> dict[str, Any]:
    """The Scrapy settings dict; `render` enables scrapy-playwright's download handler."""
    handlers: dict[str, Any] = {"file": None, "data": None, "ftp": None, "s3": None}
    values: dict[str, Any] = {
        "BOT_NAME": "linkwatch",
        "USER_AGENT": settings.user_agent,
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            "Accept-Language": "en;q=0.9, *;q=0.5",
        },
        "ROBOTSTXT_OBEY": False,  # crawler.robots does it per RFC 9309
        "LINKWATCH_OBEY_ROBOTS": True,
        "LINKWATCH_ROBOTS_TOKEN": "linkwatch",
        "CONCURRENT_REQUESTS": settings.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.per_domain,
        "DOWNLOAD_DELAY": settings.delay,
        "AUTOTHROTTLE_ENABLED": settings.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(settings.delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, settings.delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(settings.per_domain),
        "DOWNLOAD_MAXSIZE": settings.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": settings.timeout,
        "DNS_TIMEOUT": settings.timeout,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": MAX_REDIRECTS + 5,  # crawler.limits stops at MAX_REDIRECTS with its own reason
        "LINKWATCH_MAX_REDIRECTS": MAX_REDIRECTS,
        "METAREFRESH_ENABLED": False,
        "COOKIES_ENABLED": False,
        "RETRY_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "HTTPCACHE_ENABLED": False,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "TWISTED_DNS_RESOLVER": "crawler.ssrf.GuardedResolver",
        "LINKWATCH_ALLOW_PRIVATE": settings.allow_private,
        "LINKWATCH_RESOLVE": dict(settings.resolve),
        # start-up: the bases list only the middlewares that act (UNUSED_MIDDLEWARES)
        "DOWNLOADER_MIDDLEWARES_BASE": middleware_base(default_settings.DOWNLOADER_MIDDLEWARES_BASE),
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.ssrf.SsrfMiddleware": 50,
            "crawler.limits.LimitsMiddleware": 60,
            "crawler.robots.RobotsMiddleware": 100,
        },
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control: an HTTP server that runs Python code sent to it (token-protected,
        # on localhost), announced in a job file under ~/.local/state/scrapy -- not for a process that
        # fetches strangers' pages unattended
        "REMOTE_CONTROL_ENABLED": False,
        # start-up: only the extensions that can do something here (Scrapy imports every extension it is
        # given, even one set to None, before it declines to run: the remote control alone loads aiohttp,
        # ≈0.1 s of a one-page check); the others are off or have nothing to do (no telnet, memory checks,
        # feeds, job directory, periodic stats, Scrapy stats)
        "EXTENSIONS_BASE": {f"scrapy.extensions.{name}": 0 for name in (
            "logcount.LogCount", "closespider.CloseSpider", "throttle.AutoThrottle")},
        # CPU per page (bench/, docs/performance.md): parse_page yields at most one request, so one task
        # per response instead of CONCURRENT_ITEMS=100; no per-callback source inspection (it misses its
        # cache for bound methods: an ast.parse per response); no spider/downloader middlewares that do
        # nothing for one-request-per-page crawls (the Referer one stays: RedirectMiddleware warns without it).
        "CONCURRENT_ITEMS": 1,
        # Scrapy's stats are counters in a dict behind a deprecation shim, bumped several times per request,
        # never read: linkwatch's figures come from its own observations (runs table, /metrics)
        "STATS_CLASS": "scrapy.statscollectors.DummyStatsCollector",
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "SPIDER_MIDDLEWARES_BASE": middleware_base(default_settings.SPIDER_MIDDLEWARES_BASE),
        "LOG_LEVEL": settings.log_level,  # the handler's; the loggers' levels: apply_log_levels
        "LOG_STDOUT": False,
        "STATS_DUMP": False,
        "LOGSTATS_INTERVAL": 0,
        "MEMUSAGE_ENABLED": False,
    }
    if render:
        from crawler.render import playwright_settings

        extra = playwright_settings(settings)
        handlers.update(extra.pop("DOWNLOAD_HANDLERS"))
        values.update(extra)
    values["DOWNLOAD_HANDLERS"] = handlers
    return values


HTTP_HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"  # Scrapy's default for http(s)


def worker_settings(settings: Settings, *, render: bool) -> dict[str, Any]:
    """`scrapy_settings` plus scrapy-redis's connection and, with a `delay`, the shared request turns."""
    values = scrapy_settings(settings, render=render)
    values.update({
        "REDIS_URL": settings.redis_url,  # scrapy_redis.connection: the spider's (and the turns') client
        "REDIS_DECODE_RESPONSES": True,  # queue entries are text (monitor.crawl.workqueue)
        # its calls run in the reactor thread: an unanswering Redis must not freeze the crawl for long
        "REDIS_PARAMS": {"socket_timeout": 5, "socket_connect_timeout": 5},
    })
    if settings.delay > 0:
        handlers = values["DOWNLOAD_HANDLERS"]
        values["LINKWATCH_POLITE_INNER"] = handlers.get("https") or HTTP_HANDLER
        values["LINKWATCH_POLITE_DELAY"] = settings.delay
        handlers.update(http="crawler.polite.PoliteDownloadHandler", https="crawler.polite.PoliteDownloadHandler")
    return values


#: loggers of the libraries under the crawl, kept at WARNING whatever `log_level` says: Scrapy logs a
#: line per request at DEBUG and its settings (the Redis URL with its password) at INFO
FRAMEWORK_LOGGERS = ("scrapy", "scrapy_playwright", "scrapy_redis", "twisted", "playwright", "asyncio")


def apply_log_levels(settings: Settings) -> None:
    """linkwatch's own loggers at `settings.log_level`, the framework's at WARNING or above.

    Set on the named loggers (Scrapy resets the root logger's level when a crawl starts): a record
    below its logger's level is never built -- Scrapy's per-request DEBUG line was ~1% of a crawl's CPU."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    for name in ("crawler", "monitor", "alerts"):
        logging.getLogger(name).setLevel(level)
    for name in FRAMEWORK_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
