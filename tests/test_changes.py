"""Change detection (monitor.core.changes): a table of histories and the events and states they must produce."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from monitor.core.changes import ChangeRules, LinkMemory, detect_changes, no_value_reason
from monitor.core.types import (
    BacklinkState,
    CheckState,
    EventType,
    LinkPosition,
    ObservedLink,
    PageDirectives,
    Verdict,
)

PAGE = "https://blog.example.org/post"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
RULES = ChangeRules(lost_after=2, unreachable_after=3 * 86400)


def link(href: str = "https://mysite.com/", anchor: str = "my site", rel: tuple[str, ...] = (),
         follow: bool | None = None) -> ObservedLink:
    nofollow = any(token in rel for token in ("nofollow", "sponsored", "ugc"))
    return ObservedLink(href=href, rel=rel, anchor=anchor, follow=not nofollow if follow is None else follow)


def verdict(state: CheckState, links: tuple[ObservedLink, ...] = (), *, status: int | None = 200,
            final_url: str = PAGE, directives: PageDirectives | None = None, error: str | None = None) -> Verdict:
    return Verdict(url=PAGE, final_url=final_url, http_status=status, state=state,
                   directives=directives or PageDirectives(), links=links, rendered=False, error=error)


LIVE = verdict(CheckState.LIVE, (link(),))
MISSING = verdict(CheckState.LOST)
GONE = verdict(CheckState.GONE, status=404)
ERROR = verdict(CheckState.ERROR, status=503, error="HTTP 503")
BLOCKED = verdict(CheckState.BLOCKED, status=403, error="challenge page")
SPONSORED = verdict(CheckState.NOFOLLOW, (link(rel=("sponsored",)),))
META_NOFOLLOW = verdict(CheckState.NOFOLLOW, (link(follow=False),),
                        directives=PageDirectives(nofollow=True, nofollow_sources=("meta",)))
HEADER_NOFOLLOW = verdict(CheckState.NOFOLLOW, (link(follow=False),),
                          directives=PageDirectives(nofollow=True, nofollow_sources=("header",)))
NEW_ANCHOR = verdict(CheckState.LIVE, (link(anchor="best tool"),))
NEW_HREF = verdict(CheckState.LIVE, (link(href="https://mysite.com/pricing"),))
NOINDEX = verdict(CheckState.LIVE, (link(),), directives=PageDirectives(noindex=True, noindex_sources=("meta",)))
REDIRECTED = verdict(CheckState.LIVE, (link(),), final_url="https://other.example.net/landing")
CANONICAL = verdict(CheckState.LIVE, (link(),), directives=PageDirectives(canonical="https://blog.example.org/other"))
SELF_CANONICAL = verdict(CheckState.LIVE, (link(),), directives=PageDirectives(canonical="http://www.blog.example.org/post/"))


def at(position: str) -> Verdict:
    """The link live at this position of its page (LinkPosition)."""
    return verdict(CheckState.LIVE, (dataclasses.replace(link(), position=LinkPosition(position)),))


def google(allowed: bool | None) -> Verdict:
    """The page with the link, its robots.txt allowing Googlebot or not (None: robots.txt not available)."""
    return dataclasses.replace(LIVE, googlebot_allowed=allowed)


def replay(history: list[Verdict], start: LinkMemory | None = None, step: timedelta = timedelta(hours=1),
           rules: ChangeRules = RULES) -> tuple[list[list[str]], list[str], LinkMemory]:
    """Run detect_changes over a history: the event types of each check, the stored states, the end memory."""
    memory = start or LinkMemory()
    events, states = [], []
    for number, item in enumerate(history):
        result = detect_changes(memory, item, T0 + number * step, rules)
        events.append([str(e.type) for e in result.events])
        states.append(str(result.state))
        memory = result.memory
    return events, states, memory


SEEN_LIVE = LinkMemory(state=BacklinkState.LIVE, follow=True, anchor="my site", link_href="https://mysite.com/",
                       final_url=PAGE, noindex=False, first_seen=T0 - timedelta(days=30),
                       last_live=T0 - timedelta(days=1))

CASES = [
    # (name, start memory, history, events per check, stored states)
    ("first seen live", None, [LIVE, LIVE], [["new"], []], ["live", "live"]),
    ("first seen nofollow", None, [SPONSORED], [["new"]], ["nofollow"]),
    ("lost needs two misses", SEEN_LIVE, [MISSING, MISSING, MISSING], [[], ["lost"], []], ["live", "lost", "lost"]),
    ("one miss is forgiven", SEEN_LIVE, [MISSING, LIVE, MISSING, LIVE], [[], [], [], []],
     ["live", "live", "live", "live"]),
    ("restored only after a confirmed loss", SEEN_LIVE, [MISSING, MISSING, LIVE], [[], ["lost"], ["restored"]],
     ["live", "lost", "live"]),
    ("errors never count as misses", SEEN_LIVE, [ERROR, BLOCKED, ERROR, LIVE], [[], [], [], []],
     ["error", "blocked", "error", "live"]),
    ("errors do not break the confirmation", SEEN_LIVE, [MISSING, ERROR, MISSING], [[], [], ["lost"]],
     ["live", "error", "lost"]),
    ("restored after lost then error", SEEN_LIVE, [MISSING, MISSING, ERROR, LIVE], [[], ["lost"], [], ["restored"]],
     ["live", "lost", "error", "live"]),
    ("page gone confirmed once", SEEN_LIVE, [GONE, GONE, GONE], [[], ["page_gone"], []], ["live", "gone", "gone"]),
    ("page flapping 404/200 is quiet", SEEN_LIVE, [GONE, LIVE, GONE, LIVE, GONE, LIVE], [[]] * 6, ["live"] * 6),
    ("gone then back", SEEN_LIVE, [GONE, GONE, LIVE], [[], ["page_gone"], ["restored"]], ["live", "gone", "live"]),
    ("lost then page gone", SEEN_LIVE, [MISSING, MISSING, GONE], [[], ["lost"], ["page_gone"]],
     ["live", "lost", "gone"]),
    ("gone streak across an error", SEEN_LIVE, [GONE, GONE, ERROR, GONE], [[], ["page_gone"], [], []],
     ["live", "gone", "error", "gone"]),
    ("nofollow by rel sponsored", SEEN_LIVE, [SPONSORED, SPONSORED], [["nofollow"], []], ["nofollow", "nofollow"]),
    ("follow again", SEEN_LIVE, [SPONSORED, LIVE], [["nofollow"], ["follow"]], ["nofollow", "live"]),
    ("anchor changed", SEEN_LIVE, [NEW_ANCHOR, NEW_ANCHOR], [["anchor_changed"], []], ["live", "live"]),
    ("target changed", SEEN_LIVE, [NEW_HREF], [["target_changed"]], ["live"]),
    ("page noindex once", SEEN_LIVE, [NOINDEX, NOINDEX, LIVE, NOINDEX], [["page_noindex"], [], [], ["page_noindex"]],
     ["live"] * 4),
    ("page redirected once", SEEN_LIVE, [REDIRECTED, REDIRECTED], [["page_redirected"], []], ["live", "live"]),
    ("canonical elsewhere once", SEEN_LIVE, [CANONICAL, CANONICAL], [["canonical_changed"], []], ["live", "live"]),
    ("canonical to itself is fine", SEEN_LIVE, [SELF_CANONICAL], [[]], ["live"]),
    ("pending stays pending", LinkMemory(state=BacklinkState.PENDING), [MISSING, MISSING, MISSING, ERROR, GONE],
     [[]] * 5, ["pending"] * 5),
    ("pending went live", LinkMemory(state=BacklinkState.PENDING), [MISSING, LIVE, LIVE], [[], ["went_live"], []],
     ["pending", "live", "live"]),
    ("never seen, missing twice", None, [MISSING, MISSING], [[], ["lost"]], ["unchecked", "lost"]),
    ("content to footer and back", SEEN_LIVE, [at("content"), at("footer"), at("footer"), at("content")],
     [[], ["link_demoted"], [], ["link_promoted"]], ["live"] * 4),
    ("content to nav, aside, comment", SEEN_LIVE,
     [at("content"), at("nav"), at("content"), at("aside"), at("content"), at("comment")],
     [[], ["link_demoted"], ["link_promoted"], ["link_demoted"], ["link_promoted"], ["link_demoted"]], ["live"] * 6),
    ("header and unknown never trigger", SEEN_LIVE,
     [at("content"), at("header"), at("footer"), at("unknown"), at("content"), at("unknown"), at("footer")],
     [[]] * 7, ["live"] * 7),
    ("no position known yet", SEEN_LIVE, [at("footer")], [[]], ["live"]),
    ("first seen in the footer", None, [at("footer"), at("content")], [["new"], ["link_promoted"]], ["live"] * 2),
    ("lesser to lesser", SEEN_LIVE, [at("footer"), at("aside"), at("nav")], [[]] * 3, ["live"] * 3),
    ("blocked for Google once", SEEN_LIVE, [google(True), google(False), google(False), google(True), google(False)],
     [[], ["page_blocked_for_google"], [], [], ["page_blocked_for_google"]], ["live"] * 5),
    ("robots.txt unavailable never triggers", SEEN_LIVE, [google(None), google(False), google(None), google(False)],
     [[], ["page_blocked_for_google"], [], []], ["live"] * 4),
    ("blocked for Google while pending", LinkMemory(state=BacklinkState.PENDING), [google(False)], [["went_live"]],
     ["live"]),
]


@pytest.mark.parametrize(("start", "history", "events", "states"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_history(start: LinkMemory | None, history: list[Verdict], events: list[list[str]],
                 states: list[str]) -> None:
    got_events, got_states, _ = replay(history, start)
    assert got_events == events
    assert got_states == states


@pytest.mark.parametrize(("item", "reasons"), [
    (SPONSORED, ["rel_sponsored"]),
    (verdict(CheckState.NOFOLLOW, (link(rel=("nofollow", "ugc")),)), ["rel_nofollow", "rel_ugc"]),
    (META_NOFOLLOW, ["meta"]),
    (HEADER_NOFOLLOW, ["header"]),
])
def test_nofollow_reason_is_named(item: Verdict, reasons: list[str]) -> None:
    result = detect_changes(SEEN_LIVE, item, T0, RULES)
    [event] = result.events
    assert event.type == EventType.NOFOLLOW
    assert event.detail["reasons"] == reasons
    assert event.detail["reason"] == reasons[0]
    assert event.detail["old_rel"] == []


def test_lost_after_is_a_setting() -> None:
    events, states, _ = replay([MISSING] * 4, SEEN_LIVE, rules=ChangeRules(lost_after=3))
    assert events == [[], [], ["lost"], []]
    assert states == ["live", "live", "lost", "lost"]
    events, _, _ = replay([MISSING], SEEN_LIVE, rules=ChangeRules(lost_after=1))
    assert events == [["lost"]]


def test_suspected_loss_is_flagged_until_confirmed() -> None:
    first = detect_changes(SEEN_LIVE, MISSING, T0, RULES)
    assert first.suspected_loss and first.memory.misses == 1
    second = detect_changes(first.memory, MISSING, T0 + timedelta(hours=1), RULES)
    assert not second.suspected_loss and second.state == BacklinkState.LOST
    pending = detect_changes(LinkMemory(state=BacklinkState.PENDING), MISSING, T0, RULES)
    assert not pending.suspected_loss


def test_unreachable_once_per_streak_after_threshold() -> None:
    history = [ERROR] * 6 + [LIVE] + [ERROR] * 6
    events, states, _ = replay(history, SEEN_LIVE, step=timedelta(days=1))
    # errors start on day 0: day 3 is the first check past 3 days; the new streak starts on day 7
    assert events == [[]] * 3 + [["unreachable"]] + [[]] * 3 + [[]] * 3 + [["unreachable"]] + [[]] * 2
    assert states[:6] == ["error"] * 6 and states[6] == "live"


def test_unreachable_evidence_and_blocked_counts() -> None:
    memory = LinkMemory(state=BacklinkState.BLOCKED, errors_since=T0, last_checked=T0 + timedelta(days=2))
    result = detect_changes(memory, BLOCKED, T0 + timedelta(days=3), RULES)
    [event] = result.events
    assert event.type == EventType.UNREACHABLE
    assert event.detail["errors_since"] == T0.isoformat()
    assert event.detail["http_status"] == 403 and event.detail["error"] == "challenge page"


def test_event_evidence() -> None:
    _, _, lost_once = replay([MISSING], SEEN_LIVE)
    lost = detect_changes(lost_once, MISSING, T0 + timedelta(hours=2), RULES).events[0]
    assert lost.detail["http_status"] == 200 and lost.detail["final_url"] == PAGE
    assert lost.detail["last_href"] == "https://mysite.com/" and lost.detail["misses"] == 2
    anchor = detect_changes(SEEN_LIVE, NEW_ANCHOR, T0, RULES).events[0]
    assert (anchor.detail["old_anchor"], anchor.detail["new_anchor"]) == ("my site", "best tool")
    target = detect_changes(SEEN_LIVE, NEW_HREF, T0, RULES).events[0]
    assert target.detail["old_href"] == "https://mysite.com/"
    assert target.detail["new_href"] == "https://mysite.com/pricing"


def test_memory_follows_the_link_and_keeps_it_while_absent() -> None:
    _, _, memory = replay([NEW_ANCHOR, MISSING, MISSING], SEEN_LIVE)
    assert memory.state == BacklinkState.LOST
    assert memory.anchor == "best tool" and memory.link_href == "https://mysite.com/"
    assert memory.last_live == T0 and memory.first_seen == SEEN_LIVE.first_seen


def test_blocked_for_google_is_a_page_fact_and_the_position_is_remembered() -> None:
    blocked = detect_changes(SEEN_LIVE, google(False), T0, RULES)
    [event] = blocked.events
    assert event.type == EventType.PAGE_BLOCKED_FOR_GOOGLE and event.detail["http_status"] == 200
    assert blocked.memory.googlebot_allowed is False and blocked.memory.position == "unknown"
    unknown = detect_changes(blocked.memory, google(None), T0, RULES)
    assert unknown.memory.googlebot_allowed is False  # the last answer stands
    missing = detect_changes(SEEN_LIVE, dataclasses.replace(MISSING, googlebot_allowed=False), T0, RULES)
    assert [e.type for e in missing.events] == [EventType.PAGE_BLOCKED_FOR_GOOGLE]  # the link need not be there
    demoted = detect_changes(detect_changes(SEEN_LIVE, at("content"), T0, RULES).memory, at("comment"), T0, RULES)
    [event] = demoted.events
    assert (event.detail["old_position"], event.detail["new_position"], event.detail["anchor"]) == (
        "content", "comment", "my site")


def test_the_link_in_the_content_represents_a_page_linking_twice() -> None:
    nav, content = (dataclasses.replace(link(), position=LinkPosition(p)) for p in ("nav", "content"))
    first = detect_changes(SEEN_LIVE, verdict(CheckState.LIVE, (nav, content)), T0, RULES)
    assert first.memory.position == "content"
    second = detect_changes(first.memory, verdict(CheckState.LIVE, (nav, content)), T0, RULES)
    assert second.events == ()


def test_followed_link_represents_the_backlink() -> None:
    both = verdict(CheckState.LIVE, (link(rel=("nofollow",), anchor="a"), link(anchor="b")))
    result = detect_changes(LinkMemory(), both, T0, RULES)
    assert result.link is not None and result.link.anchor == "b" and result.memory.follow is True


def test_url_target_moved_to_another_page_of_the_site_is_target_changed() -> None:
    """The link to https://mysite.com/ now points at https://mysite.com/pricing (another URL of yours):
    once confirmed like a loss, that is `target_changed` with both hrefs, not `lost`."""
    elsewhere = (link(href="https://mysite.com/pricing", anchor="pricing"),)
    memory = SEEN_LIVE
    kinds = []
    for number in range(3):
        result = detect_changes(memory, MISSING, T0 + timedelta(hours=number), RULES, elsewhere)
        kinds.append([str(e.type) for e in result.events])
        memory = result.memory
        if number == 1:
            moved = result.events[0]
    assert kinds == [[], ["target_changed"], []]
    assert moved.detail["old_href"] == "https://mysite.com/" and moved.detail["new_href"] == "https://mysite.com/pricing"
    assert moved.detail["new_anchor"] == "pricing" and memory.state == BacklinkState.LOST
    # without links elsewhere on the site the same history is a plain loss
    assert replay([MISSING, MISSING], SEEN_LIVE)[0] == [[], ["lost"]]


def test_only_a_redirect_to_another_page_is_away() -> None:
    """http -> https or `www.` is the same page (monitor.core.changes.page_key); a trailing path change is not."""
    page = "http://blog.example/post"
    assert no_value_reason(None, True, None, page, "https://www.blog.example/post") is None
    assert no_value_reason(None, True, None, page, page) is None
    assert no_value_reason(None, None, None, page, None) is None
    assert no_value_reason(None, True, None, page, "https://blog.example/") == "redirected_away"
    assert no_value_reason(None, True, None, page, "https://other.example/post") == "redirected_away"
    assert no_value_reason(True, False, page + "-2", page, "https://other.example/") == "noindex"
    assert no_value_reason(False, False, page + "-2", page, page) == "blocked_for_google"
    assert no_value_reason(False, True, "https://blog.example/post-2", page, page) == "canonical_elsewhere"


def test_a_page_already_noindex_or_blocked_at_the_first_check_is_a_baseline() -> None:
    """A page found noindex or blocked for Google at the link's first check says `never_seen` (the reports
    leave such events out of the losses of the period); once the link was seen live, the same change does not."""
    first = detect_changes(LinkMemory(), dataclasses.replace(NOINDEX, googlebot_allowed=False), T0, RULES)
    page_events = {str(e.type): e.detail for e in first.events if str(e.type) != "new"}
    assert set(page_events) == {"page_noindex", "page_blocked_for_google"}
    assert all(detail.get("never_seen") is True for detail in page_events.values())
    later = detect_changes(SEEN_LIVE, NOINDEX, T0, RULES)
    assert [str(e.type) for e in later.events] == ["page_noindex"] and "never_seen" not in later.events[0].detail
