"""An item's lines (`alerts.items.Part`s) as plain text, Slack mrkdwn or HTML, escaped for each.

Our own words pass through the same escaping as untrusted values (they may name a site from the settings);
untrusted text is flattened to one line and cut (`alerts.escape`); a URL is shown short
(`monitor.core.human.short_url`) and linked only when it is a plain http(s) URL; a quoted sentence is cut
to 160 characters and set in curly quotes.

Reads no settings.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from alerts.escape import html_text, is_web_url, plain_text, slack_text
from alerts.items import QUOTE_LIMIT, Line, Part
from monitor.core.human import short_url

VALUE_LIMIT = 200
SEPARATOR = " · "


def _plain(part: Part) -> str:
    if part.kind == "ours":
        return part.text
    if part.kind == "url":
        return plain_text(short_url(part.text))
    if part.kind == "quote":
        return f"“{plain_text(part.text, QUOTE_LIMIT)}”"
    return plain_text(part.text, VALUE_LIMIT)


def _slack(part: Part) -> str:
    if part.kind == "ours":  # our words, with spaces at their ends; a site name from the settings is escaped
        return part.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if part.kind == "url":
        label = slack_text(short_url(part.text)).replace("|", "¦")
        if is_web_url(part.text) and len(part.text) <= 500:
            url = part.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "%7C")
            return f"<{url}|{label}>"
        return label
    if part.kind == "quote":
        return f"“{slack_text(part.text, QUOTE_LIMIT)}”"
    return slack_text(part.text, VALUE_LIMIT)


def _html(part: Part) -> str:
    if part.kind == "ours":
        return html.escape(part.text, quote=True)
    if part.kind == "url":
        label = html_text(short_url(part.text))
        if is_web_url(part.text) and len(part.text) <= 2000:
            return f'<a href="{html_text(part.text, None)}">{label}</a>'
        return label
    if part.kind == "quote":
        return f"“{html_text(part.text, QUOTE_LIMIT)}”"
    return html_text(part.text, VALUE_LIMIT)


_STYLES = {"plain": _plain, "slack": _slack, "html": _html}


def line(parts: Line, style: str) -> str:
    """One line in `style` (plain, slack, html)."""
    render = _STYLES[style]
    return "".join(render(part) for part in parts)


def joined(lines: Iterable[Line], style: str) -> str:
    """Short facts on one line, separated by ` · `."""
    return SEPARATOR.join(line(parts, style) for parts in lines)


def sentence(parts: Line, style: str) -> str:
    """A line ending with a full stop (unless it ends with a quote or a full stop already)."""
    text = line(parts, style)
    return text if not text or text.endswith((".", "”", "…")) else text + "."
