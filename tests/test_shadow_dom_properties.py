"""Random markup with declarative shadow roots (open, closed, repeated, on hosts that can and cannot have one,
misnested): crawler.extract reports exactly the links Chromium has, walking its open shadow roots."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import extract_page
from monitor.core.targets import parse_target

pytestmark = [pytest.mark.chromium,
              pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")]

TAGS = ["div", "span", "p", "ul", "li", "section", "x-card", "nav", "table", "td", "b", "template", "noscript"]
MODES = ["open", "closed", "OPEN", "", "open "]


@st.composite
def shadow_markup(draw: st.DrawFn) -> str:
    """Tag soup with declarative shadow root templates and links."""
    parts = []
    for n in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["start", "end", "root", "end-root", "link", "text"]))
        tag = draw(st.sampled_from(TAGS))
        if kind == "start":
            parts.append(f"<{tag}>")
        elif kind == "end":
            parts.append(f"</{tag}>")
        elif kind == "root":
            parts.append(f'<template shadowrootmode="{draw(st.sampled_from(MODES))}">')
        elif kind == "end-root":
            parts.append("</template>")
        elif kind == "link":
            parts.append(f'<a href="https://example.com/{n}">{n}</a>')
        else:
            parts.append(draw(st.sampled_from(["x", " ", "<slot></slot>"])))
    return "".join(parts)


@settings(max_examples=120, deadline=None)
@given(html=shadow_markup())
def test_shadow_roots_agree_with_chromium(html: str, chromium_links: Callable[[str], list[str]]) -> None:
    page = extract_page(html, "https://blog.test/", [parse_target("example.com")])
    assert [link.href for link in page.links] == chromium_links(html)
