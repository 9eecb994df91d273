"""Turning the events of one site into one alert: a headline, the items most urgent first, what is left out.

`build_message(events)` gives an `AlertMessage` (the dispatcher makes one per site per channel): its
`headline()` names the site and the worst changes with counts and the traffic at risk (`[acmeshoes.com]
2 links lost (12,400 visits/mo at risk), 1 now nofollow`); the events are ordered lost links first, then
what makes a link count for less (nofollow, noindex, redirect, gone, blocked for Google, demoted), then
good news (restored, went live, new), each tier by page traffic, then severity, then newest; competitors'
events last.  Channels render `message.listed(n)` (`alerts.items.Item`s) and say how many more there are
in plain words (`more_words`), with a link to linkwatch's events page when `public_url` is set.

Items hold raw, untrusted values (anchors and URLs come from crawled pages); each channel escapes them
for its format with `alerts.render`.

Reads no settings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.items import Item, describe, linkwatch_link
from monitor.core.human import human_number, human_time, visits
from monitor.core.types import Event, EventType

#: Worst first: the order of counts with equal numbers, and the tie-break after traffic.
SEVERITY: tuple[EventType, ...] = (
    EventType.LOST, EventType.PAGE_GONE, EventType.NOFOLLOW, EventType.TARGET_CHANGED,
    EventType.PAGE_NOINDEX, EventType.PAGE_BLOCKED_FOR_GOOGLE, EventType.UNREACHABLE, EventType.PAGE_REDIRECTED,
    EventType.CANONICAL_CHANGED, EventType.LINK_DEMOTED, EventType.ANCHOR_CHANGED, EventType.LINK_PROMOTED,
    EventType.FOLLOW, EventType.RESTORED, EventType.WENT_LIVE, EventType.NEW,
)

#: Most urgent first (issue 16): lost links, then what makes a link count for less, then good news.
URGENT = frozenset({EventType.LOST})
INFORMATIONAL = frozenset({EventType.RESTORED, EventType.WENT_LIVE, EventType.NEW, EventType.FOLLOW,
                           EventType.LINK_PROMOTED})

#: How each event type is counted in a headline: (one, many); `{n}` is the count.
HEADLINE_WORDS: Mapping[EventType, tuple[str, str]] = {
    EventType.LOST: ("1 link lost", "{n} links lost"),
    EventType.PAGE_GONE: ("1 page gone", "{n} pages gone"),
    EventType.NOFOLLOW: ("1 now nofollow", "{n} now nofollow"),
    EventType.TARGET_CHANGED: ("1 points elsewhere", "{n} point elsewhere"),
    EventType.PAGE_NOINDEX: ("1 page now noindex", "{n} pages now noindex"),
    EventType.PAGE_BLOCKED_FOR_GOOGLE: ("1 page blocked for Google", "{n} pages blocked for Google"),
    EventType.UNREACHABLE: ("1 page unreachable", "{n} pages unreachable"),
    EventType.PAGE_REDIRECTED: ("1 page redirected", "{n} pages redirected"),
    EventType.CANONICAL_CHANGED: ("1 canonical changed", "{n} canonicals changed"),
    EventType.LINK_DEMOTED: ("1 moved out of the article", "{n} moved out of the article"),
    EventType.ANCHOR_CHANGED: ("1 anchor changed", "{n} anchors changed"),
    EventType.LINK_PROMOTED: ("1 moved into the article", "{n} moved into the article"),
    EventType.FOLLOW: ("1 followed again", "{n} followed again"),
    EventType.RESTORED: ("1 restored", "{n} restored"),
    EventType.WENT_LIVE: ("1 promised link live", "{n} promised links live"),
    EventType.NEW: ("1 new link", "{n} new links"),
}
#: Event types whose page traffic is at risk (said after their count in a headline).
AT_RISK = frozenset({EventType.LOST, EventType.PAGE_GONE, EventType.NOFOLLOW, EventType.PAGE_NOINDEX,
                     EventType.PAGE_BLOCKED_FOR_GOOGLE, EventType.TARGET_CHANGED})
HEADLINE_LIMIT = 150  # Slack's header limit; a good length for a subject too


def _value_key(event: Event) -> tuple[int, int, int, float, int, float]:
    """Own links before competitors'; lost links, then problems, then good news; by traffic, severity, newest."""
    tier = 0 if event.type in URGENT else 2 if event.type in INFORMATIONAL else 1
    severity = SEVERITY.index(event.type) if event.type in SEVERITY else len(SEVERITY)
    traffic = event.page_traffic
    return (int(event.role == "competitor"), tier, 0 if traffic is not None else 1, -(traffic or 0.0), severity,
            -event.at.timestamp())


def type_label(event_type: str) -> str:
    return str(event_type).replace("_", " ")


def _count_words(kind: EventType, events: list[Event], at_risk: bool = False) -> str:
    """`2 links lost`, with `(12,400 visits/mo at risk)` when `at_risk` and the pages' traffic is known."""
    one, many = HEADLINE_WORDS.get(kind, ("1 change", "{n} changes"))
    words = one if len(events) == 1 else many.format(n=human_number(len(events)))
    traffic = sum(e.page_traffic or 0.0 for e in events)
    if at_risk and kind in AT_RISK and traffic >= 1:
        words += f" ({visits(traffic)} at risk)"
    return words


@dataclass(frozen=True)
class AlertMessage:
    """One grouped message for one channel, about one site: what every renderer needs."""

    title: str
    kind: str  # alert | digest | test
    events: tuple[Event, ...]  # most urgent first
    counts: tuple[tuple[str, int], ...]  # (event type, how many), most first
    since: datetime | None = None  # the earliest event
    intro: str = ""  # a line of our own before the list (the test message)
    public_url: str | None = None  # linkwatch's web interface, for links to a link's page and to /events

    @property
    def total(self) -> int:
        return len(self.events)

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(sorted({e.site for e in self.events if e.site}))

    def listed(self, limit: int) -> list[Item]:
        return [describe(event, self.public_url) for event in self.events[:limit]]

    def more(self, limit: int) -> int:
        return max(self.total - limit, 0)

    def headline(self) -> str:
        """`[acmeshoes.com] 2 links lost (12,400 visits/mo at risk), 1 now nofollow`: the site and the worst
        changes first (Slack's header, the email's subject); at most 150 characters."""
        if not self.events:
            return self.title
        sites = self.sites
        prefix = f"[{sites[0] if len(sites) == 1 else f'{len(sites)} sites'}] " if sites else ""
        if self.kind == "digest":
            prefix += f"{self.title.removeprefix('linkwatch ').capitalize()}: "
        own = [e for e in self.events if e.role != "competitor"]
        rivals = [e for e in self.events if e.role == "competitor"]
        kinds = [kind for kind in SEVERITY if any(e.type == kind for e in own)]
        parts = [_count_words(kind, [e for e in own if e.type == kind], at_risk=n == 0) for n, kind in enumerate(kinds)]
        if rivals and not own:
            lost = sum(e.type in (EventType.LOST, EventType.PAGE_GONE) for e in rivals)
            parts = [f"Competitor lost {human_number(lost)} link{'s' if lost != 1 else ''}: outreach "
                     "opportunities" if lost else f"{human_number(len(rivals))} competitor changes"]
        elif rivals:
            parts.append(f"{human_number(len(rivals))} competitor changes")
        text = prefix + parts[0]
        for part in parts[1:]:
            if len(text) + len(part) + 2 > HEADLINE_LIMIT:
                break
            text += ", " + part
        return text if len(text) <= HEADLINE_LIMIT else text[:HEADLINE_LIMIT - 1] + "…"

    def summary(self) -> str:
        """One line, ours only: '12 backlink changes: 8 lost, 3 nofollow, 1 went live' (the webhook's)."""
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

    def count_words(self) -> str:
        """`12 changes` (`1 change`)."""
        return f"{human_number(self.total)} change{'' if self.total == 1 else 's'}"

    def when(self) -> str:
        """When the changes were seen: `6 Dec 2026 15:53 UTC`, or a range."""
        first = min((e.at for e in self.events), default=None)
        last = max((e.at for e in self.events), default=None)
        if first is None or last is None:
            return ""
        if human_time(first) == human_time(last):
            return f"seen {human_time(last)}"
        return f"seen between {human_time(first)} and {human_time(last)}"

    def events_url(self) -> str | None:
        """The events page of linkwatch's web interface, when it has a public address."""
        return linkwatch_link(self.public_url, "/events")

    def more_command(self) -> str:
        """The command that lists these events (the webhook's `events_command`, for the machines)."""
        since = self.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if self.since else "1d"
        return f"linkwatch events --since {since}"

    def more_words(self, limit: int) -> str:
        """'and 480 more changes: see linkwatch' (plain words; empty when all are listed).  Channels link
        `events_url()` after it when there is one."""
        more = self.more(limit)
        if not more:
            return ""
        noun = "change" if more == 1 else "changes"
        return f"and {human_number(more)} more {noun}: see linkwatch"


def build_message(events: Iterable[Event], kind: str = "alert", title: str | None = None,
                  public_url: str | None = None) -> AlertMessage:
    """Group events into one message: counts by type and the events most urgent first."""
    ordered = tuple(sorted(events, key=_value_key))
    counter = Counter(str(e.type) for e in ordered)
    rank = {str(t): i for i, t in enumerate(SEVERITY)}
    counts = tuple(sorted(counter.items(), key=lambda item: (-item[1], rank.get(item[0], len(rank)))))
    since = min((e.at for e in ordered), default=None)
    if title is None:
        title = "linkwatch digest" if kind == "digest" else "linkwatch: backlink changes"
    return AlertMessage(title, kind, ordered, counts, since, public_url=public_url)


def probe_message(channel: str) -> AlertMessage:
    """The message `linkwatch alerts test` sends."""
    return AlertMessage("linkwatch test message", "test", (), (),
                        intro=f"This is a test from linkwatch: the {channel} channel works.")
