"""`[log] level` (LINKWATCH_LOG_LEVEL) and `-v`: which lines a command and its crawl child log.

`serve` and `worker` log at the configured level (INFO by default); every other command logs
warnings only, whatever the setting; `-v` means DEBUG for any command, its crawl child included.
Scrapy's own loggers stay at WARNING: no per-request "Crawled (200)" line, no settings dump.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store.db import connect, session
from monitor.store.models import Backlink
from tests.support.cli import environment, linkwatch, serve_until
from tests.support.pages import LINK, TestSite, page

DEEP = "<div>" * 3000 + LINK + "</div>" * 3000  # past crawler.flatten's cap: the child logs a DEBUG line
CHILD_DEBUG = "flattened markup nested deeper than"
FRAMEWORK_LINES = ("Crawled (200)", "Overridden settings", "Spider opened", "scrapy.core.engine")


def test_only_verbose_brings_the_crawl_childs_debug_lines_and_never_scrapys(site: TestSite, database_url: str,
                                                                          tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)
    env["LINKWATCH_RENDER"] = "never"
    linkwatch(env, "add", site.set_page("/deep", page(DEEP)), "--target", "mysite.com")
    plain = linkwatch(env, "run", "--once", "--all")
    env["LINKWATCH_LOG_LEVEL"] = "debug"  # for serve and worker: `run` still logs warnings only
    configured = linkwatch(env, "run", "--once", "--all")
    verbose = linkwatch(env, "-v", "run", "--once", "--all")
    assert CHILD_DEBUG in verbose.stderr, verbose.stderr[-2000:]
    assert CHILD_DEBUG not in plain.stderr + configured.stderr
    for result in (plain, configured, verbose):
        assert not [line for line in FRAMEWORK_LINES if line in result.stderr], result.stderr[-2000:]


@pytest.mark.crawl  # a crawl of a closed port: no page server to mark it
def test_the_crawl_childs_warnings_reach_a_runs_stderr(database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)
    env.pop("LINKWATCH_ALLOW_PRIVATE")
    env["LINKWATCH_RENDER"] = "never"
    linkwatch(env, "add", "http://localhost:9/page", "--target", "mysite.com")
    result = linkwatch(env, "run", "--once", "--all")
    assert "on the pages: 1 blocked by the site" in result.stdout
    assert "WARNING monitor.crawl.runs: crawler: " in result.stderr  # re-logged at the child's level (was: debug)
    assert "[crawler.ssrf] WARNING: refused localhost: it resolves to a loopback address" in result.stderr


def _checked(database_url: str) -> bool:
    engine = connect(database_url)
    try:
        with session(engine) as s:
            return s.scalar(select(Backlink.last_checked)) is not None
    finally:
        engine.dispose()


def _serve_log(env: dict[str, str], log: Path, database_url: str) -> str:
    """Start serve, stop it with SIGTERM once it checked the backlink, and return what it logged."""
    def done(logged: str) -> bool:
        if not (re.search(r"on http://127\.0\.0\.1:\d+", logged) and _checked(database_url)):
            return False
        time.sleep(0.5)  # the child's last lines
        return True

    return serve_until(env, log, done, 120)


@pytest.mark.crawl  # a crawl of a closed port: no page server to mark it
def test_serve_and_its_crawl_child_log_at_the_configured_level(database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)
    env["LINKWATCH_RENDER"] = "never"
    stopping = "INFO monitor.cli.serve: serve: SIGTERM received, stopping"
    robots = "[crawler.robots] INFO: robots.txt of http://127.0.0.1:9 unreachable"  # logged by the crawl child
    linkwatch(env, "add", "http://127.0.0.1:9/page", "--target", "mysite.com")  # nothing listens on port 9
    env["LINKWATCH_LOG_LEVEL"] = "debug"  # the child's info lines are serve's debug (tests/test_serve_log.py: info)
    debug = _serve_log(env, tmp_path / "debug.log", database_url)
    assert stopping in debug and robots in debug, debug[-3000:]
    linkwatch(env, "remove", "http://127.0.0.1:9/page")
    linkwatch(env, "add", "http://127.0.0.1:9/other", "--target", "mysite.com")
    env["LINKWATCH_LOG_LEVEL"] = "warning"
    warning = _serve_log(env, tmp_path / "warning.log", database_url)
    assert stopping not in warning and "robots.txt of" not in warning, warning[-3000:]


def test_an_unknown_level_is_a_one_line_error(database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)
    env["LINKWATCH_LOG_LEVEL"] = "loud"
    result = linkwatch(env, "links", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "linkwatch: error: [log] level: expected one of debug, info, warning, error, critical, got 'loud' "
        "(from LINKWATCH_LOG_LEVEL)"]
