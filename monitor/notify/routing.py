"""Routing: un-routed events become one notification per channel whose route matches.

A route matches an event by type (`route.events`), site (`route.sites`) and tags (`route.tags`;
empty: any); an event of a competitor site (`[[site]] competitor = true`) only when the route says
`competitors = true`.  With no `[[alerts.route]]`, every channel the settings name gets
`DEFAULT_ALERT_EVENTS` of the own sites immediately; with no channel named either, events are not routed:
they wait for a channel (docs/alerts.md, "No channel yet").  A notification is due at `next_attempt_at` (at once, or the
daily/weekly digest's hour).  Invariants: a channel never gets the same event twice (unique
(event_id, channel); when several routes of one channel match, the earliest delivery wins); each
batch inserts its notifications and marks its events `routed` in one transaction, so an event is
routed exactly once.  For users: docs/alerts.md, "Routing and digests".

Reads Settings: alert_routes (and the named channels, for the default route).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update

from monitor.config import AlertRoute, Settings
from monitor.core.types import DEFAULT_ALERT_EVENTS
from monitor.notify.channels import named_channels
from monitor.store.db import session
from monitor.store.models import Backlink, EventRecord, Notification, Site

logger = logging.getLogger(__name__)
ROUTING_BATCH = 1000


def effective_routes(settings: Settings) -> tuple[AlertRoute, ...]:
    """The configured routes, or the default: every named channel, default events, immediately."""
    if settings.alert_routes:
        return settings.alert_routes
    return tuple(AlertRoute(channel=name) for name in named_channels(settings))


def first_due(route: AlertRoute, now: datetime) -> datetime:
    """When a notification routed now by `route` becomes due (UTC)."""
    if route.mode == "immediate":
        return now
    due = now.replace(hour=route.hour, minute=0, second=0, microsecond=0)
    if route.mode == "weekly":
        due += timedelta(days=(route.weekday - due.weekday()) % 7)
        return due if due >= now else due + timedelta(days=7)
    return due if due >= now else due + timedelta(days=1)


def _bare(domain: str) -> str:
    return domain.lower().removeprefix("www.")


def waiting_without_channel(engine: Engine) -> int:
    """How many un-routed events the default route would alert (own sites, `DEFAULT_ALERT_EVENTS`): what waits
    for a channel to be configured."""
    with session(engine) as s:
        return int(s.execute(select(func.count()).select_from(EventRecord)
                             .join(Backlink, EventRecord.backlink_id == Backlink.id)
                             .join(Site, Backlink.site_id == Site.id)
                             .where(EventRecord.routed.is_(False), Site.competitor.is_(False),
                                    EventRecord.type.in_([str(t) for t in DEFAULT_ALERT_EVENTS]))).scalar_one())


def route_matches(route: AlertRoute, event_type: str, site: str | None, tags: Sequence[str],
                  competitor: bool = False) -> bool:
    if competitor and not route.competitors:
        return False
    if event_type not in {str(t) for t in route.events}:
        return False
    if route.sites and _bare(site or "") not in {_bare(s) for s in route.sites}:
        return False
    return not route.tags or bool(set(route.tags) & set(tags))


def notifications_for(routes: Sequence[AlertRoute], event_id: int, event_type: str, site: str | None,
                      tags: Sequence[str], now: datetime, competitor: bool = False) -> list[dict[str, object]]:
    """The notification rows for one event: one per channel, the earliest matching route's timing."""
    best: dict[str, tuple[datetime, str]] = {}
    for route in routes:
        if route_matches(route, event_type, site, tags, competitor):
            due = first_due(route, now)
            if route.channel not in best or due < best[route.channel][0]:
                best[route.channel] = (due, route.mode)
    return [{"event_id": event_id, "channel": channel, "mode": mode, "status": "pending", "attempts": 0,
             "next_attempt_at": due} for channel, (due, mode) in best.items()]


def route_events(engine: Engine, settings: Settings, now: datetime) -> tuple[int, int]:
    """Route every un-routed event. Returns (events routed, notifications created).

    With no channel and no route, nothing is routed: the events wait, un-routed, and go out once a channel
    is configured (`waiting_without_channel` counts them)."""
    routes = effective_routes(settings)
    if not routes:
        return 0, 0
    events = created = 0
    while True:
        with session(engine) as s:
            rows = s.execute(
                select(EventRecord.id, EventRecord.type, Site.domain, Backlink.tags, Site.competitor)
                .join(Backlink, EventRecord.backlink_id == Backlink.id).join(Site, Backlink.site_id == Site.id)
                .where(EventRecord.routed.is_(False)).order_by(EventRecord.id).limit(ROUTING_BATCH)).all()
            if not rows:
                break
            notes = [n for event_id, kind, site, tags, competitor in rows
                     for n in notifications_for(routes, event_id, kind, site, tags or (), now, bool(competitor))]
            if notes:
                s.execute(insert(Notification), notes)
            s.execute(update(EventRecord).where(EventRecord.id.in_([r[0] for r in rows])).values(routed=True))
        events += len(rows)
        created += len(notes)
    if events:
        logger.debug("routed %d events into %d notifications", events, created)  # deliveries are the news
    return events, created

