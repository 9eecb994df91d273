"""A real Chromium (Debian's, by executable path) that parses HTML with DOMParser (scripting disabled).

`browser_links(html)` returns the HTML-namespace `<a href>`/`<area href>` elements
of the DOM Chromium builds, as (element.href, anchor) pairs, the anchor computed
as linkwatch defines it.  Tests compare crawler.extract against it.  `chromium_links(html)` is the same
for declarative shadow roots: the example.com hrefs of Document.parseHTMLUnsafe(html), open roots walked.
`chromium_browser` is the shared browser for any test that drives one directly.  Skips when Chromium is not installed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.shadow import PARSE_JS

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_LINKS_JS = """(html) => {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const collapse = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const out = [];
  for (const el of doc.querySelectorAll('a[href], area[href]')) {
    if (el.namespaceURI !== 'http://www.w3.org/1999/xhtml') continue;
    let anchor;
    if (el.localName === 'area') {
      anchor = collapse(el.getAttribute('alt'));
    } else {
      anchor = collapse(el.textContent);
      const img = el.querySelector('img');
      if (!anchor && img) anchor = collapse(img.getAttribute('alt'));
    }
    out.push([el.href, anchor]);
  }
  return out;
}"""


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """One Playwright (sync API) Chromium for the whole session: a second sync Playwright cannot run
    in the same thread while one is alive, so every test that drives a browser directly uses this."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser_links(chromium_browser: Any) -> Iterator[Callable[[str], list[tuple[str, str]]]]:
    page = chromium_browser.new_page()

    def links(html: str) -> list[tuple[str, str]]:
        return [(href, anchor) for href, anchor in page.evaluate(_LINKS_JS, html)]

    yield links
    page.close()


@pytest.fixture(scope="module")
def chromium_links(chromium_browser: Any) -> Iterator[Callable[[str], list[str]]]:
    """The example.com links Chromium finds in `html` with declarative shadow roots attached, walking open
    roots (tests.support.shadow.PARSE_JS)."""
    page = chromium_browser.new_page()
    yield lambda html: [href for href in page.evaluate(PARSE_JS, html) if "example.com" in href]
    page.close()
