"""The `mentions` rows: keeping what a mentions crawl found (`store_mentions`) and reading it (`list_mentions`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from monitor.store import db
from monitor.store.models import Mention, Site


def store_mentions(engine: Engine, site: str, found: Iterable[tuple[str, str, str, Sequence[str]]]) -> int:
    """Insert or refresh the mentions of one site (unique by page and term). Returns how many were new."""
    now, added = datetime.now(UTC), 0
    with db.session(engine) as session:
        site_row = session.scalars(select(Site).where(Site.domain == site)).first()
        if site_row is None:
            site_row = Site(domain=site, competitor=False, created_at=now)
            session.add(site_row)
            session.flush()
        for url, term, sentence, hints in found:
            row = session.scalars(select(Mention).where(Mention.site_id == site_row.id, Mention.page_url == url,
                                                        Mention.term == term)).first()
            if row is None:
                session.add(Mention(site_id=site_row.id, page_url=url, term=term, sentence=sentence,
                                    contact_hints=list(hints), found_at=now))
                added += 1
            else:
                row.sentence, row.contact_hints, row.found_at = sentence, list(hints), now
    return added


def list_mentions(engine: Engine, site: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Mention.page_url, Mention.term, Mention.sentence, Mention.contact_hints,
                                   Mention.found_at).join(Site, Site.id == Mention.site_id)
                            .where(Site.domain == site).order_by(Mention.found_at.desc(), Mention.page_url)).all()
    return [{"page_url": r.page_url, "term": r.term, "sentence": r.sentence,
             "contact_hints": list(r.contact_hints or []), "found_at": r.found_at} for r in rows]
