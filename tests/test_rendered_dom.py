"""The rendered verdict follows the rendered DOM's own rules: `<noscript>` content is text (scripting is on),
and the links of open shadow roots (attached by scripts, or declared in the HTML) are links.

`linkwatch check --render always` runs against the local test site; Chromium itself, on the same page, walks
its DOM in shadow-including tree order (tests/support/shadow.py's walk) and must find the same links.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import results_by_url, run_check
from tests.support.pages import TestSite, document
from tests.support.shadow import WALK_JS

pytestmark = [pytest.mark.chromium,
              pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")]

T = "example.com"
# hand-written custom elements (no library): an open root with a slot, a closed root, roots nested in a root
COMPONENTS = """<script>
customElements.define('lw-card', class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({mode: 'open'}).innerHTML =
      '<p>In the card, <a href="https://example.com/card">card</a> and more.</p><slot></slot>';
  }
});
customElements.define('lw-closed', class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({mode: 'closed'}).innerHTML = '<a href="https://example.com/closed">closed</a>';
  }
});
</script>"""
BODY = (
    '<nav><lw-card><a href="https://example.com/light">light</a></lw-card></nav>'
    "<lw-closed></lw-closed>"
    '<div id="host"></div>'
    "<script>document.getElementById('host').attachShadow({mode: 'open'}).innerHTML ="
    " '<lw-card></lw-card><a href=\"https://example.com/nested\">nested</a>';</script>"
    '<section><template shadowrootmode="open"><a href="https://example.com/declared">declared</a>'
    "</template></section>"
    '<noscript><a href="https://example.com/noscript">enable scripts</a></noscript>'
)
WALK_PAGE_JS = "() => {" + WALK_JS + "return shadowLinks(document); }"


def chromium_finds(browser: Any, url: str) -> list[str]:
    """The target's links Chromium itself has in the rendered page, shadow roots included."""
    tab = browser.new_page()
    try:
        tab.goto(url, wait_until="load")
        return [href for href in tab.evaluate(WALK_PAGE_JS) if "example.com" in href]
    finally:
        tab.close()


def test_rendered_links_are_those_chromium_has(site: TestSite, tmp_path: Path, chromium_browser: Any) -> None:
    url = site.set_page("/components", document(COMPONENTS + BODY))
    expected = chromium_finds(chromium_browser, url)
    names = [href.rsplit("/", 1)[1] for href in expected]
    assert names == ["card", "light", "card", "nested", "declared"], "Chromium: open roots in, closed and noscript out"
    (rendered,) = results_by_url(run_check([url, "--target", T, "--render", "always", "--json"], tmp_path)).values()
    assert rendered["rendered"] is True and rendered["state"] == "live"
    assert [link["href"] for link in rendered["links"]] == expected
    card = rendered["links"][0]
    assert card["position"] == "nav" and card["context"]["before"] == "In the card,"
    assert card["context"]["after"] == "and more. light In the card, card and more. nested declared"
    assert rendered["links"][1]["context"]["before"] == "In the card, card and more."


def test_the_static_read_keeps_scripting_off(site: TestSite, tmp_path: Path) -> None:
    url = site.set_page("/components-static", document(COMPONENTS + BODY))
    (static,) = results_by_url(run_check([url, "--target", T, "--render", "never", "--json"], tmp_path)).values()
    assert [link["href"].rsplit("/", 1)[1] for link in static["links"]] == ["light", "declared", "noscript"]


def test_a_noscript_link_is_not_a_rendered_link(site: TestSite, tmp_path: Path) -> None:
    only = site.set_page("/noscript-only", document('<p>x</p><noscript><a href="https://example.com/">ns</a></noscript>',
                                                    '<noscript><style>p {}</style></noscript>'
                                                    '<link rel="canonical" href="/canonical">'))
    results = results_by_url(run_check([only, "--target", T, "--render", "always", "--json"], tmp_path))
    assert results[only]["state"] == "lost" and results[only]["links"] == []
    assert results[only]["page"]["canonical"] == site.url("/canonical"), "the head goes on after a <noscript>"
    auto = results_by_url(run_check([only, "--target", T, "--json"], tmp_path))
    assert (auto[only]["state"], auto[only]["rendered"]) == ("live", False), \
        "auto: the static read (scripting off) has the link, followed: no render, as documented"


def test_a_link_only_in_a_shadow_root_is_found_with_render_auto(site: TestSite, tmp_path: Path) -> None:
    url = site.set_page("/shadow-only", document(COMPONENTS + "<lw-card></lw-card>"))
    (result,) = results_by_url(run_check([url, "--target", T, "--json"], tmp_path)).values()
    assert result["state"] == "live" and result["rendered"] is True
    assert [link["href"] for link in result["links"]] == ["https://example.com/card"]
