"""A hand-seeded database for the metrics tests, and the numbers it must produce.

`seed_metrics_database(engine, now)` writes a small link profile whose every
metric is known: `SEEDED` holds the expected values.  `metrics_engine` is a
migrated, seeded engine on each backend of tests/fixtures_postgres.py's
`database_url` (SQLite and PostgreSQL).  `linkwatch_serve` runs `linkwatch serve`
as a child process on a seeded SQLite database (as a standby: another holder
has the leader lease, so it serves /metrics and never crawls).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.store import db, metric_counts
from monitor.store.models import Backlink, CheckRun, Delivery, Lease, Site
from tests.support.cli import LINKWATCH

OWN, RIVAL, EMPTY = "example.com", "rival.net", "empty.org"

# (referring domain, state, hours until due: negative = overdue) for example.com
EXAMPLE_LINKS = [
    ("alpha.com", "live", 5), ("alpha.com", "live", 6), ("alpha.com", "nofollow", 7),
    ("beta.org", "live", -1), ("gamma.net", "nofollow", 8), ("delta.io", "lost", -72),
    ("epsilon.com", "gone", 9), ("zeta.com", "blocked", 10), ("eta.com", "error", -2),
    ("theta.com", "pending", 11), ("iota.com", "unchecked", 12),
]

SEEDED: dict[str, Any] = {
    "backlinks": {"live": 3, "nofollow": 2, "lost": 1, "gone": 1, "blocked": 1, "error": 1,
                  "pending": 1, "unchecked": 1},
    "referring_domains": {"true": 2, "false": 1},  # alpha+beta followed, gamma nofollow only
    "dofollow_ratio": {"links": 3 / 5, "domains": 2 / 3},
    "due": 3,
    "overdue_hours": 72,
    "checks": {("live", "static"): 3, ("error", "rendered"): 1, ("nofollow", "rendered"): 1},
    "fetched_bytes": 3 * 1000 + 500,
    "duration_sum": {"static": 3 * 0.3, "rendered": 70.0 + 2.0},
    "events": {"new": 4, "lost": 1},
    "alerts_sent": {"slack": 3, "email": 2},
    "alerts_failed": {"slack": 1},
    "last_run_hours_ago": 8,
}


def seed_metrics_database(engine: Engine, now: datetime) -> None:
    with db.session(engine) as session:
        sites = {domain: Site(domain=domain, competitor=domain == RIVAL, created_at=now)
                 for domain in (OWN, RIVAL, EMPTY)}
        session.add_all(sites.values())
        session.flush()
        links = [(OWN, *link) for link in EXAMPLE_LINKS] + [(RIVAL, "alpha.com", "live", 3)]
        for number, (site, domain, state, due_hours) in enumerate(links):
            session.add(backlink(sites[site].id, domain, number, state, now + timedelta(hours=due_hours), now))
        session.add_all([
            CheckRun(started_at=now - timedelta(hours=9), finished_at=now - timedelta(hours=8), status="finished"),
            CheckRun(started_at=now - timedelta(hours=20), finished_at=now - timedelta(hours=19), status="finished"),
            CheckRun(started_at=now - timedelta(hours=2), finished_at=now - timedelta(hours=1), status="failed"),
            CheckRun(started_at=now - timedelta(minutes=5), status="running"),
        ])
        for channel, status in [("slack", "sent")] * 3 + [("email", "sent")] * 2 + [
                ("slack", "failed"), ("webhook", "sending")]:
            session.add(Delivery(channel=channel, status=status, started_at=now,
                                 finished_at=None if status == "sending" else now))
        metric_counts.record_checks(session, [
            {"state": "live", "rendered": False, "duration_seconds": 0.3, "bytes_received": 1000}] * 3 + [
            {"state": "error", "rendered": True, "duration_seconds": 70.0, "bytes_received": 0},
            {"state": "nofollow", "rendered": True, "duration_seconds": 2.0, "bytes_received": 500}])
        metric_counts.record_events(session, [(OWN, "new")] * 3 + [(OWN, "lost")])
        metric_counts.record_events(session, [(OWN, "new")])


def backlink(site_id: int, domain: str, number: int, state: str, due: datetime, now: datetime) -> Backlink:
    return Backlink(site_id=site_id, source_url=f"https://{domain}/post-{number}", source_key=f"{domain}/post-{number}",
                    target=OWN, referring_domain=domain, referring_host=domain, state=state,
                    follow=state == "live" if state in ("live", "nofollow") else None,
                    next_due_at=due, created_at=now, updated_at=now)


@pytest.fixture
def metrics_engine(database_url: str) -> Iterator[tuple[Engine, datetime]]:
    """A migrated engine seeded with seed_metrics_database, and the `now` it was seeded at."""
    engine = db.connect(database_url)
    now = datetime.now(UTC)
    seed_metrics_database(engine, now)
    yield engine, now
    engine.dispose()


#: Holds the `serve` leader lease for the seeded database, so a `linkwatch serve` started on it
#: stays standby: it serves /metrics of the seeded data and never crawls (no internet).
OTHER_LEADER = "leader.elsewhere.invalid:1:0000beef"


@dataclass
class ServedMetrics:
    engine: Engine
    address: str  # HOST:PORT of /metrics
    token: str


@pytest.fixture
def linkwatch_serve(tmp_path: Path) -> Iterator[ServedMetrics]:
    """`linkwatch serve` (a child process, standby) on a seeded SQLite database, /metrics behind a token."""
    url = f"sqlite:///{tmp_path / 'linkwatch.db'}"
    engine = db.connect(url)
    now = datetime.now(UTC)
    seed_metrics_database(engine, now)
    with db.session(engine) as session:
        session.add(Lease(name="serve", holder=OTHER_LEADER, expires_at=now + timedelta(days=1)))
    token = "test-token-5d1c"
    env = {**os.environ, "LINKWATCH_DATABASE_URL": url, "LINKWATCH_API_TOKEN": token,
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("LINKWATCH_CONFIG", None)
    process = subprocess.Popen([*LINKWATCH, "serve", "--metrics-addr", "127.0.0.1:0",
                                "--poll", "1"], env=env, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        address = served_address(process)
        yield ServedMetrics(engine, address, token)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        engine.dispose()


def served_address(process: subprocess.Popen[str]) -> str:
    """Read serve's stderr until it names the address it listens on."""
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        match = re.search(r"on http://([^/\s]+:\d+)", line)
        if match:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe drained
            return match.group(1)
    raise AssertionError(f"linkwatch serve exited ({process.wait()}) without serving:\n{''.join(seen)}")
