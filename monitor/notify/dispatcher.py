"""The alert dispatcher: drains the event outbox into channels, at most once per notification.

`dispatch(engine, settings, now=None) -> DispatchReport` is one pass (`linkwatch alerts send`, and
`linkwatch serve` after each cycle): under the `alerts-dispatcher` lease (held elsewhere: nothing is
done), it marks `unconfirmed` what a dead dispatcher left `sending`, routes new events
(monitor.notify.routing), then sends each usable channel's due notifications as one grouped message per
site (up to MAX_EVENTS_PER_MESSAGE), committing `sending` and the Delivery row before the send and `sent`
after.  Invariants: a failure is retried with backoff (permanent or out of attempts: `dead`), so an
outage never loses an alert; an `unconfirmed` notification is never resent unless asked
(`--resend-unconfirmed`), so a restart never sends twice; a retry of the same notifications has the
same `delivery_key`.  The steps, the backoff and the failure classes: docs/alerts.md, "Delivery guarantees".

Reads Settings: alert_routes, alert_max_attempts, alert_backoff_seconds, public_url (links in the messages)
and the channel settings.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from alerts.errors import ChannelUnavailableError, DeliveryError, PermanentDeliveryError, TransientDeliveryError
from alerts.message import build_message
from monitor.config import Settings
from monitor.core.types import Event
from monitor.notify.channels import CHANNELS, build_channel, channel_problem
from monitor.notify.routing import effective_routes, route_events, waiting_without_channel
from monitor.store import leases
from monitor.store.db import session
from monitor.store.listing import event_from_record
from monitor.store.models import Backlink, Delivery, EventRecord, Notification, Site

logger = logging.getLogger(__name__)

LEASE_NAME = "alerts-dispatcher"
LEASE_TTL = 300.0
MAX_BACKOFF = 6 * 3600.0
MAX_EVENTS_PER_MESSAGE = 5000
MAX_MESSAGES_PER_CHANNEL = 100  # per dispatch: one per site, more when a site has more than MAX_EVENTS_PER_MESSAGE
_IN_CHUNK = 900


@dataclass
class DeliveryOutcome:
    channel: str
    delivery_id: int | None
    events: int
    status: str  # sent | retry | dead | waiting (channel unusable: nothing attempted)
    error: str | None = None
    retry_at: datetime | None = None


@dataclass
class DispatchReport:
    lease_busy: bool = False  # another dispatcher holds the lease: nothing was done
    recovered_unconfirmed: int = 0
    routed_events: int = 0
    notifications_created: int = 0
    no_channel: bool = False  # no channel and no route is configured: events wait, un-routed
    waiting_for_channel: int = 0  # then: the events the default route will alert once a channel is added
    deliveries: list[DeliveryOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(d.status != "sent" for d in self.deliveries)

    @property
    def sent_events(self) -> int:
        return sum(d.events for d in self.deliveries if d.status == "sent")


def backoff_seconds(base: float, attempts: int, retry_after: float | None = None) -> float:
    """Delay before the next try after `attempts` failed ones (0 = first failure): equal jitter, capped."""
    delay = min(base * 2 ** min(attempts, 40), MAX_BACKOFF)
    delay = delay / 2 + random.uniform(0, delay / 2)
    return max(delay, retry_after or 0.0)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]


def recover_unconfirmed(engine: Engine) -> int:
    """Deliveries left in flight by a dead dispatcher: mark them unconfirmed (never resent automatically)."""
    with session(engine) as s:
        stuck = s.execute(select(Notification.delivery_id).where(Notification.status == "sending")
                          .distinct()).scalars().all()
        if not stuck:
            return 0
        note = "the dispatcher stopped while sending; not resent to avoid a duplicate (may not have arrived)"
        count = _rowcount(s.execute(update(Notification).where(Notification.status == "sending")
                                    .values(status="unconfirmed", last_error=note)))
        s.execute(update(Delivery).where(Delivery.id.in_([d for d in stuck if d is not None]))
                  .values(status="unconfirmed", finished_at=_utcnow(), error=note))
    logger.warning("%d notifications (deliveries %s) were being sent when a dispatcher stopped; marked "
                   "unconfirmed, see `linkwatch alerts pending`", count, ", ".join(map(str, stuck)))
    return count


def load_events(engine: Engine, event_ids: list[int]) -> list[Event]:
    """The events with their backlink's context (site, tags, anchor, page traffic, last seen live)."""
    events: list[Event] = []
    with session(engine) as s:
        for chunk in _chunks(event_ids):
            rows = s.execute(select(EventRecord, Backlink, Site.domain, Site.competitor)
                             .join(Backlink, EventRecord.backlink_id == Backlink.id)
                             .join(Site, Backlink.site_id == Site.id).where(EventRecord.id.in_(chunk))).all()
            events.extend(event_from_record(record, link, domain, bool(competitor))
                          for record, link, domain, competitor in rows)
    return events


def _claim(engine: Engine, channel: str, now: datetime) -> tuple[int, str, list[int], set[str]] | None:
    """Mark the due notifications of one site (the site of the oldest) `sending` under a new Delivery; commit
    before sending.  One message per site: a marketer reads each client's changes on their own.

    Returns the delivery id, its idempotency key, the event ids and the modes."""
    due = (Notification.channel == channel, Notification.status == "pending", Notification.next_attempt_at <= now)
    with session(engine) as s:
        site_id = s.execute(select(Backlink.site_id).select_from(Notification)
                            .join(EventRecord, Notification.event_id == EventRecord.id)
                            .join(Backlink, EventRecord.backlink_id == Backlink.id)
                            .where(*due).order_by(Notification.id).limit(1)).scalar_one_or_none()
        if site_id is None:
            return None
        rows = s.execute(select(Notification.id, Notification.event_id, Notification.mode)
                         .join(EventRecord, Notification.event_id == EventRecord.id)
                         .join(Backlink, EventRecord.backlink_id == Backlink.id)
                         .where(*due, Backlink.site_id == site_id)
                         .order_by(Notification.id).limit(MAX_EVENTS_PER_MESSAGE)).all()
        delivery = Delivery(channel=channel, started_at=_utcnow(), status="sending", events=len(rows))
        s.add(delivery)
        s.flush()
        key = delivery_key(channel, [r.id for r in rows])
        for chunk in _chunks([r.id for r in rows]):
            s.execute(update(Notification).where(Notification.id.in_(chunk))
                      .values(status="sending", delivery_id=delivery.id))
        return delivery.id, key, [r.event_id for r in rows], {r.mode for r in rows}


def delivery_key(channel: str, notification_ids: Sequence[int]) -> str:
    """The idempotency key of a message: the same for every attempt at the same notifications."""
    digest = hashlib.sha256(",".join(map(str, sorted(notification_ids))).encode()).hexdigest()[:20]
    return f"linkwatch-{channel}-{digest}"


def _mark_sent(engine: Engine, delivery_id: int) -> None:
    with session(engine) as s:
        s.execute(update(Delivery).where(Delivery.id == delivery_id)
                  .values(status="sent", finished_at=_utcnow(), error=None))
        s.execute(update(Notification).where(Notification.delivery_id == delivery_id,
                                             Notification.status.in_(("sending", "unconfirmed")))
                  .values(status="sent", last_error=None))


def _mark_failed(engine: Engine, settings: Settings, delivery_id: int, error: Exception,
                 now: datetime) -> DeliveryOutcome:
    """Record a failed delivery: retry with backoff, dead when out of attempts or permanent."""
    text = f"{type(error).__name__}: {error}"[:1000]
    unavailable = isinstance(error, ChannelUnavailableError)
    permanent = isinstance(error, PermanentDeliveryError)
    retry_after = error.retry_after if isinstance(error, TransientDeliveryError) else None
    dead = retried = 0
    soonest: datetime | None = None
    delays: dict[int, float] = {}
    with session(engine) as s:
        delivery = s.get_one(Delivery, delivery_id)
        delivery.status, delivery.finished_at, delivery.error = "failed", _utcnow(), text
        notes = s.execute(select(Notification).where(Notification.delivery_id == delivery_id,
                                                     Notification.status == "sending")).scalars().all()
        for note in notes:
            note.last_error = text
            if unavailable:  # nothing was attempted: wait without spending an attempt
                note.status = "pending"
                continue
            note.attempts += 1
            if permanent or note.attempts >= settings.alert_max_attempts:
                note.status, dead = "dead", dead + 1
                continue
            if note.attempts not in delays:  # one delay per attempt count: the group retries together
                delays[note.attempts] = backoff_seconds(settings.alert_backoff_seconds, note.attempts - 1,
                                                        retry_after)
            note.status, note.next_attempt_at = "pending", now + timedelta(seconds=delays[note.attempts])
            retried += 1
            soonest = min(soonest or note.next_attempt_at, note.next_attempt_at)
    status = "waiting" if unavailable else ("dead" if dead and not retried else "retry")
    logger.warning("%s delivery %d failed (%d to retry, %d dead): %s", delivery.channel, delivery_id,
                   retried, dead, text)
    return DeliveryOutcome(delivery.channel, delivery_id, len(notes), status, text, soonest)


def _message_kind(modes: set[str]) -> tuple[str, str | None]:
    if modes and "immediate" not in modes:
        which = "weekly" if modes == {"weekly"} else "daily"
        return "digest", f"linkwatch {which} digest"
    return "alert", None


def _deliver_channel(engine: Engine, settings: Settings, name: str, now: datetime, holder: str,
                     report: DispatchReport) -> None:
    """Send the channel's due notifications: one message per site (and batch), stop at the first failure."""
    channel = build_channel(settings, name)
    for _ in range(MAX_MESSAGES_PER_CHANNEL):
        claimed = _claim(engine, name, now)
        if claimed is None:
            return
        delivery_id, key, event_ids, modes = claimed
        if not leases.renew(engine, LEASE_NAME, holder, LEASE_TTL):
            _mark_failed(engine, settings, delivery_id, ChannelUnavailableError("dispatcher lease lost", name), now)
            raise RuntimeError("the dispatcher lease was lost; stopping before sending")
        try:
            kind, title = _message_kind(modes)
            message = build_message(load_events(engine, event_ids), kind, title, settings.public_url)
            channel.send(message, key)
        except DeliveryError as exc:
            report.deliveries.append(_mark_failed(engine, settings, delivery_id, exc, now))
            return
        except Exception as exc:  # a bug must not leave notifications in `sending`
            logger.exception("%s delivery %d: unexpected error", name, delivery_id)
            report.deliveries.append(_mark_failed(engine, settings, delivery_id,
                                                  TransientDeliveryError(repr(exc), name), now))
            return
        _mark_sent(engine, delivery_id)
        report.deliveries.append(DeliveryOutcome(name, delivery_id, len(event_ids), "sent"))
        logger.info("%s: delivered %d events (delivery %d)", name, len(event_ids), delivery_id)


def _due_count(engine: Engine, channel: str, now: datetime) -> int:
    with session(engine) as s:
        return len(s.execute(select(Notification.id).where(
            Notification.channel == channel, Notification.status == "pending",
            Notification.next_attempt_at <= now).limit(MAX_EVENTS_PER_MESSAGE)).all())


def dispatch(engine: Engine, settings: Settings, now: datetime | None = None) -> DispatchReport:
    """One dispatch pass: recover, route, deliver every channel's due notifications as one message each."""
    now = now or _utcnow()
    report = DispatchReport()
    holder = leases.new_holder()
    if not leases.acquire(engine, LEASE_NAME, holder, LEASE_TTL):
        logger.debug("another dispatcher holds the lease; skipping this pass")
        report.lease_busy = True
        return report
    try:
        report.recovered_unconfirmed = recover_unconfirmed(engine)
        if not effective_routes(settings):
            report.no_channel = True
            report.waiting_for_channel = waiting_without_channel(engine)
            return report
        report.routed_events, report.notifications_created = route_events(engine, settings, now)
        for name in CHANNELS:
            problem = channel_problem(settings, name)
            if problem is None:
                _deliver_channel(engine, settings, name, now, holder, report)
                continue
            waiting = _due_count(engine, name, now)
            if waiting:
                logger.warning("%d %s notifications wait: %s", waiting, name, problem)
                report.deliveries.append(DeliveryOutcome(name, None, waiting, "waiting", problem))
    finally:
        leases.release(engine, LEASE_NAME, holder)
    return report
