"""The plain data types every part of linkwatch shares.

Observed links, what a fetch of a referring page saw, the verdict for one
backlink, its state, and the events that changes produce.  This module imports
nothing of ours and nothing outside the standard library, so the crawler, the
store, the alert channels and the reports can all speak in these types.

Reads no settings.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class CheckState(enum.StrEnum):
    """The verdict of one check of one backlink (the `state` of `linkwatch check`)."""

    LIVE = "live"  # at least one followed link to the target
    NOFOLLOW = "nofollow"  # links present, none followed
    LOST = "lost"  # page fetched fine (2xx HTML), no link to the target
    GONE = "gone"  # 404 / 410
    BLOCKED = "blocked"  # robots.txt, 401/403, bot challenge, SSRF guard
    ERROR = "error"  # anything else that prevented a verdict


class BacklinkState(enum.StrEnum):
    """The state a stored backlink is in: a check state, or not checked yet."""

    LIVE = "live"
    NOFOLLOW = "nofollow"
    LOST = "lost"
    GONE = "gone"
    BLOCKED = "blocked"
    ERROR = "error"
    PENDING = "pending"  # promised by outreach, not seen live yet
    UNCHECKED = "unchecked"  # added, never checked


#: States in which the page was fetched and the verdict is about the link itself.
VERDICT_STATES = frozenset({CheckState.LIVE, CheckState.NOFOLLOW, CheckState.LOST})
#: States in which the link is present on the page.
PRESENT_STATES = frozenset({CheckState.LIVE, CheckState.NOFOLLOW})


class FetchStatus(enum.StrEnum):
    """How fetching a referring page ended. Never an exception: always one of these."""

    OK = "ok"  # a 2xx HTML document was read and parsed
    NOT_MODIFIED = "not_modified"  # 304 to a conditional request: same as the last verdict
    GONE = "gone"  # 404 / 410
    BLOCKED = "blocked"  # robots.txt, 401/403, challenge page, SSRF guard
    ERROR = "error"  # timeout, DNS, refused, 5xx, 429, too large, not HTML, redirect loop, ...


class RenderMode(enum.StrEnum):
    AUTO = "auto"  # render only a page fetched fine whose static HTML has no followed link to the target
    NEVER = "never"
    ALWAYS = "always"


class TargetKind(enum.StrEnum):
    DOMAIN = "domain"
    URL = "url"


class NofollowSource(enum.StrEnum):
    """What made a link not followed (the evidence an alert names)."""

    REL_NOFOLLOW = "rel_nofollow"
    REL_SPONSORED = "rel_sponsored"
    REL_UGC = "rel_ugc"
    META = "meta"  # <meta name="robots|googlebot" content="nofollow">
    HEADER = "header"  # X-Robots-Tag: nofollow


class LinkPosition(enum.StrEnum):
    """Which part of its page a link sits in (rules: docs/check.md, "Where a link sits")."""

    CONTENT = "content"  # inside <main>, <article> or their roles
    NAV = "nav"
    HEADER = "header"
    FOOTER = "footer"
    ASIDE = "aside"  # <aside>, a sidebar or a widget
    COMMENT = "comment"  # a comment section
    UNKNOWN = "unknown"  # nothing on the way up says


@dataclass(frozen=True, slots=True)
class LinkContext:
    """The visible text on each side of a link's anchor: whitespace collapsed, at most 120 characters
    each, cut at word boundaries (the evidence of where the link was)."""

    before: str = ""
    after: str = ""

    def to_json(self) -> dict[str, str]:
        return {"before": self.before, "after": self.after}

    @classmethod
    def from_json(cls, value: Any) -> LinkContext:
        """From `to_json` output; anything else (a check stored before contexts existed) is empty."""
        if not isinstance(value, Mapping):
            return cls()
        return cls(before=str(value.get("before") or ""), after=str(value.get("after") or ""))


@dataclass(frozen=True, slots=True)
class ObservedLink:
    """One `<a href>`/`<area href>` element on a page that points at a target."""

    href: str  # as a browser's element.href
    rel: tuple[str, ...]  # lowercased tokens, first-seen order, no duplicates
    anchor: str  # textContent collapsed, else the first <img> alt (the <area>'s own alt)
    follow: bool  # False when rel holds nofollow/sponsored/ugc or the page is nofollow
    target: str = ""  # which target (as given) the link matched
    rendered_only: bool = False  # in the rendered DOM but not in the static HTML (a script added it)
    context: LinkContext = LinkContext()  # the text around it, from the same DOM as the verdict
    position: LinkPosition = LinkPosition.UNKNOWN

    def to_json(self, with_target: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "href": self.href,
            "rel": list(self.rel),
            "anchor": self.anchor,
            "follow": self.follow,
        }
        if with_target:
            out["target"] = self.target
        out["context"] = self.context.to_json()
        out["position"] = str(self.position)
        return out


@dataclass(frozen=True, slots=True)
class PageDirectives:
    """Page-level robots directives and the canonical URL."""

    noindex: bool = False
    nofollow: bool = False
    canonical: str | None = None
    # where noindex/nofollow came from: subsets of {"meta", "header"}
    noindex_sources: tuple[str, ...] = ()
    nofollow_sources: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"noindex": self.noindex, "nofollow": self.nofollow, "canonical": self.canonical}


@dataclass(frozen=True, slots=True)
class PageObservation:
    """What one fetch of one referring page saw, for every target asked about it.

    `links` holds the links that match any of the targets asked, each carrying
    the target it matched, in document order.
    """

    url: str  # as asked
    final_url: str  # after redirects; the URL asked when nothing was fetched
    fetch: FetchStatus
    http_status: int | None = None
    error: str | None = None  # short reason when fetch is not OK
    directives: PageDirectives = field(default_factory=PageDirectives)
    links: tuple[ObservedLink, ...] = ()
    rendered: bool = False
    redirects: tuple[str, ...] = ()  # URLs passed through, in order, the asked one excluded
    duration_seconds: float = 0.0
    bytes_received: int = 0
    fetched_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    mentions: tuple[str, ...] = ()  # sentences naming a brand term without a link (mentions crawl)
    contact_hints: tuple[str, ...] = ()  # mailto: links and contact pages found on the page
    # may Googlebot crawl the page (robots.txt's Googlebot group, else `*`, for every URL of the redirect chain);
    # None when a robots.txt was not available or not read
    googlebot_allowed: bool | None = None
    # the evidence of a change (docs/monitoring.md, "Evidence and snapshots"): the visible text of the content
    # area, one line per block; every http(s) link with a text as (anchor, href), when a target has no link;
    # the HTML when `[evidence] html`; a JPEG screenshot, base64, when `[evidence] screenshots` and the page
    # was rendered
    main_text: str | None = None
    page_links: tuple[tuple[str, str], ...] = ()
    html: str | None = None
    screenshot: str | None = None


@dataclass(frozen=True, slots=True)
class PageJob:
    """One referring page to fetch in a crawl, with every target asked about it.

    A run groups the due backlinks by referring page, so a page is fetched once
    however many backlinks it carries.
    """

    url: str
    targets: tuple[str, ...]  # targets as given (bare domains or absolute URLs)
    render: RenderMode = RenderMode.AUTO
    etag: str | None = None  # for a conditional request (If-None-Match)
    last_modified: str | None = None  # for a conditional request (If-Modified-Since)
    backlink_ids: tuple[int, ...] = ()  # the stored backlinks this page answers for (empty for `check`)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one check of one backlink: the `linkwatch check` JSON object."""

    url: str
    final_url: str
    http_status: int | None
    state: CheckState
    directives: PageDirectives
    links: tuple[ObservedLink, ...]
    rendered: bool
    error: str | None
    googlebot_allowed: bool | None = None  # see PageObservation

    def to_json(self, with_target: bool = False) -> dict[str, Any]:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "http_status": self.http_status,
            "state": str(self.state),
            "page": {**self.directives.to_json(), "googlebot_allowed": self.googlebot_allowed},
            "links": [link.to_json(with_target) for link in self.links],
            "rendered": self.rendered,
            "error": self.error,
        }

    @property
    def followed(self) -> bool:
        return any(link.follow for link in self.links)


class EventType(enum.StrEnum):
    NEW = "new"  # first seen live
    LOST = "lost"  # link removed from a page that is fine (confirmed)
    RESTORED = "restored"  # back after lost / gone / nofollow
    NOFOLLOW = "nofollow"  # became not followed (detail names the reason)
    FOLLOW = "follow"  # became followed again
    ANCHOR_CHANGED = "anchor_changed"
    TARGET_CHANGED = "target_changed"  # points at another URL of yours, or a redirect/broken URL
    PAGE_GONE = "page_gone"  # 404 / 410
    PAGE_NOINDEX = "page_noindex"
    PAGE_REDIRECTED = "page_redirected"
    CANONICAL_CHANGED = "canonical_changed"
    UNREACHABLE = "unreachable"  # errors persisting past the threshold
    WENT_LIVE = "went_live"  # a pending link appeared
    LINK_DEMOTED = "link_demoted"  # moved from the content to a footer, nav, aside or comment area
    LINK_PROMOTED = "link_promoted"  # moved from such an area into the content
    PAGE_BLOCKED_FOR_GOOGLE = "page_blocked_for_google"  # robots.txt now disallows Googlebot on the page


#: Event types alerted on when the configuration says nothing.
DEFAULT_ALERT_EVENTS = (
    EventType.LOST,
    EventType.NOFOLLOW,
    EventType.PAGE_GONE,
    EventType.PAGE_NOINDEX,
    EventType.PAGE_BLOCKED_FOR_GOOGLE,
    EventType.LINK_DEMOTED,
    EventType.TARGET_CHANGED,
    EventType.WENT_LIVE,
    EventType.RESTORED,
)


@dataclass(frozen=True, slots=True)
class Event:
    """One change of one backlink, as stored in the outbox and sent by the alert channels."""

    type: EventType
    source_url: str
    target: str
    at: datetime
    old_state: str | None
    new_state: str
    detail: Mapping[str, Any] = field(default_factory=dict)  # evidence: http_status, final_url, rel, reason...
    id: int | None = None
    backlink_id: int | None = None
    site: str | None = None  # the monitored site the target belongs to
    tags: tuple[str, ...] = ()
    anchor: str | None = None
    page_traffic: float | None = None
    last_live_at: datetime | None = None
    role: str = "own"  # the site's role: "own", or "competitor" (a `[[site]] competitor = true`)
    contact_hints: tuple[str, ...] = ()  # mailto: links and contact pages seen on the referring site

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": str(self.type),
            "source_url": self.source_url,
            "target": self.target,
            "at": self.at.isoformat(),
            "old_state": self.old_state,
            "new_state": self.new_state,
            "detail": dict(self.detail),
            "site": self.site,
            "role": self.role,
            "tags": list(self.tags),
            "anchor": self.anchor,
            "page_traffic": self.page_traffic,
            "last_live_at": self.last_live_at.isoformat() if self.last_live_at else None,
            "contact_hints": list(self.contact_hints),
        }
