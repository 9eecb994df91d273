"""The crawl lease (monitor.crawl.lease) against a real database and real processes (SQLite and PostgreSQL).

A holder is a real process of this host (`sleep`): alive, a crawl waits for it and
gives up after its bound with one line naming it; dead -- or exited and not yet
reaped, a zombie -- it is taken over at once.  A batch of an ingestor whose lease
was taken over is refused (LeaseLost) and stores nothing.  On PostgreSQL, a
takeover waits for a fenced batch transaction still open (the row lock of the fence).
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from monitor.config import Settings
from monitor.core.types import RenderMode
from monitor.crawl import lease as crawl_lease
from monitor.crawl.scheduler import iter_due_jobs
from monitor.store import leases
from monitor.store.db import connect, session
from monitor.store.ingest import Ingestor
from monitor.store.models import Check
from tests.support.store import T0, add_links, observe


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "120"])
    yield process
    process.kill()
    process.wait()


def holder_of(process: subprocess.Popen[bytes]) -> str:
    return f"{socket.gethostname()[:200]}:{process.pid}:run7-test"


def test_zombie_and_dead_processes_are_gone_live_ones_are_not(sleeper: subprocess.Popen[bytes]) -> None:
    host = socket.gethostname()[:200]
    assert not leases.process_gone(host, str(sleeper.pid))
    sleeper.kill()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and b") Z " not in Path(f"/proc/{sleeper.pid}/stat").read_bytes():
        time.sleep(0.05)
    assert leases.process_gone(host, str(sleeper.pid)), "exited but not reaped: gone"
    sleeper.wait()
    assert leases.process_gone(host, str(sleeper.pid))
    assert not leases.process_gone("another-host", str(sleeper.pid)), "another host's processes are not known"


def test_a_crawl_waits_for_a_live_holder_and_takes_over_a_dead_one(engine: Engine,
                                                                  sleeper: subprocess.Popen[bytes]) -> None:
    assert leases.acquire(engine, crawl_lease.NAME, holder_of(sleeper), crawl_lease.TTL)
    assert crawl_lease.busy(engine) == holder_of(sleeper)
    lease = crawl_lease.CrawlLease(engine, "run8")
    refused = lease.acquire(lambda: False, wait=0.5)
    assert refused is not None and "\n" not in refused and holder_of(sleeper) in refused and not lease.held
    assert lease.acquire(lambda: True) == "stopped while waiting for the crawl lease"

    sleeper.kill()
    sleeper.wait()
    assert crawl_lease.busy(engine) is None
    assert lease.acquire(lambda: False, wait=0) is None and lease.held
    assert crawl_lease.busy(engine) == lease.holder
    lease.release()
    assert crawl_lease.busy(engine) is None


def test_a_batch_after_a_takeover_is_refused(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com"), ("https://b.example/", "mysite.com")])
    settings = Settings(batch_size=10, render=RenderMode.NEVER)
    lease = crawl_lease.CrawlLease(engine)
    assert lease.acquire(lambda: False, wait=0) is None
    ingestor = Ingestor(engine, settings, None, clock=lambda: T0, fence=lease.fence)
    first, second = list(iter_due_jobs(engine, settings, T0))
    for job in (first, second):
        ingestor.track(job)
    ingestor.add(observe(first.url, "mysite.com"))
    ingestor.flush()  # still ours: stored

    leases.release(engine, crawl_lease.NAME, lease.holder)  # another crawl takes over
    assert leases.acquire(engine, crawl_lease.NAME, "elsewhere:1:run9", crawl_lease.TTL)
    ingestor.add(observe(second.url, "mysite.com"))
    with pytest.raises(leases.LeaseLost, match="held by elsewhere:1:run9"):
        ingestor.flush()
    with session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Check)) == 1, "nothing of the refused batch stored"
    assert ingestor.totals.checks == 1


@pytest.mark.postgres
def test_a_takeover_waits_for_an_open_fenced_batch(postgres_database_url: str,
                                                   sleeper: subprocess.Popen[bytes]) -> None:
    engine = connect(postgres_database_url)
    try:
        dead = holder_of(sleeper)
        assert leases.acquire(engine, crawl_lease.NAME, dead, crawl_lease.TTL)
        sleeper.kill()
        sleeper.wait()
        with session(engine) as batch:  # the dead holder's last batch, still open
            leases.fence(batch, crawl_lease.NAME, dead)
            pid = batch.scalar(text("SELECT pg_backend_pid()"))
            result: list[bool] = []
            taker = threading.Thread(target=lambda: result.append(
                leases.acquire(engine, crawl_lease.NAME, "vm:2:run10", crawl_lease.TTL)))
            taker.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = batch.scalar(text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> :pid AND "
                    "pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"), {"pid": pid})
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting, "the takeover waits for the open batch's row lock"
            assert not result
        taker.join(timeout=60)
        assert result == [True]
    finally:
        engine.dispose()
