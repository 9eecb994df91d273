"""One event as an alert item a marketer can act on: what happened, why, what to do, and a line of facts.

`describe(event, public_url)` gives an `Item` of at most four short lines in plain words:

1. the title and what happened ("The link to acmeshoes.com/trail-runners was removed from
   blog.example.com/best-shoes"),
2. why, from the event's evidence (rel="sponsored" added, the page answers 404, redirected to ...,
   the sentence the link was in when it was lost); left out when there is no evidence,
3. what to do, with the contact hints collected on the referring site,
4. facts: the page's traffic, the anchor, when it was last seen live (human dates and numbers).

Lines are made of `Part`s so that each channel escapes what is untrusted (anchors, URLs and sentences come
from crawled pages) for its format: `ours` is our own text, `value` untrusted text, `quote` an untrusted
sentence shown in quotes, `url` an untrusted URL shown short and linked only when it is http(s).
No command, file path, enum name or Python value appears in an item; the webhook keeps the raw event.

Reads no settings: the public URL of linkwatch's web interface is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitor.core.human import LOST_HOW_ACTIONS, LOST_HOW_WORDS, POSITION_WORDS, human_time, percent, safe_href, visits
from monitor.core.types import Event, EventType

TITLES: Mapping[EventType, str] = {
    EventType.LOST: "Link lost",
    EventType.PAGE_GONE: "Referring page gone",
    EventType.NOFOLLOW: "Link became nofollow",
    EventType.TARGET_CHANGED: "Link target changed",
    EventType.PAGE_NOINDEX: "Referring page became noindex",
    EventType.UNREACHABLE: "Referring page unreachable",
    EventType.PAGE_REDIRECTED: "Referring page redirected",
    EventType.CANONICAL_CHANGED: "Referring page canonical changed",
    EventType.LINK_DEMOTED: "Link moved out of the article",
    EventType.LINK_PROMOTED: "Link moved into the article",
    EventType.PAGE_BLOCKED_FOR_GOOGLE: "Referring page blocked for Google",
    EventType.ANCHOR_CHANGED: "Anchor text changed",
    EventType.FOLLOW: "Link followed again",
    EventType.RESTORED: "Link restored",
    EventType.WENT_LIVE: "Promised link went live",
    EventType.NEW: "New link found",
}

ACTIONS: Mapping[EventType, str] = {
    EventType.LOST: "Reclaim it: contact the site and ask them to put the link back.",
    EventType.PAGE_GONE: "Reclaim it: contact the site; ask them to restore the page or link from a live one.",
    EventType.NOFOLLOW: "Ask the site to make the link followed again.",
    EventType.TARGET_CHANGED: "Ask the site to point the link back at the right page, or redirect the new one.",
    EventType.PAGE_NOINDEX: "The page is out of search results, so its link counts for little: "
                            "ask the site to lift the noindex.",
    EventType.UNREACHABLE: "Check whether the site is down; nothing is counted lost until the page loads again.",
    EventType.PAGE_REDIRECTED: "Check that the new page still links to you.",
    EventType.CANONICAL_CHANGED: "Search engines may credit the other page instead: check that it links to you.",
    EventType.LINK_DEMOTED: "A link in a footer, menu, sidebar or comment counts for far less, and is often "
                            "the first step before removal: ask the site to keep it in the article.",
    EventType.LINK_PROMOTED: "Nothing to do: the link is in the article now.",
    EventType.PAGE_BLOCKED_FOR_GOOGLE: "Google cannot read the page, so its link passes no value: "
                                       "ask the site to allow Googlebot again.",
    EventType.ANCHOR_CHANGED: "Check that the new anchor text still suits you.",
    EventType.FOLLOW: "Nothing to do: the link is followed again.",
    EventType.RESTORED: "Nothing to do: the link is back.",
    EventType.WENT_LIVE: "Nothing to do: celebrate, the promised link is live.",
    EventType.NEW: "Nothing to do: a new link was found.",
}
#: What to do about a link linkwatch never saw live: it cannot be reclaimed, the export may be wrong.
NEVER_SEEN_ACTIONS: Mapping[EventType, str] = {
    EventType.LOST: "The link was not on the page when linkwatch first checked it: check the export, "
                    "or remove the backlink.",
    EventType.PAGE_GONE: "The page was already gone when linkwatch first checked it: check the export, "
                         "or remove the backlink.",
    EventType.PAGE_NOINDEX: "The page was already noindex when linkwatch first checked it, so its link passes "
                            "no value: ask the site to lift the noindex.",
    EventType.PAGE_BLOCKED_FOR_GOOGLE: "Google was already kept off the page when linkwatch first checked it, "
                                       "so its link passes no value: ask the site to allow Googlebot.",
    EventType.PAGE_REDIRECTED: "The page already redirected when linkwatch first checked it: check that the "
                               "export names the right page.",
    EventType.CANONICAL_CHANGED: "The page already named another canonical when linkwatch first checked it: "
                                 "a link there counts for little; ask the site about it.",
}
#: A lost link's `detail.how` (how it was lost): why, and what to do (the words are monitor.core.human's).
HOW_LOST: Mapping[str, tuple[str, str]] = {
    how: (LOST_HOW_WORDS[how], f"Reclaim it: {LOST_HOW_ACTIONS[how]}.") for how in LOST_HOW_WORDS
}
#: A competitor's event (`Event.role == "competitor"`): its title, and what it means for you.  A link a
#: competitor lost is not yours to reclaim: the page linked to the competitor, so it may link to you.
COMPETITOR_TITLES: Mapping[EventType, str] = {
    EventType.LOST: "Competitor lost a link",
    EventType.PAGE_GONE: "Competitor lost a link: the referring page is gone",
    EventType.NOFOLLOW: "Competitor's link became nofollow",
    EventType.PAGE_NOINDEX: "Competitor's referring page became noindex",
    EventType.RESTORED: "Competitor's link restored",
    EventType.NEW: "Competitor gained a link",
    EventType.WENT_LIVE: "Competitor gained a link",
}
COMPETITOR_OPPORTUNITY = ("An outreach opportunity: the page linked to {competitor}; pitch your own page "
                          "to the site.")
COMPETITOR_ACTIONS: Mapping[EventType, str] = {
    EventType.LOST: COMPETITOR_OPPORTUNITY,
    EventType.NOFOLLOW: COMPETITOR_OPPORTUNITY,
    EventType.PAGE_NOINDEX: COMPETITOR_OPPORTUNITY,
    EventType.PAGE_GONE: "An outreach opportunity: the page that linked to {competitor} is gone; if the site "
                         "republishes it, pitch your own page.",
    EventType.NEW: "For your outreach: the page links to {competitor}; it may link to you too.",
    EventType.WENT_LIVE: "For your outreach: the page links to {competitor}; it may link to you too.",
}
COMPETITOR_ACTION_OTHER = "Nothing to do for your own links: this is a competitor's link ({competitor})."

NOFOLLOW_WORDS: Mapping[str, str] = {
    "rel_nofollow": 'rel="nofollow" was added to the link',
    "rel_sponsored": 'rel="sponsored" was added to the link',
    "rel_ugc": 'rel="ugc" was added to the link',
    "meta": "the page's robots meta tag now says nofollow",
    "header": "the page's X-Robots-Tag header now says nofollow",
}
NOINDEX_WORDS: Mapping[str, str] = {
    "meta": "a robots meta tag with noindex was added",
    "header": "an X-Robots-Tag: noindex header was added",
}
RENDERED_ONLY = "Found only after JavaScript rendering"
_ABSENT = frozenset({EventType.LOST, EventType.PAGE_GONE, EventType.TARGET_CHANGED, EventType.UNREACHABLE})
QUOTE_LIMIT = 160


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a line: `ours` (our words), `value` (untrusted text), `quote` (an untrusted sentence, shown
    in quotes), `url` (an untrusted URL, shown short, linked only when http(s))."""

    text: str
    kind: str = "ours"


Line = tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One event as people read it: at most four lines (`happened`, `why`, `action`, `facts`)."""

    event: Event
    title: str  # ours
    happened: Line
    why: Line  # empty when there is no evidence to tell
    action: Line  # ours, then the contact hints
    facts: tuple[Line, ...]  # short facts, shown on one line
    page_url: str | None  # the referring page, only when http(s): the "Open page" button
    linkwatch_url: str | None  # the link's page in linkwatch's web interface, when public_url is set


def _ours(text: str) -> Part:
    return Part(text)


def _target(event: Event) -> Part:
    return Part(event.target, "url" if "://" in event.target else "value")


def _happened(event: Event) -> Line:
    """What happened, in one sentence naming the target and the referring page."""
    page, target, kind = Part(event.source_url, "url"), _target(event), event.type
    detail = event.detail
    sentences: dict[EventType, Line] = {
        EventType.LOST: (_ours("The link to "), target, _ours(" was removed from "), page),
        EventType.PAGE_GONE: (_ours("The page that linked to "), target, _ours(" is gone: "), page),
        EventType.NOFOLLOW: (_ours("The link to "), target, _ours(" on "), page, _ours(" is no longer followed")),
        EventType.FOLLOW: (_ours("The link to "), target, _ours(" on "), page, _ours(" is followed again")),
        EventType.PAGE_NOINDEX: (_ours("The page linking to "), target,
                                 _ours(" is now kept out of search results: "), page),
        EventType.PAGE_BLOCKED_FOR_GOOGLE: (_ours("Google may no longer read the page linking to "), target,
                                            _ours(": "), page),
        EventType.UNREACHABLE: (_ours("The page linking to "), target, _ours(" cannot be loaded: "), page),
        EventType.PAGE_REDIRECTED: (_ours("The page linking to "), target, _ours(" now redirects: "), page),
        EventType.CANONICAL_CHANGED: (_ours("The page linking to "), target,
                                      _ours(" now names another page as its main version: "), page),
        EventType.LINK_DEMOTED: (_ours("The link to "), target, _ours(" on "), page,
                                 _ours(" was moved out of the article")),
        EventType.LINK_PROMOTED: (_ours("The link to "), target, _ours(" on "), page,
                                  _ours(" was moved into the article")),
        EventType.ANCHOR_CHANGED: (_ours("The anchor text of the link to "), target, _ours(" on "), page,
                                   _ours(" changed")),
        EventType.RESTORED: (_ours("The link to "), target, _ours(" is back on "), page),
        EventType.WENT_LIVE: (_ours("The promised link to "), target, _ours(" is live on "), page),
        EventType.NEW: (_ours("A new link to "), target, _ours(" was found on "), page),
    }
    if kind == EventType.TARGET_CHANGED and detail.get("new_href"):
        return (_ours("The link on "), page, _ours(" now points to "), Part(str(detail["new_href"]), "url"),
                _ours(" instead of "), Part(str(detail.get("old_href") or event.target), "url"))
    return sentences.get(kind, (_ours("A change to the link to "), target, _ours(" on "), page))


def _status_words(status: Any) -> str:
    words = {404: "404 (not found)", 410: "410 (gone for good)", 401: "401 (login required)",
             403: "403 (access refused)", 429: "429 (too many requests)"}
    return words.get(status, str(status)) if isinstance(status, int) else ""


def _lost_why(event: Event) -> tuple[Line, str | None]:
    """Why a link was lost, and the action that fits: a redirect or a link never seen live first (the page's
    text then says little), else `detail.how` when the evidence says it."""
    detail = event.detail
    how = str(detail.get("how") or "")
    if detail.get("redirected_to"):
        return (_ours("The page now redirects to "), Part(str(detail["redirected_to"]), "url"),
                _ours(", which has no link to you")), None
    if detail.get("never_seen") is True:
        return (_ours("linkwatch never saw this link live"),), None
    if how in HOW_LOST:
        reason, action = HOW_LOST[how]
        line: list[Part] = [_ours(reason)]
        share = detail.get("changed_share")
        if how == "page_rewritten" and isinstance(share, int | float) and not isinstance(share, bool):
            line = [_ours(f"The page was rewritten ({percent(float(share))} of its text changed) and your link "
                          "went with it")]
        if how == "moved_to_other_url" and detail.get("moved_to"):
            line = [_ours("The passage now links to "), Part(str(detail["moved_to"]), "url"), _ours(" instead")]
        if detail.get("before"):
            line += [_ours(". It read: "), Part(str(detail["before"]), "quote")]
        return tuple(line), action
    misses = detail.get("misses")
    if isinstance(misses, int) and misses > 1:
        return (_ours(f"The page loads, but the link was missing {misses} checks in a row"),), None
    return (), None


def _why(event: Event) -> tuple[Line, str | None]:
    """The evidence of an event in plain words (empty when there is none), and an action that replaces the
    usual one when the evidence calls for another."""
    detail, kind = event.detail, event.type
    if kind == EventType.LOST:
        return _lost_why(event)
    if kind == EventType.PAGE_GONE:
        status = _status_words(detail.get("http_status"))
        return ((_ours(f"The page answers {status}"),) if status else ()), None
    if kind == EventType.NOFOLLOW:
        reasons = detail.get("reasons") or ([detail["reason"]] if detail.get("reason") else [])
        words = [NOFOLLOW_WORDS.get(str(r), "") for r in reasons]
        text = "; ".join(w for w in words if w)
        return ((_ours(text if text.startswith("rel=") else text[:1].upper() + text[1:]),) if text else ()), None
    if kind == EventType.PAGE_NOINDEX:
        words = [NOINDEX_WORDS.get(str(s), "") for s in detail.get("sources") or ()]
        text = "; ".join(w for w in words if w) or "noindex was added"
        return (_ours(text[:1].upper() + text[1:]),), None
    if kind == EventType.PAGE_REDIRECTED and (detail.get("redirected_to") or detail.get("final_url")):
        return (_ours("It redirects to "), Part(str(detail.get("redirected_to") or detail["final_url"]), "url")), None
    if kind == EventType.CANONICAL_CHANGED and detail.get("canonical"):
        return (_ours("Its canonical is now "), Part(str(detail["canonical"]), "url")), None
    if kind == EventType.PAGE_BLOCKED_FOR_GOOGLE:
        return (_ours("The site's robots.txt now disallows Googlebot on this page"),), None
    if kind == EventType.UNREACHABLE:
        return _unreachable_why(detail), None
    if kind in (EventType.LINK_DEMOTED, EventType.LINK_PROMOTED):
        return _position_why(detail), None
    if kind == EventType.ANCHOR_CHANGED and detail.get("new_anchor"):
        old = (_ours("Was "), Part(str(detail["old_anchor"]), "quote"), _ours(", now ")) \
            if detail.get("old_anchor") else (_ours("Now "),)
        return (*old, Part(str(detail["new_anchor"]), "quote")), None
    return (), None


def _unreachable_why(detail: Mapping[str, Any]) -> Line:
    since = human_time(str(detail.get("errors_since") or ""))
    status = _status_words(detail.get("http_status"))
    cause: Line = (_ours(f"it answers {status}"),) if status else (
        (_ours("the error is "), Part(str(detail["error"]), "value")) if detail.get("error") else ())
    head = f"Failing since {since}" if since else "Failing for days"
    return (_ours(head + (": " if cause else "")), *cause)


def _position_why(detail: Mapping[str, Any]) -> Line:
    new, old = detail.get("new_position") or detail.get("position"), detail.get("old_position")
    if not new:
        return ()
    text = f"It is now in {POSITION_WORDS.get(str(new), 'another part of the page')}"
    if old:
        text += f" (was in {POSITION_WORDS.get(str(old), 'another part of the page')})"
    return (_ours(text),)


def _contacts(event: Event) -> Line:
    """Up to two contact hints (an address, a contact page) to add to what to do."""
    hints = [str(h) for h in event.contact_hints if str(h).strip()][:2]
    if not hints:
        return ()
    parts: list[Part] = [_ours(" Contact: ")]
    for number, hint in enumerate(hints):
        if number:
            parts.append(_ours(", "))
        if hint.lower().startswith("mailto:"):
            parts.append(Part(hint[7:].split("?", 1)[0], "value"))
        else:
            parts.append(Part(hint, "url"))
    return tuple(parts)


def _facts(event: Event) -> tuple[Line, ...]:
    """The page's traffic, the anchor, and when the link was last seen live (or when this was seen)."""
    facts: list[Line] = []
    if event.detail.get("rendered_only") is True and event.type not in _ABSENT:
        facts.append((_ours(RENDERED_ONLY),))
    if event.page_traffic is not None:
        facts.append((_ours(visits(event.page_traffic)),))
    anchor = event.detail.get("anchor") or event.detail.get("last_anchor") or event.anchor
    if anchor and event.type != EventType.ANCHOR_CHANGED:
        facts.append((_ours("anchor "), Part(str(anchor), "quote")))
    if event.type in _ABSENT:
        last = human_time(event.last_live_at) if event.last_live_at else human_time(
            str(event.detail.get("last_live") or ""))
        if last or event.detail.get("never_seen") is True:
            facts.append((_ours(f"last seen live {last}" if last else "never seen live"),))
    else:
        facts.append((_ours(f"seen {human_time(event.at)}"),))
    return tuple(facts)


def linkwatch_link(public_url: str | None, path: str) -> str | None:
    """`{public_url}{path}` when linkwatch's web interface has a public address."""
    return f"{public_url.rstrip('/')}{path}" if public_url else None


def describe(event: Event, public_url: str | None = None) -> Item:
    """What happened to one backlink, why, and what to do, in at most four short lines."""
    why, special = _why(event)
    if event.role == "competitor":
        competitor = event.site or "a competitor"
        title = COMPETITOR_TITLES.get(event.type, f"Competitor: {TITLES.get(event.type, 'link changed').lower()}")
        action = COMPETITOR_ACTIONS.get(event.type, COMPETITOR_ACTION_OTHER).format(competitor=competitor)
        contacts: Line = _contacts(event) if event.type in COMPETITOR_ACTIONS else ()
    else:
        title = TITLES.get(event.type, "Link changed")
        action = special or ACTIONS.get(event.type, "Check the link.")
        if event.detail.get("never_seen") is True:
            action = NEVER_SEEN_ACTIONS.get(event.type, action)
        contacts = () if action.startswith("Nothing to do") else _contacts(event)
    link = linkwatch_link(public_url, f"/links/{event.backlink_id}") if event.backlink_id is not None else None
    return Item(event, title, _happened(event), why, (_ours(action), *contacts), _facts(event),
                safe_href(event.source_url), link)
