"""Find the links on a page that point at the targets, as a browser sees them (scripting disabled, or on).

`extract_page(html, url, targets, x_robots_tag, scripting)` is a pure function: one HTML5 parse
(selectolax's Lexbor parser; scripting disabled by default, so `<noscript>` content is markup, and on for a
rendered DOM, where it is text; markup nested deeper than Chromium's cap of 512 flattened first,
crawler/flatten.py; open declarative shadow roots attached, crawler/shadow.py), then one pass over the
`<a href>` and `<area href>` elements, each one matching a target read with its context and position
(crawler.context).  Invariant: what a browser would see, no more: `<template>`
contents (but those of an open shadow root) and SVG/MathML `<a>` are not links; an href is serialised as
`element.href` (WHATWG URL parser, ada-url) against the document base URL, and one that does not parse is
not a link.  How rel, anchor and follow are read: docs/links.md, "Which elements are links".

Reads no settings.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ada_url
from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.context import collapse_whitespace, link_context, link_position
from crawler.directives import META_NAMES, robots_directives
from crawler.flatten import cap_nesting
from crawler.main_text import main_text, page_links
from crawler.shadow import attach_declarative_shadow_roots
from monitor.core.targets import Target
from monitor.core.types import ObservedLink, PageDirectives

logger = logging.getLogger(__name__)

__all__ = ["ExtractedPage", "collapse_whitespace", "extract_page", "lacks_followed_link", "split_rel"]

NOFOLLOW_RELS = frozenset({"nofollow", "sponsored", "ugc"})
_ASCII_WS = "\t\n\f\r "
_ASCII_WS_RE = re.compile("[\t\n\f\r ]+")
_REL_SPLIT_RE = re.compile("[\t\n\f\r ,]+")
_HTML, _SVG, _MATHML = 0, 1, 2
_SVG_HTML_POINTS = frozenset({"foreignobject", "desc", "title"})
_MATHML_TEXT_POINTS = frozenset({"mi", "mo", "mn", "ms", "mtext"})


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What the static HTML of a page says: directives and the links that match the targets."""

    directives: PageDirectives
    links: tuple[ObservedLink, ...]  # document order; one entry per (element, matching target)
    base_url: str
    title: str | None
    contact_hints: tuple[str, ...] = ()  # mailto: addresses and contact/about pages linked from the page
    main_text: str = ""  # the visible text of the content area (crawler.main_text)
    # every http(s) link with a text: (anchor, href); only read when some target has no link on the page
    page_links: tuple[tuple[str, str], ...] = ()


def lacks_followed_link(targets: Iterable[str], links: Iterable[ObservedLink]) -> bool:
    """Whether some target (as the job gives it) has no followed link among `links`."""
    followed = {link.target for link in links if link.follow}
    return any(target not in followed for target in targets)


def split_rel(value: str | None) -> tuple[str, ...]:
    """rel tokens: lower-cased, split on ASCII whitespace and commas, first-seen order, no duplicates."""
    if not value:
        return ()
    tokens = (token.lower() for token in _REL_SPLIT_RE.split(value) if token)
    return tuple(dict.fromkeys(tokens))


def _join(base: str, href: str) -> str | None:
    try:
        return str(ada_url.join_url(base, href))
    except ValueError:
        return None


class _Namespaces:
    """The namespace of elements below <svg>/<math>, which Lexbor does not expose.

    Tree construction puts a child in the HTML namespace when its parent is an
    HTML element or an integration point, else in its parent's namespace
    (`svg`/`math` start new ones).  Computed top-down along the ancestor chain,
    iteratively, remembering every element seen so the total work is linear.
    """

    def __init__(self) -> None:
        self._known: dict[int, int] = {}

    def of(self, node: LexborNode) -> int:
        chain: list[LexborNode] = []
        current: LexborNode | None = node
        namespace = _HTML
        while current is not None and current.tag is not None and not current.tag.startswith("-"):
            known = self._known.get(current.mem_id)
            if known is not None:
                namespace = known
                break
            chain.append(current)
            current = current.parent
        parent: LexborNode | None = current
        for element in reversed(chain):
            namespace = self._child_namespace(parent, namespace, element.tag or "")
            self._known[element.mem_id] = namespace
            parent = element
        return namespace

    @staticmethod
    def _child_namespace(parent: LexborNode | None, parent_ns: int, tag: str) -> int:
        tag = tag.lower()
        if parent is None or parent_ns == _HTML or _is_html_integration_point(parent, parent_ns):
            html_rules = True
        elif parent_ns == _MATHML and (parent.tag or "") in _MATHML_TEXT_POINTS:
            html_rules = tag not in ("mglyph", "malignmark")
        else:
            html_rules = parent_ns == _MATHML and parent.tag == "annotation-xml" and tag == "svg"
        if not html_rules:
            return parent_ns
        return _SVG if tag == "svg" else _MATHML if tag == "math" else _HTML


def _is_html_integration_point(node: LexborNode, namespace: int) -> bool:
    tag = (node.tag or "").lower()
    if namespace == _SVG:
        return tag in _SVG_HTML_POINTS
    if namespace == _MATHML and tag == "annotation-xml":
        encoding = (node.attrs.get("encoding") or "").strip(_ASCII_WS).lower()
        return encoding in ("text/html", "application/xhtml+xml")
    return False


class _Document:
    """One parsed page, with the lookups every link needs done once."""

    _FOREIGN_CANDIDATES = ", ".join(
        f"{root} {tag}" for root in ("svg", "math") for tag in ("a", "area", "base", "link")
    )

    def __init__(self, html: str, url: str, scripting: bool) -> None:
        # bounded time on pathologically deep markup
        self.tree = LexborHTMLParser(cap_nesting(html), scripting=scripting)
        self._find_foreign()
        self._bases: list[LexborNode] = []
        self._metas: list[LexborNode] = []
        self._links: list[LexborNode] = []
        shadow_roots: list[LexborNode] = []
        lists = {"base": self._bases, "meta": self._metas, "link": self._links, "template": shadow_roots}
        # one walk for all four
        for node in self.tree.css("base[href], meta[name][content], link[rel][href], template[shadowrootmode]"):
            lists[node.tag or ""].append(node)
        self.base_url = self._base_url(url)
        # after the document's own <base>, <meta> and <link>: those of a shadow tree do not count
        if shadow_roots and attach_declarative_shadow_roots(self.tree):
            self._find_foreign()

    def _find_foreign(self) -> None:
        self._namespaces = _Namespaces()
        self._foreign_ids: set[int] = set()
        if self.tree.css_first("svg, math") is not None:
            self._foreign_ids = {node.mem_id for node in self.tree.css(self._FOREIGN_CANDIDATES)}

    def is_html(self, node: LexborNode) -> bool:
        if node.mem_id not in self._foreign_ids:
            return True
        return self._namespaces.of(node) == _HTML

    def _base_url(self, url: str) -> str:
        for base in self._bases:
            if self.is_html(base):
                return _join(url, base.attrs.get("href") or "") or url
        return url

    def meta_robots(self) -> list[str]:
        contents = []
        for meta in self._metas:
            name = (meta.attrs.get("name") or "").strip(_ASCII_WS).lower()
            if name in META_NAMES:
                contents.append(meta.attrs.get("content") or "")
        return contents

    def canonical(self) -> str | None:
        for link in self._links:
            if "canonical" in split_rel(link.attrs.get("rel")) and self.is_html(link):
                return _join(self.base_url, link.attrs.get("href") or "")
        return None

    def title(self) -> str | None:
        node = self.tree.css_first("title")
        if node is None:
            return None
        return _ASCII_WS_RE.sub(" ", node.text()).strip(" ")


def _anchor(node: LexborNode, is_area: bool) -> str:
    if is_area:
        return collapse_whitespace(node.attrs.get("alt") or "")
    text = collapse_whitespace(node.text())
    if text:
        return text
    img = node.css_first("img")
    return collapse_whitespace(img.attrs.get("alt") or "") if img is not None else ""


class _Prefilter:
    """Rejects, without URL parsing, a raw href that cannot resolve to any target.

    An href resolves to a target's host only if it spells that host itself or is
    relative to a base URL on it.  Raw hrefs the URL parser could rewrite into a
    target host (non-ASCII, %-escapes, tabs and newlines, numeric IPv4 forms) are
    never rejected.
    """

    _REWRITTEN = re.compile("[^\x21-\x7e ]|%")

    def __init__(self, targets: Sequence[Target], base_url: str) -> None:
        self.hosts = tuple(target.host for target in targets)
        ip_target = any(host.startswith("[") or host.replace(".", "").isdigit() for host in self.hosts)
        self.active = not ip_target and not any(host in base_url for host in self.hosts)

    def may_match(self, raw_href: str) -> bool:
        if not self.active or self._REWRITTEN.search(raw_href):
            return True
        lowered = raw_href.lower()
        return any(host in lowered for host in self.hosts)


def extract_page(html: str, url: str, targets: Sequence[Target], x_robots_tag: Sequence[str] = (),
                 scripting: bool = False) -> ExtractedPage:
    """Parse `html` (fetched from `url`) once and return its directives and the links matching `targets`.

    `scripting`: parse as a browser running scripts does (`<noscript>` content is text): for a rendered DOM."""
    doc = _Document(html, url, scripting)
    directives = robots_directives(doc.meta_robots(), x_robots_tag, doc.canonical())
    links: list[ObservedLink] = []
    base_url = doc.base_url
    prefilter = _Prefilter(targets, base_url)
    contacts = _ContactHints()
    for node in doc.tree.css("a[href], area[href]"):
        raw_href = node.attrs.get("href") or ""
        contacts.consider(base_url, raw_href)
        if not prefilter.may_match(raw_href):
            continue
        href = _join(base_url, raw_href)
        if href is None:
            continue
        matched = [target for target in targets if target.matches_serialized(href)]
        if not matched or not doc.is_html(node):
            continue
        rel = split_rel(node.attrs.get("rel"))
        follow = not directives.nofollow and NOFOLLOW_RELS.isdisjoint(rel)
        anchor = _anchor(node, node.tag == "area")
        context, position = link_context(node, scripting), link_position(node)
        links.extend(ObservedLink(href=href, rel=rel, anchor=anchor, follow=follow, target=t.raw, context=context,
                                  position=position) for t in matched)
    found = {link.target for link in links}
    # where a lost link went: only asked when a target has no link here (monitor.core.loss, `moved_to`)
    pairs = page_links(doc.tree, _join, base_url) if any(t.raw not in found for t in targets) else ()
    title = doc.title()
    return ExtractedPage(directives=directives, links=tuple(links), base_url=base_url, title=title,
                         contact_hints=tuple(contacts.hints), main_text=main_text(doc.tree, scripting),  # last
                         page_links=pairs)


class _ContactHints:
    """Where to ask for a lost link back: mailto: addresses and contact/about pages the page links to
    (the reclaim report's worklist). A substring test first, so ordinary links cost next to nothing."""

    LIMIT = 8
    _KEYWORDS = ("mailto:", "contact", "about", "write-for-us", "impressum", "kontakt")

    def __init__(self) -> None:
        self.hints: list[str] = []

    def consider(self, base_url: str, raw_href: str) -> None:
        if len(self.hints) >= self.LIMIT:
            return
        lowered = raw_href.lower()
        if not any(word in lowered for word in self._KEYWORDS):
            return
        if lowered.lstrip().startswith("mailto:"):
            address = raw_href.strip()[7:].split("?")[0].strip()
            hint = f"mailto:{address}" if "@" in address else None
        else:
            href = _join(base_url, raw_href)
            hint = href.split("#")[0] if href and href.startswith(("http://", "https://")) else None
        if hint and hint not in self.hints:
            self.hints.append(hint)
