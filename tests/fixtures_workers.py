"""A local farm of virtual hosts and a crew of `linkwatch worker` processes, for the scale-out tests.

`worker_farm` is a threaded HTTP server on 127.0.0.1 (port 0) answering for any
host name (the workers map the names to 127.0.0.1 with LINKWATCH_RESOLVE).  It
records when each request started, per host (`starts`), and which paths are
being answered right now (`in_flight`).  `latency` seconds pass before each page.

`Crew` starts `python -m monitor worker --exit-when-idle` processes against one
database and Redis, kills them (`kill`: SIGKILL of the worker and its crawl
child, as when a machine dies; `kill_worker_only`: the worker process alone) and
reads their JSON progress lines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.support.cli import LINKWATCH
from tests.support.pages import LocalServer


class WorkerFarm(LocalServer):
    """Pages served after `latency` seconds, recording when each request started and which are in flight."""

    def __init__(self, page: Callable[[str], bytes], latency: float) -> None:
        super().__init__(_FarmHandler)
        self.page, self.latency = page, latency
        self.lock = threading.Lock()
        self.starts: dict[str, list[tuple[float, str]]] = defaultdict(list)  # host -> (monotonic, path)
        self.in_flight: set[str] = set()


class _FarmHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: WorkerFarm

    def do_GET(self) -> None:
        started = time.monotonic()
        farm = self.server
        host = (self.headers.get("Host") or "").split(":")[0]
        with farm.lock:
            farm.starts[host].append((started, self.path))
            farm.in_flight.add(self.path)
        try:
            if self.path == "/robots.txt":
                body, content_type = b"User-agent: *\nAllow: /\n", "text/plain"
            else:
                time.sleep(farm.latency)
                body, content_type = farm.page(self.path), "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with farm.lock:
                farm.in_flight.discard(self.path)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def worker_farm() -> Iterator[Callable[[Callable[[str], bytes], float], WorkerFarm]]:
    """A factory: `worker_farm(page, latency)` starts a farm serving `page(path)`; all are stopped after."""
    farms: list[WorkerFarm] = []

    def start(page: Callable[[str], bytes], latency: float) -> WorkerFarm:
        farm = WorkerFarm(page, latency).start()
        farms.append(farm)
        return farm

    yield start
    for farm in farms:
        farm.stop()


class Crew:
    """`linkwatch worker` processes sharing one queue; each logs to `<dir>/<name>.log`."""

    def __init__(self, env: dict[str, str], directory: Path, flags: list[str]) -> None:
        self.env, self.directory, self.flags = env, directory, flags
        self.workers: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> subprocess.Popen[bytes]:
        with (self.directory / f"{name}.log").open("wb") as log:
            worker = subprocess.Popen([*LINKWATCH, "worker", "--name", name,
                                       "--exit-when-idle", *self.flags],
                                      env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.workers[name] = worker
        return worker

    def alive(self) -> list[str]:
        return [name for name, worker in self.workers.items() if worker.poll() is None]

    def crawl_child(self, name: str) -> int | None:
        pid = self.workers[name].pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its crawl child (in its own session), as when a machine dies."""
        child = self.crawl_child(name)
        if child is not None:
            os.kill(child, signal.SIGKILL)
        os.kill(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait(10)

    def kill_worker_only(self, name: str) -> int | None:
        """SIGKILL the `linkwatch worker` process only; returns its crawl child's pid (left running)."""
        child = self.crawl_child(name)
        os.kill(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait(10)
        return child

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for worker in self.workers.values():
            worker.wait(max(0.1, deadline - time.monotonic()))

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-1500:]}" for name in self.workers)

    def done_lines(self) -> dict[str, dict[str, object]]:
        """The {"done": ...} line of every worker that finished cleanly, by name."""
        found = {}
        for name in self.workers:
            for line in self.log(name).splitlines():
                if line.startswith('{"done"'):
                    found[name] = json.loads(line)["done"]
        return found
