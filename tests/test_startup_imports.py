"""Commands load what they use, when they use it (the start-up time of docs/performance.md).

In a fresh interpreter: `linkwatch --help` and `linkwatch CMD --help` for every command and subcommand
load no database (SQLAlchemy, Alembic, monitor.store), no Redis and no crawl stack; `linkwatch check`
(a whole run, crawl child included) loads no SQLAlchemy or Alembic in the parent, and its crawl
child, with `--render auto` and a page that has its followed link, loads no Playwright or
scrapy-playwright (crawler.render_download) and no tldextract or requests (crawler.settings'
middleware bases, which leave out only middlewares that would not run).  `linkwatch links` on a
database whose schema is current loads no Alembic, no PostgreSQL dialect and no tldextract (nor the
requests it imports).  A control shows the probe sees the database when a command does use it (the
first `linkwatch links`, which creates the database through Alembic).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.core.types import PageJob, RenderMode
from monitor.core.wire import job_to_json, observation_from_json, settings_to_json
from tests.fixtures_site import TestSite

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "alembic", "psycopg", "redis", "monitor.store", "scrapy", "twisted", "playwright", "openpyxl")

PROBE = """
import argparse, contextlib, io, json, sys
from monitor.cli.main import build_parser, main

def commands(parser, path):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield [*path, name]
                yield from commands(sub, [*path, name])

runs = json.loads(sys.argv[1])
if runs == "every --help":
    runs = [["--help"]] + [[*path, "--help"] for path in commands(build_parser(), [])]
codes = []
for argv in runs:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            codes.append(main(argv))
        except SystemExit as exc:
            codes.append(exc.code)
print(json.dumps({"runs": runs, "codes": codes, "modules": sorted(sys.modules)}))
"""


def probe(runs: object, tmp_path: Path) -> dict:
    """Run `main(argv)` for each argv of `runs` in one fresh interpreter: the exit codes and the modules loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path),
               LINKWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'probe.db'}")
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(runs)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def heavy(modules: list[str]) -> list[str]:
    return sorted({h for h in HEAVY for m in modules if m == h or m.startswith(h + ".")})


def test_help_of_every_command_loads_no_database_redis_or_crawl_stack(tmp_path: Path) -> None:
    found = probe("every --help", tmp_path)
    assert found["codes"] == [0] * len(found["runs"])
    assert ["check", "--help"] in found["runs"] and ["disavow", "export", "--help"] in found["runs"]
    assert len(found["runs"]) >= 20
    assert heavy(found["modules"]) == []


@pytest.mark.crawl  # it starts the crawl child (the SSRF guard answers, no page server)
def test_check_loads_no_database_in_the_parent(tmp_path: Path) -> None:
    # 127.0.0.1 is refused by the SSRF guard (no allow_private): a verdict without a page server
    found = probe([["check", "http://127.0.0.1:9/", "--target", "example.com", "--json"]], tmp_path)
    assert found["codes"] == [0]
    assert "monitor.crawl.child" in found["modules"]
    assert heavy(found["modules"]) == []


ADD = ["add", "https://blog.example.org/post", "--target", "example.com"]


def test_the_probe_sees_the_database_of_a_command_that_uses_it(tmp_path: Path) -> None:
    found = probe([ADD], tmp_path)  # creates the database
    assert found["codes"] == [0]
    assert {"sqlalchemy", "alembic", "monitor.store"} <= set(heavy(found["modules"]))


def test_links_on_a_current_database_loads_no_alembic(tmp_path: Path) -> None:
    probe([ADD], tmp_path)  # creates the database
    found = probe([["links"]], tmp_path)
    assert found["codes"] == [0]
    assert "sqlalchemy" in heavy(found["modules"])
    unused = ("alembic", "sqlalchemy.dialects.postgresql", "tldextract", "requests")
    assert [m for m in found["modules"] if m in unused or m.startswith(tuple(u + "." for u in unused))] == []


CHILD = """
import atexit, json, runpy, sys
modules_file = sys.argv[1]
atexit.register(lambda: open(modules_file, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["crawler", "check"]
runpy.run_module("crawler", run_name="__main__", alter_sys=True)
"""


def test_the_check_child_of_a_page_with_its_followed_link_loads_no_browser(site: TestSite, tmp_path: Path) -> None:
    url = site.set_page("/post", '<p><a href="https://example.com/x">example</a></p>')
    job = PageJob(url, ("example.com",), RenderMode.AUTO)
    lines = [settings_to_json(Settings(allow_private=True)), job_to_json(job)]
    modules_file = tmp_path / "modules.json"
    result = subprocess.run([sys.executable, "-P", "-c", CHILD, str(modules_file)], input="\n".join(lines) + "\n",
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    observation = observation_from_json(result.stdout)
    assert [(link.href, link.follow) for link in observation.links] == [("https://example.com/x", True)]
    assert not observation.rendered
    modules = json.loads(modules_file.read_text())
    assert "scrapy" in modules and "crawler.render_download" in modules  # the render-capable handler ran
    unused = ("playwright", "scrapy_playwright", "crawler.render_handler", "tldextract", "requests")
    assert [m for m in modules if m in unused or m.startswith(tuple(u + "." for u in unused))] == []


def active_middlewares(values: dict) -> dict[str, list[str]]:
    """The middlewares Scrapy builds for these settings, in order (those raising NotConfigured left out)."""
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.conf import build_component_list
    from scrapy.utils.misc import build_from_crawler, load_object
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict=values)
    active: dict[str, list[str]] = {}
    for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES"):
        active[name] = []
        for path in build_component_list(crawler.settings.getwithbase(name)):
            try:
                build_from_crawler(load_object(path), crawler)
            except NotConfigured:
                continue
            active[name].append(path)
    return active


#: what the settings disabled (None) before the bases left out UNUSED_MIDDLEWARES; the other unused ones were
#: turned off by settings (RETRY_ENABLED, METAREFRESH_ENABLED, COOKIES_ENABLED, HTTPCACHE_ENABLED)
DISABLED = ("scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware",
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware",
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware",
            "scrapy.downloadermiddlewares.stats.DownloaderStats",
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware", "scrapy.spidermiddlewares.depth.DepthMiddleware",
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware")


def test_the_middleware_bases_leave_out_only_middlewares_that_would_not_run() -> None:
    from scrapy.settings import default_settings

    from crawler.settings import UNUSED_MIDDLEWARES, scrapy_settings

    values = scrapy_settings(Settings(), render=False)
    before = dict(values)  # Scrapy's own bases, as the settings had them before
    for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES"):
        before[f"{name}_BASE"] = dict(getattr(default_settings, f"{name}_BASE"))
        before[name] = {**values.get(name, {}), **{path: None for path in DISABLED if path in before[f"{name}_BASE"]}}
    ours = active_middlewares(values)
    assert ours == active_middlewares(before)
    assert "crawler.robots.RobotsMiddleware" in ours["DOWNLOADER_MIDDLEWARES"]
    assert not UNUSED_MIDDLEWARES & {*ours["DOWNLOADER_MIDDLEWARES"], *ours["SPIDER_MIDDLEWARES"]}
