"""The web interface on a phone (390x844) and for keyboard and screen-reader users, in Debian's Chromium:
no page is wider than the screen (a wide table scrolls inside its own box), every form control has an
accessible name, and keyboard focus shows the stylesheet's :focus-visible outline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fixtures_site import TestSite
from tests.fixtures_web import Served, shoot
from tests.support.web import crawled_store

pytestmark = pytest.mark.chromium

PAGES = ("/", "/links", "/events", "/links/new", "/reports", "/alerts")

#: the controls without an accessible name: a <label for>, a wrapping <label>, aria-label or aria-labelledby
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => {
    const named = [...(el.labels || [])].some(l => l.textContent.trim())
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
           .some(id => id && document.getElementById(id) && document.getElementById(id).textContent.trim());
    return !named;
  })
  .map(el => el.outerHTML.slice(0, 120))"""

FOCUS_RULES = """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
  .filter(rule => rule.selectorText && rule.selectorText.includes(':focus-visible')
          && rule.style.outlineStyle && rule.style.outlineStyle !== 'none')
  .map(rule => rule.selectorText)"""

#: elements that stick out of their section or card (a .table-wrap's table scrolls inside it instead)
OUTSIDE = """() => { const inner = box => { const style = getComputedStyle(box);
    return box.getBoundingClientRect().right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth); };
  return [...document.querySelectorAll('main section *, main .card *')]
    .filter(el => !el.parentElement.closest('.table-wrap'))
    .filter(el => el.getBoundingClientRect().right > inner(el.closest('section, .card')) + 0.5)
    .map(el => el.outerHTML.slice(0, 100)); }"""

FOCUSED = """() => { const el = document.activeElement, style = getComputedStyle(el);
  return {tag: el.tagName, html: el.outerHTML.slice(0, 100), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth)}; }"""


@pytest.fixture
def phone_page(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0: nothing to scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_phone_layout_fits_the_screen(site: TestSite, web_serve: Callable[..., Served], phone_page: Any) -> None:
    served = crawled_store(site, web_serve, 8)
    page = phone_page
    page.goto(served.base + "/links?q=hostile")
    link = served.base + page.locator("tbody tr a").first.get_attribute("href")
    for path, shot in [("/", "phone-overview"), ("/links", "phone-links"), (link, "phone-link"),
                       ("/events", None), ("/links/new", None), ("/reports", None), ("/alerts", None)]:
        page.goto(path if path.startswith("http") else served.base + path)
        assert overflow(page) <= 0, f"{path} is wider than a phone's screen"
        assert page.evaluate(OUTSIDE) == [], f"{path}: content wider than its box"
        for table in page.locator("table").all():  # a table fits, or scrolls inside a box that fits
            box = table.evaluate("t => (t.closest('.table-wrap') || t).getBoundingClientRect().right")
            assert box <= 390, f"{path}: a table's box ends at {box}px"
        if shot:
            shoot(page, shot)


def test_every_control_is_labelled_and_focus_is_visible(site: TestSite, web_serve: Callable[..., Served],
                                                        web_page: Any) -> None:
    served = crawled_store(site, web_serve, 4)
    page = web_page
    page.goto(served.base + "/links?q=hostile")
    link = page.locator("tbody tr a").first.get_attribute("href")
    for path in (*PAGES, link):
        page.goto(served.base + path)
        assert page.evaluate(UNLABELLED) == [], f"{path}: controls without an accessible name"
        assert page.evaluate(FOCUS_RULES), "the stylesheet has a :focus-visible outline"
        page.locator("body").focus()
        seen = 0
        for _ in range(40):  # the first 40 stops of the keyboard's tab order
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused["tag"] in ("BODY", "IFRAME"):  # the end, or into the report's own document
                break
            seen += 1
            assert focused["style"] == "solid" and focused["width"] >= 2, \
                f"{path}: {focused['html']} shows no focus outline ({focused['style']} {focused['width']}px)"
        assert seen >= 3, f"{path}: the keyboard reached {seen} elements"
