"""Reading a rendered page's DOM with its open shadow roots, as Google flattens them.

`page.content()` (what scrapy-playwright returns as the response body) serialises the light DOM only: a link
inside a shadow root that a script attached is not in it.  `read_dom(page)` serialises the same document as
`page.content()` does (the doctype, then `<html>`), but with every open shadow root in it, through Chromium's
`getHTML({shadowRoots})`: each comes out as a `<template shadowrootmode="open">` first in its host, which
crawler.extract attaches back (crawler.shadow).  Closed shadow roots cannot be reached from the page, and are
not read.  A page without an open shadow root costs one walk of its elements in the page.

Reads no settings.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SERIALIZE_JS", "read_dom"]

# `always` false: null when the page has no open shadow root (then page.content() is the same)
SERIALIZE_JS = """(always) => {
  const roots = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const shadow = el.shadowRoot;
      if (shadow) { roots.push(shadow); walk(shadow); }
    }
  };
  walk(document);
  const html = document.documentElement;
  if ((!roots.length && !always) || !html) return null;
  const quote = (v) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/\\u00a0/g, '&nbsp;')
    .replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const attrs = Array.from(html.attributes, (a) => ` ${a.name}="${quote(a.value)}"`).join('');
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
  return `${doctype}<html${attrs}>${html.getHTML({shadowRoots: roots})}</html>`;
}"""


async def read_dom(page: Any, always: bool = True) -> str | None:
    """The page's DOM with its open shadow roots (see the module docstring); with `always` false, None when it
    has none (page.content() is then the same text)."""
    result = await page.evaluate(SERIALIZE_JS, always)
    return result if isinstance(result, str) else None
