"""Fuzz target: bytes -> decode_html -> extract_page -> verdict_for, with the link rules as properties."""

from __future__ import annotations

import atheris

with atheris.instrument_imports():
    from crawler.encoding import decode_html
    from crawler.extract import NOFOLLOW_RELS, extract_page
    from crawler.flatten import cap_nesting
    from monitor.core.targets import parse_target
    from monitor.core.types import FetchStatus, PageObservation
    from monitor.core.verdict import verdict_for

TARGETS = [parse_target("example.com"), parse_target("https://example.org/p?q=1")]
CONTENT_TYPES = ["text/html", "text/html; charset=utf-8", "text/html; charset=shift_jis", "text/html;charset=utf-16le",
                 "text/html; charset=iso-8859-1", None]


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    content_type = CONTENT_TYPES[fdp.ConsumeIntInRange(0, len(CONTENT_TYPES) - 1)]
    header = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
    html, _ = decode_html(fdp.ConsumeBytes(fdp.remaining_bytes()), content_type)
    cap_nesting(html, cap=8, always=True)  # the flattening path, on small inputs too
    page = extract_page(html, "https://page.test/a/b", TARGETS, [header])
    for link in page.links:
        assert any(t.raw == link.target and t.matches(link.href) for t in TARGETS), link
        assert link.rel == tuple(dict.fromkeys(link.rel)) and all(r == r.lower() for r in link.rel), link
        assert link.follow == (not page.directives.nofollow and NOFOLLOW_RELS.isdisjoint(link.rel)), link
        assert link.anchor == link.anchor.strip(), link
    observation = PageObservation(url="https://page.test/a/b", final_url="https://page.test/a/b",
                                  fetch=FetchStatus.OK, http_status=200, directives=page.directives, links=page.links)
    for target in TARGETS:
        verdict_for(observation, target.raw)


if __name__ == "__main__":
    from fuzz.harness import run

    run(one_input)
