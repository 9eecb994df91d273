"""Prometheus metrics: a collector that reads the database at scrape time, and the /metrics endpoint.

Why at scrape time: the numbers stay right across restarts and however many crawler processes or
workers write to the store.  Invariant: labels are closed sets, initialised up front, never a URL,
a referring domain or a link id.  `build_registry(engine, settings)` gives the registry;
`metrics_app(registry, api_token)` a WSGI app for /metrics (401 without the bearer token, when one
is set); `start_metrics_server(engine, settings)` serves it in a thread; `exposure_error(host,
settings)` says why an address must not be served without a token (any non-loopback one, unless
`allow_unauthenticated`).  Where each number comes from, and every metric: docs/metrics.md.

Settings read: `metrics_addr` (LINKWATCH_METRICS_ADDR), `api_token` (LINKWATCH_API_TOKEN),
`allow_unauthenticated` (LINKWATCH_ALLOW_UNAUTHENTICATED).
"""

from __future__ import annotations

import hmac
import logging
import platform
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, literal_column, select
from sqlalchemy.orm import Session

from monitor.config import VERSION, Settings, is_loopback_host, parse_host_port
from monitor.core.types import BacklinkState
from monitor.store import metric_counts
from monitor.store.metric_counts import INF, METHODS, OUTCOMES, format_bound, labels_key
from monitor.store.models import Backlink, CheckRun, Delivery, Site

logger = logging.getLogger(__name__)

STATES = tuple(state.value for state in BacklinkState)
CHANNELS = ("slack", "email", "webhook", "apprise")
PRESENT = ("live", "nofollow")


class LinkwatchCollector(Collector):
    """Reads the store on every collect(): one short read transaction per scrape."""

    def __init__(self, engine: Engine, now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.now = now or (lambda: datetime.now(UTC))

    def describe(self) -> Iterable[Metric]:
        return []  # names are not known before the first read; skip the registration-time collect

    def collect(self) -> Iterator[Metric]:
        with Session(self.engine) as session:
            rows = session.execute(select(Site.id, Site.domain, Site.competitor)).all()
            sites: dict[int, str] = {row.id: row.domain for row in rows}
            roles = {row.domain: "competitor" if row.competitor else "own" for row in rows}
            now = self.now()
            yield from backlink_gauges(session, sites, now)
            counts = metric_counts.read_counts(session)
            yield from counter_families(counts, sorted(sites.values()), roles)
            yield from delivery_counters(session)
            yield last_run_gauge(session)
            yield rendered_share_gauge(session)
        yield build_info()


def backlink_gauges(session: Session, sites: dict[int, str], now: datetime) -> Iterator[Metric]:
    """Backlinks by state, referring domains by follow, dofollow ratios, due and overdue."""
    by_state = {(site, state): 0 for site in sites.values() for state in STATES}
    rows = session.execute(select(Backlink.site_id, Backlink.state, func.count())
                           .group_by(Backlink.site_id, Backlink.state))
    for site_id, state, count in rows:
        if site_id in sites and state in STATES:
            by_state[sites[site_id], state] = count
    backlinks = GaugeMetricFamily("linkwatch_backlinks", "Backlinks by monitored site and current state.",
                                  labels=["site", "state"])
    for (site, state), count in sorted(by_state.items()):
        backlinks.add_metric([site, state], count)
    yield backlinks

    domains = referring_domain_counts(session, sites)
    referring = GaugeMetricFamily(
        "linkwatch_referring_domains",
        "Referring domains with live links: follow=true has at least one followed link, false has none.",
        labels=["site", "follow"])
    for (site, follow), count in sorted(domains.items()):
        referring.add_metric([site, follow], count)
    yield referring

    yield dofollow_ratio(sites, by_state, domains)
    yield from due_gauges(session, sites, now)


def referring_domain_counts(session: Session, sites: dict[int, str]) -> dict[tuple[str, str], int]:
    followed = func.max(case((Backlink.state == "live", 1), else_=0)).label("followed")
    per_domain = (select(Backlink.site_id, Backlink.referring_domain, followed)
                  .where(Backlink.state.in_(PRESENT))
                  .group_by(Backlink.site_id, Backlink.referring_domain).subquery())
    rows = session.execute(select(per_domain.c.site_id, per_domain.c.followed, func.count())
                           .group_by(per_domain.c.site_id, per_domain.c.followed))
    counts = {(site, follow): 0 for site in sites.values() for follow in ("true", "false")}
    for site_id, flag, count in rows:
        if site_id in sites:
            counts[sites[site_id], "true" if flag else "false"] = count
    return counts


def dofollow_ratio(sites: dict[int, str], by_state: dict[tuple[str, str], int],
                   domains: dict[tuple[str, str], int]) -> Metric:
    """Followed share of live links and of referring domains; absent for a site without live links."""
    ratio = GaugeMetricFamily("linkwatch_dofollow_ratio",
                              "Share (0..1) of live links, or of referring domains, that are followed.",
                              labels=["site", "by"])
    for site in sorted(sites.values()):
        for by, followed, total in (
            ("links", by_state[site, "live"], by_state[site, "live"] + by_state[site, "nofollow"]),
            ("domains", domains[site, "true"], domains[site, "true"] + domains[site, "false"]),
        ):
            if total:
                ratio.add_metric([site, by], followed / total)
    return ratio


def due_gauges(session: Session, sites: dict[int, str], now: datetime) -> Iterator[Metric]:
    # Grouping by an expression keeps SQLite on a range scan of the due index (few rows are due)
    # instead of walking a whole site_id index to save a sort.
    grouped_site = (Backlink.site_id + literal_column("0")).label("due_site_id")
    rows = session.execute(select(grouped_site, func.count(), func.min(Backlink.next_due_at))
                           .where(Backlink.next_due_at <= now).group_by(grouped_site))
    due = {site: (0, 0.0) for site in sites.values()}
    for site_id, count, oldest in rows:
        if site_id in sites:
            oldest = oldest if isinstance(oldest, datetime) else datetime.fromisoformat(str(oldest))
            oldest = oldest.replace(tzinfo=UTC) if oldest.tzinfo is None else oldest
            due[sites[site_id]] = (count, max(0.0, (now - oldest).total_seconds()))
    due_now = GaugeMetricFamily("linkwatch_backlinks_due", "Backlinks whose next check is due now.",
                                labels=["site"])
    overdue = GaugeMetricFamily("linkwatch_oldest_overdue_check_age_seconds",
                                "How long the most overdue backlink has been waiting for its check (0: none due).",
                                labels=["site"])
    for site, (count, age) in sorted(due.items()):
        due_now.add_metric([site], count)
        overdue.add_metric([site], age)
    yield due_now
    yield overdue


def counter_families(counts: dict[str, dict[str, float]], sites: list[str],
                     roles: Mapping[str, str] | None = None) -> Iterator[Metric]:
    """The pre-aggregated counters and the check duration histogram, every label set initialised.

    The link events carry their site's `role` (`own`, or `competitor` for `[[site]] competitor = true`): one
    role per site, so the label adds no series; the lost-link rules count `role="own"` only."""
    checks = CounterMetricFamily("linkwatch_checks_total", "Checks by outcome (the check state) and fetch method.",
                                 labels=["outcome", "method"])
    stored = counts.get(metric_counts.CHECKS_TOTAL, {})
    for outcome in OUTCOMES:
        for method in METHODS:
            checks.add_metric([outcome, method], stored.get(labels_key(method=method, outcome=outcome), 0.0))
    yield checks

    fetched = CounterMetricFamily("linkwatch_fetched_bytes_total", "Bytes of referring pages fetched.")
    fetched.add_metric([], counts.get(metric_counts.FETCHED_BYTES_TOTAL, {}).get("", 0.0))
    yield fetched

    yield duration_histogram(counts)

    events = CounterMetricFamily("linkwatch_link_events_total",
                                 "Link events (gained, lost, ...) by site, the site's role (own or competitor) "
                                 "and type: the link velocity.",
                                 labels=["site", "role", "type"])
    stored = counts.get(metric_counts.LINK_EVENTS_TOTAL, {})
    for site in sites:
        role = (roles or {}).get(site, "own")
        for kind in metric_counts.EVENT_TYPES:
            events.add_metric([site, role, kind], stored.get(labels_key(site=site, type=kind), 0.0))
    yield events


def duration_histogram(counts: dict[str, dict[str, float]]) -> Metric:
    buckets = counts.get(f"{metric_counts.CHECK_DURATION}_bucket", {})
    sums = counts.get(f"{metric_counts.CHECK_DURATION}_sum", {})
    histogram = HistogramMetricFamily("linkwatch_check_duration_seconds",
                                      "Time to fetch (and render) a referring page, by fetch method.",
                                      labels=["method"])
    bounds = [format_bound(b) for b in metric_counts.DURATION_BUCKETS] + [INF]
    for method in METHODS:
        cumulative = 0.0
        series = []
        for bound in bounds:
            cumulative += buckets.get(labels_key(le=bound, method=method), 0.0)
            series.append((bound, cumulative))
        histogram.add_metric([method], series, sums.get(labels_key(method=method), 0.0))
    return histogram


def delivery_counters(session: Session) -> Iterator[Metric]:
    """Alert deliveries sent and failed, by channel (counted from the deliveries table)."""
    totals = {(channel, status): 0 for channel in CHANNELS for status in ("sent", "failed")}
    rows = session.execute(select(Delivery.channel, Delivery.status, func.count())
                           .where(Delivery.status.in_(("sent", "failed")))
                           .group_by(Delivery.channel, Delivery.status))
    for channel, status, count in rows:
        if channel in CHANNELS:
            totals[channel, status] = count
    for status, help_text in (("sent", "Alert messages delivered, by channel."),
                              ("failed", "Alert message deliveries that failed, by channel.")):
        family = CounterMetricFamily(f"linkwatch_alerts_{status}_total", help_text, labels=["channel"])
        for channel in CHANNELS:
            family.add_metric([channel], totals[channel, status])
        yield family


def last_run_gauge(session: Session) -> Metric:
    finished = session.execute(select(func.max(CheckRun.finished_at))
                               .where(CheckRun.status == "finished")).scalar_one_or_none()
    gauge = GaugeMetricFamily("linkwatch_last_successful_run_timestamp_seconds",
                              "When the last crawl run finished successfully (Unix time; 0: never).")
    if finished is not None and not isinstance(finished, datetime):
        finished = datetime.fromisoformat(str(finished))
    if finished is not None and finished.tzinfo is None:
        finished = finished.replace(tzinfo=UTC)
    gauge.add_metric([], finished.timestamp() if finished else 0.0)
    return gauge


def rendered_share_gauge(session: Session) -> Metric:
    """The share of the pages of the last finished run (with any pages) that Chromium rendered."""
    last = session.execute(select(CheckRun.pages, CheckRun.rendered)
                           .where(CheckRun.status == "finished", CheckRun.pages > 0)
                           .order_by(CheckRun.finished_at.desc(), CheckRun.id.desc()).limit(1)).first()
    gauge = GaugeMetricFamily("linkwatch_last_run_rendered_ratio",
                              "Share of the pages of the last finished run rendered in Chromium, 0..1 (0: no run).")
    gauge.add_metric([], last.rendered / last.pages if last else 0.0)
    return gauge


def build_info() -> Metric:
    info = InfoMetricFamily("linkwatch_build", "linkwatch version and Python version (always 1).")
    info.add_metric([], {"version": VERSION, "python": platform.python_version()})
    return info


def build_registry(engine: Engine, settings: Settings | None = None) -> CollectorRegistry:
    """A registry holding only the linkwatch collector (no process metrics of the serving process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LinkwatchCollector(engine))
    return registry


def bearer_matches(environ: dict[str, Any], token: str) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (compared in constant time)."""
    given = environ.get("HTTP_AUTHORIZATION", "").encode()
    return hmac.compare_digest(given, f"Bearer {token}".encode())


def exposure_error(host: str, settings: Settings) -> str | None:
    """Why /metrics and /healthz must not be served on `host` as configured (one line), or None.

    A non-loopback address needs the bearer token (`api_token`), or `allow_unauthenticated`."""
    if is_loopback_host(host) or settings.api_token or settings.allow_unauthenticated:
        return None
    return (f"{host or 'every interface'} is not a loopback address and no api_token is set: set "
            "LINKWATCH_API_TOKEN ([serve] api_token; Prometheus sends it as a bearer token), or "
            "LINKWATCH_ALLOW_UNAUTHENTICATED=1 ([serve] allow_unauthenticated) to serve /metrics and /healthz "
            "to anyone who can reach it")


def metrics_app(registry: CollectorRegistry, api_token: str | None = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI app serving /metrics; with a token, only to `Authorization: Bearer <token>`."""
    inner = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") not in ("/metrics", "/metrics/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: try /metrics\n"]
        if api_token and not bearer_matches(environ, api_token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                                ("WWW-Authenticate", 'Bearer realm="linkwatch"')])
            return [b"unauthorized\n"]
        return inner(environ, start_response)

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingServerV6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("metrics: " + format, *args)


class MetricsServer:
    """/metrics served from a background thread; `port` is the bound port, `stop()` ends it."""

    def __init__(self, app: Callable[..., Iterable[bytes]], host: str, port: int) -> None:
        server_class = _ThreadingServerV6 if ":" in host else _ThreadingServer
        self.server = make_server(host, port, app, server_class, handler_class=_QuietHandler)
        self.host = host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True)
        self.thread.start()
        logger.info("serving metrics on http://%s:%d/metrics", host, self.port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_metrics_server(engine: Engine, settings: Settings, addr: str | None = None) -> MetricsServer:
    """Serve /metrics at `addr` (default `settings.metrics_addr`; port 0 picks a free one)."""
    host, port = parse_host_port(addr or settings.metrics_addr, "metrics_addr")
    refused = exposure_error(host, settings)
    if refused:
        raise ValueError(refused)
    app = metrics_app(build_registry(engine, settings), settings.api_token)
    return MetricsServer(app, host, port)
