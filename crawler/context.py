"""Where a link sits on its page: the visible text on each side of it, and the part of the page it is in.

`link_context(node, scripting)` is up to CONTEXT_CHARS characters of the text a reader sees before
and after the anchor element, whitespace collapsed and cut at word boundaries; `link_position(node)`
is content, nav, header, footer, aside, comment or unknown, from the element's ancestors.  Both read
the same parsed DOM the links come from (crawler.extract), so a rendered page's context is the
rendered text.  Invariants: pure, and bounded work per link whatever the page (at most NODE_BUDGET
nodes visited on each side, one pass up the ancestors), since every link of a hostile page may be
asked for.  The rules, and why: docs/check.md, "Where a link sits".

Reads no settings.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from monitor.core.context import CONTEXT_CHARS, collapse_whitespace, context_from_text
from monitor.core.types import LinkContext, LinkPosition

__all__ = ["collapse_whitespace", "element_position", "link_context", "link_position"]

#: nodes visited on each side of one link (a page of empty elements cannot make one link cost much)
NODE_BUDGET = 600
#: characters of one text node read at most (unless they are mostly whitespace, far more than CONTEXT_CHARS)
_TEXT_CLIP = 512
#: elements whose text a reader does not see (noscript too, when scripting is on)
_UNSEEN = frozenset({"script", "style", "template", "head", "title", "iframe", "noembed", "noframes"})
#: elements that start a new line: their text never runs into the text beside them
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr",
    "ul", "caption", "option", "search",
})
_UNSEEN_SCRIPTING = _UNSEEN | {"noscript"}
_ROOTS = frozenset({"body", "html"})
_SEP = " "
_ROLES = {
    "navigation": LinkPosition.NAV, "complementary": LinkPosition.ASIDE, "banner": LinkPosition.HEADER,
    "contentinfo": LinkPosition.FOOTER, "main": LinkPosition.CONTENT, "article": LinkPosition.CONTENT,
    "comment": LinkPosition.COMMENT,
}
_TAGS = {
    "nav": LinkPosition.NAV, "aside": LinkPosition.ASIDE, "header": LinkPosition.HEADER,
    "footer": LinkPosition.FOOTER, "main": LinkPosition.CONTENT, "article": LinkPosition.CONTENT,
}
# a class or id word (split at anything but letters and digits) that starts or ends with comment(s), or
# starts with disqus, names a comment section
_COMMENT_RE = re.compile(r"(?<![a-z0-9])(?:comment|disqus)|comments?(?![a-z0-9])")
# a class or id word containing one of these names that part of the page; so does a word starting with
# "nav" (nav, navi, navlist; not "unavailable")
_NAME_RE = re.compile(r"(sidebar|widget|footer|breadcrumb|menu|navbar|navigation)|(?<![a-z0-9])nav")
_NAMED = {
    "sidebar": LinkPosition.ASIDE, "widget": LinkPosition.ASIDE, "footer": LinkPosition.FOOTER,
    "breadcrumb": LinkPosition.NAV, "menu": LinkPosition.NAV, "navbar": LinkPosition.NAV,
    "navigation": LinkPosition.NAV, "nav": LinkPosition.NAV,
}
#: whole ids of a page's header in markup older than <header>
_HEADER_IDS = frozenset({"header", "masthead", "site-header", "page-header"})


# -- context -----------------------------------------------------------------------------------------
def link_context(node: LexborNode, scripting: bool = False) -> LinkContext:
    """The visible text before and after the element `node` (see the module docstring)."""
    unseen = _UNSEEN_SCRIPTING if scripting else _UNSEEN
    return context_from_text(_side(node, unseen, backwards=True)[::-1], _side(node, unseen, backwards=False))


def _side(node: LexborNode, unseen: frozenset[str], backwards: bool) -> str:
    """The text on one side of `node` (reversed when `backwards`), read away from it until it holds more than
    CONTEXT_CHARS characters once collapsed (one more tells whether the cut falls inside a word), the body
    ends, or NODE_BUDGET nodes were visited.  Blocks are separated by a space."""
    pieces: list[str] = []
    stack: list[LexborNode | str] = []  # what is left of the sibling subtree being read
    current, budget, size, check_at = node, NODE_BUDGET, 0, CONTEXT_CHARS + 1
    while budget > 0:
        if stack:
            item = stack.pop()
            if isinstance(item, str):
                pieces.append(item)
                continue
        else:
            sibling = current.prev if backwards else current.next
            if sibling is None:  # out of this element, to the next sibling of its parent
                parent = current.parent
                if parent is None or not parent.is_element_node or parent.tag in _ROOTS:
                    break
                if parent.tag in _BLOCKS:
                    pieces.append(_SEP)
                current = parent
                continue
            current = item = sibling
        budget -= 1
        if item.is_text_node:
            text = item.text_content or ""
            if len(text) > _TEXT_CLIP:  # only its end nearest the link can be needed
                text = text[-_TEXT_CLIP:] if backwards else text[:_TEXT_CLIP]
            pieces.append(text[::-1] if backwards else text)
            size += len(text)
            if size >= check_at:
                collapsed = collapse_whitespace("".join(pieces))
                if len(collapsed) > CONTEXT_CHARS:
                    return collapsed[:CONTEXT_CHARS + 1]  # one more: is the cut inside a word?
                check_at = size * 2
        elif item.is_element_node and item.tag not in unseen and "hidden" not in item.attributes:
            _push_children(item, stack, backwards)
    return "".join(pieces)


def _push_children(element: LexborNode, stack: list[LexborNode | str], backwards: bool) -> None:
    """Stack `element`'s children so that the one read first is popped first, between separators for a block."""
    block = element.tag in _BLOCKS
    if block:
        stack.append(_SEP)
    children = list(element.iter(include_text=True))
    stack.extend(children if backwards else reversed(children))
    if block:
        stack.append(_SEP)


# -- position ----------------------------------------------------------------------------------------
def link_position(node: LexborNode) -> LinkPosition:
    """The part of the page `node` sits in: the first of its ancestors, innermost first, that says."""
    current = node.parent
    while current is not None and current.is_element_node and current.tag not in _ROOTS:
        position = element_position(current)
        if position is not None:
            return position
        current = current.parent
    return LinkPosition.UNKNOWN


def element_position(element: LexborNode) -> LinkPosition | None:
    """What one element says about the links inside it, or None.

    A comment section (role or class/id) first, then the ARIA role, the element itself, and last its
    class and id names."""
    attrs = element.attributes
    names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower() if attrs else ""
    role = attrs.get("role") if attrs else None
    roles = role.lower().split() if role else ()
    if "comment" in roles or (names and _COMMENT_RE.search(names)):
        return LinkPosition.COMMENT
    for token in roles:
        if token in _ROLES:
            return _ROLES[token]
    tagged = _TAGS.get(element.tag or "")
    if tagged is not None or not names.strip():
        return tagged
    named = _NAME_RE.search(names)
    if named is not None:
        return _NAMED[named.group(1) or "nav"]
    if (attrs.get("id") or "").strip().lower() in _HEADER_IDS:
        return LinkPosition.HEADER
    return None
