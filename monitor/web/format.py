"""How the web pages show values: the verdict in one sentence and the template filters.

The human values themselves (dates, numbers, states in words, safe links) live in monitor.core.human.
"""

from __future__ import annotations

from typing import Any

from monitor.core.changes import link_page_flags
from monitor.core.human import (
    human_date,
    human_number,
    human_time,
    lost_how_words,
    page_flags_clause,
    page_flags_words,
    percent,
    position_words,
    safe_href,
    state_with_flags,
    state_words,
)
from monitor.core.types import EventType
from monitor.store.rollups import GAIN_EVENTS


def verdict_reason(link: dict[str, Any], check: dict[str, Any] | None) -> str:
    """The current verdict of a backlink in one plain sentence, from its latest check."""
    state = link.get("state")
    if state == "unchecked" or check is None:
        return "Not checked yet." if state != "pending" else "Promised link: not checked yet."
    status = f"HTTP {check['http_status']}" if check.get("http_status") else "no answer"
    rels = sorted({r for item in check.get("links") or [] for r in item.get("rel", [])})
    flags = link_page_flags(link)
    if state == "live" and flags:
        return (f"The page links to {link['target']} with a followed link, but the page "
                f"{page_flags_clause(flags)}, so the link passes no value.")
    reasons = {
        "live": f"The page ({status}) links to {link['target']} and the link is followed.",
        "nofollow": f"The page ({status}) links to {link['target']}, but the link is not followed"
                    + (f" (rel={' '.join(rels)})." if rels else " (the page tells search engines not to follow it)."),
        "lost": f"The page loaded ({status}) but no link to {link['target']} was found on it.",
        "gone": f"The page no longer exists ({status}).",
        "error": f"The page could not be checked: {check.get('error') or status}.",
        "blocked": f"The site or its robots.txt kept the crawler out: {check.get('error') or status}.",
        "pending": f"Promised link: not on the page yet ({status}).",
    }
    return reasons.get(state or "", state or "")


def link_state_words(link: dict[str, Any]) -> str:
    """A backlink's state in words with its page flags when it is live and followed (`Live (followed) · page
    noindex`), as the Links table, the overview and the link page show it."""
    return state_with_flags(link.get("state"), link_page_flags(link))


#: the changes that read as good news about the link itself: found, back, promised and live, followed again
BECAME_LIVE = (*GAIN_EVENTS, EventType.FOLLOW.value)


def with_page_flags(events: list[dict[str, Any]], links: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Events (JSON objects with `backlink_id`) with `page_flags`: the flags' words (` · page noindex`) when the
    change made the link live and followed (new, back, followed again) and it still is, on a page that passes
    no value, so that it does not read as plain good news; else empty (a change of the page itself, such as
    "Page noindexed", says it already)."""
    out = []
    for event in events:
        link = links.get(event.get("backlink_id") or 0)
        became_live = event.get("type") in BECAME_LIVE and event.get("new_state") == "live"
        live = link is not None and became_live and link.get("state") == "live"
        out.append(event | {"page_flags": page_flags_words(link_page_flags(link)) if live and link else ""})
    return out


FILTERS = {"when": human_time, "day": human_date, "num": human_number, "percent": percent, "href": safe_href,
           "state_words": state_words, "link_state": link_state_words}


def _text(values: dict[str, Any], key: str) -> str:
    """values[key] when it is a string, else "" (details and checks come from the store's JSON: any shape)."""
    value = values.get(key)
    return value if isinstance(value, str) else ""


def anchor_parts(sentence: str | None, anchor: str | None) -> tuple[str, str, str] | None:
    """`sentence` cut around the first occurrence of `anchor` (any case): (before, anchor, after), for the
    template to highlight the anchor; None when there is no sentence or the anchor is not in it."""
    if not sentence or not anchor or not anchor.strip():
        return None
    at = sentence.lower().find(anchor.strip().lower())
    if at < 0:
        return None
    end = at + len(anchor.strip())
    return sentence[:at], sentence[at:end], sentence[end:]


def lost_evidence(detail: dict[str, Any] | None, anchor: str | None) -> dict[str, Any] | None:
    """What a `lost` event's detail says about how the link went, for the link and events pages; None when
    it says nothing.  `before`/`after` are the sentence when last seen live and the closest passage now;
    the values stay plain text (the templates escape them)."""
    detail = detail or {}
    how = lost_how_words(_text(detail, "how"))
    before, after = _text(detail, "before"), _text(detail, "after")
    if not (how or before or after):
        return None
    share = detail.get("changed_share")
    return {
        "how": how, "before": before, "after": after, "before_parts": anchor_parts(before, anchor),
        "changed": percent(float(share)) if isinstance(share, int | float) and 0 <= share <= 1 else "",
        "moved_to": _text(detail, "moved_to"), "competitor": _text(detail, "moved_to_competitor"),
    }


def latest_placement(check: dict[str, Any] | None, anchor: str | None) -> dict[str, Any] | None:
    """Where the latest check found the link: its position in words and the text around it; None when the
    check found no link (or is from before positions were stored)."""
    links = (check or {}).get("links") or []
    if not links or not isinstance(links[0], dict):
        return None
    found = links[0]
    context = found.get("context")
    context = context if isinstance(context, dict) else {}
    before, after = _text(context, "before"), _text(context, "after")
    where = position_words(_text(found, "position"))
    if not (where or before or after):
        return None
    return {"where": where, "before": before, "anchor": found.get("anchor") or anchor or "", "after": after}


def with_evidence(event: dict[str, Any]) -> dict[str, Any]:
    """An event's JSON object with `evidence` (lost_evidence) for the templates: set on `lost` events only."""
    lost = event.get("type") == "lost"
    return event | {"evidence": lost_evidence(event.get("detail"), event.get("anchor")) if lost else None}
