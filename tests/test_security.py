"""Secrets and spreadsheet safety, end to end with real processes.

- A config file readable by others is warned about once per command; a 0600 one is not.
- Distinctive secrets (SMTP password, Slack webhook URL, API token) never appear in
  anything linkwatch writes: `run` and `serve` output at debug level, /metrics, /healthz,
  and the CSV exports.  The webhook points at a closed port, so the alert delivery fails
  and its error is logged: the URL must not be in it.
- Every `--csv` export neutralises cells a spreadsheet would run as a formula.
- `serve` on a non-loopback address refuses to start without the API token (one
  line) unless LINKWATCH_ALLOW_UNAUTHENTICATED=1; with the token, /metrics answers
  401 without it and /healthz only the status, and a real Prometheus scrapes it
  with the shipped config's token file (a second job with a wrong token gets 401).
- `linkwatch check` run from a folder that holds a `crawler/` package (a cloned
  repository, a hostile checkout) starts the installed crawler child, never that
  folder's: the child runs as `python -P -m crawler`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_metrics import served_address
from tests.fixtures_prometheus import PrometheusServer, render_prometheus_config
from tests.support.cli import LINKWATCH, linkwatch
from tests.support.pages import TestSite
from tests.support.spreadsheet import assert_spreadsheet_safe

SMTP_PASSWORD = "smtp-Pa55-zq81xw"
WEBHOOK_SECRET = "T000/B000/hook-zq81xw"
API_TOKEN = "api-tok-zq81xw"
SECRETS = (SMTP_PASSWORD, WEBHOOK_SECRET, API_TOKEN, "zq81xw")
FORMULA = "=HYPERLINK(\"http://evil.test\",\"x\")"


def write_config(path: Path, mode: int) -> Path:
    path.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = 1\nuser = "me"\npassword = "{SMTP_PASSWORD}"\n'
        'from = "lw@example.org"\nto = ["me@example.org"]\n'
        f'[alerts]\nslack_webhook_url = "http://127.0.0.1:1/services/{WEBHOOK_SECRET}"\n'
        '[[alerts.route]]\nchannel = "slack"\n[[alerts.route]]\nchannel = "email"\n'
        f'[serve]\napi_token = "{API_TOKEN}"\n'
        '[[site]]\ndomain = "mysite.com"\n')
    path.chmod(mode)
    return path


def environment(tmp_path: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), LINKWATCH_CONFIG=str(config), LINKWATCH_ALLOW_PRIVATE="1",
               LINKWATCH_DELAY="0", LINKWATCH_RENDER="never", LINKWATCH_TIMEOUT="10",
               LINKWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'linkwatch.db'}")
    return env


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


def seed(site: TestSite, tmp_path: Path, env: dict[str, str]) -> None:
    site.set_page("/p", '<html><body><a href="https://mysite.com/">=cmd|\' /C calc\'!A0</a></body></html>')
    export = tmp_path / "links.csv"
    with export.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["source_url", "target", "anchor", "tags"],
                                      [site.url("/p"), "mysite.com", FORMULA, "+tag"]])
    linkwatch(env, "import", str(export))


@pytest.mark.timeout(600)
def test_secrets_stay_out_of_logs_metrics_and_exports(site: TestSite, tmp_path: Path) -> None:
    env = environment(tmp_path, write_config(tmp_path / "config.toml", 0o644))
    seed(site, tmp_path, env)
    run = linkwatch(env, "--verbose", "run", "--once")
    assert run.stderr.count("readable by other users") == 1, run.stderr[-2000:]
    assert_no_secret(run.stdout + run.stderr, "linkwatch run output")

    serve = subprocess.Popen([*LINKWATCH, "--verbose", "serve", "--metrics-addr", "127.0.0.1:0", "--poll", "0.5"],
                             env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert serve.stderr is not None
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = serve.stderr.readline()
            seen.append(line)
            match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if match:
                break
        assert match, "".join(seen)[-2000:]
        base = f"http://127.0.0.1:{match.group(1)}"
        request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {API_TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert_no_secret(response.read().decode(), "/metrics")
        with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
            assert_no_secret(response.read().decode(), "/healthz")
        time.sleep(3)  # a few cycles of the dispatcher, whose deliveries fail (closed ports)
    finally:
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=90)
    logs = "".join(seen) + err + out
    assert logs.count("readable by other users") == 1
    assert_no_secret(logs, "linkwatch serve output")
    for command in (["links", "--csv"], ["events", "--json"], ["history", site.url("/p")],
                    ["alerts", "pending"] if "alerts" in linkwatch(env, "--help").stdout else ["links"]):
        result = subprocess.run([*LINKWATCH, *command], env=env, capture_output=True, text=True, timeout=120)
        assert_no_secret(result.stdout + result.stderr, " ".join(command))


def test_private_config_file_gives_no_warning(tmp_path: Path) -> None:
    env = environment(tmp_path, write_config(tmp_path / "config.toml", 0o600))
    result = linkwatch(env, "links", "--csv", check=False)  # no database yet: exit 2, after the settings are read
    assert result.returncode == 2 and "readable by other users" not in result.stderr


@pytest.mark.timeout(600)
def test_every_csv_export_neutralises_formulas(site: TestSite, tmp_path: Path) -> None:
    env = environment(tmp_path, write_config(tmp_path / "config.toml", 0o600))
    seed(site, tmp_path, env)
    linkwatch(env, "run", "--once")
    links = linkwatch(env, "links", "--csv").stdout
    assert_spreadsheet_safe(links, "links --csv")
    cells = {cell for row in csv.reader(io.StringIO(links)) for cell in row}
    assert {"'" + FORMULA, "'+tag", "'=cmd|' /C calc'!A0"} <= cells, links  # neutralised, not dropped
    reports = re.search(r"one of: ([a-z, \n]+)", linkwatch(env, "report", "--help").stdout.replace("\n", " "))
    assert reports, "report --help lists its reports"
    for name in (n.strip() for n in reports.group(1).split(",") if n.strip()):
        result = subprocess.run([*LINKWATCH, "report", name.split()[0], "--csv"], env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"report {name} --csv: {result.stderr[-1000:]}"
        if result.stdout.strip():
            assert_spreadsheet_safe(result.stdout, f"report {name} --csv")
    mentions = subprocess.run([*LINKWATCH, "mentions", "--site", "mysite.com", "--list", "--csv"], env=env,
                              capture_output=True, text=True, timeout=120)
    assert mentions.returncode == 0, mentions.stderr[-1000:]
    if mentions.stdout.strip():
        assert_spreadsheet_safe(mentions.stdout, "mentions --list --csv")


def exposed_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("")
    config.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), LINKWATCH_CONFIG=str(config),
               LINKWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'linkwatch.db'}", **extra)
    return env


def start_exposed(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """`serve --metrics-addr 0.0.0.0:0`; returns it and its port, once it says where it listens."""
    serve = subprocess.Popen([*LINKWATCH, "serve", "--metrics-addr", "0.0.0.0:0", "--poll", "5"], env=env,
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    host, _, port = served_address(serve).rpartition(":")
    assert host == "0.0.0.0"
    return serve, int(port)


def request(url: str, token: str | None = None, data: bytes | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("addr", ["0.0.0.0:9477", "[::]:9477", "monitor.example.test:9477"])
def test_serve_refuses_a_non_loopback_address_without_the_token(tmp_path: Path, addr: str) -> None:
    result = subprocess.run([*LINKWATCH, "serve", "--metrics-addr", addr], env=exposed_env(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "not a loopback address" in result.stderr and "LINKWATCH_API_TOKEN" in result.stderr


def test_serve_exposed_without_the_token_only_when_allowed(tmp_path: Path) -> None:
    serve, port = start_exposed(exposed_env(tmp_path, LINKWATCH_ALLOW_UNAUTHENTICATED="1"))
    try:
        assert request(f"http://127.0.0.1:{port}/metrics")[0] == 200
        status, body = request(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and "due" in json.loads(body)
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0


@pytest.mark.timeout(300)
def test_exposed_serve_needs_the_token_and_prometheus_sends_it(
        tmp_path: Path, prometheus_server: Callable[[str], PrometheusServer]) -> None:
    serve, port = start_exposed(exposed_env(tmp_path, LINKWATCH_API_TOKEN=API_TOKEN))
    try:
        base = f"http://127.0.0.1:{port}"
        assert request(f"{base}/metrics")[0] == 401
        assert request(f"{base}/metrics", "wrong")[0] == 401
        status, metrics = request(f"{base}/metrics", API_TOKEN)
        assert status == 200 and "linkwatch_build_info" in metrics
        status, body = request(f"{base}/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok"}, "without the token: the status only"
        health: dict[str, Any] = json.loads(request(f"{base}/healthz", API_TOKEN)[1])
        assert health["status"] == "ok" and {"role", "due", "last_successful_run"} <= set(health)
        assert request(f"{base}/api/pending", data=b"{}")[0] == 401

        token, wrong = tmp_path / "token", tmp_path / "wrong-token"
        token.write_text(API_TOKEN)
        wrong.write_text("not-the-token")
        config = render_prometheus_config(f"127.0.0.1:{port}", token) + (
            "  - job_name: wrong-token\n    metrics_path: /metrics\n    authorization:\n      type: Bearer\n"
            f"      credentials_file: {wrong}\n    static_configs:\n      - targets: [\"127.0.0.1:{port}\"]\n")
        prometheus = prometheus_server(config)
        prometheus.wait_for('up{job="linkwatch"} == 1')
        prometheus.wait_for('linkwatch_build_info{job="linkwatch"}')
        prometheus.wait_for('up{job="wrong-token"} == 0')
        targets = prometheus.api("targets")["activeTargets"]
        refused = [t for t in targets if t["labels"]["job"] == "wrong-token"]
        assert refused and "401" in refused[0]["lastError"], refused
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0


def test_check_from_a_folder_with_a_crawler_package_runs_the_installed_crawler(site: TestSite, tmp_path: Path) -> None:
    """`-m` alone puts the working directory first on sys.path: the folder's crawler/__main__.py would run."""
    linkwatch_script = Path(sys.executable).with_name("linkwatch")
    assert linkwatch_script.exists(), "the linkwatch console script is installed next to the interpreter"
    folder, marker = tmp_path / "clone", tmp_path / "hijacked"
    (folder / "crawler").mkdir(parents=True)
    hijack = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
    (folder / "crawler" / "__init__.py").write_text(hijack)
    (folder / "crawler" / "__main__.py").write_text(hijack)
    site.set_page("/linked", '<html><body><a href="https://mysite.com/">us</a></body></html>')
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), LINKWATCH_ALLOW_PRIVATE="1",
               LINKWATCH_DELAY="0", LINKWATCH_RENDER="never")
    result = subprocess.run([str(linkwatch_script), "check", site.url("/linked"), "--target", "mysite.com", "--json"],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=240)
    assert not marker.exists(), "the crawler package of the working directory ran"
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[0])["state"] == "live", result.stdout
