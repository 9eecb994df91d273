"""linkwatch's settings: read once from a TOML file and the environment, validated once.

This is the only module that reads the environment.  Everything else receives a
`Settings` object (or the plain values it holds).  Precedence, lowest first:
built-in defaults, the config file, environment variables, command-line flags
(applied by the CLI with `dataclasses.replace`).

The config file is `$LINKWATCH_CONFIG`, else `$XDG_CONFIG_HOME/linkwatch/config.toml`
(`~/.config/linkwatch/config.toml`); a missing file is fine.  docs/configuration.md
is the reference for every key and variable; keep the two in step.

Environment variables read here: LINKWATCH_CONFIG, LINKWATCH_DATABASE_URL,
LINKWATCH_ALLOW_PRIVATE, LINKWATCH_USER_AGENT, LINKWATCH_CHROMIUM_PATH,
LINKWATCH_TIMEOUT, LINKWATCH_MAX_BYTES, LINKWATCH_RENDER, LINKWATCH_CONCURRENCY,
LINKWATCH_PER_DOMAIN, LINKWATCH_DELAY, LINKWATCH_RENDER_CONCURRENCY, LINKWATCH_RENDER_PAGES_PER_CONTEXT,
LINKWATCH_CHECK_INTERVAL, LINKWATCH_RECHECK_INTERVAL,
LINKWATCH_LOST_AFTER, LINKWATCH_UNREACHABLE_AFTER, LINKWATCH_METRICS_ADDR,
LINKWATCH_API_TOKEN, LINKWATCH_ALLOW_UNAUTHENTICATED, LINKWATCH_REDIS_URL, LINKWATCH_WORKERS,
LINKWATCH_SLACK_WEBHOOK_URL, LINKWATCH_WEBHOOK_URL,
LINKWATCH_SMTP_HOST, LINKWATCH_SMTP_PORT, LINKWATCH_SMTP_USER, LINKWATCH_SMTP_PASSWORD,
LINKWATCH_SMTP_STARTTLS, LINKWATCH_SMTP_SSL, LINKWATCH_EMAIL_FROM, LINKWATCH_EMAIL_TO,
LINKWATCH_LOG_LEVEL, LINKWATCH_RESOLVE, XDG_CONFIG_HOME, XDG_DATA_HOME, HOME.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import ipaddress
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.core.types import DEFAULT_ALERT_EVENTS, EventType, RenderMode


def _installed_version() -> str:
    """The version from the package metadata: pyproject.toml's `version` is the only place it is written."""
    try:
        return importlib.metadata.version("linkwatch")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


VERSION = _installed_version()
PROJECT_URL = "https://github.com/linkwatch/linkwatch"
DEFAULT_USER_AGENT = f"linkwatch/{VERSION} (+{PROJECT_URL})"


class ConfigError(ValueError):
    """A setting is missing, malformed or out of range. Its message is one line for the user."""


@dataclass(frozen=True)
class SiteConfig:
    """A monitored site: your own, or a competitor's for gap analysis."""

    domain: str
    competitor: bool = False
    brand_terms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntervalRule:
    """A check interval for the backlinks of one site and/or one tag."""

    interval_seconds: float
    site: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class AlertRoute:
    """Which events go to which channel, and when."""

    channel: str  # slack | email | webhook | apprise
    events: tuple[EventType, ...] = DEFAULT_ALERT_EVENTS
    sites: tuple[str, ...] = ()  # empty: every site
    tags: tuple[str, ...] = ()  # empty: every tag
    mode: str = "immediate"  # immediate | daily | weekly
    hour: int = 9  # digest hour (UTC)
    weekday: int = 0  # weekly digest day, 0 = Monday


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None = None
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False  # implicit TLS (usually port 465)
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    timeout: float = 30.0


@dataclass(frozen=True)
class Settings:
    # store
    database_url: str = ""
    # crawling
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = False
    chromium_path: str = "/usr/bin/chromium"
    timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    render: RenderMode = RenderMode.AUTO
    concurrency: int = 32
    per_domain: int = 1
    delay: float = 1.0
    render_concurrency: int = 2
    render_pages_per_context: int = 50  # a browser context is replaced after this many rendered pages
    render_settle: float = 5.0  # seconds a rendered page may take to settle after `load` (0: read at `load`)
    resolve: tuple[tuple[str, str], ...] = ()  # (host, ip) DNS overrides, curl --resolve style
    # schedule and change detection
    check_interval: float = 24 * 3600.0
    recheck_interval: float = 3600.0
    lost_after: int = 2
    unreachable_after: float = 3 * 24 * 3600.0
    batch_size: int = 500
    interval_rules: tuple[IntervalRule, ...] = ()
    # service
    metrics_addr: str = "127.0.0.1:9477"
    api_token: str | None = None
    allow_unauthenticated: bool = False  # serve /metrics and /healthz on a non-loopback address without api_token
    redis_url: str = "redis://127.0.0.1:6379/0"
    workers: bool = False  # `linkwatch worker`s crawl; `serve` only fills their Redis queue (docs/scale-out.md)
    # alerts
    slack_webhook_url: str | None = None
    webhook_url: str | None = None
    apprise_urls: tuple[str, ...] = ()
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    alert_routes: tuple[AlertRoute, ...] = ()
    alert_max_attempts: int = 20
    alert_backoff_seconds: float = 30.0
    # reports
    sites: tuple[SiteConfig, ...] = ()
    generic_anchors: tuple[str, ...] = (
        "click here", "here", "this", "website", "this website", "site", "link", "this link",
        "read more", "more", "learn more", "source", "visit", "visit website", "homepage",
        "this article", "this post", "this page", "check it out", "go", "more info", "details",
    )
    min_follow_ratio: float = 3.0
    max_exact_share: float = 0.3
    log_level: str = "INFO"
    config_path: str | None = None  # the file these came from, if any

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with the non-None changes applied (command-line flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def site(self, domain: str) -> SiteConfig | None:
        domain = domain.lower().removeprefix("www.")
        return next((s for s in self.sites if s.domain == domain), None)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_duration(value: Any, name: str) -> float:
    """'90', '90s', '15m', '24h', '3d', '1w' (or a number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a duration such as 30s, 15m, 24h or 3d, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).lower())
        if not match:
            raise ConfigError(f"{name}: expected a duration such as 30s, 15m, 24h or 3d, got {value!r}")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ConfigError(f"{name}: must be greater than zero")
    return seconds


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: object) -> str:
    level = str(value).strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"log.level: expected one of {', '.join(name.lower() for name in LOG_LEVELS)}, got {value!r}")
    return level


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _int(value: Any, name: str, minimum: int = 0) -> int:
    try:
        number = int(str(value).replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}")
    return number


def _float(value: Any, name: str, minimum: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum:g}")
    return number


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{name}: expected a list of strings")


def parse_host_port(value: str, name: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise ConfigError(f"{name}: expected HOST:PORT, got {value!r}")
    return host.strip("[]"), _int(port, name, 0)


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback IP literal (an empty host or 0.0.0.0 means every interface)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_resolve(value: Any, name: str = "resolve") -> tuple[tuple[str, str], ...]:
    """'host:ip,host2:ip2' (or a list of 'host:ip') -> ((host, ip), ...); hosts lowercased."""
    pairs = []
    for item in _strings(value, name):
        host, sep, ip = item.partition(":")
        host, ip = host.strip().lower().rstrip("."), ip.strip().strip("[]")
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise ConfigError(f"{name}: expected HOST:IP such as example.test:127.0.0.1, got {item!r}") from None
        if not sep or not host:
            raise ConfigError(f"{name}: expected HOST:IP such as example.test:127.0.0.1, got {item!r}")
        pairs.append((host, ip))
    return tuple(pairs)


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "share")
    return Path(base) / "linkwatch"


def child_environment(overrides: Mapping[str, str], drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment with `overrides` applied and `drop` removed, for a child process."""
    env = {**os.environ, **overrides}
    for name in drop:
        env.pop(name, None)
    return env


def default_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "linkwatch" / "config.toml"


def _read_file(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return {}
    import tomllib  # ≈10 ms: loaded only when there is a file to read

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from None


def config_file_warnings(path: str | None) -> list[str]:
    """Warnings about the config file: secrets in a file others can read."""
    if not path or not os.path.exists(path):
        return []
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode) and mode & (stat.S_IRGRP | stat.S_IROTH):  # not /dev/null
        return [f"config file {path} is readable by other users; it may hold secrets (chmod 600 it)"]
    return []


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"config: [{name}] must be a table")
    return value


def _event_types(value: Any, name: str) -> tuple[EventType, ...]:
    names = _strings(value, name)
    try:
        return tuple(EventType(n) for n in names)
    except ValueError as exc:
        valid = ", ".join(e.value for e in EventType)
        raise ConfigError(f"{name}: {exc}; valid types: {valid}") from None


def _routes(items: Any) -> tuple[AlertRoute, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ConfigError("config: [[alerts.route]] must be an array of tables")
    routes = []
    for number, item in enumerate(items, 1):
        name = f"alerts.route #{number}"
        channel = str(item.get("channel", ""))
        if channel not in {"slack", "email", "webhook", "apprise"}:
            raise ConfigError(f"{name}: channel must be slack, email, webhook or apprise, got {channel!r}")
        mode = str(item.get("mode", "immediate"))
        if mode not in {"immediate", "daily", "weekly"}:
            raise ConfigError(f"{name}: mode must be immediate, daily or weekly, got {mode!r}")
        hour = _int(item.get("hour", 9), f"{name}.hour")
        if hour > 23:
            raise ConfigError(f"{name}.hour: must be 0 to 23")
        weekday = _weekday(item.get("weekday", "mon"), f"{name}.weekday")
        events = _event_types(item["events"], f"{name}.events") if "events" in item else DEFAULT_ALERT_EVENTS
        routes.append(AlertRoute(channel, events, _strings(item.get("sites"), f"{name}.sites"),
                                 _strings(item.get("tags"), f"{name}.tags"), mode, hour, weekday))
    return tuple(routes)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday(value: Any, name: str) -> int:
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    text = str(value).strip().lower()[:3]
    if text not in _WEEKDAYS:
        raise ConfigError(f"{name}: expected a day such as mon or sunday, got {value!r}")
    return _WEEKDAYS.index(text)


def _sites(items: Any) -> tuple[SiteConfig, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ConfigError("config: [[site]] must be an array of tables")
    sites = []
    for number, item in enumerate(items, 1):
        domain = str(item.get("domain", "")).strip().lower().removeprefix("www.")
        if not domain or "/" in domain:
            raise ConfigError(f"site #{number}: domain must be a bare domain such as example.com")
        sites.append(SiteConfig(domain, parse_bool(item.get("competitor", False), f"site {domain}.competitor"),
                                _strings(item.get("brand_terms"), f"site {domain}.brand_terms"),
                                _strings(item.get("keywords"), f"site {domain}.keywords")))
    return tuple(sites)


def _interval_rules(items: Any) -> tuple[IntervalRule, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ConfigError("config: [[schedule.rule]] must be an array of tables")
    rules = []
    for number, item in enumerate(items, 1):
        name = f"schedule.rule #{number}"
        if "every" not in item or not (item.get("site") or item.get("tag")):
            raise ConfigError(f"{name}: needs `every` and a `site` or a `tag`")
        rules.append(IntervalRule(parse_duration(item["every"], f"{name}.every"),
                                  item.get("site"), item.get("tag")))
    return tuple(rules)


def load_settings(env: Mapping[str, str] | None = None, path: str | None = None) -> Settings:
    """Build and validate the settings. Raises ConfigError with a one-line message."""
    env = os.environ if env is None else env
    explicit = path or env.get("LINKWATCH_CONFIG")
    config_path = Path(explicit) if explicit else default_config_path(env)
    data = _read_file(config_path, explicit=bool(explicit))

    def pick(section: str, key: str, var: str | None, default: Any) -> Any:
        if var and env.get(var) not in (None, ""):
            return env[var]
        return _section(data, section).get(key, default)

    render = str(pick("crawl", "render", "LINKWATCH_RENDER", "auto")).lower()
    if render not in {m.value for m in RenderMode}:
        raise ConfigError(f"render: expected auto, never or always, got {render!r}")
    metrics_addr = str(pick("serve", "metrics_addr", "LINKWATCH_METRICS_ADDR", "127.0.0.1:9477"))
    parse_host_port(metrics_addr, "metrics_addr")
    database_url = pick("database", "url", "LINKWATCH_DATABASE_URL", None)
    if not database_url:
        database_url = f"sqlite:///{default_data_dir(env) / 'linkwatch.db'}"
    alerts = _section(data, "alerts")
    smtp_port_default = 465 if parse_bool(pick("smtp", "ssl", "LINKWATCH_SMTP_SSL", False), "smtp.ssl") else 587
    smtp = SmtpConfig(
        host=pick("smtp", "host", "LINKWATCH_SMTP_HOST", None),
        port=_int(pick("smtp", "port", "LINKWATCH_SMTP_PORT", smtp_port_default), "smtp.port", 1),
        user=pick("smtp", "user", "LINKWATCH_SMTP_USER", None),
        password=pick("smtp", "password", "LINKWATCH_SMTP_PASSWORD", None),
        starttls=parse_bool(pick("smtp", "starttls", "LINKWATCH_SMTP_STARTTLS", True), "smtp.starttls"),
        ssl=parse_bool(pick("smtp", "ssl", "LINKWATCH_SMTP_SSL", False), "smtp.ssl"),
        email_from=pick("smtp", "from", "LINKWATCH_EMAIL_FROM", None),
        email_to=_strings(pick("smtp", "to", "LINKWATCH_EMAIL_TO", None), "smtp.to"),
        timeout=_float(pick("smtp", "timeout", None, 30.0), "smtp.timeout", 1.0),
    )
    reports = _section(data, "reports")
    defaults = Settings()
    settings = Settings(
        database_url=str(database_url),
        user_agent=str(pick("crawl", "user_agent", "LINKWATCH_USER_AGENT", DEFAULT_USER_AGENT)),
        allow_private=parse_bool(pick("crawl", "allow_private", "LINKWATCH_ALLOW_PRIVATE", False),
                                 "allow_private"),
        chromium_path=str(pick("crawl", "chromium_path", "LINKWATCH_CHROMIUM_PATH", "/usr/bin/chromium")),
        timeout=parse_duration(pick("crawl", "timeout", "LINKWATCH_TIMEOUT", 30), "timeout"),
        max_bytes=_int(pick("crawl", "max_bytes", "LINKWATCH_MAX_BYTES", 10 * 1024 * 1024), "max_bytes", 1024),
        render=RenderMode(render),
        concurrency=_int(pick("crawl", "concurrency", "LINKWATCH_CONCURRENCY", 32), "concurrency", 1),
        per_domain=_int(pick("crawl", "per_domain", "LINKWATCH_PER_DOMAIN", 1), "per_domain", 1),
        delay=_float(pick("crawl", "delay", "LINKWATCH_DELAY", 1.0), "delay"),
        render_concurrency=_int(pick("crawl", "render_concurrency", "LINKWATCH_RENDER_CONCURRENCY", 2),
                                "render_concurrency", 1),
        render_pages_per_context=_int(pick("crawl", "render_pages_per_context",
                                           "LINKWATCH_RENDER_PAGES_PER_CONTEXT", 50), "render_pages_per_context", 1),
        render_settle=_float(pick("crawl", "render_settle", "LINKWATCH_RENDER_SETTLE", 5.0), "render_settle"),
        resolve=parse_resolve(pick("crawl", "resolve", "LINKWATCH_RESOLVE", None)),
        check_interval=parse_duration(pick("schedule", "interval", "LINKWATCH_CHECK_INTERVAL", "24h"),
                                      "check_interval"),
        recheck_interval=parse_duration(pick("schedule", "recheck", "LINKWATCH_RECHECK_INTERVAL", "1h"),
                                        "recheck_interval"),
        lost_after=_int(pick("schedule", "lost_after", "LINKWATCH_LOST_AFTER", 2), "lost_after", 1),
        unreachable_after=parse_duration(
            pick("schedule", "unreachable_after", "LINKWATCH_UNREACHABLE_AFTER", "3d"), "unreachable_after"),
        batch_size=_int(pick("schedule", "batch_size", None, 500), "batch_size", 1),
        interval_rules=_interval_rules(_section(data, "schedule").get("rule")),
        metrics_addr=metrics_addr,
        api_token=pick("serve", "api_token", "LINKWATCH_API_TOKEN", None),
        allow_unauthenticated=parse_bool(pick("serve", "allow_unauthenticated", "LINKWATCH_ALLOW_UNAUTHENTICATED",
                                              False), "allow_unauthenticated"),
        redis_url=str(pick("redis", "url", "LINKWATCH_REDIS_URL", "redis://127.0.0.1:6379/0")),
        workers=parse_bool(pick("redis", "workers", "LINKWATCH_WORKERS", False), "redis.workers"),
        slack_webhook_url=pick("alerts", "slack_webhook_url", "LINKWATCH_SLACK_WEBHOOK_URL", None),
        webhook_url=pick("alerts", "webhook_url", "LINKWATCH_WEBHOOK_URL", None),
        apprise_urls=_strings(alerts.get("apprise_urls"), "alerts.apprise_urls"),
        smtp=smtp,
        alert_routes=_routes(alerts.get("route")),
        alert_max_attempts=_int(alerts.get("max_attempts", 20), "alerts.max_attempts", 1),
        alert_backoff_seconds=parse_duration(alerts.get("backoff", 30), "alerts.backoff"),
        sites=_sites(data.get("site")),
        generic_anchors=_strings(reports.get("generic_anchors"), "reports.generic_anchors")
        or defaults.generic_anchors,
        min_follow_ratio=_float(reports.get("min_follow_ratio", 3.0), "reports.min_follow_ratio"),
        max_exact_share=_float(reports.get("max_exact_share", 0.3), "reports.max_exact_share"),
        log_level=_log_level(pick("log", "level", "LINKWATCH_LOG_LEVEL", "INFO")),
        config_path=str(config_path) if config_path.exists() else None,
    )
    if settings.max_exact_share > 1:
        raise ConfigError("reports.max_exact_share: must be a share between 0 and 1")
    return settings
