"""The main text of a page (crawler.main_text through crawler.extract): the content area's visible text, one
line per block, boilerplate left out, bounded; and the page's links with their anchors."""

from __future__ import annotations

from crawler import main_text as main_text_module
from crawler.extract import extract_page
from monitor.core.targets import parse_target

TARGETS = [parse_target("mysite.com")]


def extract(body: str, scripting: bool = False) -> tuple[str, tuple[tuple[str, str], ...]]:
    page = extract_page(f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>",
                        "https://blog.example/post", TARGETS, scripting=scripting)
    return page.main_text, page.page_links


def test_the_content_area_without_boilerplate_one_line_per_block() -> None:
    text, links = extract(
        "<header><nav><a href='/'>Home</a> <a href='/about'>About</a></nav></header>"
        "<main><h1>Best   tools</h1><p>We use <a href='https://mysite.com/'>My site</a> daily.<br>Really.</p>"
        "<aside>Subscribe now</aside><div class='comments'><p>Nice post!</p></div>"
        "<script>var x = 'hidden';</script><p hidden>secret</p><ul><li>one</li><li>two</li></ul></main>"
        "<footer>Copyright <a href='mailto:x@y'>us</a></footer>")
    assert text == "Best tools\nWe use My site daily.\nReally.\none\ntwo"
    assert links == (("Home", "https://blog.example/"), ("About", "https://blog.example/about"),
                     ("My site", "https://mysite.com/"))


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
