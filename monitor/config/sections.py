"""The settings that are not single values: sites, interval rules, alert routes (arrays of tables) and SMTP.

Each array of tables has a parser here, `items -> tuple of dataclasses`; the loader has already checked that
every item is a table holding only the keys its `table(...)` declaration names.  SMTP is a nested group of
scalar settings, declared like those of `Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.config.spec import setting
from monitor.config.urls import port_number, smtp_host
from monitor.config.values import (
    ConfigError,
    number,
    optional_text,
    parse_bool,
    parse_duration,
    strings,
    weekday,
    whole,
)
from monitor.core.types import DEFAULT_ALERT_EVENTS, EventType

CHANNEL_NAMES = ("slack", "email", "webhook", "apprise")
ROUTE_MODES = ("immediate", "daily", "weekly")


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
    competitors: bool = False  # also the events of competitor sites (`[[site]] competitor = true`)


@dataclass(frozen=True)
class SmtpConfig:
    """Email alerts: the `[smtp]` section."""

    host: str | None = setting("smtp", "host", "LINKWATCH_SMTP_HOST", smtp_host, None,
                               "SMTP server's host name (not a URL); email is off without it.")
    port: int = setting("smtp", "port", "LINKWATCH_SMTP_PORT", port_number, 587, "SMTP port (1 to 65535).",
                        doc_default="`587` (`465` with `ssl`)")
    user: str | None = setting("smtp", "user", "LINKWATCH_SMTP_USER", optional_text, None,
                               "Optional authentication: the user name.")
    password: str | None = setting("smtp", "password", "LINKWATCH_SMTP_PASSWORD", optional_text, None,
                                   "Optional authentication: the password.")
    starttls: bool = setting("smtp", "starttls", "LINKWATCH_SMTP_STARTTLS", parse_bool, True,
                             "Upgrade with STARTTLS.")
    ssl: bool = setting("smtp", "ssl", "LINKWATCH_SMTP_SSL", parse_bool, False,
                        "Implicit TLS (usually port 465).")
    email_from: str | None = setting("smtp", "from", "LINKWATCH_EMAIL_FROM", optional_text, None, "Sender.")
    email_to: tuple[str, ...] = setting("smtp", "to", "LINKWATCH_EMAIL_TO", strings, (),
                                        "Recipients (a list, or a comma-separated string).")
    timeout: float = setting("smtp", "timeout", None, number(1.0), 30.0, "Seconds.")


def _event_types(value: Any, name: str) -> tuple[EventType, ...]:
    names = strings(value, name)
    try:
        return tuple(EventType(n) for n in names)
    except ValueError as exc:
        valid = ", ".join(e.value for e in EventType)
        raise ConfigError(f"{name}: {exc}; valid types: {valid}") from None


def parse_routes(items: list[dict[str, Any]]) -> tuple[AlertRoute, ...]:
    """`[[alerts.route]]`: a channel, its events, sites and tags, whether competitors' events too, and when
    (immediately or in a digest)."""
    routes = []
    for index, item in enumerate(items, 1):
        name = f"alerts.route #{index}"
        channel = str(item.get("channel", ""))
        if channel not in CHANNEL_NAMES:
            raise ConfigError(f"{name}: channel must be slack, email, webhook or apprise, got {channel!r}")
        mode = str(item.get("mode", "immediate"))
        if mode not in ROUTE_MODES:
            raise ConfigError(f"{name}: mode must be immediate, daily or weekly, got {mode!r}")
        hour = whole(0)(item.get("hour", 9), f"{name}.hour")
        if hour > 23:
            raise ConfigError(f"{name}.hour: must be 0 to 23")
        day = weekday(item.get("weekday", "mon"), f"{name}.weekday")
        events = _event_types(item["events"], f"{name}.events") if "events" in item else DEFAULT_ALERT_EVENTS
        competitors = parse_bool(item.get("competitors", False), f"{name}.competitors")
        routes.append(AlertRoute(channel, events, strings(item.get("sites"), f"{name}.sites"),
                                 strings(item.get("tags"), f"{name}.tags"), mode, hour, day, competitors))
    return tuple(routes)


def parse_sites(items: list[dict[str, Any]]) -> tuple[SiteConfig, ...]:
    """`[[site]]`: a bare domain (lowercased, without `www.`), whether it is a competitor's, its terms."""
    sites = []
    for index, item in enumerate(items, 1):
        domain = str(item.get("domain", "")).strip().lower().removeprefix("www.")
        if not domain or "/" in domain:
            raise ConfigError(f"site #{index}: domain must be a bare domain such as example.com")
        sites.append(SiteConfig(domain, parse_bool(item.get("competitor", False), f"site {domain}.competitor"),
                                strings(item.get("brand_terms"), f"site {domain}.brand_terms"),
                                strings(item.get("keywords"), f"site {domain}.keywords")))
    return tuple(sites)


def parse_interval_rules(items: list[dict[str, Any]]) -> tuple[IntervalRule, ...]:
    """`[[schedule.rule]]`: another check interval for the backlinks of one site or one tag."""
    rules = []
    for index, item in enumerate(items, 1):
        name = f"schedule.rule #{index}"
        if "every" not in item or not (item.get("site") or item.get("tag")):
            raise ConfigError(f"{name}: needs `every` and a `site` or a `tag`")
        rules.append(IntervalRule(parse_duration(item["every"], f"{name}.every"), item.get("site"), item.get("tag")))
    return tuple(rules)
