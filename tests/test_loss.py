"""How a link was lost (monitor.core.loss): the four answers as a table, the passage found, the share changed."""

from __future__ import annotations

import pytest

from monitor.core.loss import changed_share, closest_passage, explain_loss
from monitor.core.types import LinkContext

INTRO = "Choosing a backlink monitor is harder than it looks, and most teams try three before settling."
PASSAGE_BEFORE = "For small agencies we recommend"
PASSAGE_AFTER = "because it keeps the evidence of every change it sees."
OUTRO = ("Pricing starts at nothing for self-hosting. Support is by email and answers within a day. "
         "The export formats cover Ahrefs, Semrush and Search Console.")
CONTEXT = LinkContext(before=PASSAGE_BEFORE, after=PASSAGE_AFTER)
THEN = "\n".join([INTRO, f"{PASSAGE_BEFORE} Linkwatch {PASSAGE_AFTER}", OUTRO, "A closing word on reports."])
REWRITTEN = ("Ten recipes for a rainy weekend\nBake bread slowly with cold water and good flour.\n"
             "Soup is better on the second day, when the flavours have married.")


def competitor(url: str) -> str | None:
    return "rival.example" if "rival.example" in url else None


CASES = [
    # (name, page now, links now, how, moved_to, moved_to_competitor)
    ("unlinked: the sentence is there without the link", THEN, (), "unlinked", None, None),
    ("unlinked: the anchor in an edited sentence",
     THEN.replace(PASSAGE_AFTER, "and so do many readers of ours."), (), "unlinked", None, None),
    ("passage_removed: the paragraph deleted",
     "\n".join([INTRO, OUTRO, "A closing word on reports."]), (), "passage_removed", None, None),
    ("page_rewritten", REWRITTEN, (), "page_rewritten", None, None),
    ("moved_to_other_url: the anchor links a competitor", THEN, (("Linkwatch", "https://rival.example/tool"),),
     "moved_to_other_url", "https://rival.example/tool", "rival.example"),
    ("moved_to_other_url: elsewhere, not a competitor", THEN, (("linkwatch", "https://other.example/"),),
     "moved_to_other_url", "https://other.example/", None),
    ("a link with the same anchor elsewhere on a rewritten page is no move", REWRITTEN,
     (("Linkwatch", "https://rival.example/tool"),), "page_rewritten", None, None),
]


@pytest.mark.parametrize(("name", "now", "links", "how", "moved_to", "rival"), CASES, ids=[c[0] for c in CASES])
def test_how_a_link_was_lost(name: str, now: str, links: tuple[tuple[str, str], ...], how: str,
                             moved_to: str | None, rival: str | None) -> None:
    evidence = explain_loss("Linkwatch", CONTEXT, THEN, now, links, competitor)
    assert evidence.how == how, name
    assert evidence.moved_to == moved_to and evidence.moved_to_competitor == rival
    assert evidence.before == f"{PASSAGE_BEFORE} Linkwatch {PASSAGE_AFTER}"
    detail = evidence.to_detail()
    assert set(detail) == {"how", "before", "after", "changed_share", "moved_to", "moved_to_competitor"}
    assert detail["changed_share"] is not None and 0.0 <= detail["changed_share"] <= 1.0


def test_the_closest_passage_is_the_sentence_still_there_and_empty_when_none() -> None:
    passage, share = closest_passage(f"{PASSAGE_BEFORE} Linkwatch {PASSAGE_AFTER}", THEN)
    assert passage == f"{PASSAGE_BEFORE} Linkwatch {PASSAGE_AFTER}" and share == 1.0
    assert closest_passage(f"{PASSAGE_BEFORE} Linkwatch {PASSAGE_AFTER}", REWRITTEN) == ("", pytest.approx(0.0,
                                                                                                          abs=0.3))
    assert explain_loss("Linkwatch", CONTEXT, THEN, REWRITTEN).after == ""


def test_changed_share_counts_what_changed_not_what_moved() -> None:
    assert changed_share(THEN, THEN) == 0.0
    assert changed_share(THEN, "\n".join(reversed(THEN.splitlines()))) < 0.1
    assert changed_share(THEN, REWRITTEN) == 1.0
    removed = changed_share(THEN, "\n".join([INTRO, OUTRO, "A closing word on reports."]))
    assert 0.1 < removed < 0.5


def test_without_the_page_now_nothing_is_claimed_and_without_the_page_then_no_rewrite() -> None:
    unknown = explain_loss("Linkwatch", CONTEXT, THEN, None)
    assert unknown.how is None and unknown.after == "" and unknown.changed_share is None
    assert explain_loss("Linkwatch", CONTEXT, None, REWRITTEN).how == "passage_removed"
