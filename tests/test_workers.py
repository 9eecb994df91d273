"""Scale-out: `linkwatch worker` processes sharing the Redis queue and one PostgreSQL database.

The end-to-end test runs three workers over 2,000 backlinks on a local farm of
virtual hosts (LINKWATCH_RESOLVE maps them to 127.0.0.1), kills one with
SIGKILL mid-run, and checks that every backlink got exactly one verdict in the
cycle, the right one, and that no event was written twice.  The unit test
covers the narrowest window: a worker that committed its verdicts and died
before acknowledging the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor import workqueue
from monitor.config import Settings
from monitor.domain import FetchStatus, ObservedLink, PageObservation, RenderMode
from monitor.store import db
from monitor.store.backlinks import BacklinkInput, upsert_backlinks
from monitor.store.models import Check, EventRecord
from monitor.store.sites import SiteResolver

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

HOSTS = 40
PAGES = 1800
DOUBLE = 200  # pages that carry a second backlink (to example.org): 2,000 backlinks in all
LATENCY = 0.1  # seconds per response, so the run lasts long enough to kill a worker in it


def host(n: int) -> str:
    return f"w{n:02d}.workers.test"


def kind(path: str) -> str:
    """live, nofollow or lost: which link the page at `path` carries (deterministic)."""
    return ("live", "live", "nofollow", "lost")[zlib.crc32(path.encode()) % 4]


def page_html(path: str) -> bytes:
    link = {"live": '<a href="https://example.com/a">Example</a>',
            "nofollow": '<a href="https://example.com/a" rel="nofollow">Example</a>',
            "lost": "<span>no link</span>"}[kind(path)]
    return (f"<!doctype html><html><head><title>{path}</title></head><body><p>{link}</p>"
            f'<p><a href="https://example.org/b">Other</a></p>{"<p>filler</p>" * 50}</body></html>').encode()


class FarmServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # three workers connect at once; the default backlog of 5 refuses some


class FarmHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            body, content_type = b"User-agent: *\nAllow: /\n", "text/plain"
        else:
            time.sleep(LATENCY)
            body, content_type = page_html(self.path), "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def farm() -> Iterator[int]:
    server = FarmServer(("127.0.0.1", 0), FarmHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def page_url(port: int, index: int) -> str:
    return f"http://{host(index % HOSTS + 1)}:{port}/p/{index}.html"


def seed(url: str, port: int) -> dict[int, str]:
    """2,000 backlinks; returns the expected verdict per backlink id."""
    engine = db.connect(url)
    now = datetime.now(UTC)
    items = [BacklinkInput(source_url=page_url(port, i), target="example.com", target_host="example.com")
             for i in range(PAGES)]
    items += [BacklinkInput(source_url=page_url(port, i), target="example.org", target_host="example.org")
              for i in range(DOUBLE)]
    with db.session(engine) as s:
        upsert_backlinks(s, items, SiteResolver(s), now)
    expected = {}
    with engine.connect() as conn:
        from monitor.store.models import Backlink

        for bid, source, target in conn.execute(select(Backlink.id, Backlink.source_url, Backlink.target)):
            path = "/" + source.split("/", 3)[3]
            expected[bid] = "live" if target == "example.org" else kind(path)
    engine.dispose()
    return expected


def worker_env(url: str, redis_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(LINKWATCH_DATABASE_URL=url, LINKWATCH_REDIS_URL=redis_url, LINKWATCH_ALLOW_PRIVATE="1",
               LINKWATCH_RENDER="never", LINKWATCH_TIMEOUT="120",  # a loaded CI box must not turn waits into errors
               LINKWATCH_RESOLVE=",".join(f"{host(n)}:127.0.0.1" for n in range(1, HOSTS + 1)),
               XDG_CONFIG_HOME=str(home), XDG_DATA_HOME=str(home), HOME=str(home))
    return env


def start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "worker", "--name", name, "--exit-when-idle",
                             "--alive-ttl", "3", "--concurrency", "4", "--per-domain", "2", "--delay", "0"],
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def kill_tree(pid: int) -> None:
    """SIGKILL a worker and its crawl child (in its own session), as when a machine dies."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


def checks_in(url: str, run_id: int) -> int:
    engine = db.create(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Check).where(Check.run_id == run_id)).scalar_one()
    engine.dispose()
    return int(count)


@pytest.mark.timeout(240)
def test_three_workers_one_killed_every_backlink_checked_once(
        postgres_database_url: str, redis_url: str, farm: int, tmp_path: Path) -> None:
    url = postgres_database_url
    expected = seed(url, farm)
    settings = Settings(database_url=url, redis_url=redis_url, render=RenderMode.NEVER)
    engine = db.connect(url)
    client = workqueue.connect(settings)
    step = workqueue.lead_step(engine, settings, client, datetime.now(UTC))
    run_id = step["opened"]
    assert step["jobs"] == PAGES and run_id is not None

    env = worker_env(url, redis_url, tmp_path)
    workers = [start_worker(f"w{n}", env, tmp_path / f"w{n}.log") for n in range(3)]
    requeued, killed, finished = 0, False, None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and finished is None:
        if not killed and checks_in(url, run_id) >= 200:
            kill_tree(workers[0].pid)
            killed = True
        requeued += workqueue.requeue_dead(client)
        finished = workqueue.close_cycle_if_done(client)
        time.sleep(0.3)
    for worker in workers[1:]:
        worker.wait(60)
    workers[0].wait(10)
    logs = "\n".join((tmp_path / f"w{n}.log").read_text(errors="replace")[-2000:] for n in range(3))
    assert killed, "the crawl finished before a worker could be killed"
    assert finished == run_id, f"the cycle did not drain in time\n{logs}"
    assert requeued > 0, "the killed worker held no jobs: the crash path was not exercised"

    with engine.connect() as conn:
        checks = conn.execute(select(Check.backlink_id, Check.state).where(Check.run_id == run_id)).all()
        errors = conn.execute(select(Check.error).where(Check.run_id == run_id, Check.state == "error")
                              .limit(5)).scalars().all()
        duplicated_events = conn.execute(
            select(EventRecord.backlink_id, EventRecord.type, func.count())
            .group_by(EventRecord.backlink_id, EventRecord.type).having(func.count() > 1)).all()
        new_events = conn.execute(select(func.count()).select_from(EventRecord)
                                  .where(EventRecord.type == "new")).scalar_one()
    engine.dispose()
    per_backlink: dict[int, list[str]] = {}
    for backlink_id, state in checks:
        per_backlink.setdefault(backlink_id, []).append(state)
    assert set(per_backlink) == set(expected), f"backlinks without a verdict: {len(set(expected) - set(per_backlink))}"
    assert [b for b, states in per_backlink.items() if len(states) > 1] == []
    assert {b: states[0] for b, states in per_backlink.items()} == expected, errors
    assert duplicated_events == []
    assert new_events == sum(1 for state in expected.values() if state in ("live", "nofollow"))
    assert workqueue.pending(client) == 0


def test_a_job_committed_but_not_acknowledged_is_not_checked_again(tmp_path: Path, redis_url: str) -> None:
    from crawler.worker_mode import WorkerState

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = db.connect(url)
    page = "http://w01.workers.test/p/1.html"
    with db.session(engine) as s:
        upsert_backlinks(s, [BacklinkInput(page, "example.com", "example.com"),
                             BacklinkInput(page, "example.org", "example.org")], SiteResolver(s), datetime.now(UTC))
    settings = Settings(database_url=url, redis_url=redis_url, render=RenderMode.NEVER, delay=0)
    client = workqueue.connect(settings)
    run_id = workqueue.lead_step(engine, settings, client, datetime.now(UTC))["opened"]

    first = WorkerState(settings, "first", alive_ttl=3)
    workqueue.register(first.client, "first", 3)
    taken = first.next_job()
    assert isinstance(taken, workqueue.QueuedJob) and len(taken.job.backlink_ids) == 2
    links = tuple(ObservedLink(href=f"https://{t}/", rel=(), anchor="x", follow=True, target=t)
                  for t in taken.job.targets)
    observation = PageObservation(url=page, final_url=page, fetch=FetchStatus.OK, http_status=200, links=links,
                                  fetched_at=datetime.now(UTC))
    with first.lock:  # the verdicts are committed ... and the worker dies before its ack
        first.inflight.pop(page)
        first._ingestor(run_id).add(observation, taken.job.backlink_ids)
        first._ingestor(run_id).flush()
    client.delete(workqueue.alive_key("first"))  # its heartbeat expires

    assert workqueue.requeue_dead(client) == 1
    second = WorkerState(settings, "second", alive_ttl=3)
    workqueue.register(second.client, "second", 3)
    assert second.next_job() is None  # the redelivered job was recognised as done and acknowledged
    assert second.skipped == 1
    assert workqueue.close_cycle_if_done(client) == run_id
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Check).where(Check.run_id == run_id)).scalar_one()
    assert count == 2
    engine.dispose()


def test_redis_down_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "LINKWATCH_REDIS_URL": "redis://127.0.0.1:1/0",
           "LINKWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "monitor", "worker", "--exit-when-idle"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("linkwatch: error: cannot reach Redis") and "Traceback" not in done.stderr



def test_serve_with_workers_fills_the_queue_instead_of_crawling(tmp_path: Path, redis_url: str) -> None:
    from monitor.service import Service

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = db.connect(url)
    with db.session(engine) as s:
        upsert_backlinks(s, [BacklinkInput(f"http://w01.workers.test/p/{n}.html", "example.com", "example.com")
                             for n in range(3)], SiteResolver(s), datetime.now(UTC))
    settings = Settings(database_url=url, redis_url=redis_url, workers=True)
    service = Service(engine, settings, hook=lambda _engine, _settings: None)
    service._step()
    client = workqueue.connect(settings)
    run_id = workqueue.cycle_open(client)
    assert run_id is not None and client.llen(workqueue.QUEUE) == 3
    service._step()  # a cycle in progress: nothing queued twice
    assert client.llen(workqueue.QUEUE) == 3
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Check)).scalar_one() == 0  # serve crawled nothing
    engine.dispose()
