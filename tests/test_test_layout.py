"""The layout of the tests themselves: a test module takes what it shares from `tests/support` (helpers) or a
`tests/fixtures_*` plugin (fixtures, loaded by tests/conftest.py), never from another test module, and nothing
imports the removed `tests.fixtures_check` or `tests.read_scenario` (now tests/support/cli.py and
tests/support/scenario.py).  Read with `ast`, without importing anything."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REMOVED = ("tests.fixtures_check", "tests.read_scenario")


def _forbidden(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return (module.startswith("tests.") and module.count(".") == 1 and last.startswith("test_")) \
        or any(module == name or module.startswith(name + ".") for name in REMOVED)


def forbidden_imports(source: str, package: str = "tests") -> list[str]:
    """The modules `source` (a module of `package`) imports that no test may: `tests.test_*` and the removed
    modules, however written (`import`, `from ... import`, `from tests import test_x`, relative)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [f"line {node.lineno}: {name}" for name in names if _forbidden(name)]
    return found


def test_no_test_module_imports_another_or_a_removed_one() -> None:
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS)
        package = ".".join(("tests", *relative.parent.parts))
        if found := forbidden_imports(path.read_text(encoding="utf-8"), package):
            offenders[str(relative)] = found
    assert offenders == {}, "import shared helpers from tests/support, fixtures from tests/fixtures_*.py"


def test_the_check_sees_each_way_of_writing_it() -> None:
    bad = ["from tests.test_import import run", "import tests.test_serve", "from tests import test_alerts_cli",
           "from .test_web_api import seeded", f"from {REMOVED[0]} import run_check",
           f"import {REMOVED[1]}", "def f():\n    from tests.test_ingest import T0\n"]
    for source in bad:
        assert forbidden_imports(source), source
    assert forbidden_imports("from ..test_x import y", "tests.support")
    good = ["from tests.support.cli import linkwatch", "from tests.fixtures_web import Served",
            "from tests import support", "import tests.support.store", "from .support.pages import page"]
    for source in good:
        assert not forbidden_imports(source), source
