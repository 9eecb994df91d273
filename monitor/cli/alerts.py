"""`linkwatch alerts send|test|pending`: deliver the alert outbox, test the channels, show what waits.

- `alerts send` runs one dispatch pass (for cron; `linkwatch serve` runs the same
  after each cycle) and prints what was sent and what failed.  Exit status: 0 when
  every due notification was delivered (or nothing was due, or another dispatcher
  holds the lease, or no channel is configured: it then says how many alerts wait
  for one), 1 when a delivery failed or notifications wait for a channel
  that cannot send (they are kept and retried) or a delivery left in flight by a
  dispatcher that died was found (marked unconfirmed), 2 for a user error.
  `--retry-dead` and `--resend-unconfirmed` first put dead / unconfirmed
  notifications back in line.
- `alerts test [--channel C]` sends a test message to every configured channel (or
  to C) without touching the database; exit 1 when one failed.
- `alerts pending [--json] [--limit N]` shows, per channel, what waits (attempts,
  next attempt, last error), and the dead and unconfirmed notifications.

Reads Settings: database_url and the alert settings (see monitor/notify/dispatcher.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.cli.common import CliError, print_table, settings_from
from monitor.cli.store_access import open_store
from monitor.core.human import human_time

if TYPE_CHECKING:
    from monitor.notify.dispatcher import DispatchReport

# imported in the commands, not here: `linkwatch --help` stays quick
CHANNELS = ("slack", "email", "webhook", "apprise")  # as monitor.notify.channels.CHANNELS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("alerts", help="send pending alerts, test the channels, show what waits",
                                   description="Alerts on Slack, email, a JSON webhook or Apprise.")
    sub = parser.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    send = sub.add_parser("send", help="deliver the due alerts now (one dispatch pass, for cron)",
                          description="Route new events and deliver every due notification, one grouped "
                          "message per channel. Exit 1 when a delivery failed (it will be retried).")
    send.add_argument("--retry-dead", action="store_true",
                      help="first put dead notifications (out of attempts, or refused) back in line")
    send.add_argument("--resend-unconfirmed", action="store_true",
                      help="first put unconfirmed notifications (in flight when a dispatcher died; they may "
                      "have arrived) back in line")
    send.set_defaults(func=run_send)
    test = sub.add_parser("test", help="send a test message to each configured channel",
                          description="Send a test message to every configured channel, or to one.")
    test.add_argument("--channel", choices=CHANNELS, metavar="C",
                      help="only this channel: " + ", ".join(CHANNELS))
    test.set_defaults(func=run_test)
    pending = sub.add_parser("pending", help="show the alerts waiting to be delivered, per channel",
                             description="Show per channel what waits: attempts, next attempt, last error; "
                             "and the dead and unconfirmed notifications.")
    pending.add_argument("--json", action="store_true", help="one JSON object: channels, notifications")
    pending.add_argument("--limit", type=int, default=100, metavar="N",
                         help="list at most N notifications (default 100)")
    pending.set_defaults(func=run_pending)


def _events(count: int) -> str:
    return f"{count} event" if count == 1 else f"{count} events"


def _print_report(report: DispatchReport) -> None:
    if report.recovered_unconfirmed:
        print(f"warning: {report.recovered_unconfirmed} notifications were in flight when a dispatcher stopped; "
              "marked unconfirmed (not resent), see `linkwatch alerts pending`", file=sys.stderr)
    if report.routed_events:
        print(f"routed {_events(report.routed_events)} into {report.notifications_created} notifications")
    for outcome in report.deliveries:
        if outcome.status == "sent":
            print(f"{outcome.channel}: sent {_events(outcome.events)} in one message (delivery {outcome.delivery_id})")
        elif outcome.status == "retry":
            when = human_time(outcome.retry_at) if outcome.retry_at else "later"
            print(f"{outcome.channel}: failed, {_events(outcome.events)} to retry from {when}: "
                  f"{outcome.error}")
        elif outcome.status == "dead":
            print(f"{outcome.channel}: failed for good, {_events(outcome.events)} marked dead: {outcome.error}")
        else:
            print(f"{outcome.channel}: {_events(outcome.events)} waiting: {outcome.error}")
    if not report.deliveries:
        print("nothing to send")


def run_send(args: argparse.Namespace) -> int:
    from monitor.notify.dispatcher import dispatch
    from monitor.notify.outbox import requeue

    settings = settings_from(args)
    engine = open_store(args, create=False)
    now = datetime.now(UTC)
    statuses = (("dead",) if args.retry_dead else ()) + (("unconfirmed",) if args.resend_unconfirmed else ())
    if statuses:
        print(f"put {requeue(engine, statuses, now)} notifications back in line")
    report = dispatch(engine, settings, now)
    if report.lease_busy:
        print("another dispatcher is running; nothing done", file=sys.stderr)
        return 0
    if report.no_channel:
        print(no_channel_words(report.waiting_for_channel))
        return 0
    _print_report(report)
    return 1 if report.failed or report.recovered_unconfirmed else 0


def no_channel_words(waiting: int) -> str:
    """What `alerts send` says when no channel is configured: how many alerts wait for one."""
    alerts = "1 alert waits" if waiting == 1 else f"{waiting:,} alerts wait"
    if not waiting:
        return ("No alert channel is configured: no alerts wait; changes found from now on will be sent once one "
                "is added ([alerts] in the config)")
    return f"No alert channel is configured: {alerts} and will be sent once one is added ([alerts] in the config)"


def run_test(args: argparse.Namespace) -> int:
    from alerts.errors import DeliveryError
    from alerts.message import probe_message
    from monitor.notify.channels import build_channel, channel_problem, named_channels

    settings = settings_from(args)
    names = [args.channel] if args.channel else named_channels(settings)
    if not names:
        raise CliError("no alert channel is configured: set LINKWATCH_SLACK_WEBHOOK_URL, LINKWATCH_SMTP_HOST "
                       "(with LINKWATCH_EMAIL_FROM/TO), LINKWATCH_WEBHOOK_URL or alerts.apprise_urls")
    if args.channel and (problem := channel_problem(settings, args.channel)):
        raise CliError(problem)
    failed = 0
    key = test_delivery_key()
    for name in names:
        problem = channel_problem(settings, name)
        try:
            if problem:
                raise DeliveryError(problem, name)
            build_channel(settings, name).send(probe_message(name), f"{key}-{name}")
        except DeliveryError as exc:
            failed += 1
            print(f"{name}: failed: {exc}")
            continue
        print(f"{name}: test message sent")
    return 1 if failed else 0


def test_delivery_key() -> str:
    """A key of its own for each `alerts test`: the email's Message-ID and the webhook's Idempotency-Key
    come from it, and a repeated test must not look like a retry (mail clients hide or thread those)."""
    import secrets

    return f"linkwatch-test-{secrets.token_hex(8)}"


def _human_times(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with `next_attempt_at` as people read a date (the JSON keeps ISO times)."""
    return [{**row, "next_attempt_at": human_time(row.get("next_attempt_at"))} for row in rows]


def _print_overview(overview: dict[str, Any]) -> None:
    channels = _human_times(overview["channels"])
    if overview["unrouted_events"]:
        print(f"{overview['unrouted_events']} events not routed yet (the next dispatch routes them)")
    if channels:
        print_table([{**c, "channel": c["channel"] if c["configured"] else f"{c['channel']} (cannot send)"}
                     for c in channels],
                    ("channel", "pending", "due", "next_attempt_at", "max_attempts", "unconfirmed", "dead",
                     "last_error"))
        for c in channels:
            if c["problem"] and (c["pending"] or c["dead"]):
                print(f"{c['channel']}: {c['problem']}")
    notes = _human_times(overview["notifications"])
    if not notes:
        print("nothing waits")
        return
    print()
    print_table(notes, ("id", "channel", "status", "attempts", "next_attempt_at", "type", "source_url",
                        "last_error"))


def run_pending(args: argparse.Namespace) -> int:
    from monitor.notify.outbox import waiting_overview

    if args.limit < 0:
        raise CliError("--limit: must be 0 or more")
    settings = settings_from(args)
    engine = open_store(args, create=False)
    overview = waiting_overview(engine, settings, datetime.now(UTC), args.limit)
    if args.json:
        print(json.dumps(overview, ensure_ascii=False))
    else:
        _print_overview(overview)
    return 0
