"""Step 2 of the routine: followed vs nofollow, by links and by referring domains.

`ratio_report(db, site, since, settings)` counts the site's present links (live or nofollow) and
their referring domains (followed when at least one present link is followed and passes value: a live
link on a page that is noindex, blocked for Google, canonicalised or redirected away is counted apart, in
`no_value_links`, never as followed), breaks the not-followed
links out by rel token or, without one, by the page-level directive of the latest check, and flags
a domain ratio below `Settings.min_follow_ratio`.  Over all links the counts come from the rollups
(monitor/store/rollups.py); with `--since`, from the links in the window.  Definitions:
docs/reports.md#ratio.

Reads Settings.min_follow_ratio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Text, case, cast, func, select

from monitor.config import Settings
from monitor.reports.common import (
    PRESENT,
    Db,
    connection,
    in_window,
    no_value_counts,
    ratio,
    resolve_site,
    seen_window,
    share,
    window_no_value,
)
from monitor.store.models import Backlink, Check, DomainRollup, LinkRollup
from monitor.store.rollups import page_sources, rel_key_expr

REL_TOKENS = ("nofollow", "sponsored", "ugc")


@dataclass
class RatioReport:
    site: str
    since: datetime | None
    min_follow_ratio: float
    links: int  # present links
    followed_links: int  # live and passing value
    nofollow_links: int
    link_ratio: float | None  # followed_links / nofollow_links (None: no nofollow link)
    domains: int  # referring domains with a present link
    followed_domains: int  # ... of which at least one present link is followed and passes value
    nofollow_domains: int  # ... the others
    domain_ratio: float | None  # followed_domains / nofollow_domains
    followed_domain_share: float
    below_min: bool  # domain_ratio below min_follow_ratio
    reasons: dict[str, int] = field(default_factory=dict)  # rel_nofollow, rel_sponsored, rel_ugc, meta, header, unknown
    warnings: list[str] = field(default_factory=list)
    no_value_links: int = 0  # live links on pages that pass no value
    no_value: dict[str, int] = field(default_factory=dict)  # ... by reason (monitor.core.changes.NO_VALUE_REASONS)
    no_value_domains: int = 0  # domains with a live link, none of them passing value

    COLUMNS: ClassVar[tuple[str, ...]] = ("measure", "followed", "nofollow", "ratio")

    @property
    def rows(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {"measure": "links", "followed": self.followed_links, "nofollow": self.nofollow_links,
             "ratio": _ratio_text(self.link_ratio)},
            {"measure": "referring domains", "followed": self.followed_domains, "nofollow": self.nofollow_domains,
             "ratio": _ratio_text(self.domain_ratio)},
        ]
        out += [{"measure": f"nofollow by {reason}", "followed": "", "nofollow": count, "ratio": ""}
                for reason, count in self.reasons.items()]
        out += [{"measure": f"no value: {reason}", "followed": count, "nofollow": "", "ratio": ""}
                for reason, count in self.no_value.items()]
        return out

    def summary(self) -> list[tuple[str, Any]]:
        return [("present links", self.links), ("live on pages that pass no value", self.no_value_links),
                ("referring domains", self.domains),
                ("followed domains share", f"{self.followed_domain_share:.1%}"),
                ("minimum ratio (domains)", f"{self.min_follow_ratio:g}:1")]


def _ratio_text(value: float | None) -> str:
    return "all followed" if value is None else f"{value:.2f}:1"


def ratio_report(db: Db, site: str | None, since: datetime | None, settings: Settings) -> RatioReport:
    """Followed vs nofollow by links and by referring domains, nofollow reasons, and the 3:1 flag."""
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        counts, reasons, no_value = (_rollup_counts(conn, ref.id) if since is None
                                     else _window_counts(conn, ref.id, since))
    links, live_links, domains, followed_domains, no_value_domains = (int(v or 0) for v in counts)
    followed_links = live_links - sum(no_value.values())
    nofollow_links = links - live_links
    nofollow_domains = domains - followed_domains
    domain_ratio = ratio(followed_domains, nofollow_domains)
    below = domains > 0 and domain_ratio is not None and domain_ratio < settings.min_follow_ratio
    report = RatioReport(
        site=ref.domain, since=since, min_follow_ratio=settings.min_follow_ratio, links=links,
        followed_links=followed_links, nofollow_links=nofollow_links,
        link_ratio=ratio(followed_links, nofollow_links), domains=domains,
        followed_domains=followed_domains, nofollow_domains=nofollow_domains, domain_ratio=domain_ratio,
        followed_domain_share=share(followed_domains, domains), below_min=below, reasons=reasons,
        no_value_links=sum(no_value.values()), no_value=no_value, no_value_domains=no_value_domains,
    )
    if below:
        report.warnings.append(
            f"followed referring domains are {_ratio_text(domain_ratio)} to not-followed-only ones, below the "
            f"target of {settings.min_follow_ratio:g}:1")
    return report


def _tally(groups: Any) -> tuple[int, int, dict[str, int]]:
    """Links, followed links and nofollow reasons from (state, rel_key, page_nofollow, links) groups."""
    links = followed_links = 0
    reasons = {f"rel_{token}": 0 for token in REL_TOKENS} | {"meta": 0, "header": 0, "unknown": 0}
    for state, rel_key, page, count in groups:
        links += count
        if state == "live":
            followed_links += count
            continue
        for token in REL_TOKENS:
            reasons[f"rel_{token}"] += count if f"{token}," in rel_key else 0
        for name in (page.split(",") if page else ()):
            reasons[name] += count
    return links, followed_links, reasons


Counts = tuple[tuple[int, ...], dict[str, int], dict[str, int]]


def _rollup_counts(conn: Any, site_id: int) -> Counts:
    """(links, live links, domains, followed domains, no-value domains), the nofollow reasons and the
    live links passing no value by reason, from the rollups."""
    groups = conn.execute(
        select(LinkRollup.state, LinkRollup.rel_key, LinkRollup.page_nofollow, LinkRollup.no_value,
               func.sum(LinkRollup.links))
        .where(LinkRollup.site_id == site_id, LinkRollup.state.in_(PRESENT))
        .group_by(LinkRollup.state, LinkRollup.rel_key, LinkRollup.page_nofollow, LinkRollup.no_value)).all()
    links, live_links, reasons = _tally((g[0], g[1], g[2], int(g[4] or 0)) for g in groups)
    no_value: dict[str, int] = {}
    for g in groups:
        if g[0] == "live" and g[3]:
            no_value[g[3]] = no_value.get(g[3], 0) + int(g[4] or 0)
    domains = conn.execute(select(
        func.count(case((DomainRollup.present_links > 0, 1))), func.count(case((DomainRollup.value_links > 0, 1))),
        func.count(case(((DomainRollup.followed_links > 0) & (DomainRollup.value_links == 0), 1))))
        .where(DomainRollup.site_id == site_id)).one()
    return ((links, live_links, *(int(v or 0) for v in domains)), reasons, no_value_counts(no_value))


def _window_counts(conn: Any, site_id: int, since: datetime) -> Counts:
    """The same figures over the present links first seen since `since` (seen_window): links and domains
    counted by domain and state from the window's index alone, then the nofollow links' rel tokens and
    (without one) the latest check's directive sources, read for those links only, and the live links whose
    page is flagged (window_no_value)."""
    present = seen_window(since, (Backlink.referring_domain.label("domain"), Backlink.state.label("state")),
                          Backlink.site_id == site_id, in_window(Backlink.state).in_(PRESENT))
    counts = conn.execute(select(present.c.domain, present.c.state, func.count())
                          .group_by(present.c.domain, present.c.state)).all()
    rel_key = rel_key_expr()
    latest = (select(cast(Check.directive_sources, Text)).where(Check.backlink_id == Backlink.id)
              .order_by(Check.checked_at.desc(), Check.id.desc()).limit(1).scalar_subquery())
    sources = case((rel_key == "", latest), else_=None)
    nofollow = seen_window(since, (rel_key.label("rel_key"), sources.label("sources")),
                           Backlink.site_id == site_id, in_window(Backlink.state) == "nofollow")
    groups = []
    for key, text, count in conn.execute(select(nofollow.c.rel_key, nofollow.c.sources, func.count())
                                         .group_by(nofollow.c.rel_key, nofollow.c.sources)).all():
        groups.append(("nofollow", key, "" if key else ",".join(page_sources(text)) or "unknown", int(count)))
    _, _, reasons = _tally(groups)
    links = sum(int(count) for *_, count in counts)
    live = {domain: int(count) for domain, state, count in counts if state == "live"}
    flagged = window_no_value(conn, site_id, since)
    no_value: dict[str, int] = {}
    for domain, _, reason in flagged:
        no_value[reason] = no_value.get(reason, 0) + 1
        live[domain] -= 1
    domains = {domain for domain, _, _ in counts}
    followed_domains = sum(1 for n in live.values() if n > 0)
    return ((links, sum(int(count) for _, state, count in counts if state == "live"), len(domains),
             followed_domains, len(live) - followed_domains), reasons, no_value_counts(no_value))
