"""Turning events into one grouped alert: counts by type, the most valuable first, what to do.

`build_message(events)` gives an `AlertMessage`: the total, the counts by event type,
and every event described as an `EventView` (a title, labelled facts and an
action), ordered most valuable first: by page traffic when known, then by how bad
the change is, then newest first.  Channels render `message.listed(n)` and say how
many more there are (`message.more_line(n)`, which points at `linkwatch events`).

Facts hold raw, untrusted values (anchors and URLs come from crawled pages);
each channel escapes them for its format with `alerts.escape`.  Titles, labels
and actions are ours.

Reads no settings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.core.types import Event, EventType

#: Worst first: the order of counts with equal numbers, and the tie-break after traffic.
SEVERITY: tuple[EventType, ...] = (
    EventType.LOST, EventType.PAGE_GONE, EventType.NOFOLLOW, EventType.TARGET_CHANGED,
    EventType.PAGE_NOINDEX, EventType.PAGE_BLOCKED_FOR_GOOGLE, EventType.UNREACHABLE, EventType.PAGE_REDIRECTED,
    EventType.CANONICAL_CHANGED, EventType.LINK_DEMOTED, EventType.ANCHOR_CHANGED, EventType.LINK_PROMOTED,
    EventType.FOLLOW, EventType.RESTORED, EventType.WENT_LIVE, EventType.NEW,
)

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
    EventType.NOFOLLOW: "Ask the site to restore the followed link (drop rel nofollow/sponsored/ugc "
                        "or the page-level nofollow).",
    EventType.TARGET_CHANGED: "Ask the site to point the link back at the right URL, or redirect the new one.",
    EventType.PAGE_NOINDEX: "The page is out of search results, so its link counts for little: "
                            "ask the site to lift the noindex.",
    EventType.UNREACHABLE: "Check whether the site is down; nothing is counted lost until a fetch succeeds.",
    EventType.PAGE_REDIRECTED: "Check where the page moved and that the link is still there.",
    EventType.CANONICAL_CHANGED: "The page now points its canonical elsewhere; check the canonical page.",
    EventType.ANCHOR_CHANGED: "Check that the new anchor text still suits you.",
    EventType.LINK_DEMOTED: "A link in a footer, menu, sidebar or comment counts for far less, and is often "
                            "the first step before removal: ask the site to keep it in the article.",
    EventType.LINK_PROMOTED: "Nothing to do: the link is in the article now.",
    EventType.PAGE_BLOCKED_FOR_GOOGLE: "The site's robots.txt keeps Google off the page, so its link passes no "
                                       "value: ask the site to allow Googlebot again.",
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
#: What to do about a competitor's event; {competitor} is the competitor's site.
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
#: Facts that describe a link still missing: not shown once it is back.
_ABSENCE_FACTS = {"misses", "last_href"}

NOFOLLOW_SOURCES: Mapping[str, str] = {
    "rel_nofollow": 'rel="nofollow" on the link',
    "rel_sponsored": 'rel="sponsored" on the link',
    "rel_ugc": 'rel="ugc" on the link',
    "meta": "a robots meta tag with nofollow",
    "header": "an X-Robots-Tag: nofollow header",
}

NOINDEX_SOURCES: Mapping[str, str] = {
    "meta": "a robots meta tag with noindex",
    "header": "an X-Robots-Tag: noindex header",
}

# detail key -> label, in the order shown; URLs are marked so channels can link them
_DETAIL_FACTS: tuple[tuple[str, str, bool], ...] = (
    ("http_status", "HTTP status", False),
    ("redirected_to", "Redirected to", True),
    ("final_url", "Final URL", True),
    ("old_final_url", "Previous final URL", True),
    ("rel", "rel", False),
    ("old_rel", "Previous rel", False),
    ("reasons", "Nofollow because of", False),
    ("nofollow_sources", "Nofollow because of", False),
    ("sources", "Noindex because of", False),
    ("old_anchor", "Old anchor", False),
    ("new_anchor", "New anchor", False),
    ("old_href", "Old link URL", True),
    ("new_href", "New link URL", True),
    ("href", "Link URL", True),
    ("last_href", "Last link URL", True),
    ("canonical", "Canonical", True),
    ("old_canonical", "Previous canonical", True),
    ("redirects", "Redirects", False),
    ("misses", "Checks in a row without the link", False),
    ("errors_since", "Failing since", False),
    ("check_state", "Last check", False),
    ("error", "Error", False),
)
# shown elsewhere (anchor, last seen live, state) or noise
_NOT_EVIDENCE = {"anchor", "last_anchor", "last_live", "follow", "after", "reason", "rendered", "rendered_only",
                 "never_seen"}
_FLAGS: tuple[tuple[str, str], ...] = (
    ("rendered_only", "Found only after JavaScript rendering"),
    ("never_seen", "linkwatch never saw this link live"),
)


@dataclass(frozen=True, slots=True)
class Fact:
    label: str  # ours
    value: str  # untrusted: escape when rendering
    url: bool = False  # a URL: render as a link when it is a plain http(s) URL


@dataclass(frozen=True, slots=True)
class EventView:
    event: Event
    title: str
    facts: tuple[Fact, ...]
    action: str


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _value_text(key: str, value: Any) -> str:
    if key in ("reasons", "nofollow_sources", "sources"):
        names = NOINDEX_SOURCES if key == "sources" else NOFOLLOW_SOURCES
        items = value if isinstance(value, list | tuple) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in items)
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value) if key == "rel" else " -> ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _evidence(detail: Mapping[str, Any], present: bool = False) -> list[Fact]:
    """The labelled facts of an event's detail; `present`: the link is on the page, say nothing of its absence."""
    facts = []
    known = set(_NOT_EVIDENCE)
    for key, label, is_url in _DETAIL_FACTS:
        known.add(key)
        if present and key in _ABSENCE_FACTS:
            continue
        if detail.get(key) not in (None, "", [], ()):
            facts.append(Fact(label, _value_text(key, detail[key]), is_url))
    if detail.get("reason") and not detail.get("reasons"):
        facts.append(Fact("Reason", _value_text("reasons", detail["reason"])))
    facts.extend(Fact(label, "yes") for key, label in _FLAGS if detail.get(key) is True)
    for key, value in detail.items():
        if key not in known and value not in (None, "", [], (), {}):
            label = "".join(c if c.isalnum() else " " for c in str(key))[:40].strip().capitalize() or "Detail"
            facts.append(Fact(label, _value_text(key, value)))
    return facts


def describe(event: Event) -> EventView:
    """What happened to one backlink, why, and what to do, as labelled facts."""
    target_is_url = "://" in event.target
    facts = [Fact("Referring page", event.source_url, True), Fact("Target", event.target, target_is_url)]
    facts.append(Fact("State", f"{event.old_state or 'none'} → {event.new_state}"))
    anchor = event.detail.get("anchor") or event.detail.get("last_anchor") or event.anchor
    if anchor:
        facts.append(Fact("Anchor", str(anchor)))
    facts.extend(_evidence(event.detail, present=event.type == EventType.RESTORED))
    facts.append(Fact("Last seen live", _when(event.last_live_at) if event.last_live_at
                      else str(event.detail.get("last_live") or "never")))
    if event.page_traffic is not None:
        facts.append(Fact("Page traffic", f"{event.page_traffic:,.0f}"))
    if event.site or event.tags:
        facts.append(Fact("Site", " ".join([event.site or "", *(f"#{t}" for t in event.tags)]).strip()))
    facts.append(Fact("Detected", _when(event.at)))
    if event.role == "competitor":
        return _competitor_view(event, facts)
    action = ACTIONS.get(event.type, "Check the link.")
    if event.detail.get("never_seen") is True:
        action = NEVER_SEEN_ACTIONS.get(event.type, action)
    return EventView(event, TITLES.get(event.type, str(event.type)), tuple(facts), action)


def _competitor_view(event: Event, facts: list[Fact]) -> EventView:
    """A competitor's event reads as what it is: news about a competitor's link, an outreach opportunity."""
    competitor = event.site or "a competitor"
    title = COMPETITOR_TITLES.get(event.type, f"Competitor: {TITLES.get(event.type, str(event.type)).lower()}")
    facts = [Fact("Competitor site", f.value) if f.label == "Site" else f for f in facts]
    action = COMPETITOR_ACTIONS.get(event.type, COMPETITOR_ACTION_OTHER).format(competitor=competitor)
    return EventView(event, title, tuple(facts), action)


def _value_key(event: Event) -> tuple[int, int, float, int, float]:
    """Own links before competitors', then by traffic, severity and newest first."""
    severity = SEVERITY.index(event.type) if event.type in SEVERITY else len(SEVERITY)
    traffic = event.page_traffic
    return (int(event.role == "competitor"), 0 if traffic is not None else 1, -(traffic or 0.0), severity,
            -event.at.timestamp())


def type_label(event_type: str) -> str:
    return str(event_type).replace("_", " ")


@dataclass(frozen=True)
class AlertMessage:
    """One grouped message for one channel: what every renderer needs."""

    title: str
    kind: str  # alert | digest | test
    events: tuple[Event, ...]  # most valuable first
    counts: tuple[tuple[str, int], ...]  # (event type, how many), most first
    since: datetime | None = None  # the earliest event
    intro: str = ""  # a line of our own before the list (the test message)

    @property
    def total(self) -> int:
        return len(self.events)

    def listed(self, limit: int) -> list[EventView]:
        return [describe(event) for event in self.events[:limit]]

    def more(self, limit: int) -> int:
        return max(self.total - limit, 0)

    def summary(self) -> str:
        """One line, ours only: '12 backlink changes: 8 lost, 3 nofollow, 1 went live'."""
        if not self.events:
            return self.intro or self.title
        rivals = sum(1 for e in self.events if e.role == "competitor")
        own = Counter(str(e.type) for e in self.events if e.role != "competitor")
        counts = [(t, own[t]) for t, _ in self.counts if own[t]]
        parts = [f"{count:,} {type_label(t)}" for t, count in counts]
        if rivals:
            parts.append(f"{rivals:,} of competitors (outreach opportunities)")
        noun = "backlink change" if self.total == 1 else "backlink changes"
        return f"{self.total:,} {noun}: {', '.join(parts)}"

    def more_command(self) -> str:
        since = self.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if self.since else "1d"
        return f"linkwatch events --since {since}"

    def more_line(self, limit: int) -> str:
        """'and 480 more: run `linkwatch events --since 2026-05-01`' (empty when all are listed)."""
        more = self.more(limit)
        return f"and {more:,} more: run `{self.more_command()}`" if more else ""


def build_message(events: Iterable[Event], kind: str = "alert", title: str | None = None) -> AlertMessage:
    """Group events into one message: counts by type and the events most valuable first."""
    ordered = tuple(sorted(events, key=_value_key))
    counter = Counter(str(e.type) for e in ordered)
    rank = {str(t): i for i, t in enumerate(SEVERITY)}
    counts = tuple(sorted(counter.items(), key=lambda item: (-item[1], rank.get(item[0], len(rank)))))
    since = min((e.at for e in ordered), default=None)
    if title is None:
        title = "linkwatch digest" if kind == "digest" else "linkwatch: backlink changes"
    return AlertMessage(title, kind, ordered, counts, since)


def probe_message(channel: str) -> AlertMessage:
    """The message `linkwatch alerts test` sends."""
    return AlertMessage("linkwatch test message", "test", (), (),
                        intro=f"This is a test from linkwatch: the {channel} channel works.")
