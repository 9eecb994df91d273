"""Email: one multipart/alternative message (plain text and HTML) per alert, over SMTP.

STARTTLS (the default, port 587) or implicit TLS (`ssl`, port 465), certificates
verified with the system's trust store (`SSL_CERT_FILE` is honoured), optional
login.  The Message-ID is built from the delivery key, so every attempt at the
same alert (a retry after a timeout) has the same one.  SMTP replies are sorted
into the `alerts.errors` tree: 4xx and lost connections are transient, 5xx
(authentication failure, refused recipients) and certificate failures
permanent.  The subject names the site and the worst changes; the text and HTML parts hold the same
items (at most four lines each, most urgent first).  Untrusted values are escaped for HTML and flattened
to one line for the text part; the subject holds only our own words and the site's domain.

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
from alerts.escape import html_text, is_web_url, plain_text
from alerts.items import Item
from alerts.message import AlertMessage
from alerts.render import SEPARATOR, joined, sentence

logger = logging.getLogger(__name__)


def subject(message: AlertMessage) -> str:
    """The site and the worst changes: `[acmeshoes.com] 2 links lost (12,400 visits/mo at risk), 1 now nofollow`."""
    return plain_text(message.headline(), 200)


def _links_plain(item: Item) -> list[str]:
    links = [f"page: {item.page_url}"] if item.page_url else []
    return links + ([f"in linkwatch: {item.linkwatch_url}"] if item.linkwatch_url else [])


def item_text(item: Item, number: int) -> list[str]:
    """An item as at most four plain lines: title and what happened, why, what to do, facts and links."""
    lines = [f"{number}. {plain_text(item.title, None)}: {sentence(item.happened, 'plain')}"]
    if item.why:
        lines.append(f"   Why: {sentence(item.why, 'plain')}")
    lines.append(f"   What to do: {sentence(item.action, 'plain')}")
    facts = [joined(item.facts, "plain"), *_links_plain(item)]
    lines.append("   " + SEPARATOR.join(fact for fact in facts if fact))
    return lines


def _more_text(message: AlertMessage, shown: int) -> str:
    words, url = message.more_words(shown), message.events_url()
    if url:
        return f"{words}: {url}" if words else f"All changes in linkwatch: {url}"
    return words


def render_text(message: AlertMessage, max_listed: int = 100) -> str:
    lines = [plain_text(message.headline(), None), ""]
    if message.intro:
        lines += [plain_text(message.intro, None), ""]
    if message.events:
        lines += [f"{message.count_words()}, {message.when()}, most urgent first.", ""]
    for number, item in enumerate(message.listed(max_listed), 1):
        lines += [*item_text(item, number), ""]
    if footer := _more_text(message, min(max_listed, message.total)):
        lines += [footer, ""]
    lines.append("-- linkwatch")
    return "\n".join(lines) + "\n"


def _item_html(item: Item) -> str:
    parts = [f"<p><strong>{html_text(item.title, None)}</strong>: {sentence(item.happened, 'html')}"]
    if item.why:
        parts.append(f"<br><em>Why:</em> {sentence(item.why, 'html')}")
    parts.append(f"<br><em>What to do:</em> {sentence(item.action, 'html')}")
    links = [f'<a href="{html_text(url, None)}">{label}</a>' for label, url
             in (("Open page", item.page_url), ("Open in linkwatch", item.linkwatch_url)) if url and is_web_url(url)]
    facts = SEPARATOR.join(fact for fact in [joined(item.facts, "html"), *links] if fact)
    parts.append(f'<br><small style="color:#555">{facts}</small></p>')
    return "".join(parts)


def render_html(message: AlertMessage, max_listed: int = 100) -> str:
    parts = ["<!DOCTYPE html><html><body style=\"font-family:sans-serif\">",
             f"<h2>{html_text(message.headline(), None)}</h2>"]
    if message.intro:
        parts.append(f"<p>{html_text(message.intro)}</p>")
    if message.events:
        parts.append(f"<p>{html_text(message.count_words())}, {html_text(message.when())}, most urgent first.</p>")
    parts.extend(_item_html(item) for item in message.listed(max_listed))
    shown = min(max_listed, message.total)
    words, url = message.more_words(shown), message.events_url()
    if url and is_web_url(url):
        link = f'<a href="{html_text(url, None)}">all changes in linkwatch</a>'
        parts.append(f"<p>{html_text(words.removesuffix('linkwatch'))}{link}</p>" if words else f"<p>See {link}</p>")
    elif words:
        parts.append(f"<p>{html_text(words)}</p>")
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
