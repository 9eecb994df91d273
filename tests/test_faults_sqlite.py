"""Faults under SQLite that are not a full disk: another process holds the write lock mid-run.

SQLite has no server to restart; what happens instead on a laptop is a second
writer (a backup tool, a `sqlite3` shell left in a transaction, another linkwatch
command) holding the database's write lock while a run ingests.  linkwatch's
connections wait for the lock (busy_timeout, monitor.store.db), so a lock held
for a few seconds delays the batches and loses nothing: the run completes,
every backlink is checked exactly once, the database is consistent.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Check
from tests.support.cli import LINKWATCH, environment, linkwatch
from tests.support.pages import LINK, TestSite, page

PAGES = 40
LOCK_SECONDS = 4.0


def _checks_per_backlink(database_url: str) -> dict[int, int]:
    with session(connect(database_url)) as s:
        return dict(s.execute(select(Check.backlink_id, func.count()).group_by(Check.backlink_id)).all())


def _checks_stored(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        return int(db.execute("SELECT count(*) FROM checks").fetchone()[0])


@pytest.mark.timeout(300)
def test_write_lock_held_by_another_process_mid_run(site: TestSite, tmp_path: Path) -> None:
    database = tmp_path / "linkwatch.db"
    database_url = f"sqlite:///{database}"
    env = environment(tmp_path, database_url, "[schedule]\nbatch_size = 5\n")
    with open(tmp_path / "links.csv", "w") as handle:
        handle.write("source_url,target\n")
        for number in range(PAGES):
            site.set_page(f"/p/{number}", page(LINK), delay=0.2)  # slow: still ingesting when locked
            handle.write(f"{site.url(f'/p/{number}')},mysite.com\n")
    linkwatch(env, "import", str(tmp_path / "links.csv"))

    run = subprocess.Popen([*LINKWATCH, "run", "--once", "--render", "never", "--concurrency", "2"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _checks_stored(database) == 0:
        assert run.poll() is None, "the run ended before the lock could be taken"
        assert time.monotonic() < deadline, "the run stored nothing"
        time.sleep(0.05)

    locker = sqlite3.connect(database, timeout=30, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # the write lock (in WAL mode readers go on, writers wait)
    held_at = _checks_stored(database)
    time.sleep(LOCK_SECONDS)
    during = _checks_stored(database)
    locker.execute("COMMIT")
    locker.close()

    _stdout, stderr = run.communicate(timeout=240)
    assert run.returncode == 0, stderr[-3000:]
    assert during == held_at, "nothing may be written while another process holds the write lock"
    assert held_at < PAGES, "the lock must have been taken mid-run"
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    checks = _checks_per_backlink(database_url)
    assert len(checks) == PAGES and set(checks.values()) == {1}, "every backlink checked exactly once"
