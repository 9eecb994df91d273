"""`linkwatch serve` as a real process: it checks a due backlink, answers /healthz and /metrics, holds the
leader lease against a second serve, and exits 0 on SIGTERM (also in the middle of a crawl)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Backlink, Check
from tests.support.cli import LINKWATCH
from tests.support.pages import TestSite
from tests.support.waiting import wait_for

LINK = '<html><body><p>hi</p><a href="https://mysite.com/">My site</a></body></html>'


def environment(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("")
    config.chmod(0o600)
    env = dict(os.environ)
    env.update(HOME=str(tmp_path), LINKWATCH_CONFIG=str(config), LINKWATCH_ALLOW_PRIVATE="1", LINKWATCH_DELAY="0",
               LINKWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'linkwatch.db'}", LINKWATCH_RENDER="never",
               LINKWATCH_TIMEOUT="20")
    return env


class Serve:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*LINKWATCH, "serve", "--metrics-addr", "127.0.0.1:0", "--poll", "0.5"],
            env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        assert self.process.stderr is not None
        seen = []
        for line in self.process.stderr:  # warnings may come first
            seen.append(line)
            match = re.search(r"on http://127\.0\.0\.1:(\d+)", line)
            if match:
                break
        assert match, f"serve did not announce its address: {seen!r}"
        self.base = f"http://127.0.0.1:{match.group(1)}"
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # keep the pipe drained

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def health(self) -> dict[str, Any]:
        return json.loads(self.get("/healthz")[1])

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=90)


@pytest.fixture
def serves() -> Iterator[Callable[[dict[str, str]], Serve]]:
    started: list[Serve] = []

    def start(env: dict[str, str]) -> Serve:
        started.append(Serve(env))
        return started[-1]

    yield start
    for serve in started:
        if serve.process.poll() is None:
            serve.process.kill()
            serve.process.wait()


def add(env: dict[str, str], url: str) -> None:
    subprocess.run([*LINKWATCH, "add", url, "--target", "mysite.com"], env=env, check=True,
                   capture_output=True, timeout=120)


def test_serve_checks_due_backlinks_and_answers(site: TestSite, tmp_path: Path,
                                                serves: Callable[[dict[str, str]], Serve]) -> None:
    env = environment(tmp_path)
    add(env, site.set_page("/page", LINK))
    serve = serves(env)
    engine = connect(env["LINKWATCH_DATABASE_URL"])

    def state() -> str:
        with session(engine) as s:
            return str(s.scalar(select(Backlink.state)))

    wait_for(lambda: state() == "live", "serve to check the due backlink")
    health = wait_for(lambda: (h := serve.health())["last_successful_run"] and h, "a finished run in /healthz")
    assert health["status"] == "ok" and health["role"] == "leader" and health["due"] == 0
    status, metrics = serve.get("/metrics")
    assert status == 200 and 'linkwatch_backlinks{' in metrics.replace(" ", "")

    standby = serves(env)  # a second serve on the same database waits
    assert standby.health()["role"] == "standby"
    assert standby.terminate() == 0

    add(env, site.set_page("/later", LINK))  # due at once: the running serve picks it up
    wait_for(lambda: serve.health()["due"] == 0 and state() == "live", "the new backlink to be checked")
    assert serve.terminate() == 0
    with session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Check)) == 2


def test_sigterm_during_a_crawl_keeps_finished_checks(site: TestSite, tmp_path: Path,
                                                      serves: Callable[[dict[str, str]], Serve]) -> None:
    env = environment(tmp_path)
    add(env, site.set_page("/fast", LINK))
    add(env, site.set_page("/slow", LINK, delay=600))  # never answers in time
    serve = serves(env)
    engine = connect(env["LINKWATCH_DATABASE_URL"])

    def checked() -> dict[str, Any]:
        with session(engine) as s:
            return dict(s.execute(select(Backlink.source_url, Backlink.last_checked)).all())

    wait_for(lambda: checked()[site.url("/fast")] and ("127.0.0.1", "/slow") in site.requests,
             "the fast page to be stored while the slow one is in flight")
    assert serve.health()["running"] is True
    assert serve.terminate() == 0
    assert checked()[site.url("/fast")] is not None
    with session(engine) as s:
        slow = s.execute(select(Backlink.last_checked, Backlink.next_due_at, Backlink.created_at)
                         .where(Backlink.source_url == site.url("/slow"))).one()
        checks = s.scalar(select(func.count()).select_from(Check))
    assert slow.last_checked is None and slow.next_due_at == slow.created_at  # not checked: still due
    assert checks == 1
