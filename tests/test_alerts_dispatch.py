"""The dispatcher against real endpoints: routing, grouping, digests, backoff, outages, leases, recovery."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.config import AlertRoute
from monitor.core.types import EventType
from monitor.notify.dispatcher import LEASE_NAME, _claim, dispatch
from monitor.notify.outbox import requeue, waiting_overview
from monitor.notify.routing import first_due
from monitor.store import leases
from monitor.store.db import session
from monitor.store.models import Delivery, EventRecord
from tests.fixtures_alerts import NOW, notifications, settings_for


def test_thousand_lost_links_one_message_per_channel(alert_store_any, http_sink, smtp_sink):
    store = alert_store_any
    store.add_events(1000, "lost", traffic=[float(n) for n in range(1000)])
    settings = settings_for(store, slack=http_sink, smtp=smtp_sink, webhook=http_sink.url + "/generic")
    report = dispatch(store.engine, settings, NOW)
    assert (report.routed_events, report.notifications_created) == (1000, 3000)
    assert sorted((d.channel, d.status, d.events) for d in report.deliveries) == [
        ("email", "sent", 1000), ("slack", "sent", 1000), ("webhook", "sent", 1000)]
    slack_posts = [r for r in http_sink.requests if r.path == "/hook"]
    hooks = [r for r in http_sink.requests if r.path == "/hook/generic"]
    assert len(slack_posts) == 1 and len(hooks) == 1 and len(smtp_sink.messages) == 1
    assert slack_posts[0].json["text"].startswith("[mysite.example] 1,000 links lost (499,500 visits/mo at risk)")
    assert len(hooks[0].json["events"]) == 1000 and hooks[0].json["events"][0]["page_traffic"] == 999.0
    assert smtp_sink.messages[0]["Subject"] == "[mysite.example] 1,000 links lost (499,500 visits/mo at risk)"
    assert {n.status for n in notifications(store)} == {"sent"}
    with session(store.engine) as s:
        assert s.execute(select(func.count()).select_from(EventRecord).where(EventRecord.routed.is_(False))
                         ).scalar_one() == 0
        assert sorted(s.execute(select(Delivery.channel, Delivery.status, Delivery.events)).all()) == [
            ("email", "sent", 1000), ("slack", "sent", 1000), ("webhook", "sent", 1000)]
    again = dispatch(store.engine, settings, NOW + timedelta(hours=1))
    assert again.deliveries == [] and len(http_sink.requests) == 2 and len(smtp_sink.messages) == 1


def test_routing_by_type_site_and_tag(alert_store, http_sink, smtp_sink):
    store = alert_store
    lost_a = store.add_events(1, "lost", site="a.example", tags=["vip"])[0]
    nofollow_b = store.add_events(1, "nofollow", site="b.example", tags=["vip"])[0]
    lost_b = store.add_events(1, "lost", site="b.example")[0]
    live_a = store.add_events(1, "went_live", site="a.example")[0]
    new_a = store.add_events(1, "new", site="a.example")[0]
    routes = (AlertRoute("slack", (EventType.LOST,), sites=("www.a.example",)),
              AlertRoute("email", tags=("vip",)),
              AlertRoute("webhook"))
    settings = settings_for(store, slack=http_sink, smtp=smtp_sink, webhook=http_sink.url + "/generic",
                            alert_routes=routes)
    dispatch(store.engine, settings, NOW)
    routed = {(n.event_id, n.channel) for n in notifications(store)}
    assert routed == {(lost_a, "slack"), (lost_a, "email"), (nofollow_b, "email"),
                      (lost_a, "webhook"), (nofollow_b, "webhook"), (lost_b, "webhook"), (live_a, "webhook")}
    assert not any(event_id == new_a for event_id, _ in routed)  # `new` is not alerted by default
    hooks = [r.json for r in http_sink.requests if r.path == "/hook/generic"]  # one message per site
    assert sorted((sorted({e["site"] for e in h["events"]}), h["counts"]) for h in hooks) == [
        (["a.example"], {"lost": 1, "went_live": 1}), (["b.example"], {"lost": 1, "nofollow": 1})]
    mails = sorted(m["Subject"] for m in smtp_sink.messages)
    assert mails == ["[a.example] 1 link lost", "[b.example] 1 now nofollow"]


def test_default_route_only_for_configured_channels(alert_store, http_sink):
    store = alert_store
    store.add_events(2, "page_gone")
    dispatch(store.engine, settings_for(store, slack=http_sink), NOW)
    assert {n.channel for n in notifications(store)} == {"slack"}
    assert len(http_sink.requests) == 1


@pytest.mark.parametrize(("mode", "hour", "weekday", "now", "due"), [
    ("immediate", 9, 0, NOW, NOW),
    ("daily", 9, 0, NOW, NOW.replace(hour=9)),
    ("daily", 7, 0, NOW, NOW.replace(hour=7) + timedelta(days=1)),
    ("daily", 8, 0, NOW, NOW),
    ("weekly", 9, 0, NOW, NOW.replace(hour=9)),
    ("weekly", 7, 0, NOW, NOW.replace(hour=7) + timedelta(days=7)),
    ("weekly", 9, 4, NOW, NOW.replace(hour=9) + timedelta(days=4)),
])
def test_first_due(mode, hour, weekday, now, due):
    assert first_due(AlertRoute("slack", mode=mode, hour=hour, weekday=weekday), now) == due


def test_daily_digest_waits_for_its_hour_then_sends_one_message(alert_store, http_sink):
    store = alert_store
    settings = settings_for(store, slack=http_sink, alert_routes=(
        AlertRoute("slack", (EventType.LOST,)), AlertRoute("slack", mode="daily", hour=9)))
    store.add_events(3, "nofollow")
    store.add_events(1, "lost")
    report = dispatch(store.engine, settings, NOW)  # the lost one goes at once, the nofollows wait for 09:00
    assert [(d.channel, d.events) for d in report.deliveries] == [("slack", 1)]
    store.add_events(2, "page_noindex")
    assert dispatch(store.engine, settings, NOW + timedelta(minutes=59)).deliveries == []
    report = dispatch(store.engine, settings, NOW + timedelta(hours=1, minutes=5))
    assert [(d.channel, d.events) for d in report.deliveries] == [("slack", 5)]
    digest = http_sink.requests[-1].json
    assert digest["blocks"][0]["text"]["text"] == "[mysite.example] Daily digest: 3 now nofollow, 2 pages now noindex"
    assert len(http_sink.requests) == 2


def test_channel_down_then_back_delivered_exactly_once(alert_store_any, http_sink):
    store = alert_store_any
    store.add_events(5, "lost")
    settings = settings_for(store, slack=http_sink)
    http_sink.fail(500)
    report = dispatch(store.engine, settings, NOW)
    assert report.failed and report.deliveries[0].status == "retry"
    [first] = {(n.status, n.attempts) for n in notifications(store)}
    assert first == ("pending", 1)
    retry_at = notifications(store)[0].next_attempt_at
    assert NOW + timedelta(seconds=15) <= retry_at <= NOW + timedelta(seconds=30)
    assert dispatch(store.engine, settings, NOW + timedelta(seconds=10)).deliveries == []  # not due yet
    assert len(http_sink.requests) == 1
    http_sink.ok()
    report = dispatch(store.engine, settings, NOW + timedelta(seconds=31))
    assert [(d.status, d.events) for d in report.deliveries] == [("sent", 5)]
    dispatch(store.engine, settings, NOW + timedelta(hours=1))
    assert len(http_sink.accepted) == 1 and len(http_sink.requests) == 2
    assert {n.status for n in notifications(store)} == {"sent"}
    with session(store.engine) as s:
        assert sorted(s.execute(select(Delivery.status)).scalars()) == ["failed", "sent"]


def test_refused_connection_then_back(alert_store, http_sink, refused_url):
    store = alert_store
    store.add_events(2, "lost")
    down = settings_for(store, slack=http_sink, slack_webhook_url=refused_url)
    assert dispatch(store.engine, down, NOW).deliveries[0].status == "retry"
    dispatch(store.engine, settings_for(store, slack=http_sink), NOW + timedelta(minutes=5))
    assert len(http_sink.accepted) == 1
    assert http_sink.accepted[0].json["text"].startswith("[mysite.example] 2 links lost")


def test_backoff_doubles_then_dead_then_retry_dead(alert_store, http_sink):
    store = alert_store
    store.add_events(1, "lost")
    settings = settings_for(store, slack=http_sink, alert_max_attempts=3, alert_backoff_seconds=100.0)
    http_sink.fail(503)
    now = NOW
    for attempt, delay in ((1, 100), (2, 200)):
        dispatch(store.engine, settings, now)
        [note] = notifications(store)
        assert (note.status, note.attempts) == ("pending", attempt)
        assert now + timedelta(seconds=delay / 2) <= note.next_attempt_at <= now + timedelta(seconds=delay)
        now = note.next_attempt_at
    report = dispatch(store.engine, settings, now)
    [note] = notifications(store)
    assert (note.status, note.attempts, report.deliveries[0].status) == ("dead", 3, "dead")
    assert "HTTP 503" in note.last_error
    assert dispatch(store.engine, settings, now + timedelta(days=1)).deliveries == []
    overview = waiting_overview(store.engine, settings, now)
    assert overview["channels"][0]["dead"] == 1 and overview["notifications"][0]["status"] == "dead"
    http_sink.ok()
    assert requeue(store.engine, ("dead",), now) == 1
    assert dispatch(store.engine, settings, now).deliveries[0].status == "sent"
    assert len(http_sink.accepted) == 1


def test_permanent_failure_is_dead_at_once(alert_store, http_sink):
    store = alert_store
    store.add_events(1, "lost")
    http_sink.fail(404)
    report = dispatch(store.engine, settings_for(store, slack=http_sink), NOW)
    assert report.deliveries[0].status == "dead"
    assert [(n.status, n.attempts) for n in notifications(store)] == [("dead", 1)]


def test_retry_after_is_honoured(alert_store, http_sink):
    store = alert_store
    store.add_events(1, "lost")
    http_sink.fail(429, retry_after="900")
    dispatch(store.engine, settings_for(store, slack=http_sink), NOW)
    assert notifications(store)[0].next_attempt_at >= NOW + timedelta(seconds=899)


def test_reply_timeout_is_retried(alert_store, http_sink):
    store = alert_store
    store.add_events(1, "lost")
    http_sink.delay(3)
    settings = settings_for(store, slack=http_sink, timeout=0.5)
    assert dispatch(store.engine, settings, NOW).deliveries[0].status == "retry"
    assert "possibly" not in (notifications(store)[0].last_error or "")  # the error text says what happened
    assert "timed out" in (notifications(store)[0].last_error or "")


def test_unusable_channel_keeps_its_notifications_waiting(alert_store, http_sink):
    store = alert_store
    store.add_events(2, "lost")
    routes = (AlertRoute("slack"),)
    report = dispatch(store.engine, settings_for(store, alert_routes=routes), NOW)
    assert [(d.channel, d.status, d.events) for d in report.deliveries] == [("slack", "waiting", 2)]
    assert "LINKWATCH_SLACK_WEBHOOK_URL" in (report.deliveries[0].error or "")
    assert [(n.status, n.attempts) for n in notifications(store)] == [("pending", 0)] * 2
    dispatch(store.engine, settings_for(store, slack=http_sink, alert_routes=routes), NOW + timedelta(days=3))
    assert len(http_sink.accepted) == 1


def test_busy_lease_means_nothing_is_sent(alert_store, http_sink):
    store = alert_store
    store.add_events(1, "lost")
    other = f"{socket.gethostname()}:{os.getpid()}:another"
    assert leases.acquire(store.engine, LEASE_NAME, other, 300)
    report = dispatch(store.engine, settings_for(store, slack=http_sink), NOW)
    assert report.lease_busy and report.deliveries == [] and http_sink.requests == []
    leases.release(store.engine, LEASE_NAME, other)
    assert dispatch(store.engine, settings_for(store, slack=http_sink), NOW).sent_events == 1


def test_lease_of_a_dead_process_is_taken_over(alert_store, http_sink):
    store = alert_store
    store.add_events(1, "lost")
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert leases.acquire(store.engine, LEASE_NAME, f"{socket.gethostname()}:{gone.pid}:dead", 3600)
    assert dispatch(store.engine, settings_for(store, slack=http_sink), NOW).sent_events == 1


def test_in_flight_delivery_of_a_dead_dispatcher_is_never_resent(alert_store_any, http_sink):
    store = alert_store_any
    store.add_events(3, "lost")
    settings = settings_for(store, slack=http_sink, alert_routes=(AlertRoute("slack"),))
    dispatch(store.engine, dataclasses.replace(settings, slack_webhook_url=None), NOW)  # route only
    assert _claim(store.engine, "slack", NOW) is not None  # a dispatcher marked them sending, then died
    report = dispatch(store.engine, settings, NOW + timedelta(minutes=1))
    assert report.recovered_unconfirmed == 3 and report.deliveries == [] and http_sink.requests == []
    assert {n.status for n in notifications(store)} == {"unconfirmed"}
    overview = waiting_overview(store.engine, settings, NOW)
    assert overview["channels"][0]["unconfirmed"] == 3
    assert requeue(store.engine, ("unconfirmed",), NOW) == 3  # the user decides to resend
    assert dispatch(store.engine, settings, NOW).sent_events == 3


def test_one_message_per_site_per_channel(alert_store, http_sink, smtp_sink):
    store = alert_store
    store.add_events(3, "lost", site="acmeshoes.example", traffic=[8000.0, 4000.0, 400.0])
    store.add_events(1, "nofollow", site="acmeshoes.example")
    store.add_events(2, "page_gone", site="bikes.example")
    report = dispatch(store.engine, settings_for(store, slack=http_sink, smtp=smtp_sink), NOW)
    assert sorted((d.channel, d.events) for d in report.deliveries) == [
        ("email", 2), ("email", 4), ("slack", 2), ("slack", 4)]
    headers = sorted(r.json["blocks"][0]["text"]["text"] for r in http_sink.accepted)
    assert headers == ["[acmeshoes.example] 3 links lost (12,400 visits/mo at risk), 1 now nofollow",
                       "[bikes.example] 2 pages gone"]
    assert sorted(m["Subject"].strip() for m in smtp_sink.messages) == headers  # a long subject is folded
    assert len({r.json["text"] for r in http_sink.accepted}) == 2
    with session(store.engine) as s:
        assert len(set(s.execute(select(Delivery.id)).scalars())) == 4  # one delivery (and key) per message


def test_events_wait_while_no_channel_is_configured_then_go_out(alert_store, http_sink):
    store = alert_store
    store.add_events(3, "lost")
    store.add_events(2, "new")  # not alerted by default: not counted
    report = dispatch(store.engine, settings_for(store), NOW)
    assert report.no_channel and report.waiting_for_channel == 3 and report.routed_events == 0
    assert notifications(store) == []
    report = dispatch(store.engine, settings_for(store, slack=http_sink), NOW + timedelta(days=2))
    assert report.routed_events == 5 and [(d.status, d.events) for d in report.deliveries] == [("sent", 3)]
    assert http_sink.accepted[0].json["blocks"][0]["text"]["text"] == "[mysite.example] 3 links lost"
