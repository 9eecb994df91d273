"""Report values as a client reads them in the HTML report: column headers, words for reasons and classes,
table cells as escaped HTML.

Everything in a row may come from a crawled page or an import: every cell is escaped here, and only an
http(s) URL becomes a link (`monitor.core.human.safe_href`); a mailto: contact is shown as its address.
URLs break only after `/`, `.`, `?`, `&`, `=`, `-`, `_` (a `<wbr>` there), so words are never cut.
The CSV and JSON outputs keep the machine values; this is for people only.

Reads no settings.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from html import escape
from typing import Any

from monitor.core.human import human_date, human_number, percent, safe_href, state_words

#: the columns each section shows, in order (the CSV export has them all)
SHOWN = {
    "traffic": ("rank", "source_url", "anchor", "state", "no_value", "page_traffic", "referral_sessions"),
    "ratio": ("measure", "followed", "nofollow", "ratio"),
    "velocity": ("period_start", "links_gained", "links_lost", "net_links", "domains_gained", "domains_lost",
                 "net_domains"),
    "domains": ("referring_domain", "present_links", "followed_links", "links", "first_seen", "last_live"),
    "gap": ("rank", "referring_domain", "competitor_sites", "links", "page_traffic", "evidence"),
    "anchors": ("anchor", "class", "links", "share"),
    "reclaim": ("reason", "source_url", "target", "anchor", "page_traffic", "lost_at", "contact_hints", "evidence"),
    "outreach": ("overdue", "days_pending", "since", "source_url", "target", "expected_anchor", "campaign"),
}
HEADERS = {
    "rank": "#", "source_url": "Referring page", "anchor": "Anchor text", "state": "Status",
    "page_traffic": "Page traffic (visits a month)", "referral_sessions": "Visits sent (Google Analytics)",
    "measure": "Counted", "followed": "Followed", "nofollow": "Not followed", "ratio": "Ratio",
    "period_start": "Starting", "links_gained": "Links gained", "links_lost": "Links lost", "net_links": "Net links",
    "domains_gained": "Domains gained", "domains_lost": "Domains lost", "net_domains": "Net domains",
    "referring_domain": "Referring domain", "present_links": "Links on the site now",
    "followed_links": "Followed links", "links": "Links", "first_seen": "First seen", "last_live": "Last seen live",
    "competitor_sites": "Links to these competitors", "evidence": "Details", "class": "Type", "share": "Share",
    "reason": "What happened", "target": "Links to", "lost_at": "Lost on", "contact_hints": "Contact",
    "overdue": "Overdue", "days_pending": "Days waiting", "since": "Promised on",
    "expected_anchor": "Expected anchor text", "campaign": "Campaign",
    "no_value_links": "Followed links passing no value", "no_value": "Passes no value because",
}
REASON_WORDS = {
    "removed": "Link removed", "page_gone": "Page deleted", "redirected": "Page redirected",
    "noindex": "Page hidden from Google (noindex)", "made_nofollow": "Link made not followed",
    "canonical_elsewhere": "Page points Google to another page (canonical)",
    "rel_nofollow": 'The link has rel="nofollow"', "rel_sponsored": 'The link has rel="sponsored"',
    "rel_ugc": 'The link has rel="ugc"', "meta": "The page's robots meta tag", "header": "The page's robots header",
    "unknown": "Reason not known",
    "blocked_for_google": "Page blocked for Google (robots.txt)",
    "redirected_away": "Page redirects to another page",
}
CLASS_WORDS = {
    "exact": "Exact keyword", "partial": "Partial keyword", "branded": "Brand name", "naked_url": "Web address",
    "generic": "Generic (\u201cclick here\u201d)", "image": "Image without text", "other": "Other",
}
DATES = ("period_start", "first_seen", "last_live", "lost_at", "since")
URLS = ("source_url", "target", "evidence")
_BREAK_AFTER = re.compile(r"([/.?&=_-]+)")
LONG_TOKEN = 24
SHORT = 20
_EVIDENCE_KEYS = {"http_status": "the page answered HTTP {}", "final_url": "the page is now at {}",
                  "reason": "{}", "sources": "set by {}"}


def header(column: str) -> str:
    return HEADERS.get(column, column.replace("_", " ").capitalize())


def reason_words(name: str) -> str:
    return REASON_WORDS.get(name, name.replace("_", " "))


def _chunked(text: str) -> str:
    """`text` escaped; a run of more than LONG_TOKEN characters without a space (a hostile anchor, a hash) gets a
    break opportunity every 16 characters, so it cannot push its box wider than the page."""
    out = []
    for token in re.split(r"(\s+)", text):
        pieces = [token[i:i + 16] for i in range(0, len(token), 16)] if len(token) > LONG_TOKEN else [token]
        out.append("<wbr>".join(escape(piece) for piece in pieces))
    return "".join(out)


def breakable(text: str) -> str:
    """`text` escaped, with a line-break opportunity after each URL separator and inside overlong runs, so that
    a URL wraps at its slashes and dots and an ordinary word is never cut."""
    if len(text) <= SHORT:
        return escape(text)  # fits any column: `acme.com` is never split at its dot
    return "".join(_chunked(part) + ("<wbr>" if i % 2 else "") for i, part in enumerate(_BREAK_AFTER.split(text)))


def url_html(url: Any) -> str:
    """A URL shown without its scheme, a link only when it is http(s); an email address for a mailto:."""
    text = str(url)
    if text.lower().startswith("mailto:"):
        return breakable(text[7:])
    href = safe_href(text)
    shown = re.sub(r"^https?://(www\.)?", "", text, flags=re.IGNORECASE) if href else text
    if href is None:
        return breakable(shown)
    return f'<a href="{escape(href, quote=True)}" rel="noopener noreferrer">{breakable(shown)}</a>'


def evidence_html(value: Any) -> str:
    """The evidence of a reclaim row in words (`http_status=404` -> `the page answered HTTP 404`), URLs linked."""
    if isinstance(value, list | tuple):
        return "<br>".join(url_html(v) for v in value)
    text = str(value or "")
    for prefix in ("redirected to ", "canonical "):
        if text.startswith(prefix):
            words = "redirected to " if prefix.startswith("r") else "canonical page "
            return escape(words) + url_html(text[len(prefix):])
    if "=" not in text:
        return breakable(text)
    parts = []
    for token in text.split():
        key, _, raw = token.partition("=")
        shown = reason_words(raw) if key in ("reason", "sources") else raw
        if key in _EVIDENCE_KEYS:
            parts.append(_EVIDENCE_KEYS[key].format(shown))
    return breakable("; ".join(parts))


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return human_number(value, 0 if float(value).is_integer() else 1)
    if isinstance(value, datetime | date):
        return human_date(value)
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def cell_html(column: str, value: Any) -> str:
    """One table cell's content as escaped HTML, in words a client reads."""
    if value is None or value == "" or value == []:
        return ""
    if column == "evidence":
        return evidence_html(value)
    if column in URLS:
        return url_html(value)
    if column == "contact_hints":
        return "<br>".join(url_html(v) for v in value)
    if column in DATES:
        return escape(human_date(value))
    if column == "state":
        return escape(state_words(value))
    if column == "reason":
        return escape(reason_words(value))
    if column == "class":
        return escape(CLASS_WORDS.get(value, str(value)))
    if column == "share":
        return escape(percent(value))
    if column == "measure" and str(value).startswith("nofollow by "):
        return escape("Not followed: " + reason_words(str(value).removeprefix("nofollow by ")))
    if column == "measure" and str(value).startswith("no value: "):
        reason = reason_words(str(value).removeprefix("no value: "))
        return escape("Followed, on a page that passes no value: " + reason)
    if column == "no_value" and value:
        return escape(reason_words(str(value)))
    if column in ("net_links", "net_domains") and isinstance(value, int):
        return escape(f"{value:+,}" if value else "0")
    return breakable(_plain(value))
