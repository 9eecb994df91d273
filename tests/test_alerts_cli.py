"""`linkwatch alerts send|test|pending` (in-process, tests.support.cli.run_cli, through the `alerts_cli` fixture of
tests/fixtures_alerts.py), and a dispatcher process killed with -9 mid-delivery."""

from __future__ import annotations

import json
import os
import signal

from tests.support.alerts import smtp_env


def test_alerts_test_sends_to_each_configured_channel(alerts_cli, http_sink, smtp_sink):
    done = alerts_cli("alerts", "test", env={"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url, **smtp_env(smtp_sink)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["slack: test message sent", "email: test message sent"]
    assert len(http_sink.requests) == 1 and len(smtp_sink.messages) == 1
    assert "the slack channel works" in http_sink.requests[0].json["text"]


def test_alerts_test_one_channel_and_errors(alerts_cli, http_sink, alert_store):
    env = {"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url}
    done = alerts_cli("alerts", "test", "--channel", "webhook", env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("linkwatch: error: the webhook channel is not configured: set LINKWATCH_WEBHOOK_URL "
                           "(or alerts.webhook_url)\n")
    http_sink.fail(500)
    done = alerts_cli("alerts", "test", "--channel", "slack", env=env)
    assert done.returncode == 1 and done.stdout.startswith("slack: failed: HTTP 500")
    assert "Traceback" not in done.stderr
    done = alerts_cli("alerts", "test")
    assert done.returncode == 2 and "no alert channel is configured" in done.stderr


def test_alerts_send_and_pending(alerts_cli, http_sink, smtp_sink, alert_store):
    alert_store.add_events(3, "lost")
    env = {"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url, **smtp_env(smtp_sink)}
    http_sink.fail(503)
    done = alerts_cli("alerts", "send", env=env)
    assert done.returncode == 1
    assert "routed 3 events into 6 notifications" in done.stdout
    assert "slack: failed, 3 events to retry from" in done.stdout
    assert "email: sent 3 events in one message" in done.stdout
    pending = alerts_cli("alerts", "pending", "--json", env=env)
    assert pending.returncode == 0, pending.stderr
    overview = json.loads(pending.stdout)
    slack = next(c for c in overview["channels"] if c["channel"] == "slack")
    assert (slack["pending"], slack["due"], slack["max_attempts"]) == (3, 0, 1)
    assert "HTTP 503" in slack["last_error"]
    assert {n["status"] for n in overview["notifications"]} == {"pending"}
    text = alerts_cli("alerts", "pending", env=env)
    assert "HTTP 503" in text.stdout and "slack" in text.stdout
    http_sink.ok()
    done = alerts_cli("alerts", "send", env=env)  # not due yet: backoff
    assert done.returncode == 0 and done.stdout.strip() == "nothing to send"
    assert len(smtp_sink.messages) == 1 and http_sink.accepted == []


def test_dispatcher_killed_after_sending_never_sends_twice(alerts_cli, http_sink, alert_store):
    alert_store.add_events(4, "lost")
    env = {"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url}
    http_sink.hold()  # the endpoint receives the message, and the dispatcher dies before hearing back
    process = alerts_cli("alerts", "send", env=env, background=True)
    try:
        assert http_sink.wait_for_request(60)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    http_sink.ok()
    http_sink.release_event.set()
    done = alerts_cli("alerts", "send", env=env)
    assert done.returncode == 1
    assert "4 notifications were in flight when a dispatcher stopped" in done.stderr
    assert done.stdout.strip() == "nothing to send"
    assert len(http_sink.requests) == 1  # never sent twice
    again = alerts_cli("alerts", "send", env=env)
    assert again.returncode == 0 and len(http_sink.requests) == 1
    overview = json.loads(alerts_cli("alerts", "pending", "--json", env=env).stdout)
    assert overview["channels"][0]["unconfirmed"] == 4
    assert {n["status"] for n in overview["notifications"]} == {"unconfirmed"}
    resend = alerts_cli("alerts", "send", "--resend-unconfirmed", env=env)  # the user's call
    assert resend.returncode == 0 and "slack: sent 4 events" in resend.stdout
    assert len(http_sink.requests) == 2
