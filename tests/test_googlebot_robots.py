"""What Google may crawl: `page.googlebot_allowed` from the robots.txt linkwatch already fetched, read for
`Googlebot` (its own group, else `*`) on every URL of the redirect chain, and stored with every check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crawler.robots import GOOGLEBOT_TOKEN, RobotsRules, chain_allows, rules_from_response
from monitor.config import Settings
from monitor.core.types import FetchStatus, PageObservation, RenderMode
from monitor.crawl.scheduler import iter_due_jobs
from monitor.store import db
from monitor.store.ingest import Ingestor
from monitor.store.models import Check
from tests.support.cli import results_by_url, run_check
from tests.support.pages import TestSite, document, link
from tests.support.store import T0, add_links

T = "example.com"
RULES = ("User-agent: Googlebot\nDisallow: /g\n\n"
         "User-agent: *\nDisallow: /all\nDisallow: /g\n\n"
         "User-agent: linkwatch\nAllow: /\n")


def test_the_googlebot_group_else_star() -> None:
    rules = rules_from_response(200, RULES.encode())
    assert rules.allows("https://a.test/g/page", GOOGLEBOT_TOKEN) is False
    assert rules.allows("https://a.test/all/page", GOOGLEBOT_TOKEN) is True, "its own group replaces *"
    star = rules_from_response(200, b"User-agent: *\nDisallow: /x\n")
    assert star.allows("https://a.test/x/1", GOOGLEBOT_TOKEN) is False
    assert star.allows("https://a.test/y", GOOGLEBOT_TOKEN) is True
    assert rules_from_response(404, b"User-agent: *\nDisallow: /\n").allows("https://a.test/", GOOGLEBOT_TOKEN)
    assert rules_from_response(503, b"").allows("https://a.test/", GOOGLEBOT_TOKEN) is None
    assert RobotsRules(None, "connection refused (fetching robots.txt)").allows("https://a.test/", "x") is None


@pytest.mark.parametrize(("before", "hop", "after"), [
    (True, True, True), (True, False, False), (False, True, False), (True, None, None), (None, True, None),
    (None, False, False), (False, None, False),
])
def test_a_chain_is_allowed_only_if_every_hop_is(before: bool | None, hop: bool | None, after: bool | None) -> None:
    assert chain_allows(before, hop) is after


def test_check_json_says_whether_googlebot_may_crawl_the_page(site: TestSite, tmp_path: Path) -> None:
    for path in ("/g/page", "/all/page", "/ok", "/x/page", "/p"):
        site.set_page(path, document(link()))
    site.set_redirect("/r", "/g/page")
    site.set_redirect("/g/redir", "/ok")
    site.set_robots(RULES, host="rules.test")
    site.set_robots("User-agent: *\nDisallow: /x\n\nUser-agent: linkwatch\nAllow: /\n", host="star.test")
    site.set_robots("User-agent: *\nDisallow: /\n", status=404, host="r404.test")
    site.set_robots("User-agent: *\nAllow: /\n", status=503, host="r503.test")
    site.set_robots("User-agent: linkwatch\nDisallow: /\n", host="lwblock.test")
    hosts = ("rules.test", "star.test", "r404.test", "r503.test", "lwblock.test")
    urls = {name: site.url(path, host) for name, path, host in [
        ("own group", "/g/page", "rules.test"), ("star replaced", "/all/page", "rules.test"),
        ("allowed", "/ok", "rules.test"), ("redirect into", "/r", "rules.test"),
        ("redirect out of", "/g/redir", "rules.test"), ("star", "/x/page", "star.test"),
        ("4xx", "/p", "r404.test"), ("5xx", "/p", "r503.test"), ("linkwatch blocked", "/p", "lwblock.test")]}
    results = results_by_url(run_check([*urls.values(), "--target", T, "--render", "never", "--json"], tmp_path,
                                       LINKWATCH_RESOLVE=",".join(f"{h}:127.0.0.1" for h in hosts)))
    seen = {name: (results[url]["state"], results[url]["page"]["googlebot_allowed"]) for name, url in urls.items()}
    assert seen == {
        "own group": ("live", False), "star replaced": ("live", True), "allowed": ("live", True),
        "redirect into": ("live", False), "redirect out of": ("live", False), "star": ("live", False),
        "4xx": ("live", True), "5xx": ("blocked", None), "linkwatch blocked": ("blocked", True),
    }


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.connect(database_url)
    yield engine
    engine.dispose()


def test_the_flag_is_stored_with_the_check(engine: Engine) -> None:
    add_links(engine, [("https://a.example/p", "mysite.com"), ("https://b.example/p", "mysite.com")])
    settings = Settings(render=RenderMode.NEVER)
    when = T0 + timedelta(hours=1)
    ingestor = Ingestor(engine, settings, None, clock=lambda: when)
    for job, allowed in zip(iter_due_jobs(engine, settings, when), (False, None), strict=True):
        ingestor.add(PageObservation(url=job.url, final_url=job.url, fetch=FetchStatus.OK, http_status=200,
                                     googlebot_allowed=allowed), job.backlink_ids)
    ingestor.flush()
    with db.session(engine) as s:
        assert [c.googlebot_allowed for c in s.scalars(select(Check).order_by(Check.backlink_id))] == [False, None]
