"""kill -9 of `serve` while its crawl child is busy, and of the crawl child alone (SQLite and PostgreSQL).

The site answers slowly (every page takes `DELAY` seconds), so a crawl child always
has downloads in flight when its serve is killed, and the next serve is started at
once: before the fix, the orphaned child finished those downloads and stored them
while the new serve's child read the same backlinks as due -- a second check, and a
second `new` event.  Now the orphan learns of its parent's death from the kernel,
stores what it had observed, drops its downloads and ends, and the new crawl waits
for the crawl lease it held (monitor.crawl.lease).  Checked: every backlink exactly
once, one `new` event each, and no orphan alive when the next run's first check is
stored.

The same for `linkwatch run --once` started (as by cron) right after an earlier one
was killed: the orphan drops the downloads it had in flight (pages that never answer)
instead of waiting for them, and the new run checks them once.

Killing only the crawl child: serve records that run as failed, keeps serving, and
its next cycle checks the rest.  Kill points are seeded (SEED) so a failure replays.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Backlink, Check, CheckRun
from tests.support.cli import LINKWATCH, environment, linkwatch
from tests.support.pages import LINK, TestSite, page
from tests.support.store import assert_consistent
from tests.support.waiting import wait_for

LIMIT = 180  # seconds to wait for each step: generous, a hang fails instead of blocking the suite
PAGES = 32
DELAY = 3.0  # seconds per page: downloads are in flight whenever a serve is killed
SEED = 8
KILLS = 2


def crawl_children(pid: int) -> list[int]:
    """The `python -m crawler` children of `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == pid and b"crawler" in cmdline:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


Start = Callable[..., "subprocess.Popen[bytes]"]


@pytest.fixture
def start() -> Iterator[Start]:
    """Start `linkwatch ARGS...` with its stderr appended to `log`; whatever is left is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            started.append(subprocess.Popen([*LINKWATCH, *args], env=env, stdout=subprocess.DEVNULL, stderr=out))
        return started[-1]

    yield run
    for process in started:
        for child in crawl_children(process.pid) if process.poll() is None else []:
            os.kill(child, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()


def start_serve(start: Start, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start(env, log, "serve", "--metrics-addr", "127.0.0.1:0", "--poll", "0.3")


def counts(database_url: str) -> tuple[int, int, int]:
    """(checks stored, backlinks never checked, the highest run id)."""
    engine = connect(database_url)
    try:
        with session(engine) as s:
            return (int(s.scalar(select(func.count()).select_from(Check)) or 0),
                    int(s.scalar(select(func.count()).select_from(Backlink)
                                 .where(Backlink.last_checked.is_(None))) or 0),
                    int(s.scalar(select(func.max(CheckRun.id))) or 0))
    finally:
        engine.dispose()


def running(database_url: str) -> int:
    engine = connect(database_url)
    try:
        with session(engine) as s:
            return int(s.scalar(select(func.count()).select_from(CheckRun).where(CheckRun.status == "running")) or 0)
    finally:
        engine.dispose()


def first_check_of_runs_after(database_url: str, run_id: int) -> bool:
    engine = connect(database_url)
    try:
        with session(engine) as s:
            return s.scalar(select(Check.id).where(Check.run_id > run_id).limit(1)) is not None
    finally:
        engine.dispose()


def slow_site(site: TestSite, env: dict[str, str], tmp_path: Path) -> None:
    with open(tmp_path / "links.csv", "w") as handle:
        handle.write("source_url,target\n")
        for number in range(PAGES):
            site.set_page(f"/slow/{number}", page(LINK), delay=DELAY)
            handle.write(f"{site.url(f'/slow/{number}')},mysite.com\n")
    linkwatch(env, "import", str(tmp_path / "links.csv"))


def setup(site: TestSite, database_url: str, tmp_path: Path) -> dict[str, str]:
    env = environment(tmp_path, database_url, "[schedule]\nbatch_size = 2\n")
    env.update(LINKWATCH_RENDER="never", LINKWATCH_CONCURRENCY="8")
    slow_site(site, env, tmp_path)
    return env


@pytest.mark.timeout(420)
def test_serve_killed_and_restarted_at_once_checks_nothing_twice(site: TestSite, database_url: str,
                                                                 tmp_path: Path, start: Start) -> None:
    env = setup(site, database_url, tmp_path)
    chance = random.Random(SEED)
    log = tmp_path / "serve.log"
    serve = start_serve(start, env, log)
    for _ in range(KILLS):
        wait_for(lambda: crawl_children(serve.pid), "a crawl child", LIMIT, log=log)  # noqa: B023
        time.sleep(chance.uniform(0.5, 2 * DELAY))  # downloads in flight, batches being stored
        assert serve.poll() is None, log.read_text()[-4000:]
        _, unchecked, orphan_run = counts(database_url)
        children = crawl_children(serve.pid)
        assert unchecked and children, "the kill must come while there is work and a crawl"
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait()
        serve = start_serve(start, env, log)  # at once: the orphans may still be alive
        # the next run's first check is stored only once the orphans are gone
        wait_for(lambda: first_check_of_runs_after(database_url, orphan_run),  # noqa: B023
                 "the next run's first check", LIMIT, log=log)
        assert not [pid for pid in children if alive(pid)], "an orphaned crawl child outlived the next run's start"
    try:
        wait_for(lambda: counts(database_url)[1] == 0, "every backlink to be checked", LIMIT, log=log)
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0

    checked = assert_consistent(database_url)  # one `new` event per checked backlink, none twice in a run
    assert len(checked) == PAGES and set(checked.values()) == {1}, "every backlink checked exactly once"


@pytest.mark.timeout(420)
def test_crawl_child_killed_serve_records_it_and_goes_on(site: TestSite, database_url: str, tmp_path: Path,
                                                        start: Start) -> None:
    env = setup(site, database_url, tmp_path)
    chance = random.Random(SEED + 1)
    log = tmp_path / "serve.log"
    serve = start_serve(start, env, log)
    killed: list[int] = []
    try:
        for _ in range(KILLS):
            child = wait_for(lambda: [p for p in crawl_children(serve.pid) if p not in killed],
                             "a new crawl child", LIMIT, log=log)[0]
            time.sleep(chance.uniform(0.5, 2 * DELAY))
            assert counts(database_url)[1], "the kill must come before the end of the work"
            os.kill(child, signal.SIGKILL)
            killed.append(child)
        wait_for(lambda: counts(database_url)[1] == 0 and not running(database_url), "every backlink checked",
                 LIMIT, log=log)
        assert serve.poll() is None, "serve keeps serving"
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0

    checked = assert_consistent(database_url)
    assert len(checked) == PAGES and set(checked.values()) == {1}, "every backlink checked exactly once"
    engine = connect(database_url)
    with session(engine) as s:
        runs = s.execute(select(CheckRun.status, CheckRun.error).order_by(CheckRun.id)).all()
    engine.dispose()
    failed = [error for status, error in runs if status == "failed"]
    assert len(failed) == KILLS and all("-9" in (error or "") for error in failed), runs
    assert runs[-1].status == "finished", runs


@pytest.mark.timeout(300)
def test_run_once_killed_then_run_again_at_once(site: TestSite, database_url: str, tmp_path: Path,
                                                start: Start) -> None:
    env = environment(tmp_path, database_url, "[schedule]\nbatch_size = 50\n")
    env.update(LINKWATCH_RENDER="never", LINKWATCH_CONCURRENCY="8")
    fast = [site.set_page(f"/fast/{n}", page(LINK)) for n in range(4)]
    hanging = [site.set_page(f"/hang/{n}", page(LINK), delay=600) for n in range(4)]
    with open(tmp_path / "links.csv", "w") as handle:
        handle.write("source_url,target\n" + "".join(f"{url},mysite.com\n" for url in fast + hanging))
    linkwatch(env, "import", str(tmp_path / "links.csv"))
    log = tmp_path / "run.log"
    first = start(env, log, "run", "--once")
    wait_for(lambda: counts(database_url)[0] == len(fast)
             and {("127.0.0.1", f"/hang/{n}") for n in range(4)} <= set(site.requests),
             "the fast pages stored while the hanging ones are in flight", LIMIT, log=log)
    orphans = crawl_children(first.pid)
    assert orphans
    for n in range(4):  # from now on they answer at once; the requests in flight still hang
        site.set_page(f"/hang/{n}", page(LINK))
    os.kill(first.pid, signal.SIGKILL)  # the cron job dies; its crawl child is orphaned
    first.wait()
    second = start(env, log, "run", "--once")  # the next cron job, at once
    assert second.wait(timeout=240) == 0, log.read_text()[-4000:]
    wait_for(lambda: not [pid for pid in orphans if alive(pid)], "the orphan to end", LIMIT, log=log)

    checked = assert_consistent(database_url)
    assert len(checked) == len(fast) + len(hanging) and set(checked.values()) == {1}, \
        "the orphan stored no check for its dropped downloads; the second run checked them once"
    engine = connect(database_url)
    with session(engine) as s:
        states = dict(s.execute(select(Backlink.source_url, Backlink.state)).all())
    engine.dispose()
    assert {states[url] for url in hanging} == {"live"}, "checked by the second run, not errors of the orphan"
