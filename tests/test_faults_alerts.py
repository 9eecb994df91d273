"""Faults of an alert channel: a webhook or an SMTP server that answers only after the channel timeout.

The dispatch counts a failure (the notifications stay `pending`, one attempt spent,
due again after the backoff), nothing is sent before then, and the retry delivers the
events.  The receiver saw the slow request too (it just answered late): the retry
carries the same `Idempotency-Key`, so a receiver that drops repeats delivers each
event exactly once; the SMTP retry carries the same Message-ID.
(tests/test_alerts_dispatch.py covers a channel that is down, refused, rate-limited or permanently failing.)
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

from monitor.notify.dispatcher import dispatch
from tests.fixtures_alerts import NOW, notifications, settings_for


def test_slow_webhook_is_retried_with_backoff_and_delivered_once(alert_store_any, http_sink):
    store = alert_store_any
    store.add_events(3, "lost")
    settings = settings_for(store, webhook=http_sink.url, timeout=0.5, alert_backoff_seconds=60.0)
    http_sink.delay(2.0)  # longer than the 0.5 s timeout
    report = dispatch(store.engine, settings, NOW)
    assert [(d.channel, d.status) for d in report.deliveries] == [("webhook", "retry")]
    assert "timed out" in (report.deliveries[0].error or "")
    notes = notifications(store)
    assert {(n.status, n.attempts) for n in notes} == {("pending", 1)}
    assert all(NOW + timedelta(seconds=30) <= n.next_attempt_at <= NOW + timedelta(seconds=60) for n in notes)

    http_sink.ok()
    assert dispatch(store.engine, settings, NOW + timedelta(seconds=29)).deliveries == []  # backing off
    report = dispatch(store.engine, settings, NOW + timedelta(seconds=61))
    assert [(d.status, d.events) for d in report.deliveries] == [("sent", 3)]
    assert {(n.status, n.attempts) for n in notifications(store)} == {("sent", 1)}
    assert dispatch(store.engine, settings, NOW + timedelta(hours=1)).deliveries == []

    assert len(http_sink.requests) == 2  # the late first try reached the receiver as well
    keys = {r.headers["idempotency-key"] for r in http_sink.requests}
    assert len(keys) == 1, "a retry of the same notifications carries the same key"
    delivered: dict[str, set[int]] = {}
    for request in http_sink.requests:  # a receiver that drops repeated keys
        delivered.setdefault(request.headers["idempotency-key"], {e["id"] for e in request.json["events"]})
    per_event = Counter(event for events in delivered.values() for event in events)
    assert len(per_event) == 3 and set(per_event.values()) == {1}, "each event delivered exactly once"


def test_slow_smtp_server_is_retried_and_the_repeat_has_the_same_message_id(alert_store_any, smtp_sink):
    store = alert_store_any
    store.add_events(2, "lost")
    settings = settings_for(store, smtp=smtp_sink, alert_backoff_seconds=60.0)
    settings = dataclasses.replace(settings, smtp=dataclasses.replace(settings.smtp, timeout=0.5))
    smtp_sink.slow(2.0)  # the server takes the message, then answers 250 only after the 0.5 s timeout
    report = dispatch(store.engine, settings, NOW)
    assert [(d.channel, d.status) for d in report.deliveries] == [("email", "retry")]
    assert "timed out" in (report.deliveries[0].error or "")
    assert {(n.status, n.attempts) for n in notifications(store)} == {("pending", 1)}

    smtp_sink.slow(0.0)
    report = dispatch(store.engine, settings, NOW + timedelta(seconds=61))
    assert [(d.status, d.events) for d in report.deliveries] == [("sent", 2)]
    assert {(n.status, n.attempts) for n in notifications(store)} == {("sent", 1)}
    assert len(smtp_sink.messages) == 2, "the late first attempt reached the server as well"
    message_ids = {m["Message-ID"] for m in smtp_sink.messages}
    assert len(message_ids) == 1, "a retry of the same alert carries the same Message-ID (mail systems drop it)"
    assert dispatch(store.engine, settings, NOW + timedelta(hours=1)).deliveries == []
