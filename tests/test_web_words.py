"""The words the web puts next to a link's state and in its verdict for a page that passes no value, from the
`links --json` object the pages read (the page flags of `linkwatch links`): every flag, several at once, and
only for a link that is live and followed."""

from __future__ import annotations

from typing import Any

from monitor.web.format import link_state_words, verdict_reason, with_page_flags

SOURCE = "https://blog.example/post"


def stored(state: str = "live", noindex: bool | None = False, blocked: bool | None = False,
           canonical: str | None = None) -> dict[str, Any]:
    return {"id": 7, "state": state, "target": "acme.com", "source_url": SOURCE, "final_url": SOURCE,
            "page_noindex": noindex, "page_blocked_for_google": blocked, "canonical": canonical}


CHECK = {"http_status": 200, "links": [{"rel": []}]}


def test_each_flag_and_several_read_in_the_state_and_the_verdict() -> None:
    blocked = stored(blocked=True)
    assert link_state_words(blocked) == "Live (followed) · page blocked for Google"
    assert verdict_reason(blocked, CHECK) == ("The page links to acme.com with a followed link, but the page is "
                                              "blocked for Google by its robots.txt, so the link passes no value.")
    both = stored(noindex=True, canonical="https://blog.example/original")
    assert link_state_words(both) == "Live (followed) · page noindex · page canonical elsewhere"
    assert verdict_reason(both, CHECK) == ("The page links to acme.com with a followed link, but the page is "
                                           "noindex and names another page as its canonical, so the link passes "
                                           "no value.")


def test_no_flag_words_for_a_plain_page_or_a_link_that_is_not_live() -> None:
    assert link_state_words(stored(canonical=SOURCE)) == "Live (followed)", "a self-canonical page is not flagged"
    assert verdict_reason(stored(), CHECK) == "The page (HTTP 200) links to acme.com and the link is followed."
    assert verdict_reason(stored(blocked=None, noindex=None), CHECK).endswith("the link is followed.")
    assert link_state_words(stored("nofollow", noindex=True)) == "Live, not followed"
    assert link_state_words(stored("lost", noindex=True)) == "Lost"


def test_changes_are_flagged_only_when_they_made_the_link_live_and_it_still_is() -> None:
    events = [{"backlink_id": 7, "type": "new", "old_state": "unchecked", "new_state": "live"},
              {"backlink_id": 7, "type": "page_noindex", "old_state": "live", "new_state": "live"},
              {"backlink_id": 8, "type": "restored", "old_state": "lost", "new_state": "live"},
              {"backlink_id": None, "type": "new", "old_state": None, "new_state": "live"}]
    links = {7: stored(noindex=True), 8: stored("lost", noindex=True)}
    assert [e["page_flags"] for e in with_page_flags(events, links)] == [" · page noindex", "", "", ""]
