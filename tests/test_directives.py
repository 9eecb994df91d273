"""Robots directives from meta tags and X-Robots-Tag headers (crawler.directives, and through extract_page)."""

from __future__ import annotations

import pytest

from crawler.directives import robots_directives
from crawler.extract import extract_page
from monitor.core.targets import parse_target

META_CASES = [
    # meta tags (name, content), noindex, nofollow
    ([("robots", "noindex")], True, False),
    ([("robots", "nofollow")], False, True),
    ([("ROBOTS", "NoIndex, NoFollow")], True, True),
    ([("robots", "noindex,nofollow")], True, True),
    ([("robots", " noindex ,  nofollow ")], True, True),
    ([("robots", "none")], True, True),
    ([("robots", "NONE")], True, True),
    ([("robots", "all")], False, False),
    ([("robots", "index, follow")], False, False),
    ([("robots", "noarchive, nosnippet")], False, False),
    ([("googlebot", "nofollow")], False, True),
    ([("GoogleBot", "noindex")], True, False),
    ([("bingbot", "noindex, nofollow")], False, False),  # other crawlers are ignored
    ([("googlebot-news", "nofollow")], False, False),
    ([("robots", "noindex"), ("googlebot", "nofollow")], True, True),  # several add up
    ([("robots", "index"), ("robots", "nofollow")], False, True),
    ([("description", "noindex nofollow")], False, False),
    ([("robots", "nofollowing")], False, False),
]


@pytest.mark.parametrize(("metas", "noindex", "nofollow"), META_CASES)
def test_meta_robots(metas: list[tuple[str, str]], noindex: bool, nofollow: bool) -> None:
    head = "".join(f'<meta name="{name}" content="{content}">' for name, content in metas)
    page = extract_page(f"<html><head>{head}</head><body></body></html>", "https://page.test/", [])
    assert (page.directives.noindex, page.directives.nofollow) == (noindex, nofollow)
    assert page.directives.noindex_sources == (("meta",) if noindex else ())
    assert page.directives.nofollow_sources == (("meta",) if nofollow else ())


HEADER_CASES = [
    # X-Robots-Tag values, noindex, nofollow
    (["noindex"], True, False),
    (["NOFOLLOW"], False, True),
    (["noindex, nofollow"], True, True),
    (["none"], True, True),
    (["noindex", "nofollow"], True, True),  # several headers add up
    (["googlebot: nofollow"], False, True),
    (["GoogleBot: noindex, nofollow"], True, True),
    (["otherbot: noindex, nofollow"], False, False),
    (["bingbot: none", "googlebot: noindex"], True, False),
    (["otherbot: noindex, googlebot: nofollow"], False, True),  # joined headers: each prefix rules its part
    (["googlebot: nofollow, otherbot: noindex"], False, True),
    (["unavailable_after: 25 Jun 2010 15:00:00 PST"], False, False),
    (["noindex, unavailable_after: Sunday, 25-Jun-2030 15:00:00 GMT"], True, False),
    (["unavailable_after: 25 Jun 2010 15:00:00 PST, nofollow"], False, True),
    (["max-snippet: 20, noindex"], True, False),
    (["all"], False, False),
    ([], False, False),
]


@pytest.mark.parametrize(("values", "noindex", "nofollow"), HEADER_CASES)
def test_x_robots_tag(values: list[str], noindex: bool, nofollow: bool) -> None:
    directives = robots_directives([], values)
    assert (directives.noindex, directives.nofollow) == (noindex, nofollow)
    assert directives.noindex_sources == (("header",) if noindex else ())
    assert directives.nofollow_sources == (("header",) if nofollow else ())


def test_meta_and_header_sources_combine() -> None:
    directives = robots_directives(["nofollow"], ["nofollow, noindex"], canonical="https://a.test/")
    assert directives.nofollow_sources == ("meta", "header")
    assert directives.noindex_sources == ("header",)
    assert directives.noindex and directives.nofollow
    assert directives.canonical == "https://a.test/"
    assert directives.to_json() == {"noindex": True, "nofollow": True, "canonical": "https://a.test/"}


def test_header_nofollow_makes_every_link_not_followed() -> None:
    html = '<a href="https://example.com/">x</a>'
    followed = extract_page(html, "https://page.test/", [parse_target("example.com")])
    assert [link.follow for link in followed.links] == [True]
    header = extract_page(html, "https://page.test/", [parse_target("example.com")], ["nofollow"])
    assert [link.follow for link in header.links] == [False]
    other = extract_page(html, "https://page.test/", [parse_target("example.com")], ["otherbot: nofollow"])
    assert [link.follow for link in other.links] == [True]


def test_meta_in_template_is_ignored_and_meta_in_body_counts() -> None:
    html = (
        '<template><meta name="robots" content="noindex"></template>'
        '<body><p><meta name="robots" content="nofollow"></p></body>'
    )
    directives = extract_page(html, "https://page.test/", []).directives
    assert (directives.noindex, directives.nofollow) == (False, True)
