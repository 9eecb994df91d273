"""What every alert channel is: a name and `send(message, delivery_key)`.

`send` returns when the channel accepted the message and raises an
`alerts.errors.DeliveryError` subclass otherwise.  `delivery_key` identifies the
delivery (the dispatcher's Delivery row); channels that can, pass it on as an
idempotency key.

Reads no settings.
"""

from __future__ import annotations

from typing import Protocol

from alerts.message import AlertMessage


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, message: AlertMessage, delivery_key: str = "") -> None: ...
