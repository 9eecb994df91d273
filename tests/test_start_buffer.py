"""The crawl pulls due jobs only as it has room: memory stays bounded however many backlinks are due.

`LinkSpider.wait_for_room` keeps about `start_buffer_factor` x `concurrency` requests
waiting in Scrapy's scheduler and pulls the next job only then (docs/performance.md:
peak RSS flat from 10k to 100k backlinks rests on it).  A real crawl in a child
process (Twisted's reactor runs once per process) over 300 slow pages on 50 host
names of a local site records how far the job source ran ahead of the observations.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.pages import TestSite

PAGES = 300
HOSTS = 50
CONCURRENCY = 4
BUFFER = 10 * CONCURRENCY  # LinkSpider.start_buffer_factor x concurrency

CHILD = """
import json, sys
from crawler.runner import run_crawl
from monitor.config import Settings
from monitor.core.types import PageJob, RenderMode

port, hosts, pages, concurrency = map(int, sys.argv[1:5])
names = tuple((f"h{i}.test", "127.0.0.1") for i in range(hosts))
settings = Settings(allow_private=True, concurrency=concurrency, per_domain=1, delay=0.0, timeout=30,
                    resolve=names)
state = {"pulled": 0, "observed": 0, "ahead": 0, "fetch": {}}

def jobs():
    for number in range(pages):
        state["ahead"] = max(state["ahead"], state["pulled"] - state["observed"])
        state["pulled"] += 1
        yield PageJob(url=f"http://h{number % hosts}.test:{port}/p/{number}", targets=("mysite.com",),
                      render=RenderMode.NEVER)

def sink(observation):
    state["observed"] += 1
    state["fetch"][str(observation.fetch)] = state["fetch"].get(str(observation.fetch), 0) + 1

run_crawl(settings, jobs(), sink, render=False)
print(json.dumps(state))
"""


@pytest.mark.timeout(180)
def test_jobs_are_pulled_only_as_the_crawl_has_room(site: TestSite) -> None:
    for number in range(PAGES):
        site.set_page(f"/p/{number}", '<a href="https://mysite.com/">mysite</a>', delay=0.05)
    done = subprocess.run([sys.executable, "-c", CHILD, str(site.port), str(HOSTS), str(PAGES), str(CONCURRENCY)],
                          capture_output=True, text=True, timeout=150, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["observed"] == PAGES and state["fetch"] == {"ok": PAGES}, state
    # the buffer is used (the crawl is never starved of requests) and bounded (not every job at once)
    assert BUFFER <= state["ahead"] <= BUFFER + 2 * CONCURRENCY + 2, state
