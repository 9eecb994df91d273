"""The report a client receives: every report for one period, and the summary that opens it.

`client_reports(db, site, period, settings)` computes the reports of `NAMES` as the HTML and PDF report
show them: the profile as it is now (traffic, ratio, gap, anchors, the whole reclaim worklist, pending
outreach) and what changed in the period (velocity and domains between its start and end; outreach's
promised links that went live since its start).  `client_summary(reports, period)` gives the figures a
client reads first: followed live links that pass value, the live links on pages that pass no value
(noindex, blocked for Google, canonicalised or redirected away), referring domains, the followed ratio
against the target, links gained and lost in the period, and the traffic at risk.
docs/reports.md, "The HTML and PDF report".

Reads Settings.min_follow_ratio (through the reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.config import Settings
from monitor.core.human import human_date, human_number, no_value_words
from monitor.reports import NAMES, REPORTS
from monitor.reports.common import Db
from monitor.reports.period import ReportPeriod

#: the reports counted over the period; the others describe the whole profile as it is now
PERIOD_REPORTS = ("velocity", "domains", "outreach")
#: the bars of velocity and domains: finer than the period, so that a month shows its weeks
BUCKETS = {"month": "week", "week": "day", "day": "day", None: "week"}


def client_reports(db: Db, site: str | None, period: ReportPeriod, settings: Settings) -> dict[str, Any]:
    """Every report, in NAMES order, as the client report shows them for `period`."""
    reports: dict[str, Any] = {}
    for name in NAMES:
        options: dict[str, Any] = {}
        if name in ("velocity", "domains"):
            options["period"] = BUCKETS[period.unit]
            if period.end is not None:
                options["until"] = period.end
        since = period.start if name in PERIOD_REPORTS else None
        reports[name] = REPORTS[name](db, site, since, settings, **options)
    return reports


@dataclass(frozen=True)
class Figure:
    """One figure of the summary: what it counts, its value as read, a line of context, and whether it is bad."""

    label: str
    value: str
    note: str
    alert: bool = False


def _ratio(value: float | None) -> str:
    return "all followed" if value is None else f"{value:.1f} : 1"


def client_summary(reports: dict[str, Any], period: ReportPeriod) -> list[Figure]:
    """The figures that open the report, from the reports `client_reports` made."""
    ratio, velocity, traffic = reports["ratio"], reports["velocity"], reports["traffic"]
    window = period.label or f"since {human_date(velocity.since)}"
    below = ratio.below_min
    target = f"target {ratio.min_follow_ratio:g} : 1 or more"
    return [
        Figure("Followed live links", human_number(ratio.followed_links),
               f"of {human_number(ratio.links)} links on their pages now, passing value"),
        Figure("Live but on pages that pass no value", human_number(ratio.no_value_links),
               no_value_words(ratio.no_value) or "none: every followed link passes value",
               alert=ratio.no_value_links > 0),
        Figure("Referring domains", human_number(ratio.domains),
               f"{human_number(ratio.followed_domains)} with a followed link that passes value"),
        Figure("Followed to not-followed domains", _ratio(ratio.domain_ratio),
               f"below the {target}" if below else target, alert=below),
        Figure("Links gained", human_number(velocity.links_gained), window),
        Figure("Links lost", human_number(velocity.links_lost), window, alert=velocity.links_lost > 0),
        Figure("Traffic at risk", human_number(traffic.at_risk_traffic),
               f"visits a month on {human_number(traffic.at_risk_links)} lost, not-followed or no-value links",
               alert=traffic.at_risk_traffic > 0),
    ]

