"""`WALK_JS`: the walk of a DOM every shadow DOM test uses, as JavaScript defining `shadowLinks(root)`: the
hrefs of the HTML `<a href>`/`<area href>` elements in shadow-including tree order, open roots only.
`PARSE_JS`, a function of `html`, parses it as Chromium's Document.parseHTMLUnsafe does (declarative shadow roots
attached) and walks it (the `chromium_links` fixture, tests/fixtures_browser_dom.py)."""

from __future__ import annotations

WALK_JS = """
const XHTML = 'http://www.w3.org/1999/xhtml';
const shadowLinks = (root) => {
  const out = [];
  const visit = (node) => {
    for (const child of node.children) {
      if (child.namespaceURI === XHTML && (child.localName === 'a' || child.localName === 'area')
          && child.hasAttribute('href')) out.push(child.href);
      if (child.shadowRoot) visit(child.shadowRoot);
      visit(child);
    }
  };
  visit(root);
  return out;
};
"""
PARSE_JS = "(html) => {" + WALK_JS + "return shadowLinks(Document.parseHTMLUnsafe(html)); }"
