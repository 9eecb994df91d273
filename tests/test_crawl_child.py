"""The process boundary: wire codecs round-trip, the crawler child streams observations, dies cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from monitor.config import AlertRoute, IntervalRule, Settings, SiteConfig
from monitor.core.types import (
    FetchStatus,
    ObservedLink,
    PageDirectives,
    PageJob,
    PageObservation,
    RenderMode,
)
from monitor.core.wire import (
    job_from_json,
    job_to_json,
    observation_from_json,
    observation_to_json,
    settings_from_json,
    settings_to_json,
)
from monitor.crawl.child import crawl
from tests.support.cli import LINKWATCH
from tests.support.pages import TestSite


def test_wire_round_trips_exactly() -> None:
    settings = Settings(resolve=(("a.test", "127.0.0.1"),), alert_routes=(AlertRoute("slack"),),
                        sites=(SiteConfig("x.com", brand_terms=("x",)),), interval_rules=(IntervalRule(60.0, tag="t"),),
                        render=RenderMode.NEVER, allow_private=True)
    assert settings_from_json(settings_to_json(settings)) == settings
    job = PageJob("https://a.test/p", ("example.com", "https://example.com/x"), RenderMode.ALWAYS, '"etag"',
                  "Tue, 01 Sep 2026 00:00:00 GMT", (3, 4))
    assert job_from_json(job_to_json(job)) == job
    observation = PageObservation(
        "https://a.test/p", "https://a.test/q", FetchStatus.OK, 200, None,
        PageDirectives(True, False, "https://a.test/c", ("header",), ()),
        (ObservedLink("https://example.com/", ("nofollow",), "an\nchor", False, "example.com"),),
        rendered=True, redirects=("https://a.test/q",), duration_seconds=1.5, bytes_received=10,
        fetched_at=datetime(2026, 9, 1, 12, 0, tzinfo=UTC), etag='"e"')
    text = observation_to_json(observation)
    assert "\n" not in text and json.loads(text)["fetched_at"] == "2026-09-01T12:00:00+00:00"
    assert observation_from_json(text) == observation


def test_crawl_yields_one_observation_per_job(site: TestSite) -> None:
    url = site.set_page("/a", '<a href="https://example.com/">x</a>')
    settings = Settings(allow_private=True, delay=0.0, per_domain=8)
    jobs = [PageJob(url, ("example.com",), RenderMode.NEVER), PageJob(url, ("example.com",), RenderMode.NEVER),
            PageJob(site.url("/missing"), ("example.com",), RenderMode.NEVER)]
    observations = list(crawl(settings, jobs))
    assert sorted((o.url, o.fetch) for o in observations) == sorted(
        [(url, FetchStatus.OK), (url, FetchStatus.OK), (site.url("/missing"), FetchStatus.GONE)])
    ok = next(o for o in observations if o.fetch is FetchStatus.OK)
    assert [link.href for link in ok.links] == ["https://example.com/"] and ok.fetched_at is not None


def test_interrupting_check_stops_the_crawler_child(site: TestSite, tmp_path: Path) -> None:
    url = site.set_page("/slow", "<p>slow</p>", delay=60)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), LINKWATCH_ALLOW_PRIVATE="1", LINKWATCH_DELAY="0")
    parent = subprocess.Popen([*LINKWATCH, "check", url, "--target", "example.com",
                               "--render", "never", "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while ("127.0.0.1", "/slow") not in site.requests:  # wait until the child is fetching
            assert parent.poll() is None and time.monotonic() < deadline, parent.stderr and parent.stderr.read()
            time.sleep(0.05)
        children = psutil.Process(parent.pid).children(recursive=True)
        assert children
        parent.send_signal(signal.SIGINT)
        _out, err = parent.communicate(timeout=30)
        assert parent.returncode == 130
        assert "Traceback" not in err
        psutil.wait_procs(children, timeout=15)
        assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    finally:
        if parent.poll() is None:
            parent.kill()
