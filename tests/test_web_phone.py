"""The web interface on a phone (375 and 390 px wide) and for keyboard, screen-reader and low-vision users, in
Debian's Chromium: no page is wider than the screen (the checks table becomes cards, a wide table scrolls inside
its own box), every form control has an accessible name, keyboard focus shows the stylesheet's :focus-visible
outline, and all text has WCAG AA contrast with its background (4.5:1, 3:1 for large text)."""

from __future__ import annotations

from collections.abc import Callable
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

#: visible text whose contrast with its background is below WCAG AA: (ratio, needed, text, colours).  The
#: background is the first opaque one up the ancestors (semi-transparent ones blended over it).
LOW_CONTRAST = """() => {
  const rgba = c => (c.match(/[\\d.]+/g) || []).map(Number).concat([1]).slice(0, 4);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const background = el => { const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reduceRight((under, top) => over(top, under), [255, 255, 255, 1]); };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility !== 'visible' || !el.getClientRects().length || el.closest('.skip')) continue;
    const fg = over(rgba(style.color), background(el)), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a), ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio < needed) bad.push([Math.round(ratio * 100) / 100, needed, el.textContent.trim().slice(0, 40),
                                  style.color, style.backgroundColor]); }
  return bad; }"""

FOCUSED = """() => { const el = document.activeElement, style = getComputedStyle(el);
  return {tag: el.tagName, html: el.outerHTML.slice(0, 100), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth)}; }"""


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0: nothing to scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("width", [375, 390])
def test_phone_layout_fits_the_screen(site: TestSite, web_serve: Callable[..., Served], chromium_browser: Any,
                                      width: int) -> None:
    served = crawled_store(site, web_serve, 8)
    context = chromium_browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(served.base + "/links?q=hostile")
    link = served.base + page.locator("tbody tr a").first.get_attribute("href")
    shots = width == 390
    for path, shot in [("/", "phone-overview"), ("/links", "phone-links"), (link, "phone-link"),
                       ("/events", None), ("/links/new", None), ("/reports", None), ("/alerts", None)]:
        page.goto(path if path.startswith("http") else served.base + path)
        assert overflow(page) <= 0, f"{path} is wider than a phone's screen ({width} px)"
        assert page.evaluate(OUTSIDE) == [], f"{path}: content wider than its box"
        for table in page.locator("table").all():  # a table fits, or scrolls inside a box that fits
            box = table.evaluate("t => (t.closest('.table-wrap') || t).getBoundingClientRect().right")
            assert box <= width, f"{path}: a table's box ends at {box}px"
        if shot and shots:
            shoot(page, shot)
    page.goto(link)  # the checks table is a column of cards: nothing in it scrolls sideways
    checks = page.locator("table#checks")
    assert checks.evaluate("t => getComputedStyle(t.querySelector('td')).display") != "table-cell"
    assert checks.evaluate("t => t.closest('.table-wrap').scrollWidth - t.closest('.table-wrap').clientWidth") <= 0
    context.close()


def test_text_contrast_meets_wcag_aa(site: TestSite, web_serve: Callable[..., Served], web_page: Any) -> None:
    served = crawled_store(site, web_serve, 4, LINKWATCH_API_TOKEN="contrast-token-0123456789")
    page = web_page
    page.goto(served.base + "/login")
    assert page.evaluate(LOW_CONTRAST) == [], "/login: text below WCAG AA contrast"
    page.fill("input[type=password]", "contrast-token-0123456789")
    page.locator("main button[type=submit], main input[type=submit]").first.click()
    page.goto(served.base + "/links?q=hostile")
    link = page.locator("tbody tr a").first.get_attribute("href")
    checked = 0
    for path in (*PAGES, link, "/links?q=no-such-text"):
        page.goto(served.base + path)
        for frame in page.frames:  # the page, and the report shown inside /reports
            low = frame.evaluate(LOW_CONTRAST)
            assert low == [], f"{path} ({frame.url}): text below WCAG AA contrast: {low}"
        checked += page.evaluate("document.querySelectorAll('main *').length")
    assert checked > 100


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
