"""The layer rules of docs/architecture.md, checked by importing the modules in a fresh interpreter.

- the CLI entry point, the service and every `monitor` module load no Scrapy, Twisted or Playwright (the
  crawl runs in the child process), and no module of `monitor` imports `crawler`;
- every `alerts` module loads no SQLAlchemy and nothing of `monitor.store`: no database;
- `monitor.core` loads no SQLAlchemy: no database;
- each package imports only the packages below it (ALLOWED, the table of docs/architecture.md).
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

#: package -> the linkwatch packages it may import (besides itself); monitor.cli and monitor/__main__ may import all
ALLOWED = {
    "alerts": {"monitor.core"},
    "crawler": {"monitor.config", "monitor.core", "monitor.crawl", "monitor.store"},
    "monitor.config": {"monitor.core"},
    "monitor.core": {"monitor.config"},
    "monitor.store": {"monitor.config", "monitor.core"},
    "monitor.crawl": {"monitor.config", "monitor.core", "monitor.store"},
    "monitor.importers": {"monitor.config", "monitor.core", "monitor.store"},
    "monitor.reports": {"monitor.config", "monitor.core", "monitor.store"},
    "monitor.notify": {"alerts", "monitor.config", "monitor.core", "monitor.store"},
    "monitor.service": {"monitor.config", "monitor.core", "monitor.crawl", "monitor.notify", "monitor.store"},
    "monitor.demo": {"monitor.config"},
    # the web interface (monitor/web): everything below the CLI, never the CLI
    "monitor.web": {"alerts", "monitor.config", "monitor.core", "monitor.crawl", "monitor.importers",
                    "monitor.notify", "monitor.reports", "monitor.service", "monitor.store"},
}

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


def package_of(module: str) -> str:
    """`monitor.store.ingest` -> `monitor.store`; `crawler.spider` -> `crawler`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "monitor" and len(parts) > 1 else parts[0]


def imports(path: Path) -> list[str]:
    """Every linkwatch module a file imports, inside functions too (which the probes cannot see)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [f"{node.module}.{a.name}" if node.module == "monitor" else node.module for a in node.names]
    return [name for name in found if name.split(".")[0] in ("monitor", "crawler", "alerts")]


def test_no_monitor_module_imports_the_crawler() -> None:
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in sorted((ROOT / "monitor").rglob("*.py"))
                 for name in imports(path) if package_of(name) == "crawler"]
    assert offenders == []


def test_each_package_imports_only_the_packages_below_it() -> None:
    offenders = []
    for top in ("monitor", "crawler", "alerts"):
        for path in sorted((ROOT / top).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            package = package_of(module)
            if package in ("monitor.cli", "monitor.__main__", "monitor.migrations", "monitor.__init__"):
                continue
            allowed = ALLOWED[package] | {package}
            offenders += [f"{module}: {name}" for name in imports(path) if package_of(name) not in allowed]
    assert offenders == []
