"""Why a delivery failed, as one exception tree (the dispatcher retries by class, not by message).

    DeliveryError                  any failure to deliver a message on a channel
    ├── TransientDeliveryError     retry later with backoff (timeouts, refused, DNS, 5xx, 408, 429, SMTP 4xx)
    ├── PermanentDeliveryError     retrying the same request cannot help (other 4xx, redirects, SMTP 5xx, bad TLS)
    └── ChannelUnavailableError    the channel cannot be used as configured; nothing was attempted

`TransientDeliveryError.possibly_delivered` is True when the request had been sent in full and only
the reply was missing (a read timeout); the dispatcher still retries it.  Which failure is which,
and the trade-off: docs/alerts.md, "Delivery guarantees".

Reads no settings.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A message could not be delivered. `channel` names the channel; the message is one line."""

    def __init__(self, message: str, channel: str = "") -> None:
        super().__init__(message)
        self.channel = channel


class TransientDeliveryError(DeliveryError):
    """A failure that may go away: retry with backoff (at least `retry_after` seconds later)."""

    def __init__(self, message: str, channel: str = "", retry_after: float | None = None,
                 possibly_delivered: bool = False) -> None:
        super().__init__(message, channel)
        self.retry_after = retry_after
        self.possibly_delivered = possibly_delivered


class PermanentDeliveryError(DeliveryError):
    """A failure that repeating the same request cannot fix (configuration or payload)."""


class ChannelUnavailableError(DeliveryError):
    """The channel cannot be used as configured; nothing was sent or attempted."""
