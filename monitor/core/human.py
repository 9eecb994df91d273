"""Values as people read them: human dates and numbers, states and event types in words, safe links.

Used wherever people read (alerts, reports, the CLI's text output, the web pages); JSON output keeps
machine values.  Everything shown may come from a crawled page or an import: `safe_href` gives a URL to
put in an `href` only when it is http(s) (never `javascript:`, `data:`...).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

STATE_WORDS = {
    "live": "Live (followed)", "nofollow": "Live, not followed", "lost": "Lost", "gone": "Page gone",
    "error": "Could not check", "blocked": "Blocked by the site", "pending": "Promised (pending)",
    "unchecked": "Not seen yet",
}
EVENT_WORDS = {
    "new": "New link found", "lost": "Link lost", "restored": "Link back", "nofollow": "Became not followed",
    "follow": "Followed again", "anchor_changed": "Anchor changed", "target_changed": "Points elsewhere",
    "page_gone": "Page gone", "page_noindex": "Page noindexed", "page_redirected": "Page redirected",
    "canonical_changed": "Canonical changed", "unreachable": "Page unreachable", "went_live": "Promised link live",
    "link_demoted": "Link moved out of the content", "link_promoted": "Link moved into the content",
    "page_blocked_for_google": "Page blocked for Google",
}
#: most urgent first: the order of the state filter and of "sort by state"
STATE_ORDER = ("lost", "gone", "nofollow", "error", "blocked", "pending", "unchecked", "live")


def human_time(value: datetime | str | None) -> str:
    """`6 Dec 2026 15:53 UTC`; an empty string for no time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return f"{value.day} {value:%b %Y %H:%M} UTC"


def human_date(value: date | datetime | str | None) -> str:
    """`6 Dec 2026`."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    return f"{value.day} {value:%b %Y}"


def human_number(value: float | int | None, digits: int = 0) -> str:
    """`12,345` (or `12,345.6` with digits); an empty string for no figure."""
    if value is None:
        return ""
    if digits == 0:
        return f"{round(value):,}"
    return f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def safe_href(url: Any) -> str | None:
    """`url` when it is an absolute http(s) URL with a host, else None (then it is shown as text only)."""
    if not isinstance(url, str) or any(ord(ch) < 0x21 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def state_words(state: str | None) -> str:
    return STATE_WORDS.get(state or "", state or "")


def event_words(kind: str | None) -> str:
    return EVENT_WORDS.get(kind or "", kind or "")


def yes_no(value: bool | None) -> str:
    """`yes` / `no`; an empty string when unknown."""
    return "" if value is None else ("yes" if value else "no")


def quoted(text: str, limit: int = 60) -> str:
    """A value from a file or a page, quoted for a one-line message: control characters escaped (as Python's
    repr does), cut to `limit` characters with `...` so that a megabyte cell cannot flood an error list."""
    shown = repr(text[:limit])
    return shown + "..." if len(text) > limit else shown


def short_url(url: Any, limit: int = 80) -> str:
    """A URL as people read it in a sentence: `blog.example.com/best-shoes` (no scheme, no `www.`, no lone
    trailing slash), cut to `limit` characters with `…`.  Not for links: the full URL goes in the href."""
    text = str(url or "")
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    if text.lower().startswith("www."):
        text = text[4:]
    if text.endswith("/") and text.count("/") == 1:
        text = text[:-1]
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def visits(value: float | int | None) -> str:
    """A referring page's traffic: `12,400 visits/mo`; an empty string when unknown."""
    return "" if value is None else f"{human_number(value)} visits/mo"
