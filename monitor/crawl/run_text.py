"""A run's summary in words: the lines `linkwatch run` prints and the one line `serve` logs per run.

People read these (an operator's terminal, a log forwarded to a chat): numbers with thousands separators,
durations as `3 min 12 s`, states and events in words, the most urgent first, and no enum names or Python
values (monitor.core.human has the words).  URLs come from pages and imports: they are shown as text, never
interpreted.
"""

from __future__ import annotations

from typing import Any

from monitor.core.human import (
    check_counts,
    event_counts,
    event_detail_words,
    event_words,
    human_duration,
    percent,
    plural,
)
from monitor.core.types import Event
from monitor.crawl.runs import RunSummary

_STATUS_WORDS = {"finished": "finished", "failed": "failed", "running": "still running"}


def headline(summary: RunSummary) -> str:
    """`run 42 finished: 1,204 links checked on 1,180 pages in 3 min 12 s`."""
    checks = sum(summary.checks_by_state.values())
    took = f" in {human_duration(summary.seconds)}" if summary.seconds is not None else ""
    status = "stopped" if summary.error == "stopped" else _STATUS_WORDS.get(summary.status, summary.status)
    return (f"run {summary.run_id} {status}: "
            f"{plural(checks, 'link')} checked on {plural(summary.pages, 'page')}{took}")


def log_line(summary: RunSummary) -> str:
    """The one line `serve` logs per run: what was checked, how long it took, what the links are now, what
    changed: `run 42 finished: 1,204 links checked on 1,180 pages in 3 min 12 s: 3 missing, 1,201 followed;
    changes: 3 links lost`."""
    line = headline(summary)
    if summary.checks_by_state:
        line += f": {check_counts(summary.checks_by_state)}"
    changes = event_counts(summary.events_by_type)
    return f"{line}; {'changes: ' + changes if changes else 'no changes'}"


def log_fields(summary: RunSummary) -> dict[str, Any]:
    """The run's figures as machine values, for a JSON log line (`[log] format = json`)."""
    return {"run_id": summary.run_id, "status": summary.status, "pages": summary.pages,
            "checks": sum(summary.checks_by_state.values()), "rendered": summary.rendered,
            "seconds": None if summary.seconds is None else round(summary.seconds, 3),
            "checks_by_state": dict(summary.checks_by_state), "events_by_type": dict(summary.events_by_type)}


def event_line(event: Event) -> str:
    """`Link lost: https://blog.example.org/post → example.com (not on the page in 2 checks in a row)`."""
    reason = event_detail_words(str(event.type), event.detail or {})
    return f"{event_words(event.type)}: {event.source_url} → {event.target}" + (f" ({reason})" if reason else "")


def summary_lines(summary: RunSummary) -> list[str]:
    """What `linkwatch run` prints after a run: the headline, rendering, the links per state, then the changes
    most urgent first."""
    lines = [headline(summary)]
    if summary.pages:
        failed = (f"; {plural(summary.render_failures, 'link')} without a verdict because rendering failed"
                  if summary.render_failures else "")
        lines.append(f"rendered in Chromium: {summary.rendered:,} of {plural(summary.pages, 'page')} "
                     f"({percent(summary.rendered / summary.pages)}){failed}")
    if summary.checks_by_state:
        lines.append(f"on the pages: {check_counts(summary.checks_by_state)}")
        if summary.suspected:
            lines.append(f"  ({plural(summary.suspected, 'missing link is', 'missing links are')} not lost yet: "
                         "the next check confirms a loss)")
    if not summary.events_by_type:
        lines.append("no changes")
        return lines
    lines.append(f"changes, most urgent first: {event_counts(summary.events_by_type)}")
    lines += [f"  {event_line(event)}" for event in summary.events]
    more = sum(summary.events_by_type.values()) - len(summary.events)
    if more > 0:
        lines.append(f"  … and {more:,} more (linkwatch events lists them all)")
    return lines


def writes_line(done: dict[str, Any]) -> str | None:
    """`database: 20 transactions, 3.1 s writing (2.4 s of CPU)`: the crawl's own account of its writes, or None."""
    if "write_seconds" not in done:
        return None
    return (f"database: {plural(int(done.get('transactions', 0)), 'transaction')}, "
            f"{done['write_seconds']:.1f} s writing ({done.get('write_cpu_seconds', 0.0):.1f} s of CPU)")
