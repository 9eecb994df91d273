"""`linkwatch evidence` (issue 17): the before/after of a page's latest change in plain words, and as a
self-contained HTML page a publisher can be sent, opened in Chromium: escaped, no script, the link's sentence
highlighted, human dates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import environment, linkwatch
from tests.support.evidence import BEFORE, article, linked, lose_four_ways
from tests.support.pages import TestSite

HOSTILE = "Ask <script>alert(1)</script> and <img src=x onerror=alert(2)> nicely."
HOSTILE_HTML = HOSTILE.replace("<", "&lt;").replace(">", "&gt;")
HUMAN_TIME = re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Any:
    site = TestSite().start()
    tmp_path = tmp_path_factory.mktemp("evidence")
    hostile = (article(f'{HOSTILE_HTML} See <a href="https://mysite.com/">Linkwatch &lt;b&gt;</a> today.'),
               article(f"{HOSTILE_HTML} See Linkwatch &lt;b&gt; today."))
    env = lose_four_ways(site, tmp_path, f"sqlite:///{tmp_path / 'lw.db'}", extra={"/hostile": hostile})
    yield site, env, tmp_path
    site.stop()


@pytest.mark.crawl
@pytest.mark.timeout(600)
def test_the_text_says_how_in_plain_words_with_the_sentence_marked(scenario: Any) -> None:
    site, env, _ = scenario
    unlinked = linkwatch(env, "evidence", site.url("/unlinked")).stdout
    assert unlinked.startswith(f"Link lost: {site.url('/unlinked')} (to mysite.com)\n")
    assert "They kept your mention but removed the link: ask them to re-link your mention." in unlinked
    assert "«For small agencies we recommend [Linkwatch] because it keeps the evidence of every change it sees.»" \
        in unlinked
    assert f"Now ({HUMAN_TIME.search(unlinked.split('Now (')[1]).group()}):\n  {BEFORE}\n" in unlinked  # type: ignore[union-attr]
    assert "0% of the page's main text changed." in unlinked

    moved = linkwatch(env, "evidence", site.url("/moved"), "--target", "mysite.com").stdout
    assert "It now links to https://www.rival.example/tool, a competitor (rival.example)." in moved
    removed = linkwatch(env, "evidence", site.url("/removed")).stdout
    assert "The passage with your link was taken out" in removed
    assert "Nothing like this passage is on the page any more." in removed

    data = json.loads(linkwatch(env, "evidence", site.url("/rewritten"), "--json").stdout)
    assert data["how"] == "page_rewritten" and data["after"] == "" and data["changed_share"] >= 0.9
    assert "rainy weekend" in data["snapshot_after"]["text"] and BEFORE in data["snapshot_before"]["text"]

    wrong = linkwatch(env, "evidence", site.url("/moved"), "--target", "other.com", check=False)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr
    unknown = linkwatch(env, "evidence", site.url("/never-added"), check=False)
    assert unknown.returncode == 2 and "no backlink" in unknown.stderr


@pytest.mark.crawl
@pytest.mark.timeout(600)
def test_the_html_page_is_escaped_scriptless_and_highlights_the_sentence(scenario: Any, chromium_browser: Any,
                                                                           tmp_path: Path) -> None:
    site, env, _ = scenario
    out = tmp_path / "evidence.html"
    linkwatch(env, "evidence", site.url("/hostile"), "--html", str(out))
    html = out.read_text()
    assert "<script" not in html and "onerror" not in html.replace("onerror=alert(2)&gt;", "")
    assert "Content-Security-Policy" in html
    page = chromium_browser.new_page(viewport={"width": 800, "height": 900})
    try:
        alerts: list[str] = []
        page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
        page.goto(out.as_uri())
        assert page.evaluate("document.scripts.length") == 0 and alerts == []
        assert page.evaluate("document.querySelectorAll('img').length") == 0, "the hostile <img> stays text"
        mark = page.inner_text(".before mark")
        assert mark == "See Linkwatch <b> today."
        assert page.inner_text(".before mark strong") == "Linkwatch <b>"
        assert HOSTILE in page.inner_text(".before")
        assert page.inner_text(".after") == "See Linkwatch <b> today."
        assert len(HUMAN_TIME.findall(page.inner_text("main"))) >= 3
        assert [a.get_attribute("href") for a in page.query_selector_all("a")] == [site.url("/hostile")]
        page.screenshot(path=str(tmp_path.parent / "evidence.png"), full_page=True)  # to look at
    finally:
        page.close()


@pytest.mark.crawl
@pytest.mark.timeout(600)
def test_the_reclaim_report_says_how_and_the_sentence(scenario: Any) -> None:
    site, env, _ = scenario
    data = json.loads(linkwatch(env, "report", "reclaim", "--site", "mysite.com", "--json").stdout)
    rows = {row["source_url"].removeprefix(site.url("")): row for row in data["rows"]}
    assert {path: row["how"] for path, row in rows.items()} == {
        "/unlinked": "unlinked", "/removed": "passage_removed", "/rewritten": "page_rewritten",
        "/moved": "moved_to_other_url", "/hostile": "unlinked"}
    assert rows["/removed"]["before"] == BEFORE and rows["/hostile"]["before"] == "See Linkwatch <b> today."
    csv_out = linkwatch(env, "report", "reclaim", "--site", "mysite.com", "--csv").stdout
    header = csv_out.splitlines()[0].split(",")
    assert header[-2:] == ["how", "before"] and f"passage_removed,{BEFORE}" in csv_out
    text = linkwatch(env, "report", "reclaim", "--site", "mysite.com").stdout
    assert "page_rewritten" in text and f"{BEFORE[:59]}…" in text  # the terminal table cuts at 60


@pytest.mark.chromium
@pytest.mark.timeout(900)
def test_with_rendering_a_screenshot_of_each_side_is_kept_and_shown(site: TestSite, chromium_browser: Any,
                                                                     tmp_path: Path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'lw.db'}", "[evidence]\nscreenshots = true\n")
    env.update(LINKWATCH_RENDER="always", LINKWATCH_LOST_AFTER="1")
    site.set_page("/shot", linked())
    linkwatch(env, "add", site.url("/shot"), "--target", "mysite.com")
    linkwatch(env, "run", "--once")
    site.set_page("/shot", article(None))
    linkwatch(env, "run", "--once", "--all")
    data = json.loads(linkwatch(env, "evidence", site.url("/shot"), "--json").stdout)
    assert data["how"] == "passage_removed"
    assert data["snapshot_before"]["screenshot"] and data["snapshot_after"]["screenshot"]
    out = tmp_path / "shot.html"
    linkwatch(env, "evidence", site.url("/shot"), "--html", str(out))
    page = chromium_browser.new_page(viewport={"width": 800, "height": 900})
    try:
        page.goto(out.as_uri())
        sizes = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.naturalHeight, i.src.slice(0, 23)])")
        assert [src for *_, src in sizes] == ["data:image/jpeg;base64,"] * 2
        assert all(0 < width <= 1280 and 0 < height <= 2000 for width, height, _ in sizes), sizes
        page.screenshot(path=str(tmp_path.parent / "evidence-shots.png"), full_page=True)  # to look at
    finally:
        page.close()
