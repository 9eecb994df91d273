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
#: why a link is on the reclaim list (monitor.reports.reclaim)
RECLAIM_REASON_WORDS = {
    "removed": "Link removed", "page_gone": "Page gone", "redirected": "Page redirected",
    "noindex": "Page noindex", "made_nofollow": "Made not followed", "canonical_elsewhere": "Canonical elsewhere",
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


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 backlink`, `12,400 backlinks` (`words`: the plural when it is not word + s)."""
    return f"{human_number(count)} {word if count == 1 else (words or word + 's')}"


NOFOLLOW_WORDS = {
    "rel_nofollow": 'rel="nofollow" on the link', "rel_sponsored": 'rel="sponsored" on the link',
    "rel_ugc": 'rel="ugc" on the link', "meta": "a robots meta tag with nofollow",
    "header": "an X-Robots-Tag: nofollow header", "unknown": "reason not known",
}
NOINDEX_WORDS = {"meta": "a robots meta tag with noindex", "header": "an X-Robots-Tag: noindex header"}
#: event types that say the link is missing from the page (their detail counts the checks without it)
_ABSENT = ("lost", "page_gone", "target_changed")


def _listed(values: Any, words: dict[str, str]) -> str:
    items = values if isinstance(values, list | tuple) else [values]
    return ", ".join(words.get(str(v), str(v)) for v in items if v)


def _anchor_change(old: Any, new: Any) -> str:
    """`anchor text “Acme shoes” is now “Acme”`; `… now none` / `… is now “Acme” (it had none)`."""
    if new in (None, ""):
        return f"anchor text “{old}” is now empty"
    if old in (None, ""):
        return f"anchor text is now “{new}” (it had none)"
    return f"anchor text “{old}” is now “{new}”"


def event_detail_words(kind: str, detail: dict[str, Any]) -> str:
    """An event's evidence in a few plain words (`rel="sponsored" on the link; redirected to https://…`), for
    the CLI's text output; the JSON keeps `detail` as it is."""
    parts: list[str] = []
    if kind == "page_gone" and detail.get("http_status"):
        parts.append(f"the page answers {detail['http_status']}")
    if detail.get("redirected_to"):
        parts.append(f"redirected to {detail['redirected_to']}")
    if kind in ("nofollow", "new", "went_live", "restored") and (detail.get("reasons") or detail.get("reason")):
        parts.append("not followed: " + _listed(detail.get("reasons") or detail.get("reason"), NOFOLLOW_WORDS))
    if kind == "page_noindex" and detail.get("sources"):
        parts.append("because of " + _listed(detail["sources"], NOINDEX_WORDS))
    if kind == "anchor_changed":
        parts.append(_anchor_change(detail.get("old_anchor"), detail.get("new_anchor")))
    if detail.get("new_href"):
        parts.append(f"now links to {detail['new_href']}" + (f" instead of {detail['old_href']}"
                                                             if detail.get("old_href") else ""))
    if kind == "canonical_changed" and detail.get("canonical"):
        parts.append(f"canonical is now {detail['canonical']}")
    if kind in _ABSENT and detail.get("misses"):
        parts.append(f"missing in {plural(int(detail['misses']), 'check')} in a row")
    if detail.get("never_seen") is True:
        parts.append("never seen live by linkwatch")
    if detail.get("rendered_only") is True and kind not in _ABSENT:
        parts.append("found only after JavaScript rendering")
    if detail.get("errors_since"):
        parts.append(f"failing since {human_time(detail['errors_since'])}")
    if detail.get("error"):
        parts.append(str(detail["error"]))
    return "; ".join(parts)


def human_value(value: Any) -> str:
    """Any plain value as people read it in a table: yes/no, human dates, `12,400` and `0.83` (at most two
    decimals), a list as words; an empty string for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        return human_time(value)
    if isinstance(value, date):
        return human_date(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}".rstrip("0")
    if isinstance(value, list | tuple):
        return " ".join(human_value(v) for v in value)
    return str(value)


#: why a live link's page passes no value (monitor.core.changes.NO_VALUE_REASONS), in words
NO_VALUE_WORDS = {"noindex": "noindex", "blocked_for_google": "blocked for Google",
                  "canonical_elsewhere": "canonical elsewhere", "redirected_away": "redirected away"}


def no_value_words(counts: dict[str, int]) -> str:
    """`noindex 2, blocked for Google 1`: the reasons with links, in their order; '' when none."""
    return ", ".join(f"{NO_VALUE_WORDS.get(reason, reason)} {human_number(count)}"
                     for reason, count in counts.items() if count)
