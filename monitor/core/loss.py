"""How a link was lost: from the link as last seen live and the page now, `how`, `before` and `after`.

`explain_loss(...)` is pure (no I/O, no settings): the ingest calls it when it confirms a `lost`
event and puts its fields into the event's `detail`; tests/test_loss.py tables it.  The four answers,
checked in this order (docs/monitoring.md, "How a link was lost"):

- `moved_to_other_url`: a link with the same anchor text now points elsewhere, in the same passage;
- `unlinked`: the anchor text is still in the closest passage (the run of words of the page now most like
  the sentence the link was in), or most of that sentence is still there, without the link;
- `page_rewritten`: at least REWRITTEN_SHARE of the main text changed since the link was last seen live;
- `passage_removed`: otherwise (the passage is gone, most of the page is not).

`changed_share` compares the main text then and now as sets of SHINGLE-word runs, so that the cost stays
linear in the text and a reordered page is not a rewritten one.  Work is bounded by the texts' sizes,
which the crawler bounds (crawler.main_text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from monitor.core.context import collapse_whitespace
from monitor.core.types import LinkContext

__all__ = ["REWRITTEN_SHARE", "LossEvidence", "changed_share", "closest_passage", "explain_loss", "link_passage",
           "link_sentence", "sentence_of", "split_sentence"]

#: a page whose main text changed by at least this share was rewritten
REWRITTEN_SHARE = 0.5
#: most of a passage: this share of its words found together in the page now
UNLINKED_SHARE = 0.6
#: a passage of the page now holding less than this share of the words of the link's sentence is no "closest passage"
PASSAGE_SHARE = 0.35
#: words in one shingle of changed_share
SHINGLE = 4
_WORD_RE = re.compile(r"\w+")
_SENTENCE_END_RE = re.compile(r"[.!?\u3002](?=\s|$)")
#: the anchor starts at most this far into a `before` (120 characters of context, and a space)
_ANCHOR_START = 121

UNLINKED, PASSAGE_REMOVED, PAGE_REWRITTEN, MOVED = "unlinked", "passage_removed", "page_rewritten", "moved_to_other_url"


@dataclass(frozen=True, slots=True)
class LossEvidence:
    """The fields a `lost` event's detail gains (their names are an interface: alerts and the web read them)."""

    how: str | None  # None when the page's text now is unknown (a 304 confirmed the loss)
    before: str
    after: str
    changed_share: float | None
    moved_to: str | None = None
    moved_to_competitor: str | None = None

    def to_detail(self) -> dict[str, Any]:
        return {"how": self.how, "before": self.before, "after": self.after, "changed_share": self.changed_share,
                "moved_to": self.moved_to, "moved_to_competitor": self.moved_to_competitor}


def link_passage(anchor: str, context: LinkContext) -> str:
    """The link's context as last seen live: the text before, the anchor, the text after."""
    return collapse_whitespace(f"{context.before} {anchor} {context.after}")


def link_sentence(anchor: str, context: LinkContext) -> str:
    """The sentence the link was in: its context cut at the sentence ends nearest the anchor on each side."""
    before = collapse_whitespace(context.before)
    starts = [m.end() for m in _SENTENCE_END_RE.finditer(before)]
    before = before[starts[-1]:] if starts else before
    after = collapse_whitespace(context.after)
    end = _SENTENCE_END_RE.search(after)
    after = after[:end.start() + 1] if end else after
    return collapse_whitespace(f"{before} {anchor} {after}")


def split_sentence(text: str, anchor: str | None) -> tuple[str, str, str, str, str]:
    """(text before the sentence, the sentence up to the anchor, the anchor, the rest of the sentence, text after);
    the text around the sentence, a cut from the page, with an ellipsis.

    Without the anchor in `text`, the whole text is the sentence."""
    start = _anchor_at(text, anchor or "")
    if start < 0 or not anchor:
        return "", text, "", "", ""
    end = start + len(anchor)
    opening = max((m.end() for m in _SENTENCE_END_RE.finditer(text, 0, start)), default=0)
    while opening < start and text[opening].isspace():
        opening += 1
    closing = _SENTENCE_END_RE.search(text, end)
    stop = closing.end() if closing else len(text)
    lead, tail = text[:opening], text[stop:]
    return (f"…{lead}" if lead else ""), text[opening:start], anchor, text[end:stop], (f"{tail}…" if tail else "")


def _anchor_at(text: str, anchor: str) -> int:
    """Where the anchor of the context is: its last occurrence that starts where the context puts it."""
    if not anchor:
        return -1
    found, at = -1, text.find(anchor)
    while 0 <= at <= _ANCHOR_START:
        found, at = at, text.find(anchor, at + 1)
    return found


def sentence_of(passage: str, anchor: str | None) -> str:
    """The sentence of `passage` (a `before`) the anchor is in, without the text around it."""
    _, start, found, rest, _ = split_sentence(passage, anchor)
    return f"{start}{found}{rest}"


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.casefold())


def _shingles(text: str) -> set[tuple[str, ...]]:
    """The runs of SHINGLE words of each line (a run never spans two blocks, so moving a block changes nothing)."""
    found: set[tuple[str, ...]] = set()
    for line in text.splitlines():
        words = _words(line)
        if 0 < len(words) < SHINGLE:
            found.add(tuple(words))
        found.update(tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))
    return found


def changed_share(then: str, now: str) -> float:
    """How much of the main text changed, 0..1: the share of word runs found in only one of the two texts."""
    old, new = _shingles(then), _shingles(now)
    union = old | new
    if not union:
        return 0.0
    return round(1 - len(old & new) / len(union), 3)


def closest_passage(passage: str, text: str) -> tuple[str, float]:
    """The run of words of `text` most like `passage` (as many words, within one line), and the share of
    `passage`'s words it holds; ("", 0.0) when no run holds PASSAGE_SHARE of them."""
    wanted = set(_words(passage))
    size = len(_words(passage))
    if not wanted or not text:
        return "", 0.0
    best, best_hits, best_line = (0, 0), 0, ""
    for line in text.splitlines():
        spans = [(m.start(), m.end(), m.group().casefold()) for m in _WORD_RE.finditer(line)]
        hits = sum(1 for _, _, word in spans[:size] if word in wanted)
        best_here, start_here = hits, 0
        for i in range(size, len(spans)):  # slide the window one word on
            hits += (spans[i][2] in wanted) - (spans[i - size][2] in wanted)
            if hits > best_here:
                best_here, start_here = hits, i - size + 1
        if best_here > best_hits:
            window = spans[start_here:start_here + size]
            best, best_hits, best_line = (window[0][0], window[-1][1]), best_here, line
    share = min(1.0, best_hits / size)
    if share < PASSAGE_SHARE:
        return "", share
    start, end = best
    while start > 0 and not best_line[start - 1].isspace():  # whole words, with their punctuation
        start -= 1
    while end < len(best_line) and not best_line[end].isspace():
        end += 1
    return best_line[start:end], round(share, 3)


def _contains(text: str, phrase: str) -> bool:
    """Whether the words of `phrase` appear, in order and together, in `text` (case and punctuation ignored)."""
    words = _words(phrase)
    if not words:
        return False
    return f" {' '.join(words)} " in f" {' '.join(_words(text))} "


def explain_loss(anchor: str, context: LinkContext, then_text: str | None, now_text: str | None,
                 page_links: Iterable[tuple[str, str]] = (),
                 competitor_of: Callable[[str], str | None] = lambda url: None) -> LossEvidence:
    """How the link with `anchor` and `context` (as last seen live, on a page whose main text was `then_text`)
    was lost from the page whose main text is `now_text` and whose links are `page_links` ((anchor, href)).

    `competitor_of(url)`: the domain of the competitor site `url` is on, or None."""
    before = link_passage(anchor, context)
    if now_text is None:
        return LossEvidence(None, before, "", None)
    after, share = closest_passage(link_sentence(anchor, context), now_text)
    changed = changed_share(then_text, now_text) if then_text is not None else None
    moved_to = _moved_to(anchor, after, share, page_links)
    if moved_to is not None:
        return LossEvidence(MOVED, before, after, changed, moved_to, competitor_of(moved_to))
    if (after and _contains(after, anchor)) or share >= UNLINKED_SHARE:
        return LossEvidence(UNLINKED, before, after, changed)
    if changed is not None and changed >= REWRITTEN_SHARE:
        return LossEvidence(PAGE_REWRITTEN, before, after, changed)
    return LossEvidence(PASSAGE_REMOVED, before, after, changed)


def _moved_to(anchor: str, after: str, share: float, page_links: Iterable[tuple[str, str]]) -> str | None:
    """The href of a link with the same anchor text in the passage still there, if any."""
    wanted = _words(anchor)
    if not wanted or not (share >= UNLINKED_SHARE or _contains(after, anchor)):
        return None
    return next((href for text, href in page_links if _words(text) == wanted), None)
