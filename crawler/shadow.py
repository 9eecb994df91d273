"""Declarative shadow DOM: the content of open shadow roots joins the tree, as Google flattens it.

A browser's HTML parser attaches a shadow root to an element when it meets `<template shadowrootmode="open">`
(or `closed`) as that element's child: the template is not inserted, its content is the shadow root's.
Lexbor keeps such a template as an inert `<template>`, whose links a browser with shadow roots flattened
(Google) would see.  `attach_declarative_shadow_roots(tree)` does what the parser does: the content of every
template that becomes an open shadow root moves to the start of its host (shadow-including tree order: the
shadow tree before the host's children), a closed one is dropped (its content is no link: a page's scripts
cannot reach it, and neither can linkwatch), and the others stay inert templates.  The rendered DOM gets here
too: crawler.render_dom serialises a rendered page's open shadow roots as such templates.

Invariant, as the HTML standard says: only the first declarative shadow root of a host counts; the host must
be able to have one (a custom element, or one of VALID_HOSTS); a template inside another (non-shadow)
template stays inert.  Bounded work: every template is looked at once.  Which pages pay: only those with a
`<template shadowrootmode>` (crawler.extract finds them in the walk it makes anyway).

Reads no settings.
"""

from __future__ import annotations

import logging
import re
from collections import deque

from selectolax.lexbor import LexborHTMLParser, LexborNode

logger = logging.getLogger(__name__)

__all__ = ["VALID_HOSTS", "attach_declarative_shadow_roots"]

#: elements that can have a shadow root (besides custom elements): DOM Standard, attachShadow()
VALID_HOSTS = frozenset({
    "article", "aside", "blockquote", "body", "div", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "main", "nav", "p", "section", "span",
})
_RESERVED_NAMES = frozenset({
    "annotation-xml", "color-profile", "font-face", "font-face-src", "font-face-uri", "font-face-format",
    "font-face-name", "missing-glyph",
})
_CUSTOM_NAME_RE = re.compile(r"[a-z][^A-Z\t\n\f\r />]*-[^A-Z\t\n\f\r />]*\Z")


def attach_declarative_shadow_roots(tree: LexborHTMLParser) -> int:
    """Move the content of the open declarative shadow roots of `tree` into place (see the module
    docstring); returns how many were attached.  The templates inside a shadow root's content are
    looked for in that content only, so nested roots cost no new walk of the whole document."""
    pending = deque(tree.css("template[shadowrootmode]"))  # document order: a host's first root wins
    hosts: set[int] = set()
    attached = 0
    while pending:
        nested = _attach(pending.popleft(), hosts)
        if nested is not None:
            attached += 1
            pending.extend(nested)
    return attached


def _attach(template: LexborNode, hosts: set[int]) -> list[LexborNode] | None:
    """Attach one template's shadow root to its parent if the parser would.  For an open one, the
    declarative templates its content holds (to attach in turn); None when no open root was attached."""
    mode = (template.attrs.get("shadowrootmode") or "").lower()  # an enumerated attribute: not trimmed
    host = template.parent
    if mode not in ("open", "closed") or host is None or not _can_host(host) or host.mem_id in hosts:
        return None  # an inert template, as the parser leaves it
    hosts.add(host.mem_id)
    nested: list[LexborNode] | None = None
    if mode == "open":
        content = [f for f in template.template_fragments() if f.parent is not None
                   and f.parent.mem_id == template.mem_id]
        nested = [inner for fragment in content for inner in fragment.css("template[shadowrootmode]")]
        first = host.child
        for fragment in content:
            for child in list(fragment.iter(include_text=True)):
                if first is None:
                    host.insert_child(child, move=True)
                else:
                    first.insert_before(child, move=True)
    template.decompose()
    return nested


def _can_host(element: LexborNode) -> bool:
    tag = element.tag or ""
    if tag in VALID_HOSTS:
        return True
    return tag not in _RESERVED_NAMES and _CUSTOM_NAME_RE.match(tag) is not None
