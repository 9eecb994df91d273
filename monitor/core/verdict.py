"""The verdict for one backlink from one fetch of its referring page (the `linkwatch check` state).

Fetched fine: `live` (a followed link to the target), `nofollow` (links, none followed) or `lost`
(none); otherwise `gone`, `blocked` or `error` from the fetch status, with no links.  Invariants: a
page that could not be fetched is never `lost`; a 304 (`NOT_MODIFIED`) has no verdict of its own
(`verdict_for` raises ValueError, the caller keeps the previous one); under `render auto`, a link
missing from the static HTML of a page whose rendering failed proves nothing, and
`unverified_static_miss` makes that `error` (`linkwatch check` and the ingest both apply it).  The
table: docs/links.md, "The verdict".

Reads no settings.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from monitor.core.targets import Target, parse_target, site_target
from monitor.core.types import CheckState, FetchStatus, ObservedLink, PageObservation, RenderMode, Verdict

logger = logging.getLogger(__name__)

__all__ = ["unverified_static_miss", "verdict_for", "verdicts"]

_FETCH_STATES = {
    FetchStatus.GONE: CheckState.GONE,
    FetchStatus.BLOCKED: CheckState.BLOCKED,
    FetchStatus.ERROR: CheckState.ERROR,
}


def verdict_for(observation: PageObservation, target: Target | str) -> Verdict:
    """The verdict for `target` (a Target, or the target as given) from one observation of its page."""
    raw = target.raw if isinstance(target, Target) else target
    if observation.fetch is FetchStatus.NOT_MODIFIED:
        raise ValueError("a 304 Not Modified has no verdict of its own: keep the previous verdict")
    if observation.fetch is FetchStatus.OK:
        links = tuple(link for link in observation.links if link.target == raw)
        if any(link.follow for link in links):
            state = CheckState.LIVE
        else:
            state = CheckState.NOFOLLOW if links else CheckState.LOST
        error = None
    else:
        links = ()
        state = _FETCH_STATES[observation.fetch]
        error = observation.error or str(observation.fetch)
    return Verdict(
        url=observation.url,
        final_url=observation.final_url,
        http_status=observation.http_status,
        state=state,
        directives=observation.directives,
        links=links,
        rendered=observation.rendered,
        error=error,
        googlebot_allowed=observation.googlebot_allowed,
    )


def unverified_static_miss(verdict: Verdict, observation: PageObservation, render: RenderMode) -> Verdict:
    """`verdict`, or `error` when it is a `lost` that only the static HTML says (rendering was due and failed)."""
    if verdict.state is not CheckState.LOST or render is not RenderMode.AUTO or observation.rendered:
        return verdict
    reason = observation.error or "not rendered"  # "render failed: ...", "render incomplete: ...", ...
    return dataclasses.replace(verdict, state=CheckState.ERROR,
                               error=f"link missing from the static HTML ({reason})")


def site_links(observation: PageObservation, target: Target | str) -> tuple[ObservedLink, ...]:
    """Links to other URLs of a URL target's site (see monitor.core.targets.site_target), in document order."""
    parsed = target if isinstance(target, Target) else parse_target(target)
    site = site_target(parsed)
    if site is None or observation.fetch is not FetchStatus.OK:
        return ()
    return tuple(link for link in observation.links if link.target == site.raw and not parsed.matches(link.href))


def untracked(links: tuple[ObservedLink, ...], tracked: Iterable[str]) -> tuple[ObservedLink, ...]:
    """The links that point at none of the `tracked` targets (the page's other backlinks).

    A link to another URL of the site that is itself tracked on the page is that backlink's link:
    removing the link to this target beside it is `lost`, not `target_changed`.
    """
    parsed = [parse_target(raw) for raw in tracked]
    return tuple(link for link in links if not any(t.matches(link.href) for t in parsed))


def verdicts(observation: PageObservation, targets: Iterable[Target | str]) -> list[Verdict]:
    """One verdict per target, in the order given."""
    return [verdict_for(observation, target) for target in targets]
