"""Scale-out: `linkwatch worker` processes sharing the Redis queue and one PostgreSQL database.

The end-to-end test runs three workers over 2,000 backlinks on a local farm of
virtual hosts (LINKWATCH_RESOLVE maps them to 127.0.0.1) and kills workers with
SIGKILL at four kill points, in an order and with delays drawn from a seeded
random generator (change SEED to explore others), each killed worker replaced as
a supervisor would:

- `before-commit`: a fresh worker, a fraction of a second after it took its
  first jobs (its first commit can come only FLUSH_AFTER = 1 s after its first
  verdict): work taken, nothing stored;
- `commit-unacked`: forced.  Redis is paused for writes (CLIENT PAUSE WRITE, a
  second and a half at most), so workers can still commit to PostgreSQL but not
  acknowledge; the victim dies as soon as a job in its processing list has its
  checks stored;
- `mid-fetch`: while the farm is answering a page of a job the victim holds;
- `worker-only`: the `linkwatch worker` process alone; its crawl child notices,
  finishes what it has in flight, stores it, gives the rest back and exits.

Then every backlink got exactly one verdict in the cycle, the right one, and no
event was written twice.  The politeness test checks, at the farm, that request
starts to one referring domain are `delay` apart across three workers.  The unit
test covers the narrowest window directly: a worker that committed its verdicts
and died before acknowledging the job.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from crawler.worker_mode import WorkerState
from monitor.config import Settings
from monitor.core.types import FetchStatus, ObservedLink, PageObservation, RenderMode
from monitor.crawl import workqueue
from monitor.store import db
from monitor.store.backlink_input import BacklinkInput
from monitor.store.models import Backlink, Check, EventRecord
from monitor.store.sites import SiteResolver
from monitor.store.writer import upsert_backlinks
from tests.fixtures_workers import Crew, WorkerFarm
from tests.support.cli import LINKWATCH

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

HOSTS = 40
PAGES = 1800
DOUBLE = 200  # pages that carry a second backlink (to example.org): 2,000 backlinks in all
LATENCY = 0.1  # seconds per response, so the run lasts long enough for every kill point
SEED = 7
POINTS = ("before-commit", "commit-unacked", "mid-fetch", "worker-only")
ALIVE_TTL = 5  # a paused Redis (commit-unacked) must not outlast a live worker's heartbeat
PAUSE_MS = 1500
PYCACHE = str(Path(tempfile.gettempdir()) / "linkwatch-test-pycache")
WorkerFarmFactory = Callable[[Callable[[str], bytes], float], WorkerFarm]


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


def page_url(port: int, index: int) -> str:
    return f"http://{host(index % HOSTS + 1)}:{port}/p/{index}.html"


def seed(url: str, links: list[tuple[str, str]]) -> dict[int, str]:
    """Backlinks (source URL, target); returns the expected verdict per backlink id."""
    engine = db.connect(url)
    with db.session(engine) as s:
        upsert_backlinks(s, [BacklinkInput(source_url=source, target=target, target_host=target)
                             for source, target in links], SiteResolver(s), datetime.now(UTC))
    with engine.connect() as conn:
        rows = conn.execute(select(Backlink.id, Backlink.source_url, Backlink.target)).all()
    engine.dispose()
    return {bid: "live" if target == "example.org" else kind("/" + source.split("/", 3)[3])
            for bid, source, target in rows}


def farm_links(port: int) -> list[tuple[str, str]]:
    return ([(page_url(port, i), "example.com") for i in range(PAGES)]
            + [(page_url(port, i), "example.org") for i in range(DOUBLE)])


def worker_env(url: str, redis_url: str, home: Path, hosts: list[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPYCACHEPREFIX=PYCACHE,  # each worker would compile Scrapy & co. again (seconds of CPU)
               LINKWATCH_DATABASE_URL=url, LINKWATCH_REDIS_URL=redis_url, LINKWATCH_ALLOW_PRIVATE="1",
               LINKWATCH_RENDER="never", LINKWATCH_TIMEOUT="120",  # a loaded CI box must not turn waits into errors
               LINKWATCH_RESOLVE=",".join(f"{name}:127.0.0.1" for name in hosts),
               XDG_CONFIG_HOME=str(home), XDG_DATA_HOME=str(home), HOME=str(home))
    return env


class Leader:
    """The leader's side during the test: re-queue dead workers' jobs, notice the drained cycle."""

    def __init__(self, url: str, client: redis.Redis, run_id: int) -> None:
        self.engine, self.client, self.run_id = db.create(url), client, run_id
        self.requeued, self.finished = 0, None

    def step(self) -> None:
        self.requeued += workqueue.requeue_dead(self.client)
        if self.finished is None:
            self.finished = workqueue.close_cycle_if_done(self.client)

    def until(self, condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting until {what}"
            assert self.finished is None, f"the cycle finished before {what}"
            self.step()
            time.sleep(0.02)

    def pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.step()
            time.sleep(0.05)

    def held(self, worker: str) -> list[str]:
        return [str(raw) for raw in self.client.lrange(workqueue.processing_key(worker), 0, -1)]

    def stored(self, raws: list[str]) -> list[str]:
        """The entries among `raws` whose backlinks all have their check in this cycle."""
        jobs = [workqueue.decode(raw) for raw in raws]
        ids = {bid for job in jobs for bid in job.job.backlink_ids}
        done = workqueue.already_checked(self.engine, self.run_id, tuple(ids)) if ids else set()
        return [job.raw for job in jobs if set(job.job.backlink_ids) <= done]


class KillPoints:
    """The four kill points (see the module docstring); each returns what it found at the kill."""

    def __init__(self, crew: Crew, leader: Leader, farm: WorkerFarm, chance: random.Random) -> None:
        self.crew, self.leader, self.farm, self.chance = crew, leader, farm, chance
        self.fresh = "w0"  # a worker that has not committed anything yet
        self.orphans: list[int] = []

    def victim(self) -> str:
        return self.chance.choice([name for name in self.crew.alive() if name != self.fresh])

    def before_commit(self) -> str:
        name = self.fresh
        self.leader.until(lambda: bool(self.leader.held(name)), f"{name} took jobs")
        time.sleep(self.chance.uniform(0.0, 0.3))
        held = self.leader.held(name)
        self.crew.kill(name)
        assert held and not self.leader.stored(held), "the victim had stored verdicts: not this kill point"
        return f"{name} held {len(held)} jobs, none stored"

    def commit_unacked(self) -> str:
        name = self.victim()
        self.leader.until(lambda: bool(self.leader.held(name)), f"{name} took jobs")
        for _attempt in range(8):
            self.leader.client.execute_command("CLIENT", "PAUSE", PAUSE_MS, "WRITE")
            try:
                deadline = time.monotonic() + PAUSE_MS / 1000 - 0.2
                while time.monotonic() < deadline:
                    stored = self.leader.stored(self.leader.held(name))
                    if stored:
                        self.crew.kill(name)
                        return f"{name} had {len(stored)} jobs stored but not acknowledged"
                    time.sleep(0.02)
            finally:
                self.leader.client.execute_command("CLIENT", "UNPAUSE")
            time.sleep(0.5)  # the heartbeats held by the pause go first
            self.leader.pause(self.chance.uniform(0.5, 1.5))
        raise AssertionError(f"{name} never stored a batch while Redis was paused")

    def mid_fetch(self) -> str:
        name = self.victim()
        self.leader.pause(self.chance.uniform(0.0, 1.0))
        fetching: set[str] = set()

        def fetching_now() -> bool:
            paths = {"/" + workqueue.decode(raw).job.url.split("/", 3)[3] for raw in self.leader.held(name)}
            with self.farm.lock:
                fetching.update(paths & self.farm.in_flight)
            return bool(fetching)

        self.leader.until(fetching_now, f"{name} was fetching a page")
        self.crew.kill(name)
        return f"{name} killed while the farm answered {sorted(fetching)[0]}"

    def worker_only(self) -> str:
        name = self.victim()
        self.leader.pause(self.chance.uniform(0.0, 1.0))
        self.leader.until(lambda: bool(self.leader.held(name)), f"{name} held jobs")
        child = self.crew.kill_worker_only(name)
        assert child is not None, f"{name} had no crawl child"
        self.orphans.append(child)
        return f"{name} killed, its crawl child {child} left to stop by itself"


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def verdicts(url: str, run_id: int) -> tuple[dict[int, list[str]], list[object], int]:
    """Per backlink, its checks' states in the run; duplicated (backlink, event type) pairs; `new` events."""
    engine = db.create(url)
    with engine.connect() as conn:
        checks = conn.execute(select(Check.backlink_id, Check.state).where(Check.run_id == run_id)).all()
        duplicated = conn.execute(
            select(EventRecord.backlink_id, EventRecord.type, func.count())
            .group_by(EventRecord.backlink_id, EventRecord.type).having(func.count() > 1)).all()
        new = conn.execute(select(func.count()).select_from(EventRecord).where(EventRecord.type == "new")).scalar_one()
    engine.dispose()
    per_backlink: dict[int, list[str]] = {}
    for backlink_id, state in checks:
        per_backlink.setdefault(backlink_id, []).append(state)
    return per_backlink, list(duplicated), int(new)


@pytest.mark.timeout(420)
def test_workers_killed_at_random_points_every_backlink_checked_once(
        postgres_database_url: str, redis_url: str, worker_farm: WorkerFarmFactory, tmp_path: Path) -> None:
    url = postgres_database_url
    farm = worker_farm(page_html, LATENCY)
    expected = seed(url, farm_links(farm.port))
    settings = Settings(database_url=url, redis_url=redis_url, render=RenderMode.NEVER)
    engine = db.connect(url)
    client = workqueue.connect(settings)
    step = workqueue.lead_step(engine, settings, client, datetime.now(UTC))
    run_id = step["opened"]
    assert step["jobs"] == PAGES and run_id is not None

    env = worker_env(url, redis_url, tmp_path, [host(n) for n in range(1, HOSTS + 1)])
    crew = Crew(env, tmp_path, ["--alive-ttl", str(ALIVE_TTL), "--concurrency", "3", "--per-domain", "2",
                                "--delay", "0"])
    for n in range(3):
        crew.start(f"w{n}")
    leader = Leader(url, client, run_id)
    leader.until(lambda: client.scard(workqueue.WORKERS) == 3, "the three workers were up", timeout=150)
    chance = random.Random(SEED)
    points = KillPoints(crew, leader, farm, chance)
    found = {}
    for point in chance.sample(POINTS, len(POINTS)):
        found[point] = getattr(points, point.replace("-", "_"))()
        points.fresh = f"w{len(crew.workers)}"
        crew.start(points.fresh)  # the supervisor restarts it
    leader.until(lambda: leader.finished is not None, "the cycle was drained", timeout=180)
    crew.wait(60)
    for orphan in points.orphans:
        deadline = time.monotonic() + 60
        while running(orphan) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(orphan), f"the crawl child {orphan} of a killed worker did not stop by itself"
    assert leader.finished == run_id, crew.logs()
    assert leader.requeued > 0, "no killed worker held jobs: the crash path was not exercised"

    per_backlink, duplicated_events, new_events = verdicts(url, run_id)
    assert set(per_backlink) == set(expected), \
        f"backlinks without a verdict: {len(set(expected) - set(per_backlink))}; kill points: {found}"
    assert [b for b, states in per_backlink.items() if len(states) > 1] == [], found
    assert {b: states[0] for b, states in per_backlink.items()} == expected
    assert duplicated_events == []
    assert new_events == sum(1 for state in expected.values() if state in ("live", "nofollow"))
    assert workqueue.pending(client) == 0
    assert "Traceback" not in crew.logs() and "Warning:" not in crew.logs(), crew.logs()
    engine.dispose()


@pytest.mark.timeout(180)
def test_politeness_per_referring_domain_holds_across_workers(
        postgres_database_url: str, redis_url: str, worker_farm: WorkerFarmFactory, tmp_path: Path) -> None:
    """Three workers, four referring domains of four pages each, `delay` 1 s: at the farm, every request to
    one domain (robots.txt included) starts at least `delay` after the one before, whichever worker sent it
    (less SLACK for the time a request takes from the worker's turn to the farm's handler)."""
    delay, slack, pages = 1.0, 0.25, 4
    hosts = [f"polite{n}.test" for n in range(1, 5)]
    farm = worker_farm(page_html, 0.0)
    expected = seed(postgres_database_url, [(f"http://{name}:{farm.port}/p/{i}.html", "example.com")
                                            for i in range(pages) for name in hosts])
    settings = Settings(database_url=postgres_database_url, redis_url=redis_url, render=RenderMode.NEVER)
    engine = db.connect(postgres_database_url)
    client = workqueue.connect(settings)
    run_id = workqueue.lead_step(engine, settings, client, datetime.now(UTC))["opened"]
    assert run_id is not None
    crew = Crew(worker_env(postgres_database_url, redis_url, tmp_path, hosts), tmp_path,
                ["--alive-ttl", str(ALIVE_TTL), "--concurrency", "4", "--per-domain", "2", "--delay", str(delay)])
    for n in range(3):
        crew.start(f"p{n}")
    leader = Leader(postgres_database_url, client, run_id)
    leader.until(lambda: leader.finished is not None, "the cycle was drained", timeout=120)
    crew.wait(60)

    per_backlink, _, _ = verdicts(postgres_database_url, run_id)
    assert {b: states for b, states in per_backlink.items()} == {b: [state] for b, state in expected.items()}
    robots = 0
    for name in hosts:
        starts = sorted(farm.starts[name])
        assert sorted(path for _, path in starts if path != "/robots.txt") == [f"/p/{i}.html" for i in range(pages)]
        robots += sum(1 for _, path in starts if path == "/robots.txt")
        gaps = [round(b[0] - a[0], 3) for a, b in itertools.pairwise(starts)]
        assert min(gaps) >= delay - slack, f"{name}: requests {gaps} s apart ({starts})"
    assert robots > len(hosts), "no referring domain was crawled by two workers: nothing was shown"
    assert len([n for n, done in crew.done_lines().items() if done["pages"]]) >= 2, crew.logs()
    engine.dispose()


def test_a_job_committed_but_not_acknowledged_is_not_checked_again(tmp_path: Path, redis_url: str) -> None:
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
    first.connect(workqueue.connect(settings))
    [entry] = first.take(1)
    taken = first.accept(entry)
    assert taken is not None and len(taken.job.backlink_ids) == 2
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
    second.connect(workqueue.connect(settings))
    [redelivered] = second.take(1)
    assert redelivered.redelivered
    assert second.accept(redelivered) is None  # recognised as done and acknowledged
    assert second.skipped == 1 and second.take(1) == [] and second.feed == "empty"
    assert workqueue.close_cycle_if_done(client) == run_id
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Check).where(Check.run_id == run_id)).scalar_one()
    assert count == 2
    engine.dispose()


def one_page_cycle(tmp_path: Path, redis_url: str) -> tuple[Settings, redis.Redis, int]:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = db.connect(url)
    with db.session(engine) as s:
        upsert_backlinks(s, [BacklinkInput("http://w01.workers.test/p/1.html", "example.com", "example.com")],
                         SiteResolver(s), datetime.now(UTC))
    settings = Settings(database_url=url, redis_url=redis_url, render=RenderMode.NEVER, delay=0)
    client = workqueue.connect(settings)
    run_id = workqueue.lead_step(engine, settings, client, datetime.now(UTC))["opened"]
    engine.dispose()
    return settings, client, run_id


def test_a_restarted_worker_of_the_same_name_gives_back_what_the_dead_one_held(tmp_path: Path,
                                                                                 redis_url: str) -> None:
    settings, client, _run_id = one_page_cycle(tmp_path, redis_url)
    dead = WorkerState(settings, "host:1", alive_ttl=3)
    dead.connect(client)
    assert len(dead.take(1)) == 1 and client.llen(workqueue.QUEUE) == 0
    # the container restarts: same HOST:PID, the alive key refreshed before the leader saw it expire
    again = WorkerState(settings, "host:1", alive_ttl=3)
    again.connect(client)
    assert client.llen(workqueue.processing_key("host:1")) == 0
    [back] = again.take(1)
    assert back.redelivered


def test_a_batch_the_database_refuses_goes_back_to_the_queue(tmp_path: Path, redis_url: str) -> None:
    settings, client, _run_id = one_page_cycle(tmp_path, redis_url)
    state = WorkerState(settings, "w", alive_ttl=3)
    state.connect(client)
    [entry] = state.take(1)
    taken = state.accept(entry)
    assert taken is not None
    with state.engine.begin() as conn:  # the database now refuses every batch of checks
        conn.exec_driver_sql("DROP TABLE checks")
    state.observed(PageObservation(url=taken.job.url, final_url=taken.job.url, fetch=FetchStatus.OK,
                                   http_status=200, fetched_at=datetime.now(UTC)))
    state.commit()
    assert state.given_back == 1 and state.unacked == []
    assert client.llen(workqueue.processing_key("w")) == 0  # not acknowledged as if stored ...
    assert workqueue.decode(str(client.lindex(workqueue.QUEUE, 0))).redelivered  # ... but queued again
    state.engine.dispose()


def test_redis_down_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "LINKWATCH_REDIS_URL": "redis://127.0.0.1:1/0",
           "LINKWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([*LINKWATCH, "worker", "--exit-when-idle"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("linkwatch: error: cannot reach Redis") and "Traceback" not in done.stderr



def test_serve_with_workers_fills_the_queue_instead_of_crawling(tmp_path: Path, redis_url: str) -> None:
    from monitor.service.loop import Service

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
