"""Slack: an incoming-webhook POST with Block Kit blocks and a plain-text `text` fallback.

The header names the site and the worst changes (`AlertMessage.headline`); each listed item is a section
(what happened, why, what to do), a context line (traffic, anchor, when) and buttons: "Open page" (the
referring page, only when it is http(s)) and "Open in linkwatch" (when `public_url` is set).  Within
Slack's limits: at most 50 blocks per message, 3,000 characters per section text, 150 for the header,
75 for a button's text; what does not fit is counted at the end ("and 12 more changes: see linkwatch",
linked to linkwatch's events page when `public_url` is set).  Everything taken from a crawled page goes
through `alerts.escape` (no mentions, links, formatting or markup).

Reads no settings: `SlackChannel(webhook_url, timeout, max_listed)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from alerts.escape import is_web_url, slack_text
from alerts.http import post_json
from alerts.items import Item
from alerts.message import AlertMessage
from alerts.render import joined, sentence

logger = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_URL_CHARS = 3000  # a button's url
FALLBACK_LINES = 5
BLOCKS_PER_ITEM = 3  # section, context, actions


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION_CHARS]}]}


def _button(text: str, url: str, action_id: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": False}, "url": url,
            "action_id": action_id}


def item_mrkdwn(item: Item, limit: int = MAX_SECTION_CHARS) -> str:
    """What happened, why and what to do, one line each; whole lines only, within `limit`."""
    lines = [f"*{slack_text(item.title, None)}*: {sentence(item.happened, 'slack')}"]
    if item.why:
        lines.append(f"_Why:_ {sentence(item.why, 'slack')}")
    lines.append(f"_What to do:_ {sentence(item.action, 'slack')}")
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > limit:
            return (text + "\n…") if text else line[: limit - 1] + "…"
        text = f"{text}\n{line}" if text else line
    return text


def item_blocks(item: Item, number: int) -> list[dict[str, Any]]:
    """An item's section, its context line and its buttons (only to http(s) URLs)."""
    blocks = [_section(item_mrkdwn(item))]
    if facts := joined(item.facts, "slack"):  # Slack refuses an empty text
        blocks.append(_context(facts))
    buttons = []
    if item.page_url and is_web_url(item.page_url) and len(item.page_url) <= MAX_URL_CHARS:
        buttons.append(_button("Open page", item.page_url, f"open_page_{number}"))
    if item.linkwatch_url and is_web_url(item.linkwatch_url) and len(item.linkwatch_url) <= MAX_URL_CHARS:
        buttons.append(_button("Open in linkwatch", item.linkwatch_url, f"open_linkwatch_{number}"))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def _more(message: AlertMessage, shown: int) -> str:
    """'and 12 more changes: see linkwatch', linked to the events page when there is one."""
    words = message.more_words(shown)
    url = message.events_url()
    if url and is_web_url(url):
        link = f"<{url}|all changes in linkwatch>"
        return f"{words[: -len('linkwatch')]}{link}" if words else f"See {link}"
    return words


def render_blocks(message: AlertMessage, max_listed: int = 20) -> list[dict[str, Any]]:
    """The Block Kit blocks of a message (never more than 50)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.headline()[:MAX_HEADER_CHARS],
                                    "emoji": False}}]
    if message.intro:
        blocks.append(_section(slack_text(message.intro, 1000)))
    if not message.events:
        return blocks
    blocks.append(_context(slack_text(f"{message.count_words()} · {message.when()}", 500)))
    blocks.append({"type": "divider"})
    room = (MAX_BLOCKS - len(blocks) - 1) // BLOCKS_PER_ITEM  # one left for the "and N more" line
    shown = min(max_listed, room)
    for number, item in enumerate(message.listed(shown)):
        blocks.extend(item_blocks(item, number))
    if footer := _more(message, shown):
        blocks.append(_context(footer))
    return blocks


def render_fallback(message: AlertMessage) -> str:
    """The plain `text` shown in notifications and by clients without Block Kit."""
    lines = [slack_text(message.headline(), 500)]
    if message.intro:
        lines.append(slack_text(message.intro, 1000))
    for item in message.listed(FALLBACK_LINES):
        lines.append(f"• {slack_text(item.title, None)}: {sentence(item.happened, 'slack')}")
    if message.more(FALLBACK_LINES):
        lines.append(message.more_words(FALLBACK_LINES))
    return "\n".join(lines)


def render_payload(message: AlertMessage, max_listed: int = 20) -> dict[str, Any]:
    return {"text": render_fallback(message), "blocks": render_blocks(message, max_listed),
            "unfurl_links": False, "unfurl_media": False}


@dataclass(frozen=True)
class SlackChannel:
    """Posts to a Slack incoming webhook."""

    webhook_url: str
    timeout: float = 30.0
    max_listed: int = 20
    name: str = "slack"

    def send(self, message: AlertMessage, delivery_key: str = "") -> None:
        """Deliver one message; raises an `alerts.errors.DeliveryError` subclass on failure."""
        post_json(self.webhook_url, render_payload(message, self.max_listed), self.timeout, self.name)
        logger.info("slack: sent %d events (%s)", message.total, delivery_key or "no key")
