"""Faults during `linkwatch run`: the PostgreSQL server restarted (`pg_ctl restart -m fast`) mid-run.

The run checks a slow local site (several seconds) against a server of its own
(tests/fixtures_faults.py); once a few batches are stored the server is stopped
(`-m fast`: every session terminated), left down for 2 s so that the run's writes
and reads hit the outage, and started again.  Afterwards the database is consistent (each check
belongs to a backlink, no backlink checked twice in the run, each event points at a
check of its backlink, the backlinks' state moved exactly for the stored checks), the
run either completed (every backlink checked) or failed with a one-line reason and a
non-zero exit, and the next run leaves exactly one check per backlink.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Check, CheckRun
from tests.fixtures_faults import RestartablePostgres
from tests.support.cli import LINKWATCH, environment, linkwatch
from tests.support.pages import LINK, TestSite, page
from tests.support.store import assert_consistent

PAGES = 60


def _stored_checks(database_url: str) -> int:
    engine = connect(database_url)
    try:
        with session(engine) as s:
            return int(s.scalar(select(func.count()).select_from(Check)) or 0)
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_postgres_restarted_mid_run(site: TestSite, restartable_postgres: RestartablePostgres,
                                    tmp_path: Path) -> None:
    database_url = restartable_postgres.url
    env = environment(tmp_path, database_url, "[schedule]\nbatch_size = 3\n")
    with open(tmp_path / "links.csv", "w") as handle:
        handle.write("source_url,target\n")
        for number in range(PAGES):
            site.set_page(f"/slow/{number}", page(LINK), delay=0.3)
            handle.write(f"{site.url(f'/slow/{number}')},mysite.com\n")
    linkwatch(env, "import", str(tmp_path / "links.csv"))
    runner = subprocess.Popen([*LINKWATCH, "-v", "run", "--once", "--render", "never", "--concurrency", "4"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _stored_checks(database_url) < 6 and runner.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runner.poll() is None, "the run ended before the restart"
    restartable_postgres.restart(down_for=2.0)  # down long enough for a batch to hit the outage
    out, err = runner.communicate(timeout=180)

    checked = assert_consistent(database_url)
    last_line = err.strip().splitlines()[-1] if err.strip() else ""
    if runner.returncode == 0:
        assert len(checked) == PAGES, f"a run that succeeded stored every check\n{out}\n{err[-3000:]}"
    else:
        assert "could not be stored" in last_line or "failed" in last_line, err[-3000:]
        assert "Traceback" not in last_line
    assert "lost the database connection" in err, "the outage must hit the run"
    # the retry after reconnecting makes the run complete despite the restart
    assert runner.returncode == 0, err[-3000:]

    linkwatch(env, "run", "--once", "--render", "never", "--concurrency", "8")
    final = assert_consistent(database_url)
    assert len(final) == PAGES and set(final.values()) == {1}, "exactly one check per backlink"
    engine = connect(database_url)
    with session(engine) as s:
        statuses = set(s.scalars(select(CheckRun.status)))
    engine.dispose()
    assert statuses == {"finished"}
