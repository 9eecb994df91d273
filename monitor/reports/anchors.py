"""Step 6 of the routine: anchor text distribution.

`anchors_report(db, site, since, settings)` classifies the anchor of each present link (state live
or nofollow) of the site into the first class that fits: image, naked_url, exact, branded, generic,
partial, other (`AnchorRules.classify`, case-insensitive (ASCII) after trimming).  SQL groups the
links by anchor, trimmed and lower-cased (over all links from the rollup, monitor/store/rollups.py),
so each distinct anchor is classified once, here.  It counts links and shares per class and the
most used anchors, and warns when the exact-match share is above `Settings.max_exact_share`.  The
classes: docs/reports.md#anchors.

Reads Settings.sites (keywords, brand_terms), Settings.generic_anchors, Settings.max_exact_share.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import func, select

from monitor.config import Settings
from monitor.reports.common import PRESENT, Db, connection, in_window, resolve_site, seen_window, share
from monitor.store.models import AnchorRollup, Backlink

CLASSES = ("exact", "partial", "branded", "naked_url", "generic", "image", "other")
STOP_WORDS = frozenset({"with", "your", "from", "that", "this", "what", "when", "where", "best", "free",
                        "online", "about", "into", "more", "than", "have", "will"})


@dataclass
class AnchorsReport:
    site: str
    since: datetime | None
    links: int  # present links
    max_exact_share: float
    keywords: list[str]
    brand_terms: list[str]
    classes: dict[str, dict[str, Any]] = field(default_factory=dict)  # class -> {links, share}
    over_optimised: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)  # most used anchors
    warnings: list[str] = field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = ("anchor", "class", "links", "share")

    def summary(self) -> list[tuple[str, Any]]:
        lines: list[tuple[str, Any]] = [("present links", self.links)]
        lines += [(f"{name}", f"{c['links']} ({c['share']:.1%})") for name, c in self.classes.items()]
        return lines


def _terms(values: tuple[str, ...] | list[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


def _keyword_words(keywords: list[str]) -> list[str]:
    words = {w for k in keywords for w in k.split() if len(w) >= 4 and w not in STOP_WORDS}
    return sorted(words)


def _any_of(needles: list[str]) -> re.Pattern[str] | None:
    """A pattern found wherever one of the needles occurs as a substring (None: no needle)."""
    return re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True))) if needles else None


@dataclass(frozen=True)
class AnchorRules:
    """What decides an anchor's class: the site's domain, keywords, brand terms and generic anchors."""

    site_domain: str
    keywords: frozenset[str]
    brands: re.Pattern[str] | None  # contains a brand term
    generics: frozenset[str]
    partials: re.Pattern[str] | None  # contains a keyword, or one of its words of four letters or more

    @classmethod
    def of(cls, site_domain: str, keywords: list[str], brands: list[str], generics: list[str]) -> AnchorRules:
        return cls(site_domain, frozenset(keywords), _any_of(brands), frozenset(generics),
                   _any_of(keywords + _keyword_words(keywords)))

    def classify(self, text: str) -> str:
        """The class of an anchor already trimmed and lower-cased (in SQL, as the rollup and the
        --since query return it): the first rule of the module docstring that fits."""
        if text == "":
            return "image"
        if text.startswith(("http://", "https://", "www.")) or (self.site_domain in text and " " not in text):
            return "naked_url"
        if text in self.keywords:
            return "exact"
        if self.brands is not None and self.brands.search(text):
            return "branded"
        if text in self.generics:
            return "generic"
        if self.partials is not None and self.partials.search(text):
            return "partial"
        return "other"


def _distinct_anchors(site_id: int, since: datetime | None) -> Any:
    """(anchor, links): each distinct anchor of the site's present links, trimmed and lower-cased, with how
    many links carry it.  Over all links from rollup_anchors (monitor/store/rollups.py), with `--since` grouped
    from the links in the window; either way each distinct anchor is classified once, not each link."""
    if since is None:
        return (select(AnchorRollup.anchor, AnchorRollup.links)
                .where(AnchorRollup.site_id == site_id, AnchorRollup.links > 0).subquery())
    window = seen_window(since, (func.lower(func.trim(func.coalesce(Backlink.anchor, ""))).label("anchor"),),
                         Backlink.site_id == site_id, in_window(Backlink.state).in_(PRESENT))
    return select(window.c.anchor, func.count().label("links")).group_by(window.c.anchor).subquery()


def anchors_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
                   limit: int = 50) -> AnchorsReport:
    """Shares of exact, partial, branded, naked URL, generic, image and other anchors; over-optimisation."""
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        config = settings.site(ref.domain)
        keywords = _terms(config.keywords if config else ())
        brands = _terms(config.brand_terms if config else ()) or [ref.domain.split(".")[0]]
        generics = _terms(settings.generic_anchors)
        rules = AnchorRules.of(ref.domain, keywords, brands, generics)
        anchors = _distinct_anchors(ref.id, since)
        ranked = conn.execute(select(anchors.c.anchor, anchors.c.links)
                              .order_by(anchors.c.links.desc(), anchors.c.anchor)).all()
    counts: Counter[str] = Counter()
    for text, links in ranked:
        counts[rules.classify(text or "")] += int(links)
    top = ranked[:limit]
    total = sum(counts.values())
    report = AnchorsReport(
        site=ref.domain, since=since, links=total, max_exact_share=settings.max_exact_share,
        keywords=keywords, brand_terms=brands,
        classes={name: {"links": int(counts.get(name, 0)), "share": share(int(counts.get(name, 0)), total)}
                 for name in CLASSES},
        rows=[{"anchor": r.anchor, "class": rules.classify(r.anchor or ""), "links": int(r.links),
               "share": share(int(r.links), total)} for r in top],
    )
    exact = report.classes["exact"]["share"]
    report.over_optimised = exact > settings.max_exact_share
    if report.over_optimised:
        report.warnings.append(f"exact-keyword anchors are {exact:.1%} of links, above the "
                               f"{settings.max_exact_share:.0%} limit: over-optimised")
    if not keywords:
        report.warnings.append(f"no keywords are set for {ref.domain}, so exact and partial keyword anchors "
                               "cannot be told apart from the others")
    return report
