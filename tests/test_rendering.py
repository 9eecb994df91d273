"""Rendering in Chromium, through `linkwatch check` run as a process against the local test site.

What the render pipeline promises: a page waits for a free render slot and its time budget
starts only then (so many pages to render with one slot all render); a browser context is
replaced after `render_pages_per_context` renders (its localStorage goes with it); a page
whose `load` event does not come in time is read as it is, and proves only the links it
has; images, fonts, media and sub-frames are never requested.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.support.cli import results_by_url, run_check
from tests.support.pages import TestSite, document

T = "example.com"

pytestmark = [pytest.mark.chromium,
              pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")]

# a link whose href counts the pages this browser context rendered on this origin (localStorage)
COUNTING_LINK = ('<script>var n = (+localStorage.getItem("n") || 0) + 1; localStorage.setItem("n", n);'
                 'var a = document.createElement("a"); a.href = "https://example.com/visit/" + n;'
                 'a.textContent = "counted"; document.body.appendChild(a);</script>')
INSERTED_LINK = ('<script>var a = document.createElement("a"); a.href = "https://example.com/js";'
                 'a.textContent = "from js"; document.body.appendChild(a);</script>')


def test_queued_renders_get_their_own_budget_and_contexts_are_recycled(site: TestSite, tmp_path: Path) -> None:
    # 9 pages, each held ~1 s by a synchronous script, one render slot, a 5 s budget: rendering them
    # all takes longer than one budget, so a budget started before a slot was free would run out
    urls = []
    for n in range(9):
        site.set_page(f"/slow/{n}.js", "", content_type="application/javascript", delay=1.0)
        urls.append(site.set_page(f"/counted/{n}", document("<p>static</p>" + COUNTING_LINK,
                                                        f'<script src="/slow/{n}.js"></script>')))
    env = {"LINKWATCH_CONCURRENCY": "2", "LINKWATCH_RENDER_CONCURRENCY": "1",
           "LINKWATCH_RENDER_PAGES_PER_CONTEXT": "3"}
    results = results_by_url(run_check([*urls, "--target", T, "--render", "always", "--timeout", "5", "--json"],
                                       tmp_path, **env))
    assert [(r["state"], r["rendered"], r["error"]) for r in results.values()] == [("live", True, None)] * 9
    visits = Counter(int(r["links"][0]["href"].rsplit("/", 1)[1]) for r in results.values())
    assert visits == {1: 3, 2: 3, 3: 3}, "each context rendered 3 pages, each starting with empty storage"


def test_a_render_without_load_in_time_proves_only_what_it_found(site: TestSite, tmp_path: Path) -> None:
    site.set_page("/hang.js", "", content_type="application/javascript", delay=8)
    hanging = '<script async src="/hang.js"></script>'
    found = site.set_page("/hang/link", document("<p>x</p>" + INSERTED_LINK, hanging))
    missing = site.set_page("/hang/nolink", document("<p>no link</p>", hanging))
    results = results_by_url(run_check([found, missing, "--target", T, "--render", "always", "--timeout", "4",
                                        "--json"], tmp_path))
    assert results[found]["state"] == "live" and results[found]["rendered"] is True
    assert results[found]["links"][0]["href"] == "https://example.com/js"
    assert results[missing]["state"] == "error", "no load event: the missing link proves nothing"
    assert "render incomplete" in results[missing]["error"]


def test_images_fonts_media_and_frames_are_not_loaded(site: TestSite, tmp_path: Path) -> None:
    urls = []
    for n in range(2):  # two pages: the second one reuses the first one's browser page
        style = f"@font-face {{font-family: f; src: url(/r{n}/font.woff2)}} body {{font-family: f}}"
        site.set_page(f"/r{n}/style.css", style, content_type="text/css")
        site.set_page(f"/r{n}/app.js", INSERTED_LINK.removeprefix("<script>").removesuffix("</script>"),
                      content_type="application/javascript")
        body = (f'<p>text</p><img src="/r{n}/img.png"><video src="/r{n}/clip.mp4" autoplay muted></video>'
                f'<iframe src="/r{n}/frame.html"></iframe><script src="/r{n}/app.js"></script>')
        urls.append(site.set_page(f"/r{n}/page", document(body, f'<link rel="stylesheet" href="/r{n}/style.css">')))
    results = results_by_url(run_check([*urls, "--target", T, "--render", "always", "--json"], tmp_path,
                                       LINKWATCH_RENDER_CONCURRENCY="1"))
    assert [(r["state"], r["rendered"]) for r in results.values()] == [("live", True)] * 2
    paths = Counter(path for _, path in site.requests)
    for n in range(2):
        assert paths[f"/r{n}/app.js"] == 1 and paths[f"/r{n}/style.css"] == 1
        for skipped in ("img.png", "clip.mp4", "frame.html", "font.woff2"):
            assert paths[f"/r{n}/{skipped}"] == 0, skipped
