"""Declarative shadow DOM in the static HTML: crawler.extract finds the links of open shadow roots, the
way Chromium attaches them, compared with Chromium itself on hand-made cases.

Chromium parses each case with `Document.parseHTMLUnsafe` (declarative shadow roots on, scripting off, as
the static read) and walks the result in shadow-including tree order (an element, then its open shadow
root, then its children), collecting the HTML `<a href>`/`<area href>` elements.  Closed shadow roots are
out of reach of that walk, as of Google's: their links are not reported.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from crawler.extract import extract_page
from crawler.shadow import attach_declarative_shadow_roots
from monitor.core.targets import parse_target

pytestmark = [pytest.mark.chromium,
              pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")]

def a(name: str) -> str:
    return f'<a href="https://example.com/{name}">{name}</a>'


def open_root(content: str, mode: str = "open") -> str:
    return f'<template shadowrootmode="{mode}">{content}</template>'


CASES = {
    "open root in a div": f"<div>{open_root(a('shadow'))}</div>",
    "light children after the shadow tree": f"<div>{a('light')}{open_root(a('shadow'))}{a('light2')}</div>",
    "custom element host": f"<my-card>{open_root('<p>' + a('card') + '</p><slot></slot>')}{a('slotted')}</my-card>",
    "mode is case-insensitive": f"<span>{open_root(a('upper'), 'OPEN')}</span>",
    "mode is not trimmed": f"<span>{open_root(a('spaced'), ' open')}</span>",
    "closed root": f"<div>{open_root(a('closed'), 'closed')}</div>{a('after')}",
    "closed first, then open: the open one stays a template": (
        f"<div>{open_root(a('closed'), 'closed')}{open_root(a('second'))}</div>"),
    "the second root of a host stays a template": f"<div>{open_root(a('first'))}{open_root(a('second'))}</div>",
    "a host that cannot have one": f"<ul>{open_root(a('ul'))}</ul><a-b>{open_root(a('custom'))}</a-b>",
    "an autonomous custom element can": f"<x-y.z>{open_root(a('dotted'))}</x-y.z>",
    "reserved custom name": f"<font-face>{open_root(a('reserved'))}</font-face>",
    "unknown mode": f"<div>{open_root(a('nomode'), 'opened')}</div>",
    "nested roots": f"<div>{open_root('<section>' + open_root(a('inner')) + '</section>' + a('outer'))}</div>",
    "in a plain template: inert": f"<template><div>{open_root(a('inert'))}</div></template>{a('out')}",
    "in the head": f"<head>{open_root(a('head'))}</head><body>{a('body')}</body>",
    "the body itself": f"<body>{open_root(a('bodyroot'))}{a('light')}</body>",
    "noscript in a shadow root (scripting off)": f"<div>{open_root('<noscript>' + a('ns') + '</noscript>')}</div>",
    "area in a shadow root": f'<div>{open_root("<map><area href=https://example.com/area alt=x></map>")}</div>',
    "a table cell host is not one": f"<table><tr><td>{open_root(a('td'))}</td></tr></table>",
}


@pytest.mark.parametrize("name", CASES)
def test_declarative_shadow_roots_agree_with_chromium(name: str, chromium_links: Callable[[str], list[str]]) -> None:
    html = "<!doctype html>" + CASES[name]
    page = extract_page(html, "https://blog.test/post", [parse_target("example.com")])
    assert [link.href for link in page.links] == chromium_links(html)


def test_the_cases_cover_found_and_missed_links(chromium_links: Callable[[str], list[str]]) -> None:
    found = {href.rsplit("/", 1)[1] for html in CASES.values() for href in chromium_links("<!doctype html>" + html)}
    assert {"shadow", "card", "inner", "outer", "bodyroot", "area", "upper", "custom", "dotted"} <= found
    assert not found & {"closed", "second", "ul", "reserved", "nomode", "inert", "head", "td", "spaced"}


def test_shadow_links_have_position_and_context() -> None:
    html = (f"<footer><p>Made by</p><my-credit>{open_root('<span>with care, see ' + a('credit') + ' now</span>')}"
            "</my-credit></footer>")
    (link,) = extract_page(html, "https://blog.test/", [parse_target("example.com")]).links
    assert link.position == "footer"
    assert (link.context.before, link.context.after) == ("Made by with care, see", "now")


def test_base_meta_and_canonical_of_a_shadow_tree_do_not_count() -> None:
    shadow = ("<base href=https://other.test/><meta name=robots content=nofollow>"
              "<link rel=canonical href=https://other.test/c><a href=/rel>rel</a>")
    html = f"<div>{open_root(shadow)}</div>"
    page = extract_page(html, "https://example.com/post", [parse_target("example.com")])
    assert [link.href for link in page.links] == ["https://example.com/rel"]
    assert page.links[0].follow and page.directives.canonical is None


def test_attaching_is_linear_in_the_templates() -> None:
    from selectolax.lexbor import LexborHTMLParser

    many = "".join(f"<div>{open_root(a(str(n)))}{open_root(a('dup'))}</div>" for n in range(2000))
    tree = LexborHTMLParser(many)
    assert attach_declarative_shadow_roots(tree) == 2000
    assert len(tree.css("a")) == 2000 and len(tree.css("template")) == 2000


def test_deeply_nested_roots_are_all_attached() -> None:
    from selectolax.lexbor import LexborHTMLParser

    depth = 250
    html = "<div><template shadowrootmode=open>" * depth + a("deep") + "</template></div>" * depth
    tree = LexborHTMLParser(html + "<p>filler</p>" * 20_000)
    assert attach_declarative_shadow_roots(tree) == depth
    assert [node.attrs["href"] for node in tree.css("a")] == ["https://example.com/deep"]
