"""Slack: an incoming-webhook POST with Block Kit blocks and a plain-text `text` fallback.

Within Slack's limits: at most 50 blocks per message, at most 3,000 characters
per section text, 150 for the header.  The message lists the `max_listed` most
valuable events (one section each) and ends with how many more there are and the
`linkwatch events` command that lists them all.  Everything taken from a crawled
page goes through `alerts.escape` (no mentions, links, formatting or markup).

Reads no settings: `SlackChannel(webhook_url, timeout, max_listed)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from alerts.escape import slack_link, slack_text
from alerts.http import post_json
from alerts.message import AlertMessage, EventView

logger = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
FALLBACK_LINES = 5


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def event_mrkdwn(view: EventView, limit: int = MAX_SECTION_CHARS - 100) -> str:
    """One event as mrkdwn: title and referring page, one fact per line, the action; whole lines only."""
    lines = [f"*{view.title}*: {slack_link(view.event.source_url)}"]
    for fact in view.facts[1:]:
        value = slack_link(fact.value) if fact.url else slack_text(fact.value)
        lines.append(f"*{fact.label}:* {value}")
    lines.append(f"_What to do:_ {slack_text(view.action, None)}")  # it may name a site from the settings
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > limit:
            return text + "\n…"
        text = f"{text}\n{line}" if text else line
    return text


def render_blocks(message: AlertMessage, max_listed: int = 20) -> list[dict[str, Any]]:
    """The Block Kit blocks of a message (never more than 50)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:MAX_HEADER_CHARS],
                                    "emoji": False}},
        _section("*" + slack_text(message.summary(), 500) + "*"),
    ]
    if message.kind == "digest" and message.since:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"Digest of the changes since {message.since:%Y-%m-%d %H:%M} UTC"}]})
    if message.intro and message.events:
        blocks.append(_section(slack_text(message.intro, 1000)))
    if message.events:
        blocks.append({"type": "divider"})
    room = MAX_BLOCKS - len(blocks) - 1  # one left for the "and N more" line
    shown = min(max_listed, room)
    blocks.extend(_section(event_mrkdwn(view)) for view in message.listed(shown))
    if message.more(shown):
        blocks.append(_section(message.more_line(shown)))
    return blocks


def render_fallback(message: AlertMessage) -> str:
    """The plain `text` shown in notifications and by clients without Block Kit."""
    lines = [slack_text(message.summary(), 500)]
    for view in message.listed(FALLBACK_LINES):
        lines.append(f"• {view.title}: {slack_text(view.event.source_url, 200)}")
    if message.more(FALLBACK_LINES):
        lines.append(message.more_line(FALLBACK_LINES))
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
