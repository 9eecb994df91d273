"""The text rules of a link's context: whitespace collapsed, at most CONTEXT_CHARS characters a side, cut at
word boundaries.

One definition for the context the crawler reads around a link (crawler.context) and the one an
export brings (Ahrefs' "Left context" / "Right context", monitor.importers.ahrefs), so that the two
compare.  The rules: docs/check.md, "Where a link sits".

Reads no settings.
"""

from __future__ import annotations

import re

from monitor.core.types import LinkContext

__all__ = ["CONTEXT_CHARS", "collapse_whitespace", "context_from_text", "cut_after", "cut_before"]

CONTEXT_CHARS = 120
# what JavaScript's \s matches: the anchors of the ground truth were collapsed that way
_WHITESPACE_RE = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def collapse_whitespace(text: str) -> str:
    """Collapse runs of whitespace (NBSP included) to one space and trim."""
    return _WHITESPACE_RE.sub(" ", text).strip(" ")


def cut_before(text: str) -> str:
    """The last CONTEXT_CHARS characters of `text` collapsed, without a word cut in two at the start."""
    text = collapse_whitespace(text)
    if len(text) <= CONTEXT_CHARS:
        return text
    kept = text[-CONTEXT_CHARS:]
    if text[-CONTEXT_CHARS - 1] != " " and " " in kept:  # the cut falls inside a word: drop its end
        kept = kept[kept.index(" ") + 1:]
    return kept.strip(" ")


def cut_after(text: str) -> str:
    """The first CONTEXT_CHARS characters of `text` collapsed, without a word cut in two at the end."""
    text = collapse_whitespace(text)
    if len(text) <= CONTEXT_CHARS:
        return text
    kept = text[:CONTEXT_CHARS]
    if text[CONTEXT_CHARS] != " " and " " in kept:
        kept = kept[:kept.rindex(" ")]
    return kept.strip(" ")


def context_from_text(before: str, after: str) -> LinkContext:
    """A LinkContext from the raw text on each side of an anchor (any length, any whitespace)."""
    return LinkContext(before=cut_before(before), after=cut_after(after))
