"""The real-page corpus (`../shared/corpus/`) scored through the real `linkwatch check` process.

Every page is served from the local test site at `/corpus/visible/<file>` with
`Content-Type: text/html; charset=utf-8` and a robots.txt that allows it, as the
corpus README says.  To take seconds rather than minutes, one `linkwatch check
--render never --json` run checks every page against every target of the corpus
(links then carry their `"target"`); each case takes the links of its target, in
document order, and derives its state from them by the contract's rule.  Comparison
follows the README: hrefs after lowercasing scheme and host, dropping default port
and fragment and canonicalising percent-encoding; anchors after collapsing
whitespace (or one of `anchor_alt`); `ambiguous` links may be reported or not.

Skipped when the corpus is absent.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import ada_url
import pytest

from tests.support.cli import run_check
from tests.support.corpus import PAGES, case_params, cases, require_corpus
from tests.support.pages import TestSite

UNRESERVED = re.compile(r"%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2[de]|5f|7e)", re.I)


CASES = cases()


@cache
def normalize_href(href: str) -> str:
    try:
        url = ada_url.URL(href)
    except ValueError:
        return href
    url.hash = ""
    text = url.href
    text = UNRESERVED.sub(lambda m: bytes.fromhex(m.group(0)[1:]).decode("ascii"), text)
    return re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group(0).upper(), text)


def collapse(text: str) -> str:
    return " ".join(text.split())


def _same(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    anchors = {collapse(expected["anchor"]), *(collapse(a) for a in expected.get("anchor_alt", []))}
    return (normalize_href(actual["href"]) == normalize_href(expected["href"])
            and actual["rel"] == expected["rel"] and actual["follow"] == expected["follow"]
            and collapse(actual["anchor"]) in anchors)


def align(actual: list[dict[str, Any]], expected: list[dict[str, Any]], ambiguous: list[dict[str, Any]]) -> str | None:
    """None when `actual` is `expected` in order with some `ambiguous` links interleaved; else why not."""
    optional = [normalize_href(a["href"]) for a in ambiguous]
    position = 0
    for link in actual:
        if position < len(expected) and _same(link, expected[position]):
            position += 1
        elif normalize_href(link["href"]) in optional:
            optional.remove(normalize_href(link["href"]))
        else:
            want = expected[position] if position < len(expected) else "nothing more"
            return f"unexpected link {link} (expected {want})"
    if position < len(expected):
        return f"missing link {expected[position]}"
    return None


def state_of(links: list[dict[str, Any]]) -> str:
    if any(link["follow"] for link in links):
        return "live"
    return "nofollow" if links else "lost"


@pytest.fixture(scope="module")
def corpus_results(shared_site: TestSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    require_corpus()
    shared_site.set_robots("User-agent: *\nAllow: /\n")
    files = sorted({case["file"] for case in CASES})
    targets = sorted({case["target"] for case in CASES})
    urls = {}
    for name in files:
        body = (PAGES / name).read_bytes()
        urls[name] = shared_site.set_page(f"/corpus/visible/{name}", body, content_type="text/html; charset=utf-8")
    args = [*urls.values(), *(arg for target in targets for arg in ("--target", target)), "--render", "never", "--json"]
    proc = run_check(args, tmp_path_factory.mktemp("corpus"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["url"] for line in lines] == list(urls.values())
    return {name: line for name, line in zip(urls, lines, strict=True)}


@pytest.mark.parametrize("case", case_params(CASES))
def test_corpus_case(corpus_results: dict[str, dict[str, Any]], case: dict[str, Any] | None) -> None:
    assert case is not None
    result = corpus_results[case["file"]]
    assert result["http_status"] == case["http_status"]
    assert result["error"] is None and result["rendered"] is False
    for key in ("noindex", "nofollow"):
        assert result["page"][key] == case["page"][key], key
    links = [{k: v for k, v in link.items() if k != "target"} for link in result["links"]
             if link["target"] == case["target"]]
    problem = align(links, case["links"], case["ambiguous"])
    assert problem is None, problem
    assert state_of(links) in case["states"]


def test_corpus_page_state_is_the_best_over_targets(corpus_results: dict[str, dict[str, Any]]) -> None:
    for name, result in corpus_results.items():
        assert result["state"] == state_of(result["links"]), name
