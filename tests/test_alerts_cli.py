"""`linkwatch alerts send|test|pending` (in-process, tests.support.cli.run_cli), and a dispatcher process killed
with -9 mid-delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import LINKWATCH, run_cli

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli(tmp_path, alert_store):
    """Run `linkwatch` (in-process; a child process with `background`) with a clean environment pointing at the
    test store."""
    config = tmp_path / "config.toml"
    config.write_text('[alerts]\nbackoff = "1h"\n')
    config.chmod(0o600)  # linkwatch warns on stderr about config files others can read
    base = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    base.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"),
                LINKWATCH_CONFIG=str(config), LINKWATCH_DATABASE_URL=alert_store.url, LINKWATCH_TIMEOUT="5")

    def run(*args: str, env: dict[str, str] | None = None, background: bool = False):
        command = [*LINKWATCH, *args]
        environment = {**base, **(env or {})}
        if background:
            return subprocess.Popen(command, env=environment, cwd=REPO, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        return run_cli(*args, env=environment, cwd=REPO)

    return run


def smtp_env(sink) -> dict[str, str]:
    return {"LINKWATCH_SMTP_HOST": sink.host, "LINKWATCH_SMTP_PORT": str(sink.port),
            "LINKWATCH_SMTP_STARTTLS": "false", "LINKWATCH_EMAIL_FROM": "lw@mysite.example",
            "LINKWATCH_EMAIL_TO": "seo@mysite.example"}


def test_alerts_test_sends_to_each_configured_channel(cli, http_sink, smtp_sink):
    done = cli("alerts", "test", env={"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url, **smtp_env(smtp_sink)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["slack: test message sent", "email: test message sent"]
    assert len(http_sink.requests) == 1 and len(smtp_sink.messages) == 1
    assert "the slack channel works" in http_sink.requests[0].json["text"]


def test_alerts_test_one_channel_and_errors(cli, http_sink, alert_store):
    env = {"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url}
    done = cli("alerts", "test", "--channel", "webhook", env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("linkwatch: error: the webhook channel is not configured: set LINKWATCH_WEBHOOK_URL "
                           "(or alerts.webhook_url)\n")
    http_sink.fail(500)
    done = cli("alerts", "test", "--channel", "slack", env=env)
    assert done.returncode == 1 and done.stdout.startswith("slack: failed: HTTP 500")
    assert "Traceback" not in done.stderr
    done = cli("alerts", "test")
    assert done.returncode == 2 and "no alert channel is configured" in done.stderr


def test_alerts_send_and_pending(cli, http_sink, smtp_sink, alert_store):
    alert_store.add_events(3, "lost")
    env = {"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url, **smtp_env(smtp_sink)}
    http_sink.fail(503)
    done = cli("alerts", "send", env=env)
    assert done.returncode == 1
    assert "routed 3 events into 6 notifications" in done.stdout
    assert "slack: failed, 3 events to retry from" in done.stdout
    assert "email: sent 3 events in one message" in done.stdout
    pending = cli("alerts", "pending", "--json", env=env)
    assert pending.returncode == 0, pending.stderr
    overview = json.loads(pending.stdout)
    slack = next(c for c in overview["channels"] if c["channel"] == "slack")
    assert (slack["pending"], slack["due"], slack["max_attempts"]) == (3, 0, 1)
    assert "HTTP 503" in slack["last_error"]
    assert {n["status"] for n in overview["notifications"]} == {"pending"}
    text = cli("alerts", "pending", env=env)
    assert "HTTP 503" in text.stdout and "slack" in text.stdout
    http_sink.ok()
    done = cli("alerts", "send", env=env)  # not due yet: backoff
    assert done.returncode == 0 and done.stdout.strip() == "nothing to send"
    assert len(smtp_sink.messages) == 1 and http_sink.accepted == []


def test_dispatcher_killed_after_sending_never_sends_twice(cli, http_sink, alert_store):
    alert_store.add_events(4, "lost")
    env = {"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url}
    http_sink.hold()  # the endpoint receives the message, and the dispatcher dies before hearing back
    process = cli("alerts", "send", env=env, background=True)
    try:
        assert http_sink.wait_for_request(60)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    http_sink.ok()
    http_sink.release_event.set()
    done = cli("alerts", "send", env=env)
    assert done.returncode == 1
    assert "4 notifications were in flight when a dispatcher stopped" in done.stderr
    assert done.stdout.strip() == "nothing to send"
    assert len(http_sink.requests) == 1  # never sent twice
    again = cli("alerts", "send", env=env)
    assert again.returncode == 0 and len(http_sink.requests) == 1
    overview = json.loads(cli("alerts", "pending", "--json", env=env).stdout)
    assert overview["channels"][0]["unconfirmed"] == 4
    assert {n["status"] for n in overview["notifications"]} == {"unconfirmed"}
    resend = cli("alerts", "send", "--resend-unconfirmed", env=env)  # the user's call
    assert resend.returncode == 0 and "slack: sent 4 events" in resend.stdout
    assert len(http_sink.requests) == 2
