"""Fuzz target: robots meta content and X-Robots-Tag parsing, and charset label lookup."""

from __future__ import annotations

import atheris

with atheris.instrument_imports():
    from crawler.directives import parse_header_values, parse_meta_contents, robots_directives
    from crawler.encoding import lookup_label


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    metas = [fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 60)) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    headers = [fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 60)) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    lookup_label(fdp.ConsumeUnicodeNoSurrogates(30))
    meta, header = parse_meta_contents(metas), parse_header_values(headers)
    page = robots_directives(metas, headers)
    assert page.noindex == (meta.noindex or header.noindex)
    assert page.nofollow == (meta.nofollow or header.nofollow)
    # rules only add up: one more meta never lifts a directive
    more = parse_meta_contents([*metas, "index, follow"])
    assert (more.noindex, more.nofollow) == (meta.noindex, meta.nofollow)


if __name__ == "__main__":
    from fuzz.harness import run

    run(one_input)
