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
#: how a link was lost (the `how` of a `lost` event's detail, monitor.core.loss), in one sentence without its
#: full stop, and what to do about it (alerts, the web's link page, `linkwatch evidence`)
LOST_HOW_WORDS = {
    "unlinked": "They kept your mention but removed the link",
    "passage_removed": "The passage with your link was taken out; the rest of the page is unchanged",
    "page_rewritten": "The page was rewritten and your link went with it",
    "moved_to_other_url": "The passage now links to another page instead",
}
LOST_HOW_ACTIONS = {
    "unlinked": "ask them to re-link your mention",
    "passage_removed": "ask them to put the passage or the link back",
    "page_rewritten": "ask them to add the link to the new text",
    "moved_to_other_url": "ask them to point the link back to you",
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


#: a page flag (monitor.core.changes.page_flags) as what "the page" does, for a sentence
PAGE_FLAG_CLAUSES = {"noindex": "is noindex", "blocked for Google": "is blocked for Google by its robots.txt",
                     "canonical elsewhere": "names another page as its canonical"}


def state_with_flags(state: str | None, flags: list[str]) -> str:
    """A state in words with what its page says about itself when the link is live and followed: a link on a
    page that passes no value never reads as plain `Live (followed)` (`Live (followed) · page noindex`)."""
    return state_words(state) + (page_flags_words(flags) if state == "live" else "")


def page_flags_words(flags: list[str]) -> str:
    """` · page noindex · page canonical elsewhere`: the page flags to put after a state or a change."""
    return "".join(f" · page {flag}" for flag in flags)


def page_flags_clause(flags: list[str]) -> str:
    """`is noindex and is blocked for Google by its robots.txt`: the page flags as what the page does."""
    return " and ".join(PAGE_FLAG_CLAUSES.get(flag, flag) for flag in flags)


def event_words(kind: str | None) -> str:
    return EVENT_WORDS.get(kind or "", kind or "")


def position_words(position: str | None) -> str:
    """`in the footer`; an empty string when no position is known."""
    return f"in {POSITION_WORDS[position]}" if position in POSITION_WORDS else ""


def lost_how_words(how: str | None, action: bool = False) -> str:
    """How a link was lost in one sentence (with what to do when `action`); empty for no or an unknown `how`."""
    if how not in LOST_HOW_WORDS:
        return ""
    return LOST_HOW_WORDS[how] + (f": {LOST_HOW_ACTIONS[how]}." if action else ".")


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
#: where a link sits on its page (crawler/context.py's positions), in words
POSITION_WORDS = {
    "content": "the article", "nav": "a menu", "header": "the page header", "footer": "the footer",
    "aside": "a sidebar", "comment": "the comments", "unknown": "another part of the page",
}
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


def event_detail_words(kind: str, detail: Mapping[str, Any]) -> str:
    """An event's evidence in a few plain words (`rel="sponsored" on the link; redirected to https://…`), for
    the CLI's text output; the JSON keeps `detail` as it is."""
    parts: list[str] = []
    if kind in ("page_gone", "unreachable") and detail.get("http_status"):
        parts.append(f"the page answers {detail['http_status']}")
    if detail.get("redirected_to"):
        parts.append(f"redirected to {detail['redirected_to']}")
    if kind in ("nofollow", "new", "went_live", "restored") and (detail.get("reasons") or detail.get("reason")):
        parts.append("not followed: " + nofollow_words(detail.get("reasons") or detail.get("reason")))
    if kind == "page_noindex" and detail.get("sources"):
        parts.append("because of " + _listed(detail["sources"], NOINDEX_WORDS))
    if kind == "anchor_changed":
        parts.append(_anchor_change(detail.get("old_anchor"), detail.get("new_anchor")))
    if detail.get("new_href"):
        parts.append(f"now links to {detail['new_href']}" + (f" instead of {detail['old_href']}"
                                                             if detail.get("old_href") else ""))
    if kind == "canonical_changed" and detail.get("canonical"):
        parts.append(f"canonical is now {detail['canonical']}")
    if kind == "lost" and detail.get("how") in LOST_HOW_WORDS and not detail.get("redirected_to"):
        words = LOST_HOW_WORDS[detail["how"]]
        parts.append(words[0].lower() + words[1:])
    if kind in _ABSENT and detail.get("misses"):
        parts.append(f"missing in {plural(int(detail['misses']), 'check')} in a row")
    if kind in ("link_demoted", "link_promoted") and detail.get("new_position"):
        parts.append(f"now in {POSITION_WORDS.get(str(detail['new_position']), 'another part of the page')}"
                     + (f", was in {POSITION_WORDS.get(str(detail['old_position']), 'another part of the page')}"
                        if detail.get("old_position") else ""))
    if kind == "page_blocked_for_google":
        parts.append("robots.txt disallows Googlebot on this page")
    if detail.get("never_seen") is True:
        parts.append("never seen live by linkwatch")
    if detail.get("rendered_only") is True and kind not in _ABSENT:
        parts.append("found only after JavaScript rendering")
    if detail.get("errors_since"):
        parts.append(f"failing since {human_time(detail['errors_since'])}")
    if detail.get("error") and not (detail.get("http_status") and kind in ("page_gone", "unreachable")):
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


def nofollow_words(reasons: Any) -> str:
    """`rel="ugc nofollow" on the link, a robots meta tag with nofollow` from NofollowSource values."""
    items = [str(r) for r in (reasons if isinstance(reasons, list | tuple) else [reasons]) if r]
    rel = [r.removeprefix("rel_") for r in items if r.startswith("rel_")]
    words = [f'rel="{" ".join(rel)}" on the link'] if rel else []
    return ", ".join(words + [NOFOLLOW_WORDS.get(r, r) for r in items if not r.startswith("rel_")])


#: why a live link's page passes no value (monitor.core.changes.NO_VALUE_REASONS), in words
NO_VALUE_WORDS = {"noindex": "noindex", "blocked_for_google": "blocked for Google",
                  "canonical_elsewhere": "canonical elsewhere", "redirected_away": "redirected away"}


def no_value_words(counts: dict[str, int]) -> str:
    """`noindex 2, blocked for Google 1`: the reasons with links, in their order; '' when none."""
    return ", ".join(f"{NO_VALUE_WORDS.get(reason, reason)} {human_number(count)}"
                     for reason, count in counts.items() if count)
