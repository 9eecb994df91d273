"""The main text of a page: what a reader sees in its content area, boilerplate left out.

`main_text(tree, scripting)` is the visible text of the page's `<main>` (or `role="main"`), else of its
`<body>`, without the parts crawler.context's position rules name nav, header, footer, aside or comment
(so a changed menu or a new comment is not a changed page), one line per block, whitespace collapsed.
`page_links(...)` is every http(s) link of the page with its anchor, for telling where a lost link
went.  Both feed the evidence of a lost link (monitor.core.loss, docs/monitoring.md, "How a link was
lost").  Invariants: pure, and bounded whatever the page: at most NODE_BUDGET nodes read, MAX_CHARS
characters and MAX_LINKS links kept.

Reads no settings.
"""

from __future__ import annotations

from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.context import collapse_whitespace, element_position
from monitor.core.types import LinkPosition

__all__ = ["MAX_CHARS", "MAX_LINKS", "NODE_BUDGET", "PageLinks", "main_text"]

#: nodes read at most for one page's main text
NODE_BUDGET = 200_000
#: characters of main text kept at most (a long article is about 50,000)
MAX_CHARS = 200_000
#: links of a page kept at most, and characters of one anchor
MAX_LINKS = 500
ANCHOR_CHARS = 200
_UNSEEN = frozenset({"script", "style", "template", "head", "title", "iframe", "noembed", "noframes", "svg",
                     "math", "select", "button"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr",
    "ul", "caption", "option", "search",
})
_MARK = "\x1e"  # a line ends here (collapse_whitespace keeps it)


def main_text(tree: LexborHTMLParser, scripting: bool = False) -> str:
    """The visible text of the page's content area, one line per block (see the module docstring)."""
    root = tree.css_first("main, [role=main]") or tree.body
    if root is None:
        return ""
    unseen = _UNSEEN | {"noscript"} if scripting else _UNSEEN
    pieces: list[str] = []  # text, and _MARK where a block starts or ends
    size = 0
    stack: list[LexborNode | None] = [root]  # None: the end of a block
    budget = NODE_BUDGET
    while stack and budget > 0 and size < MAX_CHARS:
        node = stack.pop()
        budget -= 1
        if node is None or (node.is_element_node and node.tag == "br"):
            pieces.append(_MARK)
            continue
        if node.is_text_node:
            piece = node.text_content or ""
            pieces.append(piece)
            size += len(piece)
            continue
        if not node.is_element_node or node.tag in unseen or "hidden" in node.attributes:
            continue
        if node is not root and _boilerplate(node):
            continue
        if node.tag in _BLOCKS:
            pieces.append(_MARK)
            stack.append(None)
        stack.extend(reversed(list(node.iter(include_text=True))))
    lines = collapse_whitespace("".join(pieces)).split(_MARK)  # one pass of the regex over the whole text
    return "\n".join(line.strip(" ") for line in lines if line.strip(" "))[:MAX_CHARS]


def _boilerplate(element: LexborNode) -> bool:
    position = element_position(element)
    return position is not None and position is not LinkPosition.CONTENT


class PageLinks:
    """Every http(s) link of a page with a text, as (anchor, href), at most MAX_LINKS, first seen first."""

    def __init__(self, join: Callable[[str, str], str | None], base_url: str) -> None:
        self._join = join
        self._base_url = base_url
        self.links: dict[tuple[str, str], None] = {}

    def consider(self, node: LexborNode, raw_href: str) -> None:
        if len(self.links) >= MAX_LINKS or node.tag != "a":
            return
        anchor = collapse_whitespace(node.text())[:ANCHOR_CHARS]
        if not anchor:
            return
        href = self._join(self._base_url, raw_href)
        if href and href.startswith(("http://", "https://")):
            self.links.setdefault((anchor, href), None)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.links)
