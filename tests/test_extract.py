"""extract_page: which elements are links, href/rel/anchor/follow, base URL, canonical, title."""

from __future__ import annotations

import html as html_module
from typing import Any

import ada_url
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import collapse_whitespace, extract_page, split_rel
from monitor.core.targets import parse_target

PAGE = "https://page.test/dir/page.html"
EXAMPLE = [parse_target("example.com")]


def links(html: str, targets: Any = None, url: str = PAGE, headers: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    page = extract_page(html, url, targets if targets is not None else EXAMPLE, headers)
    return [link.to_json(with_target=True) for link in page.links]


REL_CASES = [
    ('rel="nofollow"', ["nofollow"], False),
    ('rel="NoFollow,UGC"', ["nofollow", "ugc"], False),
    ('rel="sponsored"', ["sponsored"], False),
    ('rel="ugc"', ["ugc"], False),
    ('rel="noopener noreferrer"', ["noopener", "noreferrer"], True),
    ('rel="  external ,  nofollow,,noopener "', ["external", "nofollow", "noopener"], False),
    ('rel="nofollow nofollow NOFOLLOW"', ["nofollow"], False),
    ('rel="noopener\tnofollow\nugc"', ["noopener", "nofollow", "ugc"], False),
    ('rel="nofollowing"', ["nofollowing"], True),
    ('rel="no-follow"', ["no-follow"], True),
    ('rel=""', [], True),
    ("rel", [], True),
    ("", [], True),
    ('rel="me\u00a0nofollow"', ["me\u00a0nofollow"], True),  # NBSP is not an ASCII separator
]


@pytest.mark.parametrize(("attr", "rel", "follow"), REL_CASES)
def test_rel_variants(attr: str, rel: list[str], follow: bool) -> None:
    got = links(f'<a href="https://example.com/" {attr}>x</a>')
    assert [(link["rel"], link["follow"]) for link in got] == [(rel, follow)]


def test_split_rel() -> None:
    assert split_rel("B a,A  b") == ("b", "a")
    assert split_rel(None) == ()


ANCHOR_CASES = [
    ("<a href=https://example.com/>  Hello \n\t world  </a>", "Hello world"),
    ("<a href=https://example.com/>Hello\u00a0\u00a0world\u00a0</a>", "Hello world"),
    ("<a href=https://example.com/>a\u2003b\u3000c</a>", "a b c"),
    ("<a href=https://example.com/><b>Bold</b> <i>and</i>   italic</a>", "Bold and italic"),
    ("<a href=https://example.com/><img alt=' Logo  text '></a>", "Logo text"),
    ("<a href=https://example.com/> <img alt=first><img alt=second> </a>", "first"),
    ("<a href=https://example.com/><span><img alt=nested></span></a>", "nested"),
    ("<a href=https://example.com/>Text<img alt=ignored></a>", "Text"),
    ("<a href=https://example.com/><img></a>", ""),
    ("<a href=https://example.com/><img alt></a>", ""),
    ("<a href=https://example.com/></a>", ""),
    ("<a href=https://example.com/>x<script>var s = 1;</script></a>", "xvar s = 1;"),  # textContent keeps scripts
    ("<a href=https://example.com/>a<!-- comment -->b</a>", "ab"),
    ("<a href=https://example.com/>a<template>hidden</template>b</a>", "ab"),
    ("<a href=https://example.com/>caf&eacute; &amp; &lt;b&gt;</a>", "café & <b>"),
    ("<map><area href=https://example.com/ alt='  Area   alt '></map>", "Area alt"),
    ("<map><area href=https://example.com/></map>", ""),
]


@pytest.mark.parametrize(("html", "anchor"), ANCHOR_CASES)
def test_anchor(html: str, anchor: str) -> None:
    assert [link["anchor"] for link in links(html)] == [anchor]


HREF_CASES = [
    # page url, html, expected hrefs of links to example.com
    (PAGE, "<a href='https://Example.COM'>x</a>", ["https://example.com/"]),
    (PAGE, "<a href='  https://example.com/a b  '>x</a>", ["https://example.com/a%20b"]),
    (PAGE, "<a href='https://example.com/\n\tpath'>x</a>", ["https://example.com/path"]),
    (PAGE, "<a href='//example.com/x'>x</a>", ["https://example.com/x"]),
    (
        PAGE,
        "<a href='HTTPS://bücher.example.com/ü?q=ü#ü'>x</a>",
        ["https://xn--bcher-kva.example.com/%C3%BC?q=%C3%BC#%C3%BC"],
    ),
    (PAGE, "<a href='https://example.com:443/'>x</a>", ["https://example.com/"]),
    (PAGE, "<a href='https://example.com/a/../b/./c'>x</a>", ["https://example.com/b/c"]),
    (PAGE, "<a href='http://['>x</a><a href='https://example.com:99999/'>y</a>", []),  # do not parse
    (PAGE, "<a href='https://exa mple.com/'>x</a>", []),
    (PAGE, "<a href='mailto:me@example.com'>x</a><a href='javascript:example.com'>y</a>", []),
    (PAGE, "<a href='ftp://example.com/'>x</a>", []),
    (PAGE, "<a>no href</a><a name=example.com>x</a>", []),
    (
        "https://example.com/dir/p",
        "<a href='other'>x</a><a href='/root'>y</a><a href=''>z</a>",
        ["https://example.com/dir/other", "https://example.com/root", "https://example.com/dir/p"],
    ),
    # base href: relative (resolved against the page), absolute, only the first counts
    (PAGE, "<base href='https://example.com/base/'><a href='rel'>x</a>", ["https://example.com/base/rel"]),
    ("https://example.com/a/b", "<base href='../c/'><a href='rel'>x</a>", ["https://example.com/c/rel"]),
    ("https://example.com/a/b", "<base href='/c/d'><a href='rel'>x</a>", ["https://example.com/c/rel"]),
    (
        PAGE,
        "<base href='https://example.com/one/'><base href='https://other.test/'><a href='x'>x</a>",
        ["https://example.com/one/x"],
    ),
    ("https://example.com/a/b", "<base target=_blank><base href='/c/'><a href='x'>x</a>", ["https://example.com/c/x"]),
    ("https://example.com/a/b", "<base href='http://['><a href='x'>x</a>", ["https://example.com/a/x"]),
    (PAGE, "<body><a href='rel'>x</a><base href='https://example.com/late/'></body>", ["https://example.com/late/rel"]),
    (
        "https://example.com/a/b",
        "<template><base href='https://other.test/'></template><a href='x'>x</a>",
        ["https://example.com/a/x"],
    ),
]


@pytest.mark.parametrize(("url", "html", "hrefs"), HREF_CASES)
def test_href_and_base(url: str, html: str, hrefs: list[str]) -> None:
    assert [link["href"] for link in links(html, url=url)] == hrefs


ELEMENT_CASES = [
    # html, hrefs found (paths on example.com)
    ("<a href=https://example.com/a>a</a><area href=https://example.com/b>", ["/a", "/b"]),
    ("<template><a href=https://example.com/t>t</a></template><a href=https://example.com/a>a</a>", ["/a"]),
    ("<div><template><div><a href=https://example.com/t>t</a></div></template></div>", []),
    ("<svg><a href=https://example.com/s>s</a></svg>", []),
    ("<svg><a xlink:href=https://example.com/s>s</a></svg>", []),
    ("<svg><g><a href=https://example.com/s><text>s</text></a></g></svg>", []),
    ("<svg><foreignObject><a href=https://example.com/f>f</a></foreignObject></svg>", ["/f"]),
    ("<svg><desc><a href=https://example.com/d>d</a></desc></svg>", ["/d"]),
    ("<svg><title><a href=https://example.com/t>t</a></title></svg>", ["/t"]),
    ("<svg><foreignObject><svg><a href=https://example.com/s>s</a></svg></foreignObject></svg>", []),
    ("<svg><p><a href=https://example.com/p>p</a></p></svg>", ["/p"]),  # <p> breaks out of SVG
    ("<svg><font color=red><a href=https://example.com/p>p</a></font></svg>", ["/p"]),
    ("<svg><font><a href=https://example.com/s>s</a></font></svg>", []),
    ("<math><a href=https://example.com/m>m</a></math>", []),
    ("<math><mi><a href=https://example.com/mi>mi</a></mi></math>", ["/mi"]),
    ("<math><mtext><a href=https://example.com/mt>t</a></mtext></math>", ["/mt"]),
    (
        "<math><annotation-xml encoding='text/html'><a href=https://example.com/ax>x</a></annotation-xml></math>",
        ["/ax"],
    ),
    (
        "<math><annotation-xml encoding='Application/XHTML+XML'><a href=https://example.com/x>x</a></annotation-xml>"
        "</math>",
        ["/x"],
    ),
    ("<math><annotation-xml><a href=https://example.com/ax>x</a></annotation-xml></math>", []),
    ("<math><annotation-xml><svg><a href=https://example.com/s>s</a></svg></annotation-xml></math>", []),
    ("<svg></svg><a href=https://example.com/after>after</a>", ["/after"]),
    ("<noscript><a href=https://example.com/n>n</a></noscript>", ["/n"]),  # scripting disabled: markup
    ("<a href=https://example.com/1>1</a><a href=https://example.com/1>1</a>", ["/1", "/1"]),  # duplicates kept
    ("<a href=https://example.com/a>a<a href=https://example.com/b>b</a></a>", ["/a", "/b"]),  # nested <a> split
    ("<map><area href=https://example.com/1><area nohref><area href=https://example.com/2></map>", ["/1", "/2"]),
    ("<table><a href=https://example.com/fp>foster</a><tr><td>x</td></tr></table>", ["/fp"]),
]


@pytest.mark.parametrize(("html", "paths"), ELEMENT_CASES)
def test_which_elements_are_links(html: str, paths: list[str]) -> None:
    assert [ada_url.URL(link["href"]).pathname for link in links(html)] == paths


def test_links_in_document_order_once_per_matching_target() -> None:
    html = (
        "<a href=https://shop.example.com/p>shop</a>"
        "<a href=https://other.test/>other</a>"
        "<a href='https://www.example.com/pricing/?utm_source=x#a' rel=nofollow>price</a>"
        "<area href=https://example.com/pricing alt=map>"
    )
    targets = [parse_target("example.com"), parse_target("https://example.com/pricing"), parse_target("other.test")]
    got = [(link["anchor"], link["target"]) for link in links(html, targets)]
    assert got == [
        ("shop", "example.com"),
        ("other", "other.test"),
        ("price", "example.com"),
        ("price", "https://example.com/pricing"),
        ("map", "example.com"),
        ("map", "https://example.com/pricing"),
    ]


def test_page_nofollow_makes_links_not_followed_but_keeps_rel() -> None:
    html = '<meta name=robots content=nofollow><a href=https://example.com/ rel="noopener">x</a>'
    assert [(link["rel"], link["follow"]) for link in links(html)] == [(["noopener"], False)]


def test_canonical_title_and_base_url() -> None:
    html = (
        "<head><base href='/b/'><title>\n  The   title\u00a0 </title>"
        "<link rel='alternate' href='/alt'><link rel='Canonical SHORTLINK' href='canon?x=1#f'>"
        "<link rel=canonical href='/second'></head>"
    )
    page = extract_page(html, PAGE, [])
    assert page.base_url == "https://page.test/b/"
    assert page.directives.canonical == "https://page.test/b/canon?x=1#f"
    assert page.title == "The title\u00a0"  # the document title strips ASCII whitespace only
    empty = extract_page("<p>no head", PAGE, [])
    assert (empty.directives.canonical, empty.title, empty.base_url) == (None, None, PAGE)


def test_collapse_whitespace() -> None:
    assert collapse_whitespace(" \u00a0a \n\t b\u2009c\ufeff ") == "a b c"


def test_hostile_pages_do_not_exhaust_the_stack() -> None:
    deep = "<span>" * 100_000 + "<a href=https://example.com/deep>deep</a>"
    assert [link["anchor"] for link in links(deep)] == ["deep"]
    deep_svg = "<svg>" + "<g>" * 50_000 + "<a href=https://example.com/s>s</a>"
    assert links(deep_svg) == []
    wide = "<a href=https://example.com/x>x</a>" * 100_000
    assert len(links(wide)) == 100_000
    deep_anchor = "<a href=https://example.com/>" + "<b>" * 100_000 + "t"
    assert [link["anchor"] for link in links(deep_anchor)] == ["t"]


_raw_href = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["https://", "//", "http://www.", "/", "", "%65", "HTTPS://EXAMPLE.com", "\t", "ü", "xn--"]
    ).flatmap(lambda prefix: st.text(alphabet="example.cmo/:%4\t\nüÜ.?#", max_size=20).map(lambda tail: prefix + tail)),
)


@settings(max_examples=200, deadline=None)
@given(raw=_raw_href, base=st.sampled_from(["https://page.test/a/", "https://example.com/a/", "http://127.0.0.1/"]))
def test_prefilter_never_hides_a_matching_link(raw: str, base: str) -> None:
    """Every href the URL parser resolves to a target is reported, whatever its spelling."""
    targets = [parse_target("example.com"), parse_target("https://example.com/p"), parse_target("127.0.0.1")]
    try:
        resolved = ada_url.join_url(base, raw)
    except ValueError:
        resolved = None
    expected = [t.raw for t in targets if resolved is not None and t.matches(resolved)]
    page = extract_page(f'<a href="{html_module.escape(raw)}">x</a>', base, targets)
    assert [link.target for link in page.links] == expected


TRICKY_MARKUP = [
    "<svg><a href=https://example.com/s>s</a><svg><foreignObject><p><a href=https://example.com/p>p</a></svg>",
    "<math><mi><svg><a href=https://example.com/s>s</a></svg></mi><mo><a href=https://example.com/mo>mo</a></mo></math>",
    "<math><mi><mglyph><a href=https://example.com/g>g</a></mglyph></mi></math>",
    "<svg><desc><svg><desc><a href=https://example.com/dd>dd</a></desc></svg></desc></svg>",
    "<svg><foreignobject><a href=https://example.com/lc>lc</a></foreignobject></svg>",
    "<svg><a href=https://example.com/s><div>breaks out</div></a></svg>",
    "<table><tr><td><svg><a href=https://example.com/s>s</a></svg><a href=https://example.com/td>td</a></td></tr></table>",
    "<select><option><a href=https://example.com/opt>opt</a></option></select>",
    "<p><a href=https://example.com/1><b>bold<p>new para</a>after</b>",
    "<a href=https://example.com/x><img alt='A'><img alt='B'>\u00a0</a>",
    "<a href=https://example.com/y>\u2028\u2029 z </a>",
    "<noscript><p><a href=https://example.com/n>n</a></p></noscript><template><a href=https://example.com/t>t</a>",
    "<frameset><a href=https://example.com/f>f</a></frameset>",
]


@pytest.mark.chromium
@pytest.mark.parametrize(
    "html",
    [case[0] for case in ELEMENT_CASES] + [case[0] for case in ANCHOR_CASES] + TRICKY_MARKUP,
)
def test_agrees_with_chromium(html: str, browser_links: Any) -> None:
    """The same links, hrefs and anchors as Chromium's DOM (DOMParser: scripting disabled)."""
    expected = [(href, anchor) for href, anchor in browser_links(html) if EXAMPLE[0].matches(href)]
    got = [(link["href"], link["anchor"]) for link in links(html)]
    assert got == expected


def test_contact_hints() -> None:
    """mailto: addresses and contact/about pages, absolute, without fragments, once each, at most eight."""
    html = ('<a href="mailto:editor@blog.example?subject=hi">mail</a> <a href="/contact-us#form">c</a>'
            '<a href="mailto:">empty</a> <a href="/about/">about</a> <a href="/contact-us">again</a>'
            '<a href="/post">post</a>' + "".join(f'<a href="/about/{n}">a</a>' for n in range(20)))
    page = extract_page(html, "https://blog.example/post", [parse_target("mysite.com")])
    assert page.contact_hints[:3] == ("mailto:editor@blog.example", "https://blog.example/contact-us",
                                      "https://blog.example/about/")
    assert len(page.contact_hints) == 8 and page.links == ()
