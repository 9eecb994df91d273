"""A real Prometheus (Debian's /usr/bin/prometheus) started as a plain process for the tests.

`render_prometheus_config` turns the shipped deploy/prometheus/prometheus.yml
into a test config: the target, the token file and the rules path rewritten,
intervals shortened to one second.  The `prometheus_server` fixture is a
factory: call it with a config text to start Prometheus on a free loopback
port with its own TSDB in tmp; it is ready when `/-/ready` answers, and it
is stopped at teardown.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DEPLOY_PROMETHEUS = REPO / "deploy" / "prometheus"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

#: What the shipped config says, and what a test config says instead.
SHIPPED_TARGET = '"linkwatch:9477"'
SHIPPED_TOKEN_FILE = "/run/secrets/linkwatch_api_token"
SHIPPED_RULES = "rules/*.rules.yml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render_prometheus_config(target: str, token_file: Path, interval: str = "1s") -> str:
    """The shipped prometheus.yml, pointed at `target` with `token_file`, scraping every `interval`."""
    text = (DEPLOY_PROMETHEUS / "prometheus.yml").read_text()
    replacements = {
        SHIPPED_TARGET: json.dumps(target),
        SHIPPED_TOKEN_FILE: str(token_file),
        SHIPPED_RULES: str(DEPLOY_PROMETHEUS / "rules" / "*.rules.yml"),
        "scrape_interval: 30s": f"scrape_interval: {interval}",
        "evaluation_interval: 30s": f"evaluation_interval: {interval}",
        "scrape_timeout: 10s": f"scrape_timeout: {interval}",
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"deploy/prometheus/prometheus.yml no longer holds {old!r} once"
        text = text.replace(old, new)
    return text


@dataclass
class PrometheusServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>; returns `data`, raises AssertionError on an error status."""
        query = urllib.parse.urlencode(params)
        request = urllib.request.Request(f"{self.url}/api/v1/{path}?{query}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"Prometheus {path} {params}: {exc.code} {exc.read().decode()}") from None
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        assert data["resultType"] in ("vector", "scalar"), data
        return data["result"] if data["resultType"] == "vector" else [{"metric": {}, "value": data["result"]}]

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Poll until `expr` returns a non-empty result."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"no data for {expr!r} after {timeout}s; log:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.25)


def start_prometheus(config_text: str, workdir: Path) -> PrometheusServer:
    if not Path(PROMETHEUS).exists():
        pytest.skip("Prometheus is not installed (make system-deps installs Debian's package)")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(config_text)
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log_handle, stderr=subprocess.STDOUT, cwd=workdir)
    server = PrometheusServer(f"http://127.0.0.1:{port}", process, log)
    _wait_ready(server)
    return server


def _wait_ready(server: PrometheusServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"Prometheus exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"Prometheus not ready after {timeout}s:\n{server.log.read_text()}")


def stop_prometheus(server: PrometheusServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def prometheus_server(tmp_path: Path) -> Iterator[Callable[[str], PrometheusServer]]:
    """Factory: `prometheus_server(config_text)` starts a Prometheus stopped at teardown."""
    started: list[PrometheusServer] = []

    def start(config_text: str) -> PrometheusServer:
        server = start_prometheus(config_text, tmp_path / f"prometheus{len(started)}")
        started.append(server)
        return server

    yield start
    for server in started:
        stop_prometheus(server)
