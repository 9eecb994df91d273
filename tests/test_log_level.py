"""`[log] level` (LINKWATCH_LOG_LEVEL) and `-v`: which lines a command and its crawl child log.

`serve` and `worker` log at the configured level (INFO by default); every other command logs
warnings only, whatever the setting; `-v` means DEBUG for any command, its crawl child included.
Scrapy's own loggers stay at WARNING: no per-request "Crawled (200)" line, no settings dump.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures_site import TestSite
from tests.test_monitoring_e2e import LINK, environment, linkwatch, page

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


def _serve_log(env: dict[str, str], log: Path) -> str:
    """Start serve, stop it with SIGTERM once it announced its address, and return what it logged."""
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--metrics-addr", "127.0.0.1:0"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while not re.search(r"on http://127\.0\.0\.1:\d+", log.read_text()):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=90) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return log.read_text()


def test_serve_logs_at_the_configured_level(database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)
    stopping = "INFO monitor.cli.serve: serve: SIGTERM received, stopping"
    assert stopping in _serve_log(env, tmp_path / "info.log")  # INFO by default
    env["LINKWATCH_LOG_LEVEL"] = "warning"
    assert stopping not in _serve_log(env, tmp_path / "warning.log")


def test_an_unknown_level_is_a_one_line_error(database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)
    env["LINKWATCH_LOG_LEVEL"] = "loud"
    result = linkwatch(env, "links", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "linkwatch: error: log.level: expected one of debug, info, warning, error, critical, got 'loud'"]
