"""Step 5 of the routine: backlink gaps against competitors.

`gap_report(db, site, since, settings)` compares the backlinks of every competitor site in the
store (sites marked `competitor`) with the site's own: a gap is a referring domain with a counting
link (not lost, gone or pending) to at least one competitor and none to the site, ranked by how
many competitors it links to, then by those links' page traffic, with up to three competitor
pages as evidence.  Grouping and ranking happen in SQL over the per-domain rollup
(monitor/store/rollups.py; with `--since`, over the competitor links in the window);
`verify_gap` keeps only the evidence the crawler sees live.  Definitions: docs/reports.md#gap.

Reads no settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import exists, func, select, true
from sqlalchemy.orm import aliased

from monitor.config import Settings
from monitor.reports.common import Db, connection, resolve_site, seen_since, seen_window
from monitor.store.models import Backlink, DomainRollup, Site

NOT_COUNTING = ("lost", "gone", "pending")
EVIDENCE_PER_DOMAIN = 3


@dataclass
class GapReport:
    site: str
    since: datetime | None
    competitors: list[str]
    gap_domains: int  # all gap domains (rows holds the top ones)
    verified: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = ("rank", "referring_domain", "competitors", "competitor_sites",
                                          "links", "page_traffic", "evidence")

    def summary(self) -> list[tuple[str, Any]]:
        return [("competitors", ", ".join(self.competitors) or "none"),
                ("referring domains linking to a competitor but not to you", self.gap_domains),
                ("competitor links verified live by the crawler", "yes" if self.verified else "no")]


def _since_filter(since: datetime | None) -> Any:
    return true() if since is None else seen_since(since)


def gap_report(db: Db, site: str | None, since: datetime | None, settings: Settings,
               limit: int = 100) -> GapReport:
    """Referring domains linking to competitors but not to the site, ranked, with evidence."""
    with connection(db) as conn:
        ref = resolve_site(conn, site)
        rivals = conn.execute(select(Site.id, Site.domain).where(Site.competitor.is_(True), Site.id != ref.id)
                              .order_by(Site.domain)).all()
        report = GapReport(site=ref.domain, since=since, competitors=[r.domain for r in rivals], gap_domains=0)
        if not rivals:
            report.warnings.append("no competitor is tracked yet: once a competitor's backlinks are added, the "
                                   "domains that link to it and not to you are listed here")
            return report
        rival_ids = [r.id for r in rivals]
        ranked = _ranked(ref.id, rival_ids, since)
        gaps = conn.execute(select(ranked).order_by(ranked.c.competitors.desc(), ranked.c.traffic.desc(),
                                                    ranked.c.domain)).all()
        report.gap_domains, top = len(gaps), gaps[:limit]
        evidence = _evidence(conn, rival_ids, [r.domain for r in top], since)
    names = {r.id: r.domain for r in rivals}
    for number, row in enumerate(top, 1):
        site_ids, links = evidence[row.domain]
        report.rows.append({
            "rank": number, "referring_domain": row.domain, "competitors": int(row.competitors),
            "competitor_sites": sorted(names[i] for i in site_ids),
            "links": int(row.links), "page_traffic": float(row.traffic),
            "evidence": [link["source_url"] for link in links], "evidence_links": links,
        })
    return report


def _mine(site_id: int, domain: Any) -> Any:
    """The site has a counting link from this domain (its rollup_domains row, by primary key)."""
    own = aliased(DomainRollup)
    return exists().where(own.site_id == site_id, own.referring_domain == domain, own.counting_links > 0)


def _ranked(site_id: int, rival_ids: list[int], since: datetime | None) -> Any:
    """Gap domains with their competitor count, counting links and traffic: from the per-domain rollup,
    or with `--since` from the competitor links in the window (index-only: seen_window)."""
    if since is None:
        return (select(DomainRollup.referring_domain.label("domain"), func.count().label("competitors"),
                       func.sum(DomainRollup.counting_links).label("links"),
                       func.sum(DomainRollup.counting_traffic).label("traffic"))
                .where(DomainRollup.site_id.in_(rival_ids), DomainRollup.counting_links > 0,
                       ~_mine(site_id, DomainRollup.referring_domain))
                .group_by(DomainRollup.referring_domain).subquery())
    window = seen_window(since, (Backlink.referring_domain.label("domain"), Backlink.site_id.label("site_id"),
                                 Backlink.page_traffic.label("page_traffic")),
                         Backlink.site_id.in_(rival_ids), Backlink.state.not_in(NOT_COUNTING),
                         ~_mine(site_id, Backlink.referring_domain))
    return (select(window.c.domain, func.count(func.distinct(window.c.site_id)).label("competitors"),
                   func.count().label("links"), func.coalesce(func.sum(window.c.page_traffic), 0.0).label("traffic"))
            .group_by(window.c.domain).subquery())


def _evidence(conn: Any, rival_ids: list[int], domains: list[str],
              since: datetime | None) -> dict[str, tuple[set[int], list[dict[str, Any]]]]:
    """Per shown domain: the competitor sites it links to, and its best-traffic competitor links (three)."""
    out: dict[str, tuple[set[int], list[dict[str, Any]]]] = {d: (set(), []) for d in domains}
    if not domains:
        return out
    where = (Backlink.site_id.in_(rival_ids), Backlink.referring_domain.in_(domains),
             Backlink.state.not_in(NOT_COUNTING), _since_filter(since))
    for domain, site_id in conn.execute(select(Backlink.referring_domain, Backlink.site_id).where(*where)
                                        .distinct()).all():
        out[domain][0].add(site_id)
    order = func.row_number().over(partition_by=Backlink.referring_domain,
                                   order_by=(Backlink.page_traffic.desc().nulls_last(), Backlink.id))
    ranked = (select(Backlink.id, Backlink.referring_domain, Backlink.site_id, Backlink.source_url,
                     Backlink.target, Backlink.state, Backlink.page_traffic, order.label("n"))
              .where(*where).subquery())
    for r in conn.execute(select(ranked).where(ranked.c.n <= EVIDENCE_PER_DOMAIN)
                          .order_by(ranked.c.referring_domain, ranked.c.n)).all():
        out[r.referring_domain][1].append(
            {"id": r.id, "site_id": r.site_id, "source_url": r.source_url, "target": r.target,
             "state": r.state, "page_traffic": r.page_traffic})
    return out


def verify_gap(report: GapReport, check_live: Callable[[Iterable[dict[str, Any]]], set[int]]) -> GapReport:
    """Keep only the evidence links `check_live` confirms live, and the domains that still have one.

    `check_live` receives the evidence links ({id, source_url, target, ...}) and returns the ids of those
    the crawler saw live (a followed or nofollow link to the target on a page fetched fine).
    """
    links = [link for row in report.rows for link in row["evidence_links"]]
    live = check_live(links)
    kept: list[dict[str, Any]] = []
    for row in report.rows:
        alive = [link for link in row["evidence_links"] if link["id"] in live]
        if alive:
            kept.append({**row, "evidence": [link["source_url"] for link in alive], "evidence_links": alive,
                         "links": len(alive), "rank": len(kept) + 1})
    dropped = len(report.rows) - len(kept)
    report.rows, report.verified = kept, True
    report.gap_domains -= dropped
    if dropped:
        report.warnings.append(f"{dropped} gap domains dropped: their competitor links are no longer live")
    return report
