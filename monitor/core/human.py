"""Values as people read them: human dates and numbers, states and event types in words, safe links.

Used wherever people read (alerts, reports, the CLI's text output, the web pages); JSON output keeps
machine values.  Everything shown may come from a crawled page or an import: `safe_href` gives a URL to
put in an `href` only when it is http(s) (never `javascript:`, `data:`...).
"""

from __future__ import annotations

from collections.abc import Mapping
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


#: event types most urgent first (a lost followed link before a changed anchor, news last)
EVENT_URGENCY = (
    "lost", "page_gone", "nofollow", "target_changed", "page_noindex", "page_blocked_for_google", "unreachable",
    "page_redirected", "canonical_changed", "link_demoted", "anchor_changed", "link_promoted", "follow", "restored",
    "went_live", "new",
)
#: "3 links lost": (one, several) of each event type, for counts in sentences
EVENT_COUNTS = {
    "lost": ("link lost", "links lost"), "page_gone": ("page gone", "pages gone"),
    "nofollow": ("now not followed", "now not followed"), "follow": ("followed again", "followed again"),
    "target_changed": ("link pointing elsewhere", "links pointing elsewhere"),
    "page_noindex": ("page noindexed", "pages noindexed"), "page_redirected": ("page redirected", "pages redirected"),
    "canonical_changed": ("canonical changed", "canonicals changed"),
    "unreachable": ("page unreachable", "pages unreachable"), "anchor_changed": ("anchor changed", "anchors changed"),
    "restored": ("link back", "links back"), "went_live": ("promised link live", "promised links live"),
    "new": ("new link", "new links"),
    "link_demoted": ("link moved out of the content", "links moved out of the content"),
    "link_promoted": ("link moved into the content", "links moved into the content"),
    "page_blocked_for_google": ("page blocked for Google", "pages blocked for Google"),
}
#: "3 missing, 1,150 followed": what checks found, per check state (a link missing once is not lost yet)
CHECK_COUNTS = {
    "lost": "missing", "gone": "on a page that is gone", "nofollow": "not followed",
    "error": "could not be checked", "blocked": "blocked by the site", "pending": "still promised",
    "unchecked": "not seen yet", "live": "followed",
}
NOFOLLOW_WORDS = {
    "rel_nofollow": 'rel="nofollow" on the link', "rel_sponsored": 'rel="sponsored" on the link',
    "rel_ugc": 'rel="ugc" on the link', "meta": "a robots meta tag with nofollow",
    "header": "an X-Robots-Tag: nofollow header",
}
NOINDEX_WORDS = {"meta": "a robots meta tag with noindex", "header": "an X-Robots-Tag: noindex header"}


def plural(count: int, one: str, several: str | None = None) -> str:
    """`1 page`, `1,204 pages`."""
    return f"{count:,} {one if count == 1 else (several or one + 's')}"


def human_duration(seconds: float | None) -> str:
    """`45 s`, `3 min 12 s`, `2 h 5 min`, `3 d 4 h`; under a second `0.4 s`."""
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{max(seconds, 0):.1f} s"
    total = round(seconds)
    for big, big_unit, small, small_unit in ((86400, "d", 3600, "h"), (3600, "h", 60, "min"), (60, "min", 1, "s")):
        if total >= big:
            rest = (total % big) // small
            return f"{total // big} {big_unit}" + (f" {rest} {small_unit}" if rest else "")
    return f"{total} s"


def event_count(kind: str, count: int) -> str:
    """`3 links lost`, `1 now not followed`."""
    one, several = EVENT_COUNTS.get(kind, (event_words(kind).lower(), event_words(kind).lower()))
    return f"{count:,} {one if count == 1 else several}"


def event_counts(counts: dict[str, int]) -> str:
    """`3 links lost, 1 now not followed, 2 new links`: counts per event type, most urgent first."""
    return ", ".join(event_count(kind, n) for kind, n in sorted(counts.items(), key=lambda item: urgency(item[0])))


def check_counts(counts: dict[str, int]) -> str:
    """`3 missing, 1,150 followed`: counts per check state, most urgent first (STATE_ORDER)."""
    order = {state: index for index, state in enumerate(STATE_ORDER)}
    ranked = sorted(counts.items(), key=lambda item: order.get(item[0], len(order)))
    return ", ".join(f"{n:,} {CHECK_COUNTS.get(state, state)}" for state, n in ranked)


def urgency(kind: str) -> int:
    """The rank of an event type in EVENT_URGENCY (unknown types last)."""
    return EVENT_URGENCY.index(kind) if kind in EVENT_URGENCY else len(EVENT_URGENCY)


def quoted(text: Any) -> str:
    """An anchor or other page text in quotes, `no text` when there is none."""
    return f"“{text}”" if text not in (None, "") else "no text"


def _words(names: Any, table: dict[str, str]) -> str:
    items = names if isinstance(names, list | tuple) else [names]
    return ", ".join(table.get(str(n), str(n)) for n in items if n)


def nofollow_words(reasons: Any) -> str:
    """`rel="ugc nofollow" on the link, a robots meta tag with nofollow` from NofollowSource values."""
    items = [str(r) for r in (reasons if isinstance(reasons, list | tuple) else [reasons]) if r]
    rel = [r.removeprefix("rel_") for r in items if r.startswith("rel_")]
    words = [f'rel="{" ".join(rel)}" on the link'] if rel else []
    return ", ".join(words + [NOFOLLOW_WORDS.get(r, r) for r in items if not r.startswith("rel_")])


def event_reason(kind: str, detail: Mapping[str, Any]) -> str:
    """Why an event happened, in a few plain words from its detail (`redirected to https://…`, `the page answers
    404`, `rel="sponsored" on the link`); an empty string when the detail says nothing more."""
    if detail.get("redirected_to"):
        return f"redirected to {detail['redirected_to']}"
    if kind == "page_gone" or (kind == "unreachable" and detail.get("http_status")):
        status = detail.get("http_status")
        return f"the page answers {status}" if status else "the page is gone"
    if kind == "unreachable":
        since = f"failing since {human_time(detail['errors_since'])}" if detail.get("errors_since") else "failing"
        return f"{since}: {str(detail['error'])[:80]}" if detail.get("error") else since
    if kind == "nofollow" or (kind in ("new", "went_live", "restored") and detail.get("follow") is False):
        reasons = nofollow_words(detail.get("reasons") or detail.get("reason"))
        return f"not followed: {reasons}" if reasons else "not followed"
    if kind == "anchor_changed":
        return f"anchor was {quoted(detail.get('old_anchor'))}, now {quoted(detail.get('new_anchor'))}"
    if kind == "target_changed":
        return f"now links to {detail.get('new_href')} instead of {detail.get('old_href')}"
    if kind == "page_noindex":
        return _words(detail.get("sources"), NOINDEX_WORDS)
    if kind == "canonical_changed":
        return f"its canonical is now {detail.get('canonical')}"
    if kind == "lost" and detail.get("misses"):
        return f"not on the page in {plural(int(detail['misses']), 'check')} in a row"
    if detail.get("rendered_only"):
        return "found only after JavaScript rendering"
    return ""
