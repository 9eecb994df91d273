"""The backlink-management reports: one module per step of the monthly routine.

Each report is a function `(db, site, since, settings, ...) -> dataclass` computed
in SQL (see monitor.reports.common); `REPORTS` maps the names used by
`linkwatch report NAME` to them.  monitor.reports.html renders all of them into
one self-contained HTML file.  Every figure is defined in docs/reports.md.

Reads the report settings (Settings.sites, generic_anchors, min_follow_ratio,
max_exact_share) through the Settings each report is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monitor.reports.anchors import anchors_report
from monitor.reports.domains import domains_report
from monitor.reports.gap import gap_report
from monitor.reports.outreach import outreach_report
from monitor.reports.ratio import ratio_report
from monitor.reports.reclaim import reclaim_report
from monitor.reports.traffic import traffic_report
from monitor.reports.velocity import velocity_report

REPORTS: dict[str, Callable[..., Any]] = {
    "traffic": traffic_report,
    "ratio": ratio_report,
    "velocity": velocity_report,
    "domains": domains_report,
    "gap": gap_report,
    "anchors": anchors_report,
    "reclaim": reclaim_report,
    "outreach": outreach_report,
}

__all__ = ["REPORTS", "anchors_report", "domains_report", "gap_report", "outreach_report", "ratio_report",
           "reclaim_report", "traffic_report", "velocity_report"]
