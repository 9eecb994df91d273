"""The main text of a page: what a reader sees in its content area, boilerplate left out.

`main_text(tree, scripting)` is the visible text of the page's `<main>` (or `role="main"`), else of its
`<body>`, without the parts crawler.context's position rules name nav, header, footer, aside or comment
(so a changed menu or a new comment is not a changed page), one line per block, whitespace collapsed.
`page_links(...)` is every http(s) link of the page with its anchor, for telling where a lost link
went.  Both feed the evidence of a lost link (monitor.core.loss, docs/monitoring.md, "How a link was
lost").

Cheap because lexbor does most of the work (bench/README.md, "extract_page and the main text"): one walk
over the elements finds the parts to cut out by their tag and the blocks (jumping past each part it cuts
out), those parts go, one CSS query over what is left finds the elements named boilerplate or hidden by
their attributes, a line mark goes before and after each block but those, they go too, and one `text()`
reads what is left.  So `main_text` changes the tree: call it last.  Invariants: pure, and bounded whatever
the page: at most NODE_BUDGET elements looked at from Python (past them, the text stops before the part of the
content area where they ran out), MAX_CHARS characters and MAX_LINKS links kept.

Reads no settings.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.context import collapse_whitespace, element_position
from monitor.core.types import LinkPosition

__all__ = ["MAX_CHARS", "MAX_LINKS", "NODE_BUDGET", "main_text", "page_links"]

#: elements looked at from Python at most for one page's main text (cut out, or marked as a block)
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
#: every element crawler.context.element_position may name boilerplate by its attributes (a superset: each is
#: checked), and the hidden ones; a <br hidden> still ends a line
_POSITION_WORDS = ("comment", "disqus", "sidebar", "widget", "footer", "breadcrumb", "menu", "nav")
_ATTRIBUTE_QUERY = ", ".join(["[hidden]", "[role]", "[id*=header i]", "[id*=masthead i]"]
                             + [f"[{name}*={word} i]" for word in _POSITION_WORDS for name in ("class", "id")])
_MARK = "\x00"  # a line ends here: the HTML parser never leaves a NUL in the text
#: characters Python's str.split() and JavaScript's \s (collapse_whitespace) disagree on being whitespace
_ODD_SPACES = ("\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\ufeff")


def _tag_ids(names: Iterable[str]) -> frozenset[int]:
    factory = LexborHTMLParser("")
    return frozenset(factory.create_node(name).tag_id for name in names)


_BLOCK_IDS = _tag_ids(_BLOCKS)
_UNSEEN_IDS = _tag_ids(_UNSEEN)
_UNSEEN_SCRIPTING_IDS = _tag_ids(_UNSEEN | {"noscript"})
_POSITION_IDS = _tag_ids(("nav", "aside", "header", "footer"))  # named by the element itself
_BR_ID = next(iter(_tag_ids(("br",))))


def main_text(tree: LexborHTMLParser, scripting: bool = False) -> str:
    """The visible text of the page's content area, one line per block (see the module docstring).

    Changes `tree`: the hidden and boilerplate parts are taken out, line marks put in."""
    root = tree.css_first("main, [role=main]") or tree.body
    unseen = _UNSEEN_SCRIPTING_IDS if scripting else _UNSEEN_IDS
    if root is None or root.tag_id in unseen or "hidden" in root.attrs:
        return ""
    cut, blocks, stop = _walk(root, unseen)
    end = f"{_MARK}{secrets.token_hex(8)}{_MARK}"  # where reading stops when the budget ran out
    if stop is not None:
        _stop_before(stop, root, end)
    for node in cut:  # parts apart from one another and from the blocks: none is used once freed
        node.decompose()
    candidates = root.css(_ATTRIBUTE_QUERY)
    if len(candidates) > NODE_BUDGET:
        _stop_before(candidates[NODE_BUDGET], root, end)
    named = [node for node in candidates[:NODE_BUDGET]
             if node.tag_id != _BR_ID and node.mem_id != root.mem_id
             and ("hidden" in node.attrs or _boilerplate(node))]
    named_ids = {node.mem_id for node in named}
    for node in blocks:
        if node.mem_id not in named_ids:
            node.insert_before(_MARK)
            if node.tag_id != _BR_ID:
                node.insert_after(_MARK)
    for node in reversed(named):  # a part before the parts it is in: none is used once freed
        node.decompose()
    text = root.text()
    return _lines(text[:text.find(end) if end in text else MAX_CHARS * 4][:MAX_CHARS * 4])[:MAX_CHARS]


def _stop_before(node: LexborNode, root: LexborNode, end: str) -> None:
    """Mark where reading stops: before the part of `root` (one of its children) that holds `node`, so that no
    part cut out takes the mark with it."""
    while node.parent is not None and node.parent.mem_id != root.mem_id:
        node = node.parent
    if node.mem_id != root.mem_id:
        node.insert_before(end)


def _walk(root: LexborNode,
          unseen: frozenset[int]) -> tuple[list[LexborNode], list[LexborNode], LexborNode | None]:
    """One walk of `root`'s elements in document order: (the parts to cut out by their tag, the blocks outside
    them, the first element not looked at when NODE_BUDGET ran out).  A part cut out is skipped: the walk
    resumes at the element after it."""
    cut: list[LexborNode] = []
    blocks: list[LexborNode] = []
    resume: int | None = None  # inside a part cut out: skip up to this element
    for seen, node in enumerate(root.traverse()):
        if seen == NODE_BUDGET:
            return cut, blocks, node
        if resume is not None:
            if node.mem_id != resume:
                continue
            resume = None
        tag = node.tag_id
        if tag in unseen or (tag in _POSITION_IDS and _boilerplate(node)):
            if node.mem_id == root.mem_id:  # the content area itself is never cut (class="comments")
                continue
            cut.append(node)
            resume = _after(node, root)
            if resume is None:
                break
        elif tag in _BLOCK_IDS:
            blocks.append(node)
    return cut, blocks, None


def _after(node: LexborNode, root: LexborNode) -> int | None:
    """The element (or comment) that follows `node`'s subtree in document order inside `root`, or None."""
    current: LexborNode | None = node
    while current is not None and current.mem_id != root.mem_id:
        following = current.next
        while following is not None and following.is_text_node:
            following = following.next
        if following is not None:
            return following.mem_id
        current = current.parent
    return None


def _lines(text: str) -> str:
    """`text` with whitespace collapsed as collapse_whitespace does, one line per run between marks.

    str.split() does the collapsing unless the text holds a character it counts as whitespace and
    collapse_whitespace does not (or the reverse), then the regex does; a U+001E in the text ends a line
    either way, as it always did."""
    if any(odd in text for odd in _ODD_SPACES):
        collapsed = collapse_whitespace(text.replace("\x1e", _MARK))
    else:
        collapsed = " ".join(text.split())
    collapsed = collapsed.replace(f" {_MARK}", _MARK).replace(f"{_MARK} ", _MARK)  # no space next to a mark
    return "\n".join(filter(None, collapsed.split(_MARK)))


def _boilerplate(element: LexborNode) -> bool:
    position = element_position(element)
    return position is not None and position is not LinkPosition.CONTENT


def page_links(tree: LexborHTMLParser, join: Callable[[str, str], str | None],
               base_url: str) -> tuple[tuple[str, str], ...]:
    """Every http(s) `<a href>` of the page with a text, as (anchor, href), at most MAX_LINKS, first seen first.

    `join(base_url, href)` resolves an href as the link extraction does (None when it does not parse)."""
    links: dict[tuple[str, str], None] = {}
    for node in tree.css("a[href]"):
        anchor = collapse_whitespace(node.text())[:ANCHOR_CHARS]
        href = join(base_url, node.attrs.get("href") or "") if anchor else None
        if href and href.startswith(("http://", "https://")):
            links.setdefault((anchor, href), None)
            if len(links) >= MAX_LINKS:
                break
    return tuple(links)
