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
#: how a link was lost (a `lost` event's `detail.how`, monitor.core.loss), and what to do about it
HOW_WORDS = {
    "unlinked": "The page still mentions you, without the link: ask them to add the link back.",
    "passage_removed": "The passage with your link was removed; the rest of the page is unchanged.",
    "page_rewritten": "The page was rewritten; your link went with the old text.",
    "moved_to_other_url": "The page kept your anchor text but points it at another address.",
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


def how_words(how: str | None) -> str:
    """What a lost link's `how` means, in a sentence; an empty string when unknown."""
    return HOW_WORDS.get(how or "", how or "")


def yes_no(value: bool | None) -> str:
    """`yes` / `no`; an empty string when unknown."""
    return "" if value is None else ("yes" if value else "no")
