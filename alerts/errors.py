"""Why a delivery failed, as one exception tree (the dispatcher retries by class, not by message).

    DeliveryError                      any failure to deliver a message on a channel
    ├── TransientDeliveryError         retry later with backoff: timeouts, connection refused or
    │                                  reset, DNS failures, HTTP 5xx, HTTP 408 and 429 (honouring
    │                                  Retry-After), SMTP 4xx replies, a server that hung up
    ├── PermanentDeliveryError         retrying the same request cannot help: HTTP 4xx other than
    │                                  408/429 (bad or revoked webhook URL), a redirect, SMTP 5xx
    │                                  (authentication failure, recipient refused), a TLS
    │                                  certificate that does not verify, STARTTLS not offered
    └── ChannelUnavailableError        the channel cannot be used at all as configured (e.g. the
                                       apprise package is not installed); nothing was attempted

`TransientDeliveryError.possibly_delivered` is True when the request had been sent
in full and only the reply was missing (a read timeout): the message may have
arrived.  The dispatcher still retries it (an outage must never lose an alert);
docs/alerts.md explains the trade-off.

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
