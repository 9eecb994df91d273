"""`Settings`: every setting of linkwatch, each declared once as a field with its Spec (monitor/config/spec.py).

The attribute names and types are what the rest of linkwatch uses; the `setting(...)` of each field says
where its value comes from and what it means, and the loader, the environment list and the reference
table of docs/configuration.md are read off these declarations.  CLI flags are applied afterwards with
`with_overrides`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from monitor.config.sections import (
    AlertRoute,
    IntervalRule,
    SiteConfig,
    SmtpConfig,
    parse_interval_rules,
    parse_routes,
    parse_sites,
)
from monitor.config.spec import Spec, TableSpec, field_specs, field_tables, setting, table
from monitor.config.urls import apprise_urls, database_url, redis_url, web_url
from monitor.config.values import (
    colour,
    host_port,
    image_file,
    number,
    optional_text,
    optional_web_url,
    parse_bool,
    parse_duration,
    parse_resolve,
    render_mode,
    strings,
    text,
    whole,
)
from monitor.config.values import (
    log_format as parse_log_format,
)
from monitor.config.values import (
    log_level as parse_log_level,
)
from monitor.config.version import DEFAULT_USER_AGENT
from monitor.core.types import RenderMode

GENERIC_ANCHORS = (
    "click here", "here", "this", "website", "this website", "site", "link", "this link",
    "read more", "more", "learn more", "source", "visit", "visit website", "homepage",
    "this article", "this post", "this page", "check it out", "go", "more info", "details",
)


@dataclass(frozen=True)
class Settings:
    """Every setting, validated. Frozen: a command gets a copy with its flags applied (`with_overrides`)."""

    # store
    database_url: str = setting(
        "database", "url", "LINKWATCH_DATABASE_URL", database_url, "",
        "SQLAlchemy URL. SQLite (WAL mode) or `postgresql+psycopg://user:pass@host/db`. "
        "The schema is migrated automatically.",
        doc_default="`sqlite:///$XDG_DATA_HOME/linkwatch/linkwatch.db` (`~/.local/share/...`)")
    # crawling
    user_agent: str = setting(
        "crawl", "user_agent", "LINKWATCH_USER_AGENT", text, DEFAULT_USER_AGENT,
        "The User-Agent sent. robots.txt rules are matched against the token `linkwatch`.",
        doc_default="`linkwatch/VERSION (+project URL)`")
    allow_private: bool = setting(
        "crawl", "allow_private", "LINKWATCH_ALLOW_PRIVATE", parse_bool, False,
        "Allow fetching hosts that resolve to loopback, private, link-local or other non-public addresses "
        "(the SSRF guard).")
    resolve: tuple[tuple[str, str], ...] = setting(
        "crawl", "resolve", "LINKWATCH_RESOLVE", parse_resolve, (),
        "curl-style `host:address` overrides of DNS (a list, or a comma-separated string). "
        "For tests and benchmarks.")
    chromium_path: str = setting(
        "crawl", "chromium_path", "LINKWATCH_CHROMIUM_PATH", text, "/usr/bin/chromium",
        "The Chromium executable used for rendering (Debian's `chromium` package).")
    timeout: float = setting(
        "crawl", "timeout", "LINKWATCH_TIMEOUT", parse_duration, 30.0,
        "Bounds robots.txt, redirects and body of one page together.")
    max_bytes: int = setting(
        "crawl", "max_bytes", "LINKWATCH_MAX_BYTES", whole(1024), 10 * 1024 * 1024,
        "Largest page accepted, counted after decompression.")
    render: RenderMode = setting(
        "crawl", "render", "LINKWATCH_RENDER", render_mode, RenderMode.AUTO,
        "`auto`: render with Chromium only pages fetched fine whose static HTML has no followed link to the "
        "target; `never`; `always`.")
    render_concurrency: int = setting(
        "crawl", "render_concurrency", "LINKWATCH_RENDER_CONCURRENCY", whole(1), 2,
        "Pages rendered at once (Chromium pages open at once). A page to render waits for a free one; "
        "its `timeout` starts when it gets it.")
    render_settle: float = setting(
        "crawl", "render_settle", "LINKWATCH_RENDER_SETTLE", number(0.0), 5.0,
        "Seconds a rendered page may take, after `load`, to settle: no document, script, fetch or XHR request "
        "in flight, no short timer pending and no link-changing DOM change for 500 ms. Reading stops early once "
        "every target has a followed link; a page still loading or changing at the end is `render incomplete` "
        "(never `lost`). Always within `timeout`. `0`: read the DOM at `load`. WebSocket, EventSource and "
        "beacons are not waited for ([check.md](check.md#waiting-for-the-page-to-settle)).")
    render_pages_per_context: int = setting(
        "crawl", "render_pages_per_context", "LINKWATCH_RENDER_PAGES_PER_CONTEXT", whole(1), 50,
        "Pages a browser context renders before it is replaced by a fresh one (its cache, cookies and "
        "renderer processes freed), which keeps Chromium's memory flat over long runs.")
    concurrency: int = setting(
        "crawl", "concurrency", "LINKWATCH_CONCURRENCY", whole(1), 32,
        "Requests in flight at once, over all referring domains.")
    per_domain: int = setting(
        "crawl", "per_domain", "LINKWATCH_PER_DOMAIN", whole(1), 1,
        "Requests in flight at once per referring domain.")
    delay: float = setting(
        "crawl", "delay", "LINKWATCH_DELAY", number(0.0), 1.0,
        "Seconds between requests to one referring domain (AutoThrottle adapts it upwards).")
    # schedule and change detection
    check_interval: float = setting(
        "schedule", "interval", "LINKWATCH_CHECK_INTERVAL", parse_duration, 24 * 3600.0,
        "How often each backlink is checked.")
    interval_rules: tuple[IntervalRule, ...] = table(
        "schedule.rule", ("site", "tag", "every"), parse_interval_rules,
        "Another interval for the backlinks of one site or one tag: `site` or `tag`, and `every`, "
        "e.g. `rule = [{ tag = \"money\", every = \"6h\" }]`.")
    recheck_interval: float = setting(
        "schedule", "recheck", "LINKWATCH_RECHECK_INTERVAL", parse_duration, 3600.0,
        "When a suspected loss is checked again.")
    lost_after: int = setting(
        "schedule", "lost_after", "LINKWATCH_LOST_AFTER", whole(1), 2,
        "Consecutive successful checks without the link before it counts as `lost`.")
    unreachable_after: float = setting(
        "schedule", "unreachable_after", "LINKWATCH_UNREACHABLE_AFTER", parse_duration, 3 * 24 * 3600.0,
        "How long errors must persist before an `unreachable` event.")
    batch_size: int = setting(
        "schedule", "batch_size", None, whole(1), 500, "Backlinks read and written per transaction.")
    # service
    metrics_addr: str = setting(
        "serve", "metrics_addr", "LINKWATCH_METRICS_ADDR", host_port, "127.0.0.1:9477",
        "Where `linkwatch serve` serves `/metrics`, `/healthz` and the API.")
    api_token: str | None = setting(
        "serve", "api_token", "LINKWATCH_API_TOKEN", optional_text, None,
        "Bearer token for the HTTP API (outreach intake) and, when set, for `/metrics` (401 without it) and the "
        "full `/healthz` body (without it, only `{\"status\": ...}`). Required when `metrics_addr` is not a "
        "loopback address.")
    allow_unauthenticated: bool = setting(
        "serve", "allow_unauthenticated", "LINKWATCH_ALLOW_UNAUTHENTICATED", parse_bool, False,
        "`true`: serve `/metrics` and `/healthz` on a non-loopback `metrics_addr` without `api_token` "
        "(otherwise `serve` refuses to start: anyone who reaches the port would read them).")
    public_url: str | None = setting(
        "serve", "public_url", "LINKWATCH_PUBLIC_URL", optional_web_url, None,
        "The address people open `linkwatch serve`'s web interface at (an absolute http(s) URL, such as "
        "`https://linkwatch.agency.example`). When set, every alert item links to its link's page there and "
        "each alert to its events page.")
    redis_url: str = setting(
        "redis", "url", "LINKWATCH_REDIS_URL", redis_url, "redis://127.0.0.1:6379/0",
        "The shared queue of `linkwatch worker`.")
    workers: bool = setting(
        "redis", "workers", "LINKWATCH_WORKERS", parse_bool, False,
        "`true`: `linkwatch worker` processes do the crawling; `serve` only fills their queue and re-queues "
        "the jobs of dead workers (docs/scale-out.md).")
    # alerts
    slack_webhook_url: str | None = setting(
        "alerts", "slack_webhook_url", "LINKWATCH_SLACK_WEBHOOK_URL",
        web_url("https://hooks.slack.com/services/..."), None,
        "Slack incoming webhook: an `https://` (or `http://`) URL, checked when the settings are read.")
    webhook_url: str | None = setting(
        "alerts", "webhook_url", "LINKWATCH_WEBHOOK_URL", web_url("https://example.com/hooks/linkwatch"),
        None, "Generic JSON webhook (Teams, Discord, automation): an `https://` (or `http://`) URL.")
    apprise_urls: tuple[str, ...] = setting(
        "alerts", "apprise_urls", None, apprise_urls, (),
        "Apprise URLs, each `scheme://...` (needs the optional `apprise` package).")
    alert_routes: tuple[AlertRoute, ...] = table(
        "alerts.route", ("channel", "events", "sites", "tags", "competitors", "mode", "hour", "weekday"),
        parse_routes,
        "`channel` (slack/email/webhook/apprise), `events` (list of event types), `sites`, `tags`, `competitors` "
        "(`true`: also the events of competitor sites, as outreach opportunities; never sent otherwise), `mode` "
        "(`immediate`, `daily`, `weekly`), `hour` (UTC), `weekday`.",
        doc_default="every channel, default events, immediately")
    alert_max_attempts: int = setting(
        "alerts", "max_attempts", None, whole(1), 20, "Delivery attempts before a notification is given up (`dead`).")
    alert_backoff_seconds: float = setting(
        "alerts", "backoff", None, parse_duration, 30.0, "First retry delay; doubles per attempt.")
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    # evidence (docs/monitoring.md, "Evidence and snapshots")
    evidence: bool = setting(
        "evidence", "enabled", "LINKWATCH_EVIDENCE", parse_bool, True,
        "Keep a compressed snapshot of each referring page's main text at the last check where its links were "
        "seen live and at the check that confirmed each event (the before/after of `linkwatch evidence` and of "
        "a `lost` event's `how`).")
    evidence_html: bool = setting(
        "evidence", "html", "LINKWATCH_EVIDENCE_HTML", parse_bool, False,
        "Keep the page's HTML in the snapshots too (about 5 times the size of the text).")
    evidence_screenshots: bool = setting(
        "evidence", "screenshots", "LINKWATCH_EVIDENCE_SCREENSHOTS", parse_bool, False,
        "Keep a screenshot (JPEG, the top 1280 x 2000 pixels) of pages that were rendered.")
    evidence_max_snapshot_bytes: int = setting(
        "evidence", "max_snapshot_bytes", None, whole(1024), 256 * 1024,
        "Largest snapshot kept, compressed: a bigger HTML or screenshot is left out, a bigger text cut.")
    evidence_budget_bytes: int = setting(
        "evidence", "budget_bytes", "LINKWATCH_EVIDENCE_BUDGET_BYTES", whole(0), 2 * 1024 ** 3,
        "Total size of the snapshots, compressed; over it, the oldest snapshots no event refers to are dropped "
        "first, then the oldest of the others.")
    # reports
    sites: tuple[SiteConfig, ...] = table(
        "site", ("domain", "competitor", "brand_terms", "keywords"), parse_sites,
        "A monitored site: `domain`, `competitor` (`true` for a competitor's site, for gap analysis), "
        "`brand_terms` and `keywords` (for mentions).")
    generic_anchors: tuple[str, ...] = setting(
        "reports", "generic_anchors", None, strings, GENERIC_ANCHORS,
        "Anchor texts that say nothing about the target, for the anchors report (an empty list: the built-in "
        "one).", doc_default="`click here`, `here`, `website`, `read more`... (22 phrases)")
    min_follow_ratio: float = setting(
        "reports", "min_follow_ratio", None, number(0.0), 3.0,
        "The ratio report warns below this many followed links per nofollow link.")
    max_exact_share: float = setting(
        "reports", "max_exact_share", None, number(0.0, 1.0), 0.3,
        "The anchors report warns when exact-match anchors exceed this share.")
    # the HTML and PDF report a client receives (white label)
    report_agency: str | None = setting(
        "report", "agency", "LINKWATCH_REPORT_AGENCY", optional_text, None,
        "Your agency's name: shown in the header and footer of `report --html`/`--pdf` instead of linkwatch.")
    report_logo: str | None = setting(
        "report", "logo", "LINKWATCH_REPORT_LOGO", image_file, None,
        "A PNG, JPEG or SVG file (at most 512 KiB) shown in the report's header, embedded in the file "
        "(an SVG is shown as an image, so nothing in it runs). Checked when the settings are read.")
    report_accent: str = setting(
        "report", "accent", "LINKWATCH_REPORT_ACCENT", colour, "#2b6cb0",
        "The report's accent colour (headings, links, the summary), written `#rrggbb`.")
    log_level: str = setting(
        "log", "level", "LINKWATCH_LOG_LEVEL", parse_log_level, "INFO",
        "Log level (`debug`, `info`, `warning`, `error`, `critical`) of `serve` and `worker` and of their crawl "
        "processes; every other command logs warnings only. `-v` means `debug` for any command. At `info`, `serve` "
        "logs one line per run (docs/monitoring.md, \"What serve logs\"). The crawl process's lines appear as "
        "`crawler: ...` at the level it logged them, its info lines at `debug` (an SSRF refusal is a warning of "
        "`linkwatch run` too). Scrapy's, Twisted's and Playwright's own loggers stay at `warning` whatever the level "
        "(Scrapy's info lines would repeat the settings, the Redis URL included), and so does SQLAlchemy's (every "
        "SQL statement); Alembic's and uvicorn's stay at `warning` unless the level is `debug` (uvicorn's access "
        "log is off).")
    log_format: str = setting(
        "log", "format", "LINKWATCH_LOG_FORMAT", parse_log_format, "text",
        "`text`: one line per record (`2026-12-06 15:53:02 UTC INFO monitor.service.loop: run 42 finished: ...`); "
        "`json`: one JSON object per line with `time`, `level`, `logger`, `message` and, on a run's line, the "
        "run's figures (`run_id`, `status`, `pages`, `checks`, `seconds`, `checks_by_state`, `events_by_type`).")
    config_path: str | None = None  # the file these came from, if any (not a setting)

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with the non-None changes applied (command-line flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def site(self, domain: str) -> SiteConfig | None:
        domain = domain.lower().removeprefix("www.")
        return next((s for s in self.sites if s.domain == domain), None)


def scalar_specs() -> list[Spec]:
    """Every single-valued setting (SMTP's included), in declaration order."""
    return [spec for _, spec in (*field_specs(Settings), *field_specs(SmtpConfig))]


def table_specs() -> list[TableSpec]:
    """Every array of tables of the config file."""
    return [spec for _, spec in field_tables(Settings)]
