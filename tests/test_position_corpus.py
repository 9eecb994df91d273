"""The position rules over the real pages of ../shared/corpus: the distribution is sane, and links checked
by eye (their markup read in the page) get the position they should.

`pytest -s tests/test_position_corpus.py` prints the distribution (docs/check.md quotes it).
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.context import link_context, link_position
from monitor.core.context import CONTEXT_CHARS
from tests.support.corpus import PAGES, require_corpus


@pytest.fixture(autouse=True)
def _corpus() -> None:
    require_corpus()  # fails in CI, skips elsewhere, when ../shared/corpus is missing


@cache
def positions() -> dict[str, list[tuple[str, str]]]:
    """Every `<a href>` of every corpus page: (href as written, position), in document order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(PAGES.glob("*.html")):
        tree = LexborHTMLParser(path.read_bytes().decode("utf-8", "replace"))
        found[path.name] = [(node.attrs.get("href") or "", str(link_position(node))) for node in tree.css("a[href]")]
    return found


def test_distribution_is_sane() -> None:
    counts = Counter(position for links in positions().values() for _, position in links)
    total = sum(counts.values())
    print("\nposition of every <a href> of the corpus:", {k: f"{v} ({v / total:.0%})" for k, v in counts.most_common()},
          "total", total)
    assert set(counts) == {"content", "nav", "header", "footer", "aside", "comment", "unknown"}
    share = {name: count / total for name, count in counts.items()}
    assert 0.10 < share["content"] < 0.5, "articles hold a part of a news page's links, not most"
    assert share["nav"] > 0.15, "menus hold many of them"
    assert share["unknown"] < 0.25, "most links are placed"
    assert share["comment"] < 0.1


# (page, href, position): read in the page's markup by hand
CHECKED = [
    ("wikipedia.html", "http://mozilla.org/", "content"),  # "Official website", External links section
    ("wikipedia.html", "https://developer.mozilla.org/en-US/Persona", "content"),  # a reference
    ("bbc-1.html", "http://www.bbc.co.uk/news/live/world-africa-33577232", "content"),  # a list in the story body
    ("bbc-1.html", "http://www.bbc.co.uk/news/10628323", "nav"),  # "Get news alerts"
    ("wordpress.html", "https://wptavern.com/google-launches-invisible-recaptcha#comment-215281", "comment"),
    ("firefox-nightly-blog.html", "https://www.mozilla.org/privacy/websites/#cookies", "nav"),  # footer's nav
    ("firefox-nightly-blog.html", "https://blog.nightly.mozilla.org/2016/07/", "aside"),  # archives widget
    ("links-in-tables.html", "https://android-developers.googleblog.com/2015_04_01_archive.html", "aside"),
    ("nytimes-1.html", "http://www.nytimes.com/health/guides/index.html", "nav"),
]


@pytest.mark.parametrize(("file", "href", "expected"), CHECKED)
def test_links_checked_by_eye(file: str, href: str, expected: str) -> None:
    found = [position for link, position in positions()[file] if link == href]
    assert found == [expected]


def test_every_context_of_the_corpus_keeps_the_rules() -> None:
    for path in sorted(PAGES.glob("*.html")):
        tree = LexborHTMLParser(path.read_bytes().decode("utf-8", "replace"))
        for node in tree.css("a[href]"):
            context = link_context(node)
            for side in (context.before, context.after):
                assert len(side) <= CONTEXT_CHARS and side == side.strip() and "  " not in side
                assert "\n" not in side and "\t" not in side and "\u00a0" not in side
