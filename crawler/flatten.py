"""Cap the nesting depth of hostile markup before it is parsed, as Chromium's parser does.

Deep nesting costs any HTML5 parser time quadratic in the depth (100 000 nested `<div>`s:
~19 s in Lexbor), a huge `<select>` time linear per option.  `cap_nesting(html)` runs a light,
linear model of tree construction and removes the start and end tags that would push the
stack of open elements past 512 (Blink's `kMaximumHTMLParserDOMTreeDepth`), so their content
joins the element at the cap, and keeps the first 1024 options of a `<select>`.  Never removed:
the elements whose removal would change which links exist (`<a>`/`<area>`, `<svg>`/`<math>`,
raw-text elements).  A page that never goes past the cap is returned unchanged (the same
object); the model runs only on pages of more than 4096 `<` whose two C-speed counts exceed half
the cap.  The links, their hrefs and rel are the same (tests/test_properties.py).  How the model
works, where it differs from Chromium and its known gap: docs/reliability.md, "Deep markup".

Reads no settings.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from itertools import accumulate

logger = logging.getLogger(__name__)

__all__ = ["MAX_DEPTH", "cap_nesting", "may_nest_deeply", "nesting_depth"]

#: Blink's kMaximumHTMLParserDOMTreeDepth
MAX_DEPTH = 512
#: a page with at most this many '<' is parsed as it is: its worst case is small
SAFE_TAG_COUNT = 4096
#: options kept in one <select>: Lexbor re-runs the selectedness algorithm over all of them per insertion
MAX_OPTIONS = 1024
_TAG_NAME_RE = re.compile(r"<(/?[A-Za-z][^\t\n\f\r />]*)")

_WS = "\t\n\f\r "
# One token of the HTML tokenizer, from a '<': a comment, a start or end tag (attribute values
# quoted as the tokenizer quotes them, so a '>' inside a value does not end the tag), or any
# other markup declaration / bogus comment.  Every branch is linear: no pattern can fail late.
_TOKEN_RE = re.compile(
    r"<!--(?:-?>|.*?(?:--!?>|\Z))"
    r"|<(/?)([A-Za-z][^\t\n\f\r />]*)"
    r"((?:[\t\n\f\r /]+|[^\t\n\f\r />][^\t\n\f\r />=]*"
    r"(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:\"[^\"]*\"?|'[^']*'?|[^\t\n\f\r >]*))?)*)(?:>|\Z)"
    r"|<(?:[!?]|/(?![A-Za-z]))[^>]*>?",
    re.DOTALL,
)
_CDATA_RE = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|\Z)", re.DOTALL)
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"})
_RAW_END_RE = {name: re.compile(rf"</{name}(?=[\t\n\f\r />])", re.IGNORECASE) for name in _RAW_TEXT}
_VOID = frozenset({
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
})
_HTML, _FOREIGN = 0, 1
_SCOPE_MARKERS = frozenset({
    "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template",
    "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title",
})
_SPECIAL = _SCOPE_MARKERS | frozenset({
    "address", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body", "br",
    "button", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "embed",
    "fieldset", "figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4",
    "h5", "h6", "head", "header", "hgroup", "hr", "iframe", "img", "input", "keygen", "li", "link",
    "listing", "main", "menu", "meta", "nav", "noembed", "noframes", "noscript", "ol", "p", "param",
    "plaintext", "pre", "script", "search", "section", "select", "source", "style", "summary", "tbody",
    "textarea", "tfoot", "thead", "tr", "track", "ul", "wbr", "xmp",
})
_HTML_INTEGRATION = frozenset({"foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "annotation-xml"})
_BREAKOUT = frozenset({
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed",
    "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing", "menu", "meta", "nobr",
    "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup", "table", "tt", "u",
    "ul", "var",
})
# start tag -> open elements it closes when one of them is the current node (never more than the parser)
_CLOSES_CURRENT = {
    "li": ("li", "p"), "dd": ("dd", "dt", "p"), "dt": ("dd", "dt", "p"), "p": ("p",),
    "option": ("option",), "optgroup": ("option", "optgroup"), "tr": ("td", "th", "tr"),
    "td": ("td", "th"), "th": ("td", "th"), "a": ("a",),
    **{h: ("h1", "h2", "h3", "h4", "h5", "h6", "p") for h in ("h1", "h2", "h3", "h4", "h5", "h6")},
}
_NEVER_PUSHED = frozenset({"html", "head", "body", "frameset"})
# table parts are kept so that a table open at the cap keeps its structure (else its cells' content
# would be foster-parented out of it, reordering links); past the cap <table> itself goes, and parts
# outside a table are ignored by the parser, so they cannot nest
_TABLE_PARTS = frozenset({"caption", "colgroup", "tbody", "thead", "tfoot", "tr", "td", "th"})
_KEEP_PAST_CAP = frozenset({"a", "svg", "math", "plaintext"}) | _RAW_TEXT | _TABLE_PARTS


class _OpenElements:
    """The stack of open elements, with per-name and per-kind indexes so every step is O(1) amortised."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.spaces: list[int] = []
        self.latest: dict[str, list[int]] = {}
        self.markers: list[int] = [-1]
        self.specials: list[int] = [-1]

    def __len__(self) -> int:
        return len(self.names)

    def push(self, name: str, space: int) -> None:
        index = len(self.names)
        self.names.append(name)
        self.spaces.append(space)
        self.latest.setdefault(name, []).append(index)
        if name in _SCOPE_MARKERS and (space == _HTML or name in _HTML_INTEGRATION):
            self.markers.append(index)
        if name in _SPECIAL:
            self.specials.append(index)

    def pop(self) -> None:
        index = len(self.names) - 1
        name = self.names.pop()
        self.spaces.pop()
        self.latest[name].pop()
        if self.markers[-1] == index:
            self.markers.pop()
        if self.specials[-1] == index:
            self.specials.pop()

    def pop_through(self, name: str) -> None:
        target = self.latest[name][-1]
        while len(self.names) > target:
            self.pop()

    def current(self) -> str:
        return self.names[-1] if self.names else ""

    def in_foreign(self) -> bool:
        return bool(self.spaces) and self.spaces[-1] == _FOREIGN and self.names[-1] not in _HTML_INTEGRATION

    def closes(self, name: str) -> bool:
        """Does an end tag `name` pop elements (is one open and in scope)?"""
        open_at = self.latest.get(name)
        if not open_at:
            return False
        limit = self.markers[-1] if name in _SPECIAL else self.specials[-1]
        return open_at[-1] >= limit


class _Scanner:
    """One pass over the page: the model of the parser, and the edits that keep it under the cap."""

    def __init__(self, html: str, cap: int) -> None:
        self.html = html
        self.cap = cap
        self.stack = _OpenElements()
        self.dropped: dict[str, int] = {}
        self.cuts: list[tuple[int, int]] = []  # (start, end) spans of the page to remove
        self.max_depth = 0
        self.options = 0  # <option>/<optgroup> seen in the <select> open now

    def run(self, edit: bool) -> None:
        html, pos, search = self.html, 0, _TOKEN_RE.search
        while True:
            found = html.find("<", pos)
            if found < 0:
                return
            if self.stack.in_foreign() and html.startswith("<![CDATA[", found):
                pos = _CDATA_RE.match(html, found).end()  # type: ignore[union-attr]
                continue
            match = search(html, found)
            if match is None:
                return
            pos = max(match.end(), found + 1)
            name = match.group(2)
            if name is None:
                continue
            name = name.lower()
            if match.group(1):
                self._end_tag(name, match.start(), match.end())
            else:
                pos = self._start_tag(name, match.group(3), match.start(), match.end(), edit)

    def _start_tag(self, name: str, attrs: str, start: int, end: int, edit: bool) -> int:
        stack = self.stack
        foreign = stack.in_foreign()
        if foreign and name in _BREAKOUT:
            while stack.in_foreign():
                stack.pop()
            foreign = False
        if foreign:
            if attrs.endswith("/"):
                return end
            space = _FOREIGN
        else:
            if name in _VOID or name in _NEVER_PUSHED:
                return end
            for closed in _CLOSES_CURRENT.get(name, ()):
                if stack.current() == closed:
                    stack.pop()
                    self.dropped.clear()
            space = _FOREIGN if name in ("svg", "math") else _HTML
        if edit and len(stack) >= self.cap and (foreign or name not in _KEEP_PAST_CAP):
            return self._drop(name, start, end)
        if name == "select":
            self.options = 0
        elif name in ("option", "optgroup") and stack.latest.get("select"):
            self.options += 1
            if edit and self.options > MAX_OPTIONS:
                return self._drop(name, start, end)
        stack.push(name, space)
        self.max_depth = max(self.max_depth, len(stack))
        if space == _HTML:
            return self._skip_text_content(name, end)
        return end

    def _skip_text_content(self, name: str, end: int) -> int:
        if name == "plaintext":
            return len(self.html)
        pattern = _RAW_END_RE.get(name)
        if pattern is None:
            return end
        closing = pattern.search(self.html, end)
        return len(self.html) if closing is None else closing.start()

    def _drop(self, name: str, start: int, end: int) -> int:
        self.cuts.append((start, end))
        self.dropped[name] = self.dropped.get(name, 0) + 1
        return end

    def _end_tag(self, name: str, start: int, end: int) -> None:
        if self.dropped.get(name):
            self.dropped[name] -= 1
            self.cuts.append((start, end))
            return
        if name in _NEVER_PUSHED or not self.stack.closes(name):
            return
        self.stack.pop_through(name)
        self.dropped.clear()

    def edited(self) -> str:
        """The HTML without the cut tags. An empty comment stands where a run of tags was cut, so the text
        on either side cannot merge into something else: `<` + `x` into a tag, `&amp` + `;` into an entity."""
        pieces: list[str] = []
        last = 0
        for start, end in self.cuts:
            if start > last or not pieces:
                pieces.append(self.html[last:start])
            last = end
        pieces.append(self.html[last:])
        return "<!---->".join(pieces)


def nesting_depth(html: str) -> int:
    """The deepest stack of open elements the model sees in `html` (html/head/body not counted)."""
    scanner = _Scanner(html, MAX_DEPTH)
    scanner.run(edit=False)
    return scanner.max_depth


def may_nest_deeply(html: str, cap: int = MAX_DEPTH) -> bool:
    """A cheap test (C-speed counts) of whether `html` may nest deeper than about `cap`."""
    if len(html) <= 3 * SAFE_TAG_COUNT or html.count("<") <= SAFE_TAG_COUNT:
        return False
    tokens = _TAG_NAME_RE.findall(html)
    delta: dict[str, int] = {}
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    for token, number in Counter(tokens).items():
        name = token.lstrip("/").lower()
        if token[0] == "/":
            delta[token] = -1
            ends[name] += number
        else:
            delta[token] = 0 if name in _VOID else 1
            starts[name] += number
    if starts["option"] + starts["optgroup"] > MAX_OPTIONS:
        return True
    never_opened = sum(max(0, number - starts[name]) for name, number in ends.items())
    balance = max(accumulate(map(delta.__getitem__, tokens)), default=0)
    return balance + never_opened > cap // 2


def cap_nesting(html: str, cap: int = MAX_DEPTH, *, always: bool = False) -> str:
    """`html` with elements nested deeper than `cap` flattened (see the module docstring); unchanged if none is.

    `always` runs the model whatever the cheap test says (tests and fuzzing use it with small caps).
    """
    if not always and not may_nest_deeply(html, cap):
        return html
    scanner = _Scanner(html, cap)
    scanner.run(edit=True)
    if not scanner.cuts:
        return html
    logger.debug("flattened markup nested deeper than %d: %d tags removed", cap, len(scanner.cuts))
    return scanner.edited()
