"""Seed a lived-in link profile for timing the reports (bench/reports.py): deterministic, bulk inserts.

The site `acme.com` gets `--count` backlinks (default 1,000,000) and the competitor
`rival.com` a tenth of that, from ~60,000 referring domains (skewed: a few big
domains with thousands of links, a long tail with one or two), first seen over
the 1,000 days before `NOW` (2026-03-01 UTC).  States as after years of checks:
70% live, 18% nofollow (by rel nofollow/ugc/sponsored; 5% of them by the page's
meta robots or X-Robots-Tag, with the check that said so), 5% lost, 2% gone,
pending, unchecked, blocked and error.  ~30,000 distinct anchors (brand, exact,
partial, naked URL, generic, image, page titles); page traffic on 40% of links;
events as ingest writes them (`new` at first seen, a loss event for each lost or
gone link, `nofollow` for some nofollow ones, `went_live`, `restored`), ~1.1M in
all; due times spread over the day after NOW (~4% due at NOW).

Rows go in through the DBAPI's executemany in batches of 20,000 (a million rows
in about a minute on SQLite), then the report rollups are rebuilt
(monitor.store.rollups) and the planner statistics refreshed (ANALYZE).

    python -m bench.seed_reports --url sqlite:///reports-1m.db [--count 1000000]

Reads no linkwatch settings (the URL is given).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from monitor.store import db

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DOMAINS = 60_000
BATCH = 20_000
STATES = (("live", 70), ("nofollow", 88), ("lost", 93), ("gone", 95), ("pending", 96), ("unchecked", 98),
          ("blocked", 99), ("error", 100))
BRAND = ("acme", "Acme", "ACME", "acme.com", "Acme tools", "the Acme team")
EXACT = ("backlink monitor", "link checker", "Backlink Monitor")
PARTIAL = ("best backlink monitor tools", "a link checker that works", "monitor your backlinks")
NAKED = ("https://acme.com/", "https://acme.com/pricing", "www.acme.com", "acme.com/blog")
GENERIC = ("click here", "website", "here", "read more", "this site", "source")
KEYWORDS = ("backlink monitor", "link checker")
BRAND_TERMS = ("acme",)
BACKLINK_COLUMNS = ("id", "site_id", "source_url", "source_key", "target", "referring_domain", "referring_host",
                    "tags", "origin", "page_traffic", "state", "follow", "rel", "anchor", "first_seen", "last_live",
                    "last_checked", "next_due_at", "misses", "extra", "contact_hints", "created_at", "updated_at",
                    "noindex", "googlebot_allowed", "canonical", "final_url")
EVENT_COLUMNS = ("backlink_id", "type", "at", "old_state", "new_state", "detail", "routed")
CHECK_COLUMNS = ("backlink_id", "checked_at", "state", "fetch_status", "http_status", "links", "noindex",
                 "nofollow", "directive_sources", "redirects", "rendered", "duration_seconds", "bytes_received")


class Writer:
    """Bulk inserts through the DBAPI connection, with values formatted per backend."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()

    def when(self, moment: datetime | None) -> Any:
        if moment is None or self.postgres:
            return moment
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores a UTC datetime on SQLite

    def insert(self, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> int:
        mark = "%s" if self.postgres else "?"
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
        cursor = self.raw.cursor()
        total, chunk = 0, []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= BATCH:
                cursor.executemany(statement, chunk)
                total, chunk = total + len(chunk), []
        if chunk:
            cursor.executemany(statement, chunk)
            total += len(chunk)
        self.raw.commit()
        return total


def pick_state(rnd: random.Random) -> str:
    roll = rnd.randrange(100)
    return next(state for state, bound in STATES if roll < bound)


def pick_anchor(rnd: random.Random) -> str:
    roll = rnd.random()
    for pool, bound in ((BRAND, 0.25), (EXACT, 0.33), (PARTIAL, 0.40), (NAKED, 0.50), (GENERIC, 0.58)):
        if roll < bound:
            return rnd.choice(pool)
    if roll < 0.63:
        return ""
    return f"Article title number {int(30_000 * rnd.random() ** 1.5)}"


def pick_rel(rnd: random.Random, state: str) -> list[str]:
    if state != "nofollow":
        return []
    roll = rnd.random()
    if roll < 0.70:
        return ["nofollow"] if rnd.random() < 0.8 else ["nofollow", "noopener"]
    if roll < 0.85:
        return ["ugc", "nofollow"]
    if roll < 0.95:
        return ["sponsored"]
    return []  # made nofollow by the page (meta robots or X-Robots-Tag)


class Profile:
    """Generates the rows of one site's backlinks, and remembers what the events and checks need."""

    def __init__(self, writer: Writer, seed: int) -> None:
        self.w = writer
        self.rnd = random.Random(seed)
        self.flag_rnd = random.Random(seed + 1)  # page flags apart: the rest of the profile is as it was
        self.events: list[tuple[Any, ...]] = []
        self.checks: list[tuple[Any, ...]] = []

    def backlinks(self, site_id: int, target: str, first_id: int, count: int) -> Iterator[tuple[Any, ...]]:
        rnd, when = self.rnd, self.w.when
        for number in range(count):
            backlink_id = first_id + number
            domain = f"d{int(DOMAINS * rnd.random() ** 2)}.example"
            host = domain if rnd.random() < 0.6 else f"www.{domain}"
            state = pick_state(rnd)
            rel = pick_rel(rnd, state)
            seen = state not in ("pending", "unchecked")
            first_seen = NOW - timedelta(days=1000 * rnd.random()) if seen else None
            created = (first_seen - timedelta(hours=rnd.randrange(1, 48)) if first_seen
                       else NOW - timedelta(days=60 * rnd.random()))
            last_live = None
            if first_seen is not None:
                last_live = (NOW - timedelta(hours=rnd.randrange(1, 168)) if state != "lost" and state != "gone"
                             else first_seen + (NOW - first_seen) * rnd.random())
                self._events_of(backlink_id, state, rel, first_seen, last_live)
            traffic = round(rnd.lognormvariate(3, 2), 1) if rnd.random() < 0.4 else None
            hints = ["mailto:editor@" + domain] if state in ("lost", "gone") and rnd.random() < 0.3 else []
            key = f"{host}/post/{backlink_id}".removeprefix("www.")
            yield (backlink_id, site_id, f"https://{host}/post/{backlink_id}", key, target, domain, host, "[]",
                   "ahrefs", traffic, state,
                   None if state not in ("live", "nofollow") else state == "live", json.dumps(rel),
                   pick_anchor(rnd) if seen else None, when(first_seen), when(last_live),
                   when(NOW - timedelta(hours=rnd.randrange(1, 24))) if seen else None,
                   when(NOW + timedelta(minutes=rnd.randrange(-60, 23 * 60))), 0, "{}", json.dumps(hints),
                   when(created), when(created), *self._page_flags(f"https://{host}/post/{backlink_id}", seen))

    def _page_flags(self, url: str, seen: bool) -> tuple[Any, ...]:
        """noindex, googlebot_allowed, canonical, final_url of a checked page: 5% pass no value (noindex 2%,
        blocked for Google, canonical elsewhere, redirected away 1% each), a tenth name themselves canonical."""
        if not seen:
            return (None, None, None, None)
        roll = self.flag_rnd.random()
        canonical = url if roll > 0.9 else url + "-original" if 0.03 <= roll < 0.04 else None
        return (roll < 0.02, not 0.02 <= roll < 0.03, canonical, url + "-moved" if 0.04 <= roll < 0.05 else url)

    def _events_of(self, backlink_id: int, state: str, rel: list[str], first_seen: datetime,
                   last_live: datetime) -> None:
        rnd, when = self.rnd, self.w.when
        add = self.events.append
        add((backlink_id, "new", when(first_seen), "unchecked", "live", "{}", True))
        if state in ("lost", "gone"):
            kind = "lost" if state == "lost" else rnd.choice(("page_gone", "page_gone", "page_redirected"))
            add((backlink_id, kind, when(last_live + timedelta(days=2)), "live", state, "{}", True))
        elif state == "nofollow" and rnd.random() < 0.3:
            reason = "rel_sponsored" if "sponsored" in rel else "rel_nofollow" if rel else "meta"
            add((backlink_id, "nofollow", when(first_seen + (NOW - first_seen) * rnd.random()), "live",
                 "nofollow", json.dumps({"reason": reason}), True))
        elif state == "live" and rnd.random() < 0.02:
            add((backlink_id, "restored", when(last_live - timedelta(days=3)), "lost", "live", "{}", True))
        if state == "nofollow" and not rel:
            sources = {"noindex": [], "nofollow": [rnd.choice(("meta", "header"))]}
            self.checks.append((backlink_id, when(last_live), "nofollow", "ok", 200, "[]", False, True,
                                json.dumps(sources), "[]", False, 0.2, 20_000))


def seed(url: str, count: int) -> dict[str, Any]:
    started = time.perf_counter()
    engine = db.connect(url)
    writer = Writer(engine)
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM backlinks")).scalar_one():
            raise SystemExit(f"{url} already holds backlinks: seed an empty database")
        conn.execute(text("INSERT INTO sites (id, domain, competitor, created_at) VALUES "
                          "(1, 'acme.com', false, :now), (2, 'rival.com', true, :now)"), {"now": NOW})
    profile = Profile(writer, seed=7)
    links = writer.insert("backlinks", BACKLINK_COLUMNS, profile.backlinks(1, "acme.com", 1, count))
    links += writer.insert("backlinks", BACKLINK_COLUMNS, profile.backlinks(2, "rival.com", count + 1, count // 10))
    events = writer.insert("events", EVENT_COLUMNS, iter(profile.events))
    checks = writer.insert("checks", CHECK_COLUMNS, iter(profile.checks))
    writer.raw.close()
    inserted = time.perf_counter() - started
    rebuilt = _rebuild_rollups(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"backlinks": links, "events": events, "checks": checks, "insert_seconds": round(inserted, 1),
            "rollup_seconds": rebuilt, "total_seconds": round(time.perf_counter() - started, 1)}


def _rebuild_rollups(engine: Engine) -> float | None:
    try:
        from monitor.store import rollups
    except ImportError:  # a checkout from before the rollups
        return None
    started = time.perf_counter()
    with db.session(engine) as s:
        rollups.rebuild(s)
    return round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed a large link profile for bench/reports.py.")
    parser.add_argument("--url", required=True, help="database URL of an empty (or new) database")
    parser.add_argument("--count", type=int, default=1_000_000, help="backlinks of acme.com (rival.com: a tenth)")
    args = parser.parse_args(argv)
    print(json.dumps(seed(args.url, args.count)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
