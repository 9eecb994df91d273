"""Faults during `linkwatch run`: the disk fills up under SQLite.

"Disk full" is simulated with RLIMIT_FSIZE on the run process (Python ignores SIGXFSZ,
so a write past the limit fails with EFBIG, as ENOSPC does on a full disk; SQLite
reports it as "disk I/O error" when the WAL cannot grow, "database or disk is full"
otherwise).  This is a simulation, not a full file system.  After it the database is consistent (integrity_check),
no check is stored twice, and the next run, with room again, checks the rest.

Other faults are tested where their code lives: kill -9 of a run (SQLite and
PostgreSQL) in tests/test_monitoring_e2e.py, kill -9 of serve, of run and of the crawl
child with the next crawl started at once in tests/test_faults_orphan.py and
tests/test_faults_serve.py, SIGTERM of serve in tests/test_serve.py,
a killed worker in tests/test_workers.py, Slack/SMTP down or slow in the alerts tests.
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Check
from tests.support.cli import LINKWATCH, environment, linkwatch
from tests.support.pages import LINK, TestSite, page

PAGES = 60


def _checks_per_backlink(database_url: str) -> dict[int, int]:
    with session(connect(database_url)) as s:
        return dict(s.execute(select(Check.backlink_id, func.count()).group_by(Check.backlink_id)).all())


@pytest.mark.timeout(600)
def test_disk_full_on_sqlite_then_next_run_completes(site: TestSite, tmp_path: Path) -> None:
    database = tmp_path / "linkwatch.db"
    database_url = f"sqlite:///{database}"
    env = environment(tmp_path, database_url, "[schedule]\nbatch_size = 5\n")
    with open(tmp_path / "links.csv", "w") as handle:
        handle.write("source_url,target\n")
        for number in range(PAGES):
            site.set_page(f"/p/{number}", page(LINK + "<p>" + "words " * 2000 + "</p>"))
            handle.write(f"{site.url(f'/p/{number}')},mysite.com\n")
    linkwatch(env, "import", str(tmp_path / "links.csv"))
    room = database.stat().st_size + 8 * 1024

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    full = subprocess.run([*LINKWATCH, "run", "--once", "--render", "never", "--concurrency", "4"], env=env,
                          capture_output=True, text=True, timeout=300, preexec_fn=limit_file_size)
    first = _checks_per_backlink(database_url)
    assert len(first) < PAGES, "the limit must bite"
    assert full.returncode == 1, "a run whose results could not all be stored must fail"
    assert "could not be stored" in full.stderr, full.stderr[-3000:]
    assert "disk is full" in full.stderr or "disk I/O error" in full.stderr, full.stderr[-3000:]

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert set(first.values()) <= {1}

    linkwatch(env, "run", "--once", "--render", "never", "--concurrency", "8")
    second = _checks_per_backlink(database_url)
    assert len(second) == PAGES and set(second.values()) == {1}, "every backlink checked exactly once"
