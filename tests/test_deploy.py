"""deploy/: promtool checks, the dashboard and unit files, and every PromQL expression against a real Prometheus."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.store import db, metric_counts
from monitor.store.models import Delivery
from tests.fixtures_metrics import OWN, RIVAL, ServedMetrics
from tests.fixtures_prometheus import PROMTOOL, PrometheusServer, render_prometheus_config

pytestmark = pytest.mark.prometheus

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "linkwatch.json"
TOKEN = "test-token-5d1c"
ALERTS = {"LinkwatchLinksLost", "LinkwatchNegativeLinkVelocity", "LinkwatchChecksFailing",
          "LinkwatchCheckerStalled", "LinkwatchAlertDeliveryFailing", "LinkwatchBacklinksOverdue"}
#: Grafana's variables as the test substitutes them.
GRAFANA_VARIABLES = {"$site": OWN, "$role": "own", "$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
VELOCITY = "Link velocity per day: gained vs lost"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(PROMTOOL).exists():
        pytest.skip("promtool is not installed (make system-deps installs Debian's prometheus package)")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=DEPLOY / "prometheus")


def test_promtool_check_config(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    config = tmp_path / "prometheus.yml"
    config.write_text(render_prometheus_config("127.0.0.1:9477", token, interval="30s"))
    result = promtool("check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 rules found" in result.stdout + result.stderr


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", "rules/linkwatch.rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules() -> None:
    tests = sorted(str(p.relative_to(DEPLOY / "prometheus")) for p in (DEPLOY / "prometheus" / "tests").glob("*.yml"))
    assert tests
    result = promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["expr"]) for panel in panels(dashboard) for target in panel.get("targets", [])]


def substitute(expr: str, **chosen: str) -> str:
    """The expression with Grafana's variables replaced (GRAFANA_VARIABLES, or `chosen`: role="competitor")."""
    values = {**GRAFANA_VARIABLES, **{f"${name}": value for name, value in chosen.items()}}
    for variable in sorted(values, key=len, reverse=True):
        expr = expr.replace(variable, values[variable])
    assert "$" not in expr, expr
    return expr


def test_dashboard_is_provisionable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasource = (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    assert re.search(r"^\s+uid: linkwatch-prometheus$", datasource, re.M)
    provider = (DEPLOY / "grafana" / "provisioning" / "dashboards" / "linkwatch.yml").read_text()
    assert "/var/lib/grafana/dashboards" in provider
    assert dashboard["uid"] == "linkwatch-overview"
    site = [v for v in dashboard["templating"]["list"] if v["name"] == "site"]
    assert site and site[0]["datasource"]["uid"] == "linkwatch-prometheus" and site[0]["includeAll"]
    [role] = [v for v in dashboard["templating"]["list"] if v["name"] == "role"]
    assert role["query"] == "own,competitor" and role["includeAll"] and role["allValue"] == ".*"
    velocity = [expr for title, expr in dashboard_expressions() if title == VELOCITY]
    assert len(velocity) == 2 and all('role=~"$role"' in expr for expr in velocity), velocity
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "linkwatch-prometheus", panel["title"]
            assert panel["targets"], panel["title"]
    titles = " | ".join(panel["title"] for panel in panels(dashboard)).lower()
    for needed in ("backlinks by state", "velocity", "dofollow ratio", "referring domains", "check outcomes",
                   "check duration", "rendered share", "alert deliveries", "due", "overdue"):
        assert needed in titles
    exprs = " ".join(expr for _, expr in dashboard_expressions())
    assert "histogram_quantile" in exprs and 'site=~"$site"' in exprs


def test_compose_pins_every_image_and_reads_secrets_from_the_env_file() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    images = re.findall(r"^\s+image:\s*(\S+)$", compose, re.M)
    assert len(images) == 6  # + redis and `worker` of the scale-out profile (docs/scale-out.md)
    for image in images:
        name, _, tag = image.rpartition(":")
        if name == "linkwatch":  # built from this checkout: its version is the package's, written once
            assert tag == "local", image
            continue
        assert name and tag and tag != "latest" and re.search(r"\d", tag), image
    for service in ("postgres:", "linkwatch:", "prometheus:", "grafana:"):
        assert re.search(rf"^  {service}$", compose, re.M), service
    assert "env_file: linkwatch.env" in compose
    assert "PASSWORD: change" not in compose and "TOKEN: change" not in compose
    example = (DEPLOY / "linkwatch.env.example").read_text()
    for variable in re.findall(r"\$\{(\w+)", compose):
        assert re.search(rf"^{variable}=", example, re.M), variable
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "chromium" in dockerfile and re.search(r"^FROM \S+:\S*\d", dockerfile, re.M)


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    unit = (DEPLOY / "systemd" / "linkwatch.service").read_text()
    assert "ExecStart=/opt/linkwatch/bin/linkwatch serve" in unit
    assert "ProtectSystem=strict" in unit and "NoNewPrivileges=yes" in unit
    # the binary and the env file are not installed here: point at ones that exist
    copy = tmp_path / "linkwatch.service"
    copy.write_text(unit.replace("/opt/linkwatch/bin/linkwatch", "/bin/true")
                    .replace("EnvironmentFile=/etc/linkwatch/linkwatch.env",
                             f"EnvironmentFile={DEPLOY / 'systemd' / 'linkwatch.env'}"))
    result = subprocess.run([analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


def bump_counters(engine: Engine) -> int:
    """Trouble after the first scrape: mostly failing checks, links lost, a failed Slack delivery."""
    checks = ([{"state": "error", "rendered": False, "duration_seconds": 12.0, "bytes_received": 0}] * 30
              + [{"state": "live", "rendered": False, "duration_seconds": 0.4, "bytes_received": 20_000}] * 10
              + [{"state": "live", "rendered": True, "duration_seconds": 3.0, "bytes_received": 90_000}] * 5)
    with db.session(engine) as session:
        metric_counts.record_checks(session, checks)
        metric_counts.record_events(session, [(OWN, "lost")] * 20 + [(OWN, "new")] * 2 + [(RIVAL, "lost")] * 7)
        session.add(Delivery(channel="slack", status="failed", started_at=datetime.now(UTC),
                             finished_at=datetime.now(UTC), error="HTTP 500"))
    return len(checks)


def finite(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(item["value"][1])) for item in result)


def test_every_panel_and_alert_expression_returns_data(
        tmp_path: Path, linkwatch_serve: ServedMetrics,
        prometheus_server: Callable[[str], PrometheusServer]) -> None:
    """`linkwatch serve` on the seeded store, scraped by Prometheus with the shipped config and rules."""
    engine = linkwatch_serve.engine
    token = tmp_path / "token"
    token.write_text(linkwatch_serve.token)
    prometheus = prometheus_server(render_prometheus_config(linkwatch_serve.address, token))
    prometheus.wait_for('up{job="linkwatch"} == 1')  # scraped, with the bearer token
    seeded = float(prometheus.wait_for("sum(linkwatch_checks_total)")[0]["value"][1])
    added = bump_counters(engine)
    prometheus.wait_for(f"sum(linkwatch_checks_total) >= {seeded + added}")

    names = {item["metric"]["__name__"] for item in prometheus.query('count by (__name__) ({job="linkwatch"})')}
    own = {name for name in names if not name.startswith(("scrape_", "up"))}
    assert own and all(name.startswith("linkwatch_") for name in own), own  # serve exposes only linkwatch_*

    for title, expr in dashboard_expressions():
        result = prometheus.query(substitute(expr))
        assert result and finite(result), f"panel {title!r}: no data for {expr}"
    _velocity_by_role(prometheus)
    sites = prometheus.api("label/site/values", **{"match[]": "linkwatch_backlinks"})
    assert OWN in sites  # the dashboard's $site variable: label_values(linkwatch_backlinks, site)

    rules = [rule for group in prometheus.api("rules")["groups"] for rule in group["rules"]]
    assert {rule["name"] for rule in rules} == ALERTS
    for rule in rules:
        assert prometheus.query(rule["query"]), f"alert {rule['name']}: no data for {rule['query']}"
    deadline = time.monotonic() + 20
    while True:  # Prometheus itself evaluates every rule and holds every alert (pending or firing)
        active = {item["metric"]["alertname"] for item in prometheus.query("ALERTS")}
        if active == ALERTS or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert active == ALERTS
    assert all(rule["health"] == "ok" for group in prometheus.api("rules")["groups"] for rule in group["rules"])


def _velocity_by_role(prometheus: PrometheusServer) -> None:
    """The velocity panel's Role filter: a competitor's losses are counted apart, and All is own + competitor."""
    lost = next(expr for title, expr in dashboard_expressions() if title == VELOCITY and "lost" in expr)

    def value(role: str) -> float:
        return float(prometheus.query(substitute(lost, site=".*", role=role))[0]["value"][1])

    own, competitor, both = value("own"), value("competitor"), value(".*")
    assert own < 0 and competitor < 0, (own, competitor)
    assert 0.25 < competitor / own < 0.5, (own, competitor)  # 7 lost against 20, as bump_counters made them
    # increase() extrapolates to the moment of each query: the three answers agree to well within 1%
    assert math.isclose(both, own + competitor, rel_tol=0.01), (own, competitor, both)
