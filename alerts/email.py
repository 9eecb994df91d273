"""Email: one multipart/alternative message (plain text and HTML) per alert, over SMTP.

STARTTLS (the default, port 587) or implicit TLS (`ssl`, port 465), certificates
verified with the system's trust store (`SSL_CERT_FILE` is honoured), optional
login.  The Message-ID is built from the delivery key, so every attempt at the
same alert (a retry after a timeout) has the same one.  SMTP replies are sorted
into the `alerts.errors` tree: 4xx and lost connections are transient, 5xx
(authentication failure, refused recipients) and certificate failures
permanent.  Untrusted values are escaped for HTML and flattened to one line
for the text part; the subject holds only our own words.

Reads no settings: `EmailChannel(host, port, email_from, email_to, ...)`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alerts.errors import PermanentDeliveryError, TransientDeliveryError
from alerts.escape import html_link, html_text, plain_text
from alerts.message import AlertMessage

logger = logging.getLogger(__name__)


def subject(message: AlertMessage) -> str:
    return plain_text(f"[linkwatch] {message.title if not message.events else message.summary()}", 200)


def render_text(message: AlertMessage, max_listed: int = 100) -> str:
    lines = [message.summary(), ""]
    if message.intro and message.events:
        lines += [message.intro, ""]
    for number, view in enumerate(message.listed(max_listed), 1):
        lines.append(f"{number}. {view.title}")
        lines += [f"   {fact.label}: {plain_text(fact.value)}" for fact in view.facts]
        lines += [f"   What to do: {view.action}", ""]
    if message.more(max_listed):
        lines += [message.more_line(max_listed), ""]
    lines.append("-- linkwatch")
    return "\n".join(lines) + "\n"


def render_html(message: AlertMessage, max_listed: int = 100) -> str:
    parts = ["<!DOCTYPE html><html><body style=\"font-family:sans-serif\">",
             f"<h2>{html_text(message.title)}</h2>", f"<p><strong>{html_text(message.summary())}</strong></p>"]
    if message.intro and message.events:
        parts.append(f"<p>{html_text(message.intro)}</p>")
    for view in message.listed(max_listed):
        parts.append(f"<h3>{html_text(view.title)}</h3><table>")
        for fact in view.facts:
            value = html_link(fact.value) if fact.url else html_text(fact.value)
            parts.append(f"<tr><th align=\"left\">{html_text(fact.label)}</th><td>{value}</td></tr>")
        parts.append(f"<tr><th align=\"left\">What to do</th><td>{html_text(view.action)}</td></tr></table>")
    if message.more(max_listed):
        parts.append(f"<p>{html_text(message.more_line(max_listed))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_email(message: AlertMessage, email_from: str, email_to: tuple[str, ...], key: str = "",
                max_listed: int = 100) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = subject(message)
    mail["From"] = email_from
    mail["To"] = ", ".join(email_to)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = email_from.rpartition("@")[2].strip("> ") or None
    # the delivery key is the same for every attempt at the same notifications: a retry after a timeout
    # carries the same Message-ID, which mail systems use to drop the repeat
    mail["Message-ID"] = f"<{key}@{domain or 'linkwatch.invalid'}>" if key else make_msgid(domain=domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(render_text(message, max_listed))
    mail.add_alternative(render_html(message, max_listed), subtype="html")
    return mail


def _smtp_reply_error(code: int, text: str) -> Exception:
    if 400 <= code < 500:
        return TransientDeliveryError(f"SMTP {code}: {text}", "email")
    return PermanentDeliveryError(f"SMTP {code}: {text}", "email")


def _classify(exc: Exception) -> Exception:
    """An SMTP/socket exception as a DeliveryError."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return PermanentDeliveryError(f"SMTP login refused ({exc.smtp_code})", "email")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        worst = max(codes, default=550)
        return _smtp_reply_error(worst, f"recipients refused: {', '.join(exc.recipients)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return _smtp_reply_error(exc.smtp_code, str(text).strip()[:200])
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransientDeliveryError(f"SMTP server disconnected: {exc}", "email")
    if isinstance(exc, smtplib.SMTPException):  # STARTTLS or AUTH not offered, no usable auth method
        return PermanentDeliveryError(f"SMTP: {exc}", "email")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(f"SMTP TLS certificate does not verify: {exc.verify_message}", "email")
    if isinstance(exc, TimeoutError):
        return TransientDeliveryError("SMTP timed out", "email")
    if isinstance(exc, OSError):
        return TransientDeliveryError(f"SMTP connection failed: {exc.strerror or exc}", "email")
    return exc


@dataclass(frozen=True)
class EmailChannel:
    """Sends alerts by SMTP to a fixed list of recipients."""

    host: str
    port: int
    email_from: str
    email_to: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False
    timeout: float = 30.0
    max_listed: int = 100
    name: str = "email"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            try:
                client.ehlo()
                client.starttls(context=context)
            except BaseException:
                client.close()
                raise
        return client

    def send(self, message: AlertMessage, delivery_key: str = "") -> None:
        """Deliver one message; raises an `alerts.errors.DeliveryError` subclass on failure."""
        mail = build_email(message, self.email_from, self.email_to, delivery_key, self.max_listed)
        try:
            with self._connect() as client:
                client.ehlo_or_helo_if_needed()
                if self.user:
                    client.login(self.user, self.password or "")
                refused = client.send_message(mail, self.email_from, list(self.email_to))
        except Exception as exc:
            classified = _classify(exc)
            if classified is exc:
                raise
            raise classified from None
        if refused:
            logger.warning("email: some recipients refused the alert: %s", ", ".join(refused))
        logger.info("email: sent %d events to %d recipients", message.total, len(self.email_to))
