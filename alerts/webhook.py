"""A generic JSON webhook (Teams/Discord bridges, Zapier, n8n, your own automation).

POSTs `{"summary": "...", "kind": "alert", "total": N, "counts": {"lost": 3, ...},
"delivery_id": "...", "events": [Event.to_json(), ...]}` with every event of the
message, most valuable first, and an `Idempotency-Key` header equal to
`delivery_id`, so a receiver can drop a retried duplicate.  Values are sent as
data, unescaped: the receiver renders them.

Reads no settings: `WebhookChannel(url, timeout)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from alerts.http import post_json
from alerts.message import AlertMessage

logger = logging.getLogger(__name__)


def render_payload(message: AlertMessage, delivery_key: str = "") -> dict[str, Any]:
    return {
        "summary": message.summary(),
        "kind": message.kind,
        "total": message.total,
        "counts": dict(message.counts),
        "delivery_id": delivery_key or None,
        "events_command": message.more_command() if message.events else None,
        "events": [event.to_json() for event in message.events],
    }


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs every alert as JSON to one URL."""

    url: str
    timeout: float = 30.0
    name: str = "webhook"

    def send(self, message: AlertMessage, delivery_key: str = "") -> None:
        """Deliver one message; raises an `alerts.errors.DeliveryError` subclass on failure."""
        headers = {"Idempotency-Key": delivery_key} if delivery_key else {}
        post_json(self.url, render_payload(message, delivery_key), self.timeout, self.name, headers)
        logger.info("webhook: sent %d events", message.total)
