"""The crawl child opens no control server of Scrapy's: neither the telnet console nor Scrapy 2.19's
remote control (an HTTP server that runs the Python code it is sent), whose job file would land
in ~/.local/state/scrapy/job_files."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import environment, linkwatch
from tests.support.pages import LINK, TestSite, page


def test_a_run_opens_no_remote_control_server(site: TestSite, database_url: str,
                                                             tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)  # HOME is tmp_path
    env.pop("XDG_STATE_HOME", None)
    env["LINKWATCH_RENDER"] = "never"
    linkwatch(env, "add", site.set_page("/page", page(LINK)), "--target", "mysite.com")
    result = linkwatch(env, "-v", "run", "--once", "--all")
    assert "on the pages: 1 followed" in result.stdout
    assert not (tmp_path / ".local" / "state" / "scrapy").exists()
