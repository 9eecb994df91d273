"""crawler.flatten: pathologically deep markup is flattened at Chromium's cap before parsing.

No timed assertions: the bound is checked structurally (the DOM Lexbor builds
from the flattened page is no deeper than the cap, so the parser's stack walks
are bounded), pytest-timeout is the backstop, and the speed is measured in
docs/reliability.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.extract import extract_page
from crawler.flatten import MAX_DEPTH, MAX_OPTIONS, SAFE_TAG_COUNT, cap_nesting, may_nest_deeply, nesting_depth
from monitor.core.targets import parse_target
from tests.support.corpus import PAGES, require_corpus

LINK = '<a href="https://example.com/">x</a>'
PAD = "<i></i>" * SAFE_TAG_COUNT  # past the size under which pages are parsed as they are
N = 20_000

HOSTILE = {
    "nested divs": "<div>" * N + LINK,
    "spans then stray </p>": "<span>" * N + "</p>" * N + LINK,
    "spans then stray </div>": "<span>" * N + "</div>" * N + LINK,
    "nested lists": "<ul><li>" * N + LINK,
    "sections and headings": "<section><h1>" * N + LINK,
    "distinct formatting elements": "".join(f"<b id={i}>" for i in range(N)) + "<p>x" * N + LINK,
    "svg then stray end tags": "<svg>" + "<g>" * N + "</x>" * N + "</svg>" + LINK,
    "unclosed li in divs": "<div>" + "<span>" * N + "<li></li>" * N + LINK,
    "select of many options": "<select>" + "<optgroup><option>" * N + "</select>" + LINK,
    "closed options": "<select>" + "<option>o</option>" * N + "</select>" + LINK,
}


def dom_depth(html: str) -> int:
    """Depth of the deepest element Lexbor builds (walks up from every leaf-ish candidate, linear here)."""
    tree = LexborHTMLParser(html)
    deepest = 0
    for node in tree.css("*:not(:has(*))"):
        depth, current = 0, node
        while current is not None and depth <= 10 * MAX_DEPTH:
            depth, current = depth + 1, current.parent
        deepest = max(deepest, depth)
    return deepest


def links(html: str) -> list[tuple[str, str]]:
    page = extract_page(html, "http://page.test/", [parse_target("example.com")])
    return [(link.href, link.anchor) for link in page.links]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("html", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_nesting_is_flattened_and_the_link_still_found(html: str) -> None:
    assert may_nest_deeply(html)
    flat = cap_nesting(html)
    assert flat is not html
    if "option" not in html:
        assert dom_depth(flat) <= MAX_DEPTH + 8
    assert ("https://example.com/", "x") in links(html)


@pytest.mark.timeout(120)
def test_100k_nested_divs() -> None:
    html = "<html><body>" + "<div>" * 100_000 + '<a href="https://example.com/p">deep link</a>' + "</div>" * 100_000
    assert links(html) == [("https://example.com/p", "deep link")]
    assert dom_depth(cap_nesting(html)) <= MAX_DEPTH + 8


def test_a_select_keeps_its_first_options() -> None:
    html = "<select>" + "".join(f"<option>{i}</option>" for i in range(3 * MAX_OPTIONS)) + "</select>" + LINK
    tree = LexborHTMLParser(cap_nesting(html))
    assert len(tree.css("option")) == MAX_OPTIONS
    assert tree.css("option")[-1].text().startswith(str(MAX_OPTIONS - 1))


def test_template_content_past_the_cap_joins_the_document() -> None:
    """As in Chromium, where the cap moves a template's children out to the template's parent."""
    html = PAD + "<div>" * 2000 + '<template><a href="https://example.com/t">t</a></template>' + LINK
    assert links(html) == [("https://example.com/t", "t"), ("https://example.com/", "x")]
    assert links("<template>" + LINK + "</template>") == []


def test_svg_past_the_cap_stays_foreign() -> None:
    html = PAD + "<div>" * 2000 + '<svg><g><a href="https://example.com/svg">s</a></g></svg>' + LINK
    assert links(html) == [("https://example.com/", "x")]


def test_raw_text_is_not_markup() -> None:
    """Tags inside comments, scripts and attribute values are text: they neither count nor get removed."""
    for html in ("<!--" + "<div>" * N + "-->", "<script>" + "<div>" * N + "</script>",
                 '<p title="' + "<div>" * N + '">', "<textarea>" + "<div>" * N + "</textarea>"):
        assert nesting_depth(html) <= 2
        assert cap_nesting(html + LINK) == html + LINK


def test_the_model_never_goes_past_the_parsers_depth() -> None:
    """Implied end tags and scope rules: the model's depth is at most the real one on these shapes."""
    assert nesting_depth("<ul>" + "<li>x" * 1000 + "</ul>") == 2
    assert nesting_depth("<p>a<p>b<p>c") == 1
    assert nesting_depth("<table>" + "<tr><td>x" * 1000 + "</table>") == 3
    assert nesting_depth("<div><object></div></object>" * 3) == 4  # </div> out of scope: 3 divs stay open
    assert nesting_depth("<span><div></span></div>" * 3) == 4  # </span> stops at the special <div>


def test_real_pages_are_left_alone() -> None:
    require_corpus()
    for path in sorted(PAGES.iterdir()):
        html = path.read_bytes().decode("utf-8", "replace")
        assert nesting_depth(html) < 100, path.name
        assert cap_nesting(html) is html, path.name


DEEP_CASES = {
    "link past the cap": PAD + "<div>" * 1500 + '<a href="https://example.com/deep">deep text</a>',
    "link above the cap around deep content": PAD + '<a href="https://example.com/wrap">'
    + "<div>" * 1500 + "inner" + "</div>" * 1500 + "</a>",
    "links between deep blocks": PAD + ("<section>" * 700 + '<a href="https://example.com/s">s</a>'
                                        + "</section>" * 700) * 2,
    "template past the cap": PAD + "<div>" * 1500 + '<template><a href="https://example.com/t">t</a></template>',
}


@pytest.mark.chromium
@pytest.mark.parametrize("html", DEEP_CASES.values(), ids=DEEP_CASES.keys())
def test_agrees_with_chromium_on_deep_pages(html: str, browser_links: Any) -> None:
    assert may_nest_deeply(html)
    want = [(href, anchor) for href, anchor in browser_links(html) if "example.com" in href]
    assert links(html) == want
