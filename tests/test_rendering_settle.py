"""Rendering waits for the page to settle after `load`: links a script adds later are read, not called lost.

`linkwatch check` runs as a process with Debian's Chromium against local pages whose scripts add their
link from a `fetch()`, an XHR, a chain of two requests or a timer, after `load`; pages that keep an
EventSource or a long-poll open do not hold a render for the whole settle budget once their link is
there; a page whose API never answers is `render incomplete` (an error), never `lost`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.support.cli import results_by_url, run_check
from tests.support.pages import TestSite, document

T = "example.com"

pytestmark = [pytest.mark.chromium,
              pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")]

ADD_LINKS = ("function addLinks(hrefs) { for (const h of hrefs) { const a = document.createElement('a'); "
             "a.href = h; a.textContent = 'from the api'; document.body.appendChild(a); } }")


def fetched(path: str) -> str:
    """A script that, once the page has loaded, fetches a JSON list of hrefs from `path` and adds them."""
    return f"addEventListener('load', () => fetch('{path}').then(r => r.json()).then(addLinks));"


def api_page(site: TestSite, path: str, script: str) -> str:
    return site.set_page(path, document("<p>widget</p>", f"<script>{ADD_LINKS}{script}</script>"))


def api(site: TestSite, path: str, body: object, delay: float = 0.0) -> None:
    site.set_page(path, json.dumps(body), content_type="application/json", delay=delay)


def check(urls: list[str], tmp_path: Path, render: str = "always", **env: str) -> dict[str, dict[str, object]]:
    return results_by_url(run_check([*urls, "--target", T, "--render", render, "--timeout", "20", "--json"],
                                    tmp_path, **env))


def test_links_added_after_load_by_fetch_xhr_chains_and_timers_are_read(site: TestSite, tmp_path: Path) -> None:
    link = ["https://example.com/api"]
    urls = {}
    for name, delay in (("fetch-0.2", 0.2), ("fetch-1", 1.0), ("fetch-2.5", 2.5)):
        api(site, f"/api/{name}", link, delay)
        urls[name] = api_page(site, f"/{name}", fetched(f"/api/{name}"))
    api(site, "/api/chain1", {"next": "/api/chain2"}, 0.5)
    api(site, "/api/chain2", link, 0.5)
    urls["chain"] = api_page(site, "/chain", "addEventListener('load', () => fetch('/api/chain1')"
                             ".then(r => r.json()).then(j => fetch(j.next)).then(r => r.json()).then(addLinks));")
    urls["timer"] = api_page(site, "/timer", "setTimeout(() => addLinks(['https://example.com/api']), 1000);")
    api(site, "/api/xhr", link, 0.7)
    urls["xhr"] = api_page(site, "/xhr", "addEventListener('load', () => { const x = new XMLHttpRequest(); "
                           "x.open('GET', '/api/xhr'); x.onload = () => addLinks(JSON.parse(x.responseText)); "
                           "x.send(); });")
    # nofollow at `load`, made followed by the API's answer: the early stop must not read the link as final
    urls["upgraded"] = site.set_page("/upgraded", document(
        '<a href="https://example.com/api" rel="nofollow">x</a>', "<script>addEventListener('load', () => "
        "fetch('/api/fetch-1').then(() => document.querySelector('a').removeAttribute('rel')));</script>"))
    api(site, "/api/empty", [], 0.3)
    empty = api_page(site, "/empty", fetched("/api/empty"))
    results = check([*urls.values(), empty], tmp_path)
    verdicts = {name: (results[url]["state"], results[url]["rendered"]) for name, url in urls.items()}
    assert verdicts == {name: ("live", True) for name in urls}
    assert results[urls["chain"]]["links"][0]["href"] == "https://example.com/api"  # type: ignore[index]
    # the API answered with no link: the render settled, so the miss is real
    assert (results[empty]["state"], results[empty]["error"]) == ("lost", None)


@pytest.mark.serial  # bounds a check's wall time by the settle budget: alone, after the rest (Makefile)
def test_open_event_streams_and_long_polls_do_not_hold_a_render(site: TestSite, tmp_path: Path) -> None:
    site.set_held("/events", "data: hello\n\n", "text/event-stream")
    api(site, "/poll", [], delay=60)  # a long-poll that never answers
    api(site, "/api/links", ["https://example.com/api"], 0.3)
    stream = "new EventSource('/events');"
    with_stream = api_page(site, "/stream/link", stream + fetched("/api/links"))
    stream_only = api_page(site, "/stream/nolink", stream)
    with_poll = api_page(site, "/poll/link", "addEventListener('load', () => fetch('/poll'));" + fetched("/api/links"))
    started = time.monotonic()
    # one render at a time and a 10 s settle budget: a render held for its whole budget would take 10 s
    results = check([with_stream, stream_only, with_poll], tmp_path, LINKWATCH_RENDER_SETTLE="10",
                    LINKWATCH_RENDER_CONCURRENCY="1")
    assert time.monotonic() - started < 10
    assert results[with_stream]["state"] == "live" and results[with_poll]["state"] == "live"
    # an EventSource is not waited for: the page settled without a link, a real miss
    assert (results[stream_only]["state"], results[stream_only]["rendered"]) == ("lost", True)


@pytest.mark.serial  # bounds a check's wall time by the settle budget: alone, after the rest (Makefile)
@pytest.mark.parametrize("render", ["always", "auto"])
def test_an_api_that_never_answers_is_render_incomplete_never_lost(site: TestSite, tmp_path: Path,
                                                                    render: str) -> None:
    api(site, "/api/never", [], delay=60)
    url = api_page(site, "/never", fetched("/api/never"))
    started = time.monotonic()
    result = check([url], tmp_path, render, LINKWATCH_RENDER_SETTLE="3")[url]
    assert time.monotonic() - started < 15, "bounded by the settle budget"
    assert result["state"] == "error"
    assert "render incomplete: the page was still loading after 3 s" in str(result["error"])


def test_the_same_page_checked_ten_times_gets_the_same_verdict(site: TestSite, tmp_path: Path) -> None:
    # the API is fast, so it answers about when `load` fires: reading at `load` flipped between live and lost
    api(site, "/api/fast", ["https://example.com/api"], 0.1)
    api_page(site, "/fast", "fetch('/api/fast').then(r => r.json()).then(addLinks);")
    urls = [site.url(f"/fast?n={n}") for n in range(10)]
    results = check(urls, tmp_path)
    assert [results[url]["state"] for url in urls] == ["live"] * 10
