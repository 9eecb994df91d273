"""Escaping of untrusted text (anchors, titles, URLs from crawled pages) for Slack and HTML.

A crawled page controls its anchor texts, titles and URLs.  Invariant: everything it controls
passes through these functions before it reaches an alert, so a page cannot inject Slack mentions
(`<!channel>`, `<@U123>`, a bare `@here`), Slack formatting, fake link labels
(`<https://evil|click>`), extra lines, or HTML markup into a message.  Slack mrkdwn: `&`, `<`, `>`
escaped as Slack asks, formatting characters turned into lookalikes, only plain http(s) URLs as
`<url>` links (`|` percent-encoded); HTML: `html.escape` with quotes, links only for http(s) URLs;
everywhere: control characters and line breaks become single spaces, and long values are cut
(with `…`) before escaping, so an escape is never cut in half.  For users: docs/alerts.md.

Reads no settings.
"""

from __future__ import annotations

import html
import re

_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SLACK_FORMATTING = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$", re.IGNORECASE)
WORD_JOINER = "\u2060"


def clean(value: object, limit: int | None = None) -> str:
    """One line of text: control characters and line breaks collapsed, cut to `limit` characters."""
    text = _CONTROL_OR_SPACE.sub(" ", str(value)).strip()
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text


def is_web_url(value: object) -> bool:
    return isinstance(value, str) and bool(_URL.match(value))


def slack_text(value: object, limit: int | None = 300) -> str:
    """Untrusted text for a Slack mrkdwn field: no mention, link, formatting or line break survives."""
    text = clean(value, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.translate(_SLACK_FORMATTING)
    return _BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def slack_link(url: object, limit: int = 500) -> str:
    """An untrusted URL as a Slack link `<url>`; anything but a plain http(s) URL becomes escaped text."""
    if not is_web_url(url) or len(str(url)) > limit:
        return slack_text(url, min(limit, 200))
    text = str(url).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "%7C")
    return f"<{text}>"


def html_text(value: object, limit: int | None = 1000) -> str:
    """Untrusted text for HTML element content or a quoted attribute."""
    return html.escape(clean(value, limit), quote=True)


def html_link(url: object, limit: int = 2000) -> str:
    """An untrusted URL as an HTML link; anything but a plain http(s) URL becomes escaped text."""
    if not is_web_url(url) or len(str(url)) > limit:
        return html_text(url, 200)
    escaped = html.escape(str(url), quote=True)
    return f'<a href="{escaped}">{escaped}</a>'


def plain_text(value: object, limit: int | None = 1000) -> str:
    """Untrusted text for a plain-text message: one line, cut to `limit`."""
    return clean(value, limit)
