"""What the web interface and the API change in the store: add, remove, edit tags and notes, re-check.

Each is one short transaction through the store's own writers (monitor.store.writer), so the report
rollups stay in step exactly as they do for `add`, `import` and `remove`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from monitor.config import Settings
from monitor.store.backlink_input import BacklinkInput, clean_tags
from monitor.store.db import session
from monitor.store.models import Backlink, BacklinkTag
from monitor.store.sites import SiteResolver
from monitor.store.writer import remove_backlinks, upsert_backlinks


def add_backlink(engine: Engine, settings: Settings, item: BacklinkInput, now: datetime,
                 new_site: bool = False) -> tuple[int, str]:
    """Store one backlink as `linkwatch add` does: its id and `added`, `updated` or `unchanged`.  A target
    outside your sites raises NotASiteError (nothing stored) unless `new_site` (`add --new-site`)."""
    from monitor.core.targets import source_key

    with session(engine) as s:
        resolver = SiteResolver(s, settings.sites)
        counts = upsert_backlinks(s, [item], resolver, now)
        resolver.refuse_new_sites(new_site)
        link_id = s.scalar(select(Backlink.id).where(Backlink.source_key == source_key(item.source_url),
                                                     Backlink.target == item.target))
    verb = "added" if counts.added else "updated" if counts.updated else "unchanged"
    return int(link_id or 0), verb


def remove_backlink(engine: Engine, link_id: int) -> bool:
    """Delete one backlink (its checks and events go too). False when there is none with this id."""
    with session(engine) as s:
        row = s.execute(select(Backlink.source_url, Backlink.target).where(Backlink.id == link_id)).first()
        if row is None:
            return False
        remove_backlinks(s, row.source_url, row.target)
    return True


def edit_backlink(engine: Engine, link_id: int, tags: list[str], notes: str | None, now: datetime) -> bool:
    """Replace a backlink's tags and notes. Raises ValueError for a bad tag; False when there is no such link."""
    cleaned = list(clean_tags(tags))
    with session(engine) as s:
        found = s.execute(update(Backlink).where(Backlink.id == link_id)
                          .values(tags=cleaned, notes=notes or None, updated_at=now))
        if not getattr(found, "rowcount", 0):
            return False
        s.execute(delete(BacklinkTag).where(BacklinkTag.backlink_id == link_id))
        if cleaned:
            s.execute(insert(BacklinkTag), [{"backlink_id": link_id, "tag": tag} for tag in cleaned])
    return True


def queue_recheck(engine: Engine, link_id: int, now: datetime) -> bool:
    """Make a backlink the most overdue one, so that the next check cycle fetches its page first.

    Its due time goes one second before the earliest due time stored (read from ix_backlinks_due), and
    never after now.  False when there is no such link."""
    with session(engine) as s:
        earliest: Any = s.scalar(select(func.min(Backlink.next_due_at)))
        if earliest is not None and earliest.tzinfo is None:
            earliest = earliest.replace(tzinfo=now.tzinfo)
        due = min(now, earliest or now) - timedelta(seconds=1)
        found = s.execute(update(Backlink).where(Backlink.id == link_id).values(next_due_at=due))
        return bool(getattr(found, "rowcount", 0))
