"""What waits in the alert outbox (`linkwatch alerts pending`), and putting notifications back in line.

`waiting_overview` summarises per channel (pending, due now, next attempt, most
attempts, dead, unconfirmed, last error) and lists the notifications not sent yet,
oldest first.  `requeue` makes dead or unconfirmed notifications pending again
(`linkwatch alerts send --retry-dead / --resend-unconfirmed`).

Reads Settings: the channel settings and alert_routes (which channels to show).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select, update

from monitor.config import Settings
from monitor.notify.channels import CHANNELS, channel_problem, named_channels
from monitor.store.db import session
from monitor.store.models import Backlink, EventRecord, Notification

WAITING = ("pending", "sending", "unconfirmed", "dead")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _channel_summary(s: Any, settings: Settings, name: str, now: datetime) -> dict[str, Any]:
    counts = dict(s.execute(select(Notification.status, func.count()).where(Notification.channel == name)
                            .group_by(Notification.status)).all())
    pending = (Notification.channel == name, Notification.status == "pending")
    due = s.execute(select(func.count()).where(*pending, Notification.next_attempt_at <= now)).scalar_one()
    next_at, attempts = s.execute(select(func.min(Notification.next_attempt_at),
                                         func.max(Notification.attempts)).where(*pending)).one()
    last_error = s.execute(select(Notification.last_error).where(
        Notification.channel == name, Notification.status.in_(WAITING), Notification.last_error.is_not(None))
        .order_by(Notification.id.desc()).limit(1)).scalar_one_or_none()
    problem = channel_problem(settings, name)
    return {"channel": name, "configured": problem is None, "problem": problem,
            "pending": counts.get("pending", 0), "due": due, "next_attempt_at": _iso(next_at),
            "max_attempts": attempts or 0, "sending": counts.get("sending", 0),
            "unconfirmed": counts.get("unconfirmed", 0), "dead": counts.get("dead", 0),
            "sent": counts.get("sent", 0), "last_error": last_error}


def waiting_overview(engine: Engine, settings: Settings, now: datetime, limit: int = 100) -> dict[str, Any]:
    """Per-channel summaries and up to `limit` unsent notifications (JSON-ready)."""
    with session(engine) as s:
        stored = set(s.execute(select(Notification.channel).distinct()).scalars())
        shown = set(named_channels(settings)) | {r.channel for r in settings.alert_routes} | stored
        channels = [_channel_summary(s, settings, name, now) for name in CHANNELS if name in shown]
        unrouted = s.execute(select(func.count()).select_from(EventRecord)
                             .where(EventRecord.routed.is_(False))).scalar_one()
        rows = s.execute(select(Notification, EventRecord, Backlink)
                         .join(EventRecord, Notification.event_id == EventRecord.id)
                         .join(Backlink, EventRecord.backlink_id == Backlink.id)
                         .where(Notification.status.in_(WAITING))
                         .order_by(Notification.next_attempt_at, Notification.id).limit(limit)).all()
        notes = [{"id": n.id, "event_id": n.event_id, "channel": n.channel, "mode": n.mode, "status": n.status,
                  "attempts": n.attempts, "next_attempt_at": _iso(n.next_attempt_at), "last_error": n.last_error,
                  "delivery_id": n.delivery_id, "type": e.type, "at": _iso(e.at), "source_url": b.source_url,
                  "target": b.target} for n, e, b in rows]
    return {"channels": channels, "unrouted_events": unrouted, "notifications": notes}


def requeue(engine: Engine, statuses: tuple[str, ...], now: datetime, channel: str | None = None) -> int:
    """Make notifications in `statuses` (dead, unconfirmed) pending again, due now, attempts reset."""
    conditions: list[ColumnElement[bool]] = [Notification.status.in_(statuses)]
    if channel:
        conditions.append(Notification.channel == channel)
    with session(engine) as s:
        result = s.execute(update(Notification).where(*conditions)
                           .values(status="pending", attempts=0, next_attempt_at=now))
        return int(getattr(result, "rowcount", 0) or 0)
