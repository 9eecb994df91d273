"""The channels against real endpoints: a local HTTP server for Slack/webhook, aiosmtpd for email."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

import pytest

from alerts.apprise_channel import AppriseChannel
from alerts.email import EmailChannel
from alerts.errors import (
    ChannelUnavailableError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from alerts.message import build_message, probe_message
from alerts.slack import SlackChannel
from alerts.webhook import WebhookChannel
from monitor.core.types import Event, EventType

MALICIOUS = "<!channel> *bold* <https://evil|click> <script>alert(1)</script>"


def lost_event(anchor: str = "great tool", traffic: float | None = 10.0, number: int = 1) -> Event:
    return Event(EventType.LOST, f"https://blog.example/post_{number}?a=1&b=2", "mysite.example",
                 datetime(2026, 5, 1, 9, 30, tzinfo=UTC), "live", "lost",
                 {"http_status": 200, "final_url": "https://blog.example/post", "last_anchor": anchor},
                 id=number, anchor=anchor, page_traffic=traffic, site="mysite.example", tags=("pr",),
                 last_live_at=datetime(2026, 4, 20, 8, 0, tzinfo=UTC))


def test_slack_posts_blocks_and_fallback(http_sink):
    SlackChannel(http_sink.url, timeout=5).send(build_message([lost_event(MALICIOUS)]), "key-1")
    assert len(http_sink.requests) == 1
    payload = http_sink.requests[0].json
    assert http_sink.requests[0].headers["content-type"].startswith("application/json")
    assert payload["text"].startswith("[mysite.example] 1 link lost (10 visits/mo at risk)")
    body = "\n".join(b["text"]["text"] for b in payload["blocks"] if b["type"] == "section")
    body += "\n".join(e["text"] for b in payload["blocks"] if b["type"] == "context" for e in b["elements"])
    assert "&lt;!channel&gt;" in body and "<!channel>" not in body
    assert "<https://evil" not in body and "<script>" not in body
    assert "*bold*" not in body
    assert "<https://blog.example/post_1?a=1&amp;b=2|blog.example/postˍ1?a=1&amp;b=2>" in body
    buttons = [e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [("Open page", "https://blog.example/post_1?a=1&b=2")]
    assert "Reclaim it" in body


def test_webhook_payload_has_every_event_and_idempotency_key(http_sink):
    events = [lost_event(number=n, traffic=float(n)) for n in range(1, 4)]
    WebhookChannel(http_sink.url, timeout=5).send(build_message(events), "linkwatch-delivery-7")
    request = http_sink.requests[0]
    assert request.headers["idempotency-key"] == "linkwatch-delivery-7"
    payload = request.json
    assert payload["total"] == 3 and payload["counts"] == {"lost": 3}
    assert payload["delivery_id"] == "linkwatch-delivery-7"
    assert [e["id"] for e in payload["events"]] == [3, 2, 1]  # most traffic first
    assert payload["events"][0]["anchor"] == "great tool"
    assert payload["summary"] == "3 backlink changes: 3 lost"


@pytest.mark.parametrize(("status", "error", "retry_after"), [
    (500, TransientDeliveryError, None), (503, TransientDeliveryError, None),
    (429, TransientDeliveryError, 120.0), (404, PermanentDeliveryError, None),
    (400, PermanentDeliveryError, None), (403, PermanentDeliveryError, None),
])
def test_http_failures_are_sorted(http_sink, status, error, retry_after):
    http_sink.fail(status, retry_after="120" if status == 429 else None)
    with pytest.raises(DeliveryError) as caught:
        SlackChannel(http_sink.url, timeout=5).send(probe_message("slack"))
    assert type(caught.value) is error
    assert str(status) in str(caught.value)
    if error is TransientDeliveryError:
        assert caught.value.retry_after == retry_after


def test_connection_refused_is_transient_and_not_delivered(refused_url):
    with pytest.raises(TransientDeliveryError) as caught:
        WebhookChannel(refused_url, timeout=5).send(probe_message("webhook"))
    assert not caught.value.possibly_delivered


def test_reply_timeout_is_transient_and_possibly_delivered(http_sink):
    http_sink.delay(3)
    with pytest.raises(TransientDeliveryError) as caught:
        SlackChannel(http_sink.url, timeout=0.5).send(probe_message("slack"))
    assert caught.value.possibly_delivered


def test_redirect_is_permanent(http_sink):
    http_sink.fail(301)
    with pytest.raises(PermanentDeliveryError, match="redirect"):
        WebhookChannel(http_sink.url, timeout=5).send(probe_message("webhook"))


def email_channel(sink, **changes) -> EmailChannel:
    options = {"host": sink.host, "port": sink.port, "email_from": "linkwatch@mysite.example",
               "email_to": ("seo@mysite.example", "boss@mysite.example"), "starttls": False, "timeout": 10}
    options.update(changes)
    return EmailChannel(**options)


def test_email_multipart_text_and_html(smtp_sink):
    email_channel(smtp_sink).send(build_message([lost_event(MALICIOUS)]), "linkwatch-delivery-3")
    assert len(smtp_sink.messages) == 1
    mail = smtp_sink.messages[0]
    assert mail["Subject"] == "[mysite.example] 1 link lost (10 visits/mo at risk)"
    assert mail.get_content_type() == "multipart/alternative"
    assert smtp_sink.recorder.envelopes[0][1] == ["seo@mysite.example", "boss@mysite.example"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "was removed from blog.example/post_1?a=1&b=2." in text
    assert "page: https://blog.example/post_1?a=1&b=2" in text
    assert "last seen live 20 Apr 2026 08:00 UTC" in text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<https://evil" not in html
    assert '<a href="https://blog.example/post_1?a=1&amp;b=2">' in html


def test_email_starttls_with_auth(smtp_tls_sink, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", smtp_tls_sink.cafile)
    email_channel(smtp_tls_sink, starttls=True, user="alerts", password="s3cret").send(probe_message("email"))
    assert smtp_tls_sink.logins == ["alerts:ok"]
    assert len(smtp_tls_sink.messages) == 1
    assert "the email channel works" in smtp_tls_sink.messages[0].get_body(("plain",)).get_content()


def test_email_wrong_password_is_permanent(smtp_tls_sink, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", smtp_tls_sink.cafile)
    with pytest.raises(PermanentDeliveryError, match="login refused"):
        email_channel(smtp_tls_sink, starttls=True, user="alerts", password="wrong").send(probe_message("email"))
    assert smtp_tls_sink.messages == []


def test_email_untrusted_certificate_is_permanent(smtp_tls_sink):
    with pytest.raises(PermanentDeliveryError, match="certificate"):
        email_channel(smtp_tls_sink, starttls=True, user="alerts", password="s3cret").send(probe_message("email"))


def test_email_starttls_required_by_server_but_disabled_is_refused(smtp_tls_sink):
    with pytest.raises(DeliveryError):
        email_channel(smtp_tls_sink, starttls=False).send(probe_message("email"))
    assert smtp_tls_sink.messages == []


def test_email_implicit_tls(smtps_sink, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", smtps_sink.cafile)
    email_channel(smtps_sink, ssl=True).send(probe_message("email"))
    assert len(smtps_sink.messages) == 1


@pytest.mark.parametrize(("reply", "error"), [("451 4.3.0 try again later", TransientDeliveryError),
                                               ("554 5.7.1 rejected", PermanentDeliveryError)])
def test_email_server_replies_are_sorted(smtp_sink, reply, error):
    smtp_sink.fail(reply)
    with pytest.raises(error, match=reply.split()[0]):
        email_channel(smtp_sink).send(probe_message("email"))


def test_email_connection_refused_is_transient(refused_url):
    port = int(refused_url.rsplit(":", 1)[1].split("/")[0])
    channel = EmailChannel("127.0.0.1", port, "a@b.example", ("c@d.example",), starttls=False, timeout=5)
    with pytest.raises(TransientDeliveryError):
        channel.send(probe_message("email"))


def test_apprise_missing_is_one_clear_line():
    try:  # apprise is not a dependency: it must be absent here
        import apprise  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.fail("apprise is installed; this test checks the message shown without it")
    with pytest.raises(ChannelUnavailableError, match="pip install apprise"):
        AppriseChannel(("json://127.0.0.1:1/",)).send(probe_message("apprise"))


def test_ssl_cert_file_is_read_per_context(smtps_sink, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", smtps_sink.cafile)
    context = ssl.create_default_context()
    assert context.cert_store_stats()["x509"] >= 1
