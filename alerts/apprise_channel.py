"""Any service Apprise supports (Discord, Teams, Telegram, Matrix, ...), if `apprise` is installed.

Apprise is an optional extra (`pip install apprise`).  Without it, a configured
apprise channel fails with one clear line (`ChannelUnavailableError`) and its
notifications wait.  The body is the plain-text rendering of the email channel
(one line per fact, so nothing from a crawled page can format the message).

Reads no settings: `AppriseChannel(urls)`.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any

from alerts.email import render_text, subject
from alerts.errors import ChannelUnavailableError, TransientDeliveryError
from alerts.message import AlertMessage

logger = logging.getLogger(__name__)
MISSING = ("the apprise channel is configured (alerts.apprise_urls) but the apprise package is not "
           "installed: pip install apprise")


def _apprise() -> Any:
    try:
        return importlib.import_module("apprise")
    except ImportError:
        raise ChannelUnavailableError(MISSING, "apprise") from None


def available() -> bool:
    try:
        _apprise()
    except ChannelUnavailableError:
        return False
    return True


@dataclass(frozen=True)
class AppriseChannel:
    """Sends alerts to every Apprise URL configured."""

    urls: tuple[str, ...]
    max_listed: int = 20
    name: str = "apprise"

    def send(self, message: AlertMessage, delivery_key: str = "") -> None:
        apprise = _apprise()
        notifier = apprise.Apprise()
        for url in self.urls:
            if not notifier.add(url):
                raise ChannelUnavailableError(f"apprise does not understand one of alerts.apprise_urls "
                                              f"(#{self.urls.index(url) + 1})", self.name)
        body = render_text(message, self.max_listed)
        if not notifier.notify(title=subject(message), body=body, body_format=apprise.NotifyFormat.TEXT):
            raise TransientDeliveryError("apprise: at least one service did not accept the alert", self.name)
        logger.info("apprise: sent %d events", message.total)
