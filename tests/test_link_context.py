"""Where a link sits: the position rules as a table, and the context (the visible text on each side of it).

Both are read by crawler.extract from the same parse as the link itself (docs/check.md, "Where a link sits").
"""

from __future__ import annotations

import time

import pytest

from crawler.extract import extract_page
from monitor.core.context import CONTEXT_CHARS, context_from_text
from monitor.core.targets import parse_target

TARGET = parse_target("example.com")
LINK = '<a href="https://example.com/">Example</a>'


def only_link(body: str, scripting: bool = False):  # type: ignore[no-untyped-def]
    page = extract_page(f"<!doctype html><html><head><title>T</title></head><body>{body}</body></html>",
                        "https://blog.test/post", [TARGET])
    assert len(page.links) == 1, page.links
    return page.links[0]


# (markup around the link, with {} where it stands; expected position)
POSITIONS = [
    ("<main><p>{}</p></main>", "content"),
    ("<article><p>{}</p></article>", "content"),
    ('<div role="main">{}</div>', "content"),
    ("<nav><ul><li>{}</li></ul></nav>", "nav"),
    ('<div role="navigation">{}</div>', "nav"),
    ('<ol class="breadcrumbs"><li>{}</li></ol>', "nav"),
    ('<div id="main-menu">{}</div>', "nav"),
    ('<div class="site-navbar">{}</div>', "nav"),
    ("<header>{}</header>", "header"),
    ('<div role="banner">{}</div>', "header"),
    ("<footer><p>{}</p></footer>", "footer"),
    ('<div role="contentinfo">{}</div>', "footer"),
    ('<div id="site-footer">{}</div>', "footer"),
    ("<aside>{}</aside>", "aside"),
    ('<div role="complementary">{}</div>', "aside"),
    ('<div class="sidebar-left">{}</div>', "aside"),
    ('<section class="widget widget_text">{}</section>', "aside"),
    ('<div id="comments"><p>{}</p></div>', "comment"),
    ('<ol class="commentlist"><li>{}</li></ol>', "comment"),
    ('<div class="fb-comments">{}</div>', "comment"),
    ('<div id="disqus_thread">{}</div>', "comment"),
    ('<div role="comment">{}</div>', "comment"),
    # a comment section says so even on an element that is otherwise content or a footer (WordPress comments)
    ('<article class="comment-body"><p>{}</p></article>', "comment"),
    ('<article><footer class="comment-meta">{}</footer></article>', "comment"),
    # the innermost element that says decides
    ("<article><p>text</p><footer>{}</footer></article>", "footer"),
    ("<main><aside>{}</aside></main>", "aside"),
    ("<aside><article>{}</article></aside>", "content"),
    ('<div class="sidebar"><div class="content">{}</div></div>', "aside"),
    ('<div id="content-sidebar-wrap"><main class="content">{}</main></div>', "content"),
    ('<nav><div class="comment">{}</div></nav>', "comment"),
    # the role before the element, the element before its class and id
    ('<header role="navigation">{}</header>', "nav"),
    ('<footer class="sidebar">{}</footer>', "footer"),
    # nothing says: unknown (body classes are not read; words only match as named)
    ("<div><p>{}</p></div>", "unknown"),
    ("{}", "unknown"),
    ('<div class="unavailable recommended headline">{}</div>', "unknown"),
    ('<section><div class="post">{}</div></section>', "unknown"),
]


@pytest.mark.parametrize(("markup", "expected"), POSITIONS)
def test_position_rules(markup: str, expected: str) -> None:
    assert only_link(markup.format(LINK)).position == expected


def test_body_classes_are_not_read() -> None:
    page = extract_page(f'<body class="has-sidebar footer-widgets">{LINK}</body>', "https://blog.test/", [TARGET])
    assert page.links[0].position == "unknown"


def context(body: str) -> tuple[str, str]:
    found = only_link(body).context
    return found.before, found.after


def test_context_is_the_visible_text_on_each_side() -> None:
    body = f"<p>Read <b>the</b>\n  review\u00a0at {LINK} today,<br>it is <i>good</i>.</p>"
    assert context(body) == ("Read the review at", "today, it is good.")


def test_blocks_do_not_run_into_each_other_and_unseen_text_is_left_out() -> None:
    body = (f"<div><p>one</p><p>two<script>var s = 1</script><style>p {{}}</style> {LINK}</p>"
            f"<template><p>tpl</p></template><p hidden>hid</p><p>three</p><ul><li>four</li><li>five</li></ul></div>")
    assert context(body) == ("one two", "three four five")


def test_the_anchor_itself_and_the_head_are_not_context() -> None:
    assert context(LINK) == ("", "")


def test_noscript_is_text_of_the_static_page() -> None:
    assert context(f"<p>{LINK}<noscript>enable scripts</noscript></p>") == ("", "enable scripts")


def test_long_context_is_cut_at_word_boundaries() -> None:
    words = " ".join(f"w{n:03d}" for n in range(100))
    before, after = context(f"<p>{words} {LINK} {words}</p>")
    assert len(before) <= CONTEXT_CHARS and len(after) <= CONTEXT_CHARS
    assert before.endswith("w099") and before.split()[0] in words.split(), "no word cut in two at the start"
    assert after.startswith("w000") and after.split()[-1] in words.split(), "no word cut in two at the end"
    assert len(before) > CONTEXT_CHARS - 5 and len(after) > CONTEXT_CHARS - 5


def test_a_single_long_word_is_cut_where_it_must_be() -> None:
    assert context_from_text("x" * 300, "y" * 300) == context_from_text("x" * 120, "y" * 120)
    assert len(context_from_text("x" * 300, "").before) == CONTEXT_CHARS


def test_context_work_is_bounded_on_hostile_pages() -> None:
    # 200 000 empty elements on each side: the walk gives up after its node budget instead of visiting them all
    filler = "<span></span>" * 200_000
    page_html = f"<p>far before</p>{filler}{LINK * 300}{filler}<p>far after</p>"
    started = time.process_time()
    page = extract_page(page_html, "https://blog.test/", [TARGET])
    assert len(page.links) == 300
    assert page.links[0].context.before == "" and page.links[-1].context.after == ""
    parse_only = time.process_time()
    extract_page(page_html.replace("example.com", "example.org"), "https://blog.test/", [TARGET])
    parse_only = time.process_time() - parse_only
    assert time.process_time() - started - parse_only < 3 * parse_only + 1.0
