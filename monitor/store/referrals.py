"""Referral traffic per referring source and site (from a GA4 export), for the traffic report.

Reads no settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.backlink_input import UpsertCounts
from monitor.store.models import ReferralTraffic


def upsert_referrals(session: Session, site_id: int, sessions_by_source: Mapping[str, float],
                     now: datetime) -> UpsertCounts:
    """Store the sessions of each source for a site, replacing earlier numbers; count what changed."""
    counts = UpsertCounts()
    stored = {r.source: r for r in session.scalars(select(ReferralTraffic).where(ReferralTraffic.site_id == site_id))}
    for source, sessions in sessions_by_source.items():
        row = stored.get(source)
        if row is None:
            session.add(ReferralTraffic(site_id=site_id, source=source, sessions=sessions, imported_at=now))
            counts.added += 1
        elif row.sessions != sessions:
            row.sessions, row.imported_at = sessions, now
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts
