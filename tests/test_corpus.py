"""extract_page + verdict_for against the real-page corpus (ground truth from Chromium, JavaScript off).

The corpus lives in `../shared/corpus/` next to the repository (see its README.md).
Each case: one page, one target domain, the links Chromium saw.  Comparison
rules from the README: hrefs after lowercasing scheme/host, dropping the
default port and the fragment and canonicalising percent-encoding; anchors
whitespace-collapsed (`anchor_alt` also accepted); `ambiguous` links (inside
noscript/template/svg) may be reported or not; page noindex/nofollow must agree.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any

import ada_url
import pytest

from crawler.extract import ExtractedPage, collapse_whitespace, extract_page
from monitor.core.targets import parse_target
from monitor.core.types import FetchStatus, ObservedLink, PageObservation
from monitor.core.verdict import verdict_for
from tests.support.corpus import PAGES, case_params, cases, require_corpus

PAGE_URL = "http://127.0.0.1:8000/corpus/visible/{file}"
_PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


CASES = cases()


def canonical_href(href: str) -> str:
    """Lower-case scheme and host (the WHATWG parser does), no default port, no fragment, canonical %-escapes."""
    url = ada_url.URL(href)
    url.hash = ""
    text = str(url.href).removesuffix("#")

    def fix(match: re.Match[str]) -> str:
        byte = int(match.group(1), 16)
        return chr(byte) if byte in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_RE.sub(fix, text)


@cache
def _extract(file: str, target: str) -> ExtractedPage:
    html = (PAGES / file).read_bytes().decode("utf-8", "replace")
    return extract_page(html, PAGE_URL.format(file=file), [parse_target(target)])


def _same(got: ObservedLink, want: dict[str, Any]) -> bool:
    anchors = {collapse_whitespace(want["anchor"]), *(collapse_whitespace(a) for a in want.get("anchor_alt", ()))}
    return (
        canonical_href(got.href) == canonical_href(want["href"])
        and list(got.rel) == want["rel"]
        and got.anchor in anchors
        and got.follow == want["follow"]
    )


def compare_links(got: list[ObservedLink], expected: list[dict[str, Any]], ambiguous: list[dict[str, Any]]) -> str:
    """'' when they agree, else a message naming the first differing link."""
    optional = Counter(canonical_href(link["href"]) for link in ambiguous)
    position = 0
    for index, link in enumerate(got):
        if position < len(expected) and _same(link, expected[position]):
            position += 1
            continue
        if optional[canonical_href(link.href)] > 0:
            optional[canonical_href(link.href)] -= 1
            continue
        want = expected[position] if position < len(expected) else "nothing more"
        return f"link #{index} differs:\n  got      {link.to_json()}\n  expected {want}"
    if position < len(expected):
        return f"missing link #{position}: {expected[position]}"
    return ""


@pytest.mark.parametrize("case", case_params(CASES))
def test_corpus_case(case: dict[str, Any] | None) -> None:
    require_corpus()
    assert case is not None
    page = _extract(case["file"], case["target"])
    problem = compare_links(list(page.links), case["links"], case["ambiguous"])
    assert not problem, f"{case['id']} ({case['file']}, target {case['target']}): {problem}"
    assert page.directives.noindex == case["page"]["noindex"], case["id"]
    assert page.directives.nofollow == case["page"]["nofollow"], case["id"]
    observation = PageObservation(
        url=PAGE_URL.format(file=case["file"]),
        final_url=PAGE_URL.format(file=case["file"]),
        fetch=FetchStatus.OK,
        http_status=200,
        directives=page.directives,
        links=page.links,
    )
    assert str(verdict_for(observation, case["target"]).state) in case["states"], case["id"]


def test_compare_links_reports_the_differing_link() -> None:
    """The comparison itself can fail: a wrong anchor, an extra and a missing link are all caught."""
    want = [{"href": "http://a.com/", "rel": [], "anchor": "A", "follow": True}]
    link = ObservedLink(href="http://A.com:80/#x", rel=(), anchor="A", follow=True)
    assert compare_links([link], want, []) == ""
    assert "differs" in compare_links([ObservedLink("http://a.com/", (), "B", True)], want, [])
    assert "missing" in compare_links([], want, [])
    extra = ObservedLink("http://a.com/ns", (), "", True)
    assert "differs" in compare_links([link, extra], want, [])
    assert compare_links([link, extra], want, [{"href": "http://a.com/ns", "follow": True}]) == ""
