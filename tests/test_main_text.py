"""The main text of a page (crawler.main_text through crawler.extract): the content area's visible text, one
line per block, boilerplate left out, bounded; and the page's links with their anchors."""

from __future__ import annotations

import pytest

from crawler import main_text as main_text_module
from crawler.extract import extract_page
from monitor.core.targets import parse_target

TARGETS = [parse_target("mysite.com")]


def extract(body: str, scripting: bool = False, targets: tuple[str, ...] = ("mysite.com",),
            ) -> tuple[str, tuple[tuple[str, str], ...]]:
    page = extract_page(f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>",
                        "https://blog.example/post", [parse_target(t) for t in targets], scripting=scripting)
    return page.main_text, page.page_links


PAGE = ("<header><nav><a href='/'>Home</a> <a href='/about'>About</a></nav></header>"
        "<main><h1>Best   tools</h1><p>We use <a href='https://mysite.com/'>My site</a> daily.<br>Really.</p>"
        "<aside>Subscribe now</aside><div class='comments'><p>Nice post!</p></div>"
        "<script>var x = 'hidden';</script><p hidden>secret</p><ul><li>one</li><li>two</li></ul></main>"
        "<footer>Copyright <a href='mailto:x@y'>us</a></footer>")


def test_the_content_area_without_boilerplate_one_line_per_block() -> None:
    text, links = extract(PAGE, targets=("mysite.com", "gone.example"))
    assert text == "Best tools\nWe use My site daily.\nReally.\none\ntwo"
    assert links == (("Home", "https://blog.example/"), ("About", "https://blog.example/about"),
                     ("My site", "https://mysite.com/"))


def test_the_page_links_only_when_a_target_has_no_link() -> None:
    """Where a lost link went is only asked about a missing link: a page holding every target's link skips them."""
    assert extract(PAGE) == ("Best tools\nWe use My site daily.\nReally.\none\ntwo", ())
    nofollow = PAGE.replace("href='https://mysite.com/'", "href='https://mysite.com/' rel=nofollow")
    assert extract(nofollow)[1] == ()
    assert extract(PAGE, targets=("gone.example",))[1][0] == ("Home", "https://blog.example/")


def test_what_the_tree_walk_made_of_odd_markup() -> None:
    """The text as the Python walk over the tree read it before lexbor's text() did it (the same lines)."""
    assert extract("<p>a<br hidden>b<br class='menu'>c</p>")[0] == "a\nb\nc"
    assert extract("<div class='sidebar'><script>x</script><p hidden><b>y</b></p></div><p>z</p>")[0] == "z"
    assert extract("<p>one\x1etwo</p><p>three\x85four\ufefffive\u3000six</p>")[0] == (
        "one\ntwo\nthree\x85four five six")
    assert extract("<p>one\ufeff two</p><p>x<!-- a comment --><template>t</template>y</p>")[0] == "one two\nxy"
    assert extract("<main hidden><p>secret</p></main><p>shown</p>")[0] == ""
    assert extract("<main><nav><main>inner</main></nav><p>text</p></main>")[0] == "text"
    assert extract("<p>a<span class='nav-x'>b</span>c<nav>d</nav>e</p>")[0] == "ac\ne"
    assert extract("<div><nav>x</nav></div>tail<!-- c --><p>after</p><nav><p>y</p></nav>")[0] == "tail\nafter"
    assert extract("<div role='main' class='comments'><nav>n</nav><p>kept</p></div><p>other</p>")[0] == "kept"


def test_without_main_the_body_and_its_named_boilerplate() -> None:
    text, _ = extract("<div id='header'>Logo</div><div class='sidebar'>Popular posts</div>"
                      "<div class='entry'><p>First paragraph.</p><p>Second <b>bold</b> paragraph.</p></div>"
                      "<div class='site-footer'>Links</div><noscript>Enable scripts</noscript>")
    assert text == "First paragraph.\nSecond bold paragraph.\nEnable scripts"
    assert extract("<p>Text</p><noscript>Enable scripts</noscript>", scripting=True)[0] == "Text"


def test_bounded_on_a_huge_page() -> None:
    text, links = extract("<main>" + "".join(f"<p><a href='https://x.example/{n}'>word</a> text</p>"
                                             for n in range(3000)) + "</main>")
    assert len(links) == main_text_module.MAX_LINKS
    assert len(text) <= main_text_module.MAX_CHARS and text.startswith("word text\nword text")
    long_text, _ = extract("<p>" + "long words here " * 20_000 + "</p>")
    assert len(long_text) == main_text_module.MAX_CHARS


def test_past_the_node_budget_the_text_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the budget of elements runs out, the text stops: the rest is never read unchecked (no menu in it)."""
    monkeypatch.setattr(main_text_module, "NODE_BUDGET", 50)
    menus = "<nav><ul>" + "<li>menu</li>" * 30 + "</ul></nav>"
    assert extract("<main>" + menus * 5 + "</main>")[0] == ""
    assert extract("<main>" + "<div class='menu-item'>menu</div>" * 80 + "</main>")[0] == ""
    text = extract("<main>" + "<p>word</p>" * 100 + "</main>")[0]
    assert 0 < text.count("word") < 100 and set(text.split("\n")) == {"word"}
