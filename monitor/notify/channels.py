"""The alert channels the settings configure, built from `Settings` as `alerts` channel objects.

A channel is *named* when the settings mention it (a Slack or webhook URL, an SMTP
host, Apprise URLs) and *usable* when it can send: email also needs a sender and
recipients, Apprise needs the `apprise` package.  `channel_problem` says in one
line why a named or routed channel cannot send.

Reads Settings: slack_webhook_url, webhook_url, apprise_urls, smtp, timeout (HTTP).
"""

from __future__ import annotations

from alerts.apprise_channel import MISSING as APPRISE_MISSING
from alerts.apprise_channel import AppriseChannel
from alerts.apprise_channel import available as apprise_available
from alerts.channel import Channel
from alerts.email import EmailChannel
from alerts.slack import SlackChannel
from alerts.webhook import WebhookChannel
from monitor.config import Settings

CHANNELS = ("slack", "email", "webhook", "apprise")

HOW_TO_CONFIGURE = {
    "slack": "set LINKWATCH_SLACK_WEBHOOK_URL (or alerts.slack_webhook_url)",
    "email": "set LINKWATCH_SMTP_HOST, LINKWATCH_EMAIL_FROM and LINKWATCH_EMAIL_TO (or [smtp] host/from/to)",
    "webhook": "set LINKWATCH_WEBHOOK_URL (or alerts.webhook_url)",
    "apprise": "set alerts.apprise_urls",
}


def named_channels(settings: Settings) -> list[str]:
    """The channels the settings mention, usable or not."""
    named = []
    if settings.slack_webhook_url:
        named.append("slack")
    if settings.smtp.host or settings.smtp.email_to:
        named.append("email")
    if settings.webhook_url:
        named.append("webhook")
    if settings.apprise_urls:
        named.append("apprise")
    return named


def channel_problem(settings: Settings, name: str) -> str | None:
    """Why channel `name` cannot send (one line), or None when it can."""
    if name not in CHANNELS:
        return f"unknown channel {name!r}; channels are {', '.join(CHANNELS)}"
    if name not in named_channels(settings):
        return f"the {name} channel is not configured: {HOW_TO_CONFIGURE[name]}"
    smtp = settings.smtp
    if name == "email" and not (smtp.host and smtp.email_from and smtp.email_to):
        return f"the email channel is incomplete: {HOW_TO_CONFIGURE['email']}"
    if name == "apprise" and not apprise_available():
        return APPRISE_MISSING
    return None


def build_channel(settings: Settings, name: str) -> Channel:
    """The channel object for `name`; call only when `channel_problem` is None."""
    timeout = settings.timeout
    if name == "slack":
        return SlackChannel(str(settings.slack_webhook_url), timeout)
    if name == "webhook":
        return WebhookChannel(str(settings.webhook_url), timeout)
    if name == "apprise":
        return AppriseChannel(settings.apprise_urls)
    smtp = settings.smtp
    return EmailChannel(str(smtp.host), smtp.port, str(smtp.email_from), smtp.email_to, smtp.user, smtp.password,
                        smtp.starttls, smtp.ssl, smtp.timeout)
