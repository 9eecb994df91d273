"""Shadow DOM built by a real web-component library (issue 17, "What Google can see"): Lit, as published on
npm (pinned and checked by tools/fetch_npm.py, `make test-assets`), served from the local test site with an
import map.  The page has nested Lit components in open shadow roots, a list rendered by a Lit directive, a
light-DOM link slotted into a component, a component whose shadow root holds a `<footer>`, and one with a
closed shadow root.

The truth is Chromium's own serialisation of the rendered page with its open shadow roots
(`getHTML({shadowRoots})`, parsed back with `Document.parseHTMLUnsafe` and walked), which must also equal a
walk of the live DOM: `linkwatch check --render always` must report exactly those links, in that order.
A closed root cannot be reached from the page, so no serialisation shows it, as Google's flattening does
not: its link is rendered (the component says so) but is not a link linkwatch reports.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import results_by_url, run_check
from tests.support.npm import serve_packages
from tests.support.pages import TestSite, document
from tests.support.shadow import WALK_JS

pytestmark = [pytest.mark.chromium,
              pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")]

T = "example.com"
COMPONENTS = """<script type="module">
import {LitElement, html} from 'lit';
import {repeat} from 'lit/directives/repeat.js';

customElements.define('lw-badge', class extends LitElement {
  render() { return html`<span>Rated by <a href="https://example.com/badge">the badge</a></span>`; }
});
customElements.define('lw-review', class extends LitElement {
  static properties = {picks: {type: Array}};
  constructor() { super(); this.picks = []; }
  render() {
    return html`<article><p>Our pick is <a href="https://example.com/review">the review tool</a> for teams.</p>
      <lw-badge></lw-badge>
      <ul>${repeat(this.picks, (p) => p, (p) => html`<li><a href="https://example.com/${p}">${p}</a></li>`)}</ul>
      <slot></slot></article>`;
  }
});
customElements.define('lw-credits', class extends LitElement {
  render() { return html`<footer><p>Hosted by <a href="https://example.com/host">our host</a></p></footer>`; }
});
customElements.define('lw-secret', class extends LitElement {
  static shadowRootOptions = {...LitElement.shadowRootOptions, mode: 'closed'};
  render() { return html`<a href="https://example.com/closed">closed</a>`; }
  firstUpdated() { window.closedRendered = this.renderRoot.querySelector('a') !== null; }
});
</script>"""
BODY = ("<main><h1>Tools</h1><lw-review picks='[\"one\", \"two\"]'>"
        '<p>Slotted: <a href="https://example.com/slotted">slotted</a></p></lw-review></main>'
        "<lw-secret></lw-secret><lw-credits></lw-credits>")
EXPECTED = ["review", "badge", "one", "two", "slotted", "host"]  # shadow-including tree order, closed left out

# Chromium's serialisation with the open shadow roots (found by the walk), parsed back and walked
SERIALISED_JS = "() => {" + WALK_JS + """
  const roots = [];
  const collect = (node) => {
    for (const child of node.children) {
      if (child.shadowRoot) { roots.push(child.shadowRoot); collect(child.shadowRoot); }
      collect(child);
    }
  };
  collect(document);
  const html = '<!doctype html><html>' + document.documentElement.getHTML({shadowRoots: roots}) + '</html>';
  return {serialised: shadowLinks(Document.parseHTMLUnsafe(html)), live: shadowLinks(document),
          closedRendered: window.closedRendered === true};
}"""
READY_JS = """async () => {
  for (const name of ['lw-review', 'lw-badge', 'lw-credits', 'lw-secret']) await customElements.whenDefined(name);
  for (const el of document.querySelectorAll('lw-review, lw-credits, lw-secret')) await el.updateComplete;
  await document.querySelector('lw-review').renderRoot.querySelector('lw-badge').updateComplete;
}"""


def chromium_truth(browser: Any, url: str) -> dict[str, Any]:
    tab = browser.new_page()
    try:
        tab.goto(url, wait_until="load")
        tab.evaluate(READY_JS)
        return tab.evaluate(SERIALISED_JS)
    finally:
        tab.close()


@pytest.fixture
def lit_page(site: TestSite) -> str:
    head = serve_packages(site)
    return site.set_page("/lit", document(COMPONENTS + BODY, head))


def test_rendered_lit_components_agree_with_chromium(lit_page: str, tmp_path: Path, chromium_browser: Any) -> None:
    truth = chromium_truth(chromium_browser, lit_page)
    serialised = [href for href in truth["serialised"] if "example.com" in href]
    assert [href.rsplit("/", 1)[1] for href in serialised] == EXPECTED, truth
    assert [href for href in truth["live"] if "example.com" in href] == serialised
    assert truth["closedRendered"], "the closed root's link is on the page, out of reach of any serialisation"

    (rendered,) = results_by_url(run_check([lit_page, "--target", T, "--render", "always", "--json"],
                                           tmp_path)).values()
    assert rendered["rendered"] is True and rendered["state"] == "live", rendered
    assert [link["href"] for link in rendered["links"]] == serialised
    positions = {link["href"].rsplit("/", 1)[1]: link["position"] for link in rendered["links"]}
    assert positions == {**dict.fromkeys(EXPECTED, "content"), "host": "footer"}, positions
    review = rendered["links"][0]
    assert (review["anchor"], review["context"]["before"]) == ("the review tool", "Tools Our pick is"), review


def test_lit_links_are_found_with_render_auto(lit_page: str, tmp_path: Path) -> None:
    static, auto = (results_by_url(run_check([lit_page, "--target", T, *flags, "--json"], tmp_path))[lit_page]
                    for flags in (["--render", "never"], []))
    assert [link["href"].rsplit("/", 1)[1] for link in static["links"]] == ["slotted"], "the rest comes from scripts"
    assert auto["rendered"] is False, "auto: the static read already has a followed link, as documented"
    only = results_by_url(run_check([lit_page, "--target", "https://example.com/host", "--json"], tmp_path))[lit_page]
    assert only["rendered"] is True and only["state"] == "live", "a link only in a Lit shadow root is found by auto"
    assert [link["href"] for link in only["links"]] == ["https://example.com/host"]
