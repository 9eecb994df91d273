"""The backlink-management reports: one module per step of the monthly routine.

Each report is a function `(db, site, since, settings, ...) -> dataclass` computed
in SQL (see monitor.reports.common).  `NAMES` are the names `linkwatch report NAME`
takes, in order; NAME is computed by `NAME_report` in `monitor/reports/NAME.py`.
`REPORTS` maps each name to its function; it and the functions are imported on
first use (PEP 562), so that the CLI can list the names without loading SQLAlchemy.
monitor.reports.html renders all of them into one self-contained HTML file.  Every figure is defined in docs/reports.md.

Reads the report settings (Settings.sites, generic_anchors, min_follow_ratio,
max_exact_share) through the Settings each report is given.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

NAMES = ("traffic", "ratio", "velocity", "domains", "gap", "anchors", "reclaim", "outreach")

if TYPE_CHECKING:
    from monitor.reports.anchors import anchors_report
    from monitor.reports.domains import domains_report
    from monitor.reports.gap import gap_report
    from monitor.reports.outreach import outreach_report
    from monitor.reports.ratio import ratio_report
    from monitor.reports.reclaim import reclaim_report
    from monitor.reports.traffic import traffic_report
    from monitor.reports.velocity import velocity_report

    REPORTS: dict[str, Callable[..., Any]]


def __getattr__(name: str) -> Any:
    """`REPORTS` and the `NAME_report` functions, imported when first asked for (then kept as attributes)."""
    if name == "REPORTS":
        value: Any = {report: __getattr__(f"{report}_report") for report in NAMES}
    elif name.endswith("_report") and name.removesuffix("_report") in NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{name.removesuffix('_report')}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = ["NAMES", "REPORTS", "anchors_report", "domains_report", "gap_report", "outreach_report", "ratio_report",
           "reclaim_report", "traffic_report", "velocity_report"]
