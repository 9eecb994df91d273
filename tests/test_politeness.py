"""Politeness within one crawl (docs/check.md, "Fetching"): robots.txt does not start a host's delay clock,
the pages of one host stay `delay` apart.

Scrapy spaces two requests of one download slot by `delay` times a random factor in [0.5, 1.5]
(AutoThrottle only raises it), so the pages' lower bound is half the delay.  Across `linkwatch worker`s,
where robots.txt does take a turn: tests/test_workers.py.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from monitor.config import Settings
from monitor.core.types import FetchStatus, PageJob, RenderMode
from monitor.crawl.child import crawl
from tests.fixtures_site import TestSite

DELAY = 3.0


def timed_requests(site: TestSite, monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, str]]:
    """(monotonic time, path) of every request the site receives from now on."""
    seen: list[tuple[float, str]] = []
    lookup = site.lookup

    def record(host: str, path: str) -> Any:
        seen.append((time.monotonic(), path))
        return lookup(host, path)

    monkeypatch.setattr(site, "lookup", record)
    return seen


@pytest.mark.timeout(120)
def test_robots_txt_does_not_delay_the_first_page_and_pages_stay_apart(
        site: TestSite, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = [site.set_page(f"/p/{n}", '<a href="https://example.com/">x</a>') for n in range(3)]
    seen = timed_requests(site, monkeypatch)
    settings = Settings(allow_private=True, delay=DELAY, per_domain=1, concurrency=4)
    jobs = [PageJob(url, ("example.com",), RenderMode.NEVER) for url in pages]
    assert {o.fetch for o in crawl(settings, jobs)} == {FetchStatus.OK}
    assert [path for _, path in seen][:1] == ["/robots.txt"] and len(seen) == 4
    gaps = [round(b - a, 3) for (a, _), (b, _) in itertools.pairwise(seen)]
    assert gaps[0] < DELAY * 0.25, f"the first page waited after robots.txt: {gaps}"
    assert min(gaps[1:]) >= DELAY * 0.5 - 0.1, f"pages of one host closer than the delay allows: {gaps}"
