"""`linkwatch alerts test` run twice: two emails with different Message-IDs (a repeated test is a new
message, not a retry a mail client hides or threads), and two webhook POSTs with different Idempotency-Keys."""

from __future__ import annotations

from tests.support.alerts import smtp_env


def test_each_alerts_test_is_a_new_message(alerts_cli, http_sink, smtp_sink):
    env = {"LINKWATCH_WEBHOOK_URL": http_sink.url, **smtp_env(smtp_sink)}
    for _ in range(2):
        done = alerts_cli("alerts", "test", env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["email: test message sent", "webhook: test message sent"]
    ids = [mail["Message-ID"] for mail in smtp_sink.messages]
    assert len(ids) == 2 and all(ids) and ids[0] != ids[1], ids
    assert all(mail["Subject"] == smtp_sink.messages[0]["Subject"] for mail in smtp_sink.messages)
    keys = [request.headers.get("idempotency-key") for request in http_sink.requests]
    assert len(keys) == 2 and all(keys) and keys[0] != keys[1], keys
