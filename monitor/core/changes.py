"""Change detection: from what the store remembers of a backlink and a new verdict, the new state and events.

`detect_changes(previous, verdict, now, rules)` is pure (no I/O, no clock, no settings): the ingest
calls it once per backlink per check; tests/test_changes.py tables it.  Invariants, so that alerts
carry no false alarms and no storms: a failed fetch (`error`, `blocked`) is never a miss, only an
error streak (`unreachable` once per streak, after `unreachable_after`); a loss is confirmed after
`lost_after` consecutive misses (errors in between ignored), the stored state kept until then;
`restored` needs a confirmed loss; a `pending` link stays pending until it first appears
(`went_live`).  `misses` keeps counting while a link is absent, so `misses >= lost_after` also means
"confirmed absent" when the stored state is `error`.  A link's position (content, footer, ...) and
the page's Googlebot answer are compared with the last ones remembered (`link_demoted`/`link_promoted`,
`page_blocked_for_google`); an unknown position or robots.txt never triggers.  The rules:
docs/monitoring.md, "Events".

Reads no settings: `ChangeRules.from_settings` takes `lost_after` and `unreachable_after` from a
Settings object.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from monitor.core.human import NO_VALUE_WORDS
from monitor.core.targets import source_key
from monitor.core.types import (
    BacklinkState,
    CheckState,
    EventType,
    LinkPosition,
    NofollowSource,
    ObservedLink,
    Verdict,
)

logger = logging.getLogger(__name__)

_PRESENT = frozenset({CheckState.LIVE, CheckState.NOFOLLOW})
_FAILED = frozenset({CheckState.ERROR, CheckState.BLOCKED})
_FAILED_STATES = frozenset({BacklinkState.ERROR, BacklinkState.BLOCKED})
#: Parts of a page whose links search engines weigh far less than the content's: a link moved there from
#: the content is `link_demoted`, back into the content `link_promoted`.  `header` and `unknown` are
#: neither: a header link may be a site-wide menu or the article's own header, and `unknown` says nothing.
_LESSER_POSITIONS = frozenset({LinkPosition.FOOTER, LinkPosition.NAV, LinkPosition.ASIDE, LinkPosition.COMMENT})
_REL_REASONS = (
    ("nofollow", NofollowSource.REL_NOFOLLOW),
    ("sponsored", NofollowSource.REL_SPONSORED),
    ("ugc", NofollowSource.REL_UGC),
)


class _Thresholds(Protocol):
    @property
    def lost_after(self) -> int: ...

    @property
    def unreachable_after(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ChangeRules:
    """The thresholds of change detection (settings `lost_after`, `unreachable_after`)."""

    lost_after: int = 2
    unreachable_after: float = 3 * 24 * 3600.0  # seconds

    @classmethod
    def from_settings(cls, settings: _Thresholds) -> ChangeRules:
        return cls(lost_after=settings.lost_after, unreachable_after=settings.unreachable_after)


@dataclass(frozen=True, slots=True)
class LinkMemory:
    """What the store remembers of one backlink (the change-relevant columns of `backlinks`)."""

    state: BacklinkState = BacklinkState.UNCHECKED
    follow: bool | None = None  # of the link last seen
    rel: tuple[str, ...] = ()
    anchor: str | None = None
    link_href: str | None = None
    final_url: str | None = None  # of the last page fetched fine
    noindex: bool | None = None
    canonical: str | None = None
    googlebot_allowed: bool | None = None  # robots.txt lets Googlebot crawl the page, as last known
    position: str | None = None  # where the link last seen sat on its page (LinkPosition)
    misses: int = 0  # consecutive fine fetches (or 404/410) without the link
    errors_since: datetime | None = None  # start of the current error streak
    last_live: datetime | None = None
    first_seen: datetime | None = None
    last_checked: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.state == BacklinkState.PENDING


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    type: EventType
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChangeResult:
    memory: LinkMemory  # what to store; memory.state is the state to store
    events: tuple[ChangeEvent, ...] = ()
    suspected_loss: bool = False  # missing but not confirmed yet: re-check sooner
    link: ObservedLink | None = None  # the link chosen to represent the backlink, if present

    @property
    def state(self) -> BacklinkState:
        return self.memory.state


@dataclass
class _Draft:
    """The result under construction: the changes to the previous memory, and the events."""

    previous: LinkMemory
    changes: dict[str, Any] = field(default_factory=dict)
    events: list[ChangeEvent] = field(default_factory=list)

    def emit(self, kind: EventType, **detail: Any) -> None:
        self.events.append(ChangeEvent(kind, detail))

    def update(self, **changes: Any) -> None:
        self.changes.update(changes)

    def result(self, rules: ChangeRules, link: ObservedLink | None = None) -> ChangeResult:
        memory = dataclasses.replace(self.previous, **self.changes)
        return ChangeResult(memory, tuple(self.events), _suspected(memory, rules), link)


@functools.lru_cache(maxsize=4096)
def page_key(url: str | None) -> str | None:
    """The identity of a page for comparisons: `monitor.core.targets.source_key`, or the URL if not http(s)."""
    if not url:
        return None
    try:
        return source_key(url)
    except ValueError:
        return url


def canonical_elsewhere(canonical: str | None, source_url: str, final_url: str | None) -> bool:
    """Whether a page's canonical names another page than itself (the page asked or where it redirected)."""
    if not canonical:
        return False
    return page_key(canonical) not in (page_key(source_url), page_key(final_url or source_url))


def page_flags(noindex: bool | None, canonical: str | None, source_url: str, final_url: str | None,
               googlebot_allowed: bool | None = None) -> list[str]:
    """What the referring page says about itself that makes its link pass no value, in words: `noindex`,
    `blocked for Google` (its robots.txt disallows Googlebot), `canonical elsewhere`, `redirected away` (the
    names `links` and the web show; the reports' reasons are `no_value_reasons`)."""
    reasons = no_value_reasons(noindex, googlebot_allowed, canonical, source_url, final_url)
    return [NO_VALUE_WORDS[reason] for reason in reasons]


#: Why a live followed link passes no value, in the order a link gets its one reason (docs/reports.md).
NO_VALUE_REASONS = ("noindex", "blocked_for_google", "canonical_elsewhere", "redirected_away")


def no_value_reasons(noindex: bool | None, googlebot_allowed: bool | None, canonical: str | None,
                     source_url: str, final_url: str | None) -> list[str]:
    """Why a followed link on this page passes no value to its target (NO_VALUE_REASONS, in order; empty when
    it does): the page is noindex, blocked for Googlebot by its robots.txt, names another page as canonical,
    or now redirects to another page (`page_key` differs: http -> https, `www.` and case of the host are the
    same page; another path or host, on the same site or not, is away).  The stored page flags of the last
    fine fetch."""
    reasons = ["noindex"] if noindex else []
    if googlebot_allowed is False:
        reasons.append("blocked_for_google")
    if canonical_elsewhere(canonical, source_url, final_url):
        reasons.append("canonical_elsewhere")
    if final_url and final_url != source_url and page_key(final_url) != page_key(source_url):
        reasons.append("redirected_away")
    return reasons


def no_value_reason(noindex: bool | None, googlebot_allowed: bool | None, canonical: str | None,
                    source_url: str, final_url: str | None) -> str | None:
    """The first of `no_value_reasons`, the one the reports count a link under; None when it passes value."""
    reasons = no_value_reasons(noindex, googlebot_allowed, canonical, source_url, final_url)
    return reasons[0] if reasons else None


def link_page_flags(link: Mapping[str, Any]) -> list[str]:
    """`page_flags` of a stored backlink as `links --json` gives it (`page_noindex`, `page_blocked_for_google`,
    `canonical`, `source_url`, `final_url`): what `links` shows in its PAGE column and the web next to a state."""
    blocked = link.get("page_blocked_for_google")
    return page_flags(link.get("page_noindex"), link.get("canonical"), link["source_url"], link.get("final_url"),
                      googlebot_allowed=None if blocked is None else not blocked)


def nofollow_reasons(link: ObservedLink, verdict: Verdict) -> list[str]:
    """Why a link is not followed: rel tokens first, then page-level meta/header directives."""
    reasons = [str(source) for token, source in _REL_REASONS if token in link.rel]
    if verdict.directives.nofollow:
        sources = verdict.directives.nofollow_sources or ("meta",)
        reasons += [str(NofollowSource(s)) for s in sources if s in ("meta", "header")]
    return reasons


def choose_link(links: tuple[ObservedLink, ...], previous: LinkMemory) -> ObservedLink | None:
    """The link that stands for the backlink: followed first, then the one seen before (href, anchor),
    then one in the content (a page linking from its menu and its text is not demoted by its menu)."""
    if not links:
        return None

    def rank(link: ObservedLink) -> tuple[bool, bool, bool, bool]:
        return (link.follow, link.href == previous.link_href, link.anchor == previous.anchor,
                link.position == LinkPosition.CONTENT)

    return max(links, key=rank)  # max keeps the first of equals: document order


def redirected_away(verdict: Verdict) -> str | None:
    """The page the referring page now redirects to, when that is another page (not http -> https or www)."""
    if verdict.final_url == verdict.url or page_key(verdict.final_url) == page_key(verdict.url):
        return None
    return verdict.final_url


def _evidence(verdict: Verdict, link: ObservedLink | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"http_status": verdict.http_status, "final_url": verdict.final_url,
                              "rendered": verdict.rendered}
    if (destination := redirected_away(verdict)) is not None:
        detail["redirected_to"] = destination
    if link is not None:
        detail.update(href=link.href, rel=list(link.rel), anchor=link.anchor, follow=link.follow)
        if link.rendered_only:
            detail["rendered_only"] = True
    if verdict.error:
        detail["error"] = verdict.error
    return detail


def detect_changes(previous: LinkMemory, verdict: Verdict, now: datetime,
                   rules: ChangeRules | None = None, elsewhere: tuple[ObservedLink, ...] = ()) -> ChangeResult:
    """The new memory, state and events of a backlink after one check (see the module docstring).

    `elsewhere`: for a URL target, the page's links to other URLs of the same site; a confirmed miss
    with such a link is `target_changed` (the link now points at another URL of yours), not `lost`.
    """
    rules = rules or ChangeRules()
    draft = _Draft(previous, {"last_checked": now})
    if verdict.state in _FAILED:
        _fetch_failed(draft, previous, verdict, now, rules)
        return draft.result(rules)
    draft.update(errors_since=None)
    if verdict.state == CheckState.GONE:
        _missed(draft, previous, verdict, rules, gone=True)
        return draft.result(rules)
    _page_changes(draft, previous, verdict)
    link = choose_link(verdict.links, previous) if verdict.state in _PRESENT else None
    if link is None:
        _missed(draft, previous, verdict, rules, gone=False, elsewhere=elsewhere)
    else:
        _present(draft, previous, verdict, link, now, rules)
    return draft.result(rules, link)


def _suspected(memory: LinkMemory, rules: ChangeRules) -> bool:
    return not memory.pending and 0 < memory.misses < rules.lost_after


def _was_absent(previous: LinkMemory, rules: ChangeRules) -> bool:
    """Whether the link had been confirmed absent (lost or gone) before this check."""
    if previous.state in (BacklinkState.LOST, BacklinkState.GONE):
        return True
    return previous.state in _FAILED_STATES and previous.misses >= rules.lost_after


def _fetch_failed(draft: _Draft, previous: LinkMemory, verdict: Verdict, now: datetime, rules: ChangeRules) -> None:
    """An error or block: never a miss. Starts or continues the error streak; `unreachable` once per streak."""
    since = previous.errors_since or now
    draft.update(errors_since=since)
    if not previous.pending:
        draft.update(state=BacklinkState(verdict.state))
    threshold = timedelta(seconds=rules.unreachable_after)
    reported = (previous.errors_since is not None and previous.last_checked is not None
                and previous.last_checked - previous.errors_since >= threshold)
    if now - since >= threshold and not reported:
        draft.emit(EventType.UNREACHABLE, errors_since=since.isoformat(), check_state=str(verdict.state),
                   **_evidence(verdict))


def _missed(draft: _Draft, previous: LinkMemory, verdict: Verdict, rules: ChangeRules, gone: bool,
            elsewhere: tuple[ObservedLink, ...] = ()) -> None:
    """The page answered but the link is not there (or the page is 404/410)."""
    if previous.pending:
        return  # a promised link stays pending until it first appears
    misses = previous.misses + 1
    draft.update(misses=misses)
    if gone:
        draft.update(final_url=verdict.final_url)
    new_state = BacklinkState.GONE if gone else BacklinkState.LOST
    if _was_absent(previous, rules):
        if gone and previous.state == BacklinkState.LOST:
            draft.emit(EventType.PAGE_GONE, **_evidence(verdict))
        draft.update(state=new_state)
        return
    if misses < rules.lost_after:
        return  # suspected loss: keep the stored state until confirmed
    draft.update(state=new_state)
    detail = _evidence(verdict)
    detail.update(misses=misses, last_href=previous.link_href, last_anchor=previous.anchor,
                  last_live=previous.last_live.isoformat() if previous.last_live else None)
    if previous.first_seen is None:
        detail["never_seen"] = True
    if elsewhere and previous.link_href is not None:
        moved = elsewhere[0]
        draft.emit(EventType.TARGET_CHANGED, old_href=previous.link_href, new_href=moved.href,
                   new_anchor=moved.anchor, new_follow=moved.follow, **detail)
        return
    draft.emit(EventType.PAGE_GONE if gone else EventType.LOST, **detail)


def _present(draft: _Draft, previous: LinkMemory, verdict: Verdict, link: ObservedLink,
             now: datetime, rules: ChangeRules) -> None:
    """The link is on the page: new / went_live / restored, then follow, anchor and href changes."""
    draft.update(state=BacklinkState(verdict.state), misses=0, follow=link.follow, rel=link.rel,
                 anchor=link.anchor, link_href=link.href, last_live=now, position=str(link.position))
    detail = _evidence(verdict, link)
    if not link.follow:
        detail["reasons"] = nofollow_reasons(link, verdict)
        detail["reason"] = detail["reasons"][0] if detail["reasons"] else None
    if previous.pending or previous.first_seen is None:
        draft.update(first_seen=now)
        draft.emit(EventType.WENT_LIVE if previous.pending else EventType.NEW, **detail)
        return
    if _was_absent(previous, rules):
        draft.emit(EventType.RESTORED, after=str(previous.state), misses=previous.misses, **detail)
        return
    if previous.follow is True and not link.follow:
        draft.emit(EventType.NOFOLLOW, old_rel=list(previous.rel), **detail)
    elif previous.follow is False and link.follow:
        draft.emit(EventType.FOLLOW, old_rel=list(previous.rel), **detail)
    if previous.anchor is not None and link.anchor != previous.anchor:
        draft.emit(EventType.ANCHOR_CHANGED, old_anchor=previous.anchor, new_anchor=link.anchor, **detail)
    if previous.link_href is not None and link.href != previous.link_href:
        draft.emit(EventType.TARGET_CHANGED, old_href=previous.link_href, new_href=link.href, **detail)
    _position_changes(draft, previous, link.position, detail)


def _position_changes(draft: _Draft, previous: LinkMemory, new: LinkPosition, detail: dict[str, Any]) -> None:
    """`link_demoted` from the content to a footer, nav, aside or comment area; `link_promoted` back.
    Compared with the position last seen, whatever it was: content -> unknown -> footer is no event."""
    old = previous.position
    if old == LinkPosition.CONTENT and new in _LESSER_POSITIONS:
        kind = EventType.LINK_DEMOTED
    elif old in _LESSER_POSITIONS and new == LinkPosition.CONTENT:
        kind = EventType.LINK_PROMOTED
    else:
        return
    draft.emit(kind, old_position=old, new_position=str(new), **detail)


def _page_changes(draft: _Draft, previous: LinkMemory, verdict: Verdict) -> None:
    """Page-level facts of a page fetched fine: noindex, blocked for Google, redirected away, canonical elsewhere."""
    directives = verdict.directives
    draft.update(final_url=verdict.final_url, noindex=directives.noindex, canonical=directives.canonical)
    if verdict.googlebot_allowed is not None:  # robots.txt not available: the last answer stands
        draft.update(googlebot_allowed=verdict.googlebot_allowed)
    if previous.pending:
        return  # nothing of ours is on the page yet
    # the link never seen live before: the page was already so when linkwatch found it, a baseline and not
    # a loss of the period (the reports leave it out, alerts say it was already so)
    first = {"never_seen": True} if previous.first_seen is None else {}
    if directives.noindex and previous.noindex is not True:
        draft.emit(EventType.PAGE_NOINDEX, sources=list(directives.noindex_sources), **_evidence(verdict), **first)
    if verdict.googlebot_allowed is False and previous.googlebot_allowed is not False:
        draft.emit(EventType.PAGE_BLOCKED_FOR_GOOGLE, **_evidence(verdict), **first)
    redirected = verdict.final_url != verdict.url  # the common case, no redirect, needs no parsing
    asked = page_key(verdict.url) if redirected or directives.canonical else None
    final = page_key(verdict.final_url) if redirected else asked
    if final != asked and page_key(previous.final_url) != final:
        draft.emit(EventType.PAGE_REDIRECTED, old_final_url=previous.final_url, **_evidence(verdict), **first)
    canonical = page_key(directives.canonical) if directives.canonical else None
    if canonical not in (None, asked, final) and canonical != page_key(previous.canonical):
        draft.emit(EventType.CANONICAL_CHANGED, old_canonical=previous.canonical, canonical=directives.canonical,
                   **_evidence(verdict), **first)
