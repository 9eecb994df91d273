"""How the web pages show values: the verdict in one sentence and the template filters.

The human values themselves (dates, numbers, states in words, safe links) live in monitor.core.human.
"""

from __future__ import annotations

from typing import Any

from monitor.core.human import human_date, human_number, human_time, percent, safe_href, state_words


def verdict_reason(link: dict[str, Any], check: dict[str, Any] | None) -> str:
    """The current verdict of a backlink in one plain sentence, from its latest check."""
    state = link.get("state")
    if state == "unchecked" or check is None:
        return "Not checked yet." if state != "pending" else "Promised link: not checked yet."
    status = f"HTTP {check['http_status']}" if check.get("http_status") else "no answer"
    rels = sorted({r for item in check.get("links") or [] for r in item.get("rel", [])})
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


FILTERS = {"when": human_time, "day": human_date, "num": human_number, "percent": percent, "href": safe_href,
           "state_words": state_words}
