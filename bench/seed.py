"""Seed a benchmark database with N backlinks pointing at pages of the farm (bench/farm.py).

Backlink i is page i of the farm (`http://siteNNNN.farm.test:PORT/p/i.html`, the
sites taken round-robin), target `example.com`.  Rows are normalised with the
store's own helpers (monitor.store.backlink_input, monitor.core.hosts, monitor.core.targets)
and written with bulk Core inserts in batches: a million rows in well under a minute.

`--order host` inserts the backlinks grouped by referring host (ids 1, 2, ... are
site0001's pages, then site0002's), as an import sorted by domain would: the due
walk then meets one host's pages side by side (bench/run.py measures what the
scheduler's interleaving does with that).  `--spread` makes the database look lived-in for query timing: states mixed as
after a few weeks of checks, due times spread over the next day (so ~4% are due),
tags on a tenth of the rows, and one event per twentieth backlink.

    python -m bench.seed --url sqlite:///bench.db --count 10000 --port 8900 [--spread] [--order host]

Reads no linkwatch settings (the URL is given).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from bench.farm import DEFAULT_TARGET, EXPECTED_STATE, link_kind, page_host_path
from monitor.core.targets import source_key
from monitor.store import db
from monitor.store.backlink_input import normalize_source
from monitor.store.models import Backlink, BacklinkTag, EventRecord, Site

BATCH = 5000
STATE_MIX = (("live", 70), ("nofollow", 85), ("lost", 90), ("gone", 93), ("blocked", 95), ("error", 97),
             ("unchecked", 100))


def page_url(index: int, domains: int, port: int) -> str:
    host, path = page_host_path(index, domains)
    return f"http://{host}:{port}{path}"


def expected_state(index: int, domains: int) -> str:
    """The verdict a correct crawler reaches for backlink `index` (the farm's link kind)."""
    return EXPECTED_STATE[link_kind(*page_host_path(index, domains))]


def _site_id(engine: Engine, domain: str, now: datetime) -> int:
    with db.session(engine) as s:
        site = s.scalars(select(Site).where(Site.domain == domain)).first()
        if site is None:
            site = Site(domain=domain, competitor=False, created_at=now)
            s.add(site)
            s.flush()
        return site.id


def page_order(count: int, domains: int, order: str) -> list[int]:
    """The farm page indexes in insertion (id) order: as the farm numbers them (hosts round-robin), or by host."""
    if order == "host":
        return sorted(range(count), key=lambda index: (index % domains, index))
    return list(range(count))


def page_index(source_url: str) -> int:
    """The farm page index of a seeded backlink's URL (`.../p/INDEX.html`)."""
    return int(source_url.rsplit("/p/", 1)[1].split(".", 1)[0])


def _rows(indexes: list[int], domains: int, port: int, site_id: int, target: str, now: datetime,
          spread: bool, rng: random.Random) -> Iterator[dict[str, Any]]:
    for index in indexes:
        url = normalize_source(page_url(index, domains, port))
        host, _ = page_host_path(index, domains)
        row: dict[str, Any] = {
            "site_id": site_id, "source_url": url, "source_key": source_key(url), "target": target,
            "referring_domain": host, "referring_host": host, "tags": [], "origin": "csv", "extra": {},
            "rel": [], "misses": 0, "state": "unchecked", "next_due_at": now, "created_at": now,
            "updated_at": now,
        }
        if spread:
            bucket = rng.randrange(100)
            row["state"] = next(state for state, limit in STATE_MIX if bucket < limit)
            row["next_due_at"] = now + timedelta(seconds=rng.uniform(-3600, 23 * 3600))
            row["page_traffic"] = float(rng.randrange(0, 5000))
            row["anchor"] = rng.choice(("example", "Example guide", "click here", "https://example.com"))
            row["follow"] = row["state"] == "live"
            if index % 10 == 0:
                row["tags"] = [f"campaign-{index % 7}"]
            if row["state"] != "unchecked":
                row["last_checked"] = now - timedelta(hours=rng.uniform(1, 24))
                row["first_seen"] = now - timedelta(days=rng.uniform(1, 365))
                # no draw of rng: the other columns stay what they were for the same seed
                row["state_changed_at"] = row["last_checked"] - timedelta(days=index % 90, seconds=index % 977)
        yield row


def seed(url: str, count: int, port: int, domains: int = 1000, target: str = DEFAULT_TARGET,
         spread: bool = False, seed_value: int = 7, order: str = "farm") -> dict[str, Any]:
    """Create (or extend) the database at `url` with `count` backlinks; returns timings."""
    started = time.perf_counter()
    engine = db.connect(url)
    now = datetime.now(UTC)
    site_id = _site_id(engine, target, now)
    rng = random.Random(seed_value)
    with engine.connect() as conn:
        existing = conn.execute(select(Backlink.id).limit(1)).first()
    if existing is not None:
        raise SystemExit(f"{url} already holds backlinks: seed a fresh database")
    indexes = page_order(count, domains, order)
    for start in range(0, count, BATCH):
        rows = list(_rows(indexes[start:start + BATCH], domains, port, site_id, target, now, spread, rng))
        with db.session(engine) as s:
            s.execute(insert(Backlink), rows)
    if spread:
        _spread_extras(engine, count, now)
    engine.dispose()
    return {"backlinks": count, "domains": domains, "order": order,
            "seconds": round(time.perf_counter() - started, 2)}


def _spread_extras(engine: Engine, count: int, now: datetime) -> None:
    """Tags one row each (backlink_tags) and an event for every twentieth backlink."""
    with engine.connect() as conn:
        tagged = conn.execute(select(Backlink.id, Backlink.tags).where(Backlink.id % 10 == 1)).all()
    tag_rows = [{"backlink_id": bid, "tag": tag} for bid, tags in tagged for tag in (tags or [])]
    event_rows = [{"backlink_id": bid, "type": "lost", "at": now - timedelta(hours=bid % 700),
                   "old_state": "live", "new_state": "lost", "detail": {}, "routed": True}
                  for bid in range(1, count + 1, 20)]
    for rows, model in ((tag_rows, BacklinkTag), (event_rows, EventRecord)):
        for start in range(0, len(rows), BATCH):
            with db.session(engine) as s:
                s.execute(insert(model), rows[start:start + BATCH])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed a benchmark database with backlinks to farm pages.")
    parser.add_argument("--url", required=True, help="database URL (sqlite:///... or postgresql+psycopg://...)")
    parser.add_argument("--count", type=int, required=True, help="number of backlinks")
    parser.add_argument("--port", type=int, required=True, help="the farm's port (part of every page URL)")
    parser.add_argument("--domains", type=int, default=1000, help="referring domains (farm hosts)")
    parser.add_argument("--spread", action="store_true", help="mixed states and due times (for query timing)")
    parser.add_argument("--order", choices=("farm", "host"), default="farm",
                        help="insertion order: farm (hosts round-robin) or host (grouped by referring host)")
    args = parser.parse_args(argv)
    print(seed(args.url, args.count, args.port, args.domains, spread=args.spread, order=args.order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
