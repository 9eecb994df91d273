"""verdict_for: fetch outcome + links -> state; a page that could not be fetched is never lost."""

from __future__ import annotations

import pytest

from monitor.core.targets import parse_target
from monitor.core.types import CheckState, FetchStatus, ObservedLink, PageDirectives, PageObservation
from monitor.core.verdict import site_links, verdict_for, verdicts

A, B = "example.com", "https://other.test/p"


def link(target: str, follow: bool, href: str = "https://example.com/") -> ObservedLink:
    return ObservedLink(href=href, rel=() if follow else ("nofollow",), anchor="x", follow=follow, target=target)


def observation(fetch: FetchStatus, links: tuple[ObservedLink, ...] = (), **extra: object) -> PageObservation:
    return PageObservation(url="http://page.test/", final_url="https://page.test/", fetch=fetch, links=links, **extra)  # type: ignore[arg-type]


STATE_CASES = [
    (FetchStatus.OK, (link(A, True),), CheckState.LIVE),
    (FetchStatus.OK, (link(A, False), link(A, True)), CheckState.LIVE),
    (FetchStatus.OK, (link(A, False), link(A, False)), CheckState.NOFOLLOW),
    (FetchStatus.OK, (), CheckState.LOST),
    (FetchStatus.OK, (link(B, True),), CheckState.LOST),  # links to another target do not count
    (FetchStatus.GONE, (link(A, True),), CheckState.GONE),
    (FetchStatus.BLOCKED, (), CheckState.BLOCKED),
    (FetchStatus.ERROR, (), CheckState.ERROR),
]


@pytest.mark.parametrize(("fetch", "links", "state"), STATE_CASES)
def test_state(fetch: FetchStatus, links: tuple[ObservedLink, ...], state: CheckState) -> None:
    verdict = verdict_for(observation(fetch, links, http_status=200), A)
    assert verdict.state is state
    assert all(found.target == A for found in verdict.links)
    if fetch is not FetchStatus.OK:
        assert verdict.links == () and verdict.error


def test_verdict_carries_the_observation() -> None:
    directives = PageDirectives(noindex=True, canonical="https://page.test/c")
    obs = observation(
        FetchStatus.OK,
        (link(A, True), link(B, False, "https://other.test/p")),
        http_status=200,
        directives=directives,
        rendered=True,
        googlebot_allowed=False,
    )
    verdict = verdict_for(obs, parse_target(A))
    assert verdict.to_json() == {
        "url": "http://page.test/",
        "final_url": "https://page.test/",
        "http_status": 200,
        "state": "live",
        "page": {"noindex": True, "nofollow": False, "canonical": "https://page.test/c", "googlebot_allowed": False},
        "links": [{"href": "https://example.com/", "rel": [], "anchor": "x", "follow": True,
                   "context": {"before": "", "after": ""}, "position": "unknown"}],
        "rendered": True,
        "error": None,
    }
    assert [v.state for v in verdicts(obs, [A, B, "third.test"])] == [
        CheckState.LIVE,
        CheckState.NOFOLLOW,
        CheckState.LOST,
    ]


def test_error_reason_is_kept() -> None:
    verdict = verdict_for(observation(FetchStatus.ERROR, error="timeout after 30 s"), A)
    assert (verdict.state, verdict.error, verdict.http_status) == (CheckState.ERROR, "timeout after 30 s", None)


def test_not_modified_has_no_verdict_of_its_own() -> None:
    with pytest.raises(ValueError):
        verdict_for(observation(FetchStatus.NOT_MODIFIED, http_status=304), A)


def test_site_links_are_the_other_urls_of_a_url_targets_site() -> None:
    """The crawler labels links to the rest of a URL target's site `site:HOST` (crawler.extract with
    monitor.core.targets.with_site_targets); only the verdict's own target counts for the state."""
    from crawler.extract import extract_page
    from monitor.core.targets import with_site_targets

    target = parse_target("https://example.com/pricing")
    html = ('<a href="https://www.example.com/plans">plans</a> <a href="https://example.com/pricing/">p</a>'
            '<a href="https://other.org/">x</a>')
    targets = with_site_targets((target,))
    assert [t.raw for t in targets] == ["https://example.com/pricing", "site:example.com"]
    page = extract_page(html, "https://blog.example.org/", targets)
    observation = PageObservation(url="https://blog.example.org/", final_url="https://blog.example.org/",
                                  fetch=FetchStatus.OK, http_status=200, links=page.links)
    verdict = verdict_for(observation, target)
    assert verdict.state is CheckState.LIVE and [link.href for link in verdict.links] == ["https://example.com/pricing/"]
    assert [link.href for link in site_links(observation, target)] == ["https://www.example.com/plans"]
    assert site_links(observation, "example.com") == ()  # a domain target has no "elsewhere"
