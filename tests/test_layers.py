"""The layer rules of docs/architecture.md, checked by importing the modules in a fresh interpreter.

- the CLI entry point, the service and every `monitor` module load no Scrapy, Twisted or Playwright (the
  crawl runs in the child process), and no module of `monitor` imports `crawler`;
- every `alerts` module loads no SQLAlchemy and nothing of `monitor.store`: no database;
- `monitor.core` loads no SQLAlchemy: no database.
Each probe names the module whose import first loaded a forbidden one, and a control probe shows that the
probe does see a forbidden import when there is one.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRAWL_STACK = ("scrapy", "twisted", "playwright", "scrapy_playwright", "scrapy_redis", "crawler")
DATABASE = ("sqlalchemy", "alembic", "psycopg", "monitor.store")

PROBE = """
import importlib, json, pkgutil, sys
first, forbidden = json.loads(sys.argv[1]), tuple(json.loads(sys.argv[2]))

def hits():
    return {f for f in forbidden for m in sys.modules if m == f or m.startswith(f + ".")}

names = list(first)
for package in json.loads(sys.argv[3]):
    names.append(package)
    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        if not info.name.startswith("monitor.migrations") and not info.name.endswith("__main__"):
            names.append(info.name)
culprits = {}
for name in names:
    before = hits()
    importlib.import_module(name)
    if hits() - before:
        culprits[name] = sorted(hits() - before)
print(json.dumps({"imported": names, "culprits": culprits}))
"""


def probe(first: list[str], forbidden: tuple[str, ...], walk: list[str]) -> dict:
    """Import `first`, then every module of the `walk` packages, in a fresh interpreter; which loaded what."""
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(first), json.dumps(forbidden), json.dumps(walk)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_the_cli_the_service_and_every_monitor_module_load_no_crawl_stack() -> None:
    found = probe(["monitor.cli.main", "monitor.service.loop"], CRAWL_STACK, ["monitor"])
    assert found["culprits"] == {}
    assert {"monitor.cli.run", "monitor.crawl.child", "monitor.notify.dispatcher", "monitor.store.ingest",
            "monitor.service.metrics", "monitor.core.verdict"} <= set(found["imported"])


def test_every_alerts_module_loads_no_database() -> None:
    found = probe([], DATABASE, ["alerts"])
    assert found["culprits"] == {}
    assert {"alerts.message", "alerts.slack", "alerts.email"} <= set(found["imported"])


def test_the_core_loads_no_database() -> None:
    found = probe([], DATABASE, ["monitor.core"])
    assert found["culprits"] == {}
    assert {"monitor.core.types", "monitor.core.wire", "monitor.core.changes"} <= set(found["imported"])


def test_the_probe_sees_a_forbidden_import() -> None:
    found = probe(["crawler.outcome", "monitor.store.db"], (*CRAWL_STACK, *DATABASE), [])
    assert "scrapy" in found["culprits"]["crawler.outcome"]
    assert "sqlalchemy" in found["culprits"]["monitor.store.db"]


def test_no_monitor_module_imports_the_crawler() -> None:
    """Also imports inside functions, which the import probes cannot see until the function runs."""
    offenders = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n == "crawler" or n.startswith("crawler.")]
    assert offenders == []
