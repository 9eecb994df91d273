"""The period a client report covers, from `--since` and `--period`, and its name in the title.

`report_period(since, period, now)`: with `--period day|week|month` the report covers one whole calendar
period (weeks start on Monday, UTC): the one holding `--since`, else the last one that has ended (on 6 Dec
2026, `--period month` is November 2026), so a report made at the start of a month is the month before;
a period not yet over ends now and is named "so far".  `--since` alone covers DATE until now; neither
covers all the links, the changes of the last 90 days (velocity's default window).
docs/reports.md, "The HTML and PDF report".

Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from monitor.core.human import human_date
from monitor.reports.common import period_start


@dataclass(frozen=True)
class ReportPeriod:
    start: datetime | None  # None: all the links
    end: datetime | None  # exclusive; None: now
    label: str  # "November 2026", "23–29 Nov 2026", "5 Dec 2026", "since 1 Nov 2026", "" for all links
    unit: str | None = None  # day, week or month when one calendar period is covered


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _next(day: date, unit: str) -> date:
    if unit == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7 if unit == "week" else 1)


def _span_label(first: date, last: date) -> str:
    """`23–29 Nov 2026`, `30 Nov – 6 Dec 2026`, `29 Dec 2025 – 4 Jan 2026`."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{human_date(first)} – {human_date(last)}"


def period_label(first: date, unit: str) -> str:
    """The name of the calendar period starting on `first`: `November 2026`, `23–29 Nov 2026`, `5 Dec 2026`."""
    if unit == "month":
        return f"{first:%B %Y}"
    if unit == "week":
        return _span_label(first, first + timedelta(days=6))
    return human_date(first)


def report_period(since: datetime | None, unit: str | None, now: datetime) -> ReportPeriod:
    """The period a report covers (see the module docstring)."""
    if unit is None:
        if since is None:
            return ReportPeriod(None, None, "")
        return ReportPeriod(since, None, f"since {human_date(since)}")
    today = now.astimezone(UTC).date()
    if since is not None:
        first = period_start(since.astimezone(UTC).date(), unit)
    else:
        first = period_start(period_start(today, unit) - timedelta(days=1), unit)
    end = _next(first, unit)
    label = period_label(first, unit)
    if end > today:
        return ReportPeriod(_midnight(first), None, f"{label}, so far", unit)
    return ReportPeriod(_midnight(first), _midnight(end), label, unit)
