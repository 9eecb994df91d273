"""The two test loops: markers from the fixtures a test uses, and `--fast`, the tier `make check` runs.

At collection every test that uses a fixture starting a database server, Redis, Prometheus, Chromium or a
page server to crawl gets that fixture's marker (postgres, redis, prometheus, chromium, crawl), so a new
test is placed by what it uses, not by remembering to mark it.  `--fast` deselects the tests with any of
TIER_MARKERS and guards the rest: starting a crawl child, a browser or a server anywhere in a test's process
tree (a `linkwatch run` through the CLI, say) fails that test (tests/support/spawn_guard), so a test that
crawls without a marked fixture is caught rather than slowing the fast loop down; mark it by hand.

For `make test` under xdist (`--dist loadgroup`), the tests of a module with a module-scoped fixture (one
`linkwatch check` of many pages, say) share an xdist_group, so that fixture runs once, on one worker.
Tests marked `serial` run after the others, alone (Makefile).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURE_MARKERS = {
    "postgres_server": "postgres", "restartable_postgres": "postgres",
    "redis_url": "redis",
    "prometheus_server": "prometheus",
    "chromium_browser": "chromium",
    "site": "crawl", "shared_site": "crawl", "hostile_server": "crawl", "worker_farm": "crawl",
    "web_serve": "crawl",  # a `linkwatch serve`, which starts crawl children
}
TIER_MARKERS = ("crawl", "chromium", "postgres", "redis", "prometheus", "slow")
GUARD = Path(__file__).parent / "support" / "spawn_guard"
_log: Path | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fast", action="store_true",
                     help=f"the fast tier: leave out tests marked {', '.join(TIER_MARKERS)}; fail a test that "
                     "starts a crawl child, a browser or a server anyway")


def pytest_configure(config: pytest.Config) -> None:
    global _log
    if not config.getoption("--fast"):
        return
    handle, name = tempfile.mkstemp(prefix="linkwatch-spawn-guard-")
    os.close(handle)
    _log = Path(name)
    os.environ["TESTS_SPAWN_GUARD_LOG"] = name
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(GUARD), os.environ.get("PYTHONPATH")) if p)
    if getattr(sys.modules.get("sitecustomize"), "INSTALLED", False):
        return  # an xdist worker, started with the guard on PYTHONPATH: its hook logs to `name` from now on
    from tests.support.spawn_guard.sitecustomize import install

    install(name)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _log is not None:
        _log.unlink(missing_ok=True)


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the xdist_group markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in FIXTURE_MARKERS:
                item.add_marker(FIXTURE_MARKERS[fixture])
        if _uses_a_module_fixture(item):  # one xdist worker sets it up once for the module, not one per worker
            item.add_marker(pytest.mark.xdist_group(item.module.__name__ if item.module else item.nodeid))
    if not config.getoption("--fast"):
        return
    kept, deselected = [], []
    for item in items:
        (deselected if any(item.get_closest_marker(m) for m in TIER_MARKERS) else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _uses_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    return info is not None and any(d.scope == "module" for defs in info.name2fixturedefs.values() for d in defs)


@pytest.fixture(autouse=True)
def _spawn_guard() -> Iterator[None]:
    """Under --fast: fail the test if it (or a process it started) tried to start what the tier leaves out."""
    if _log is None:
        yield
        return
    before = _log.stat().st_size
    yield
    with open(_log) as handle:
        handle.seek(before)
        attempts = handle.read()
    if attempts:
        pytest.fail("started what the fast tier leaves out (mark the test, tests/fixtures_tiers.py):\n"
                    + attempts, pytrace=False)
