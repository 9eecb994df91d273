"""Pre-aggregated counters for /metrics, kept in the `metric_counts` table.

Why: tens of millions of checks cannot be counted with `COUNT(*)` at every scrape, and in-process
counters would miss the crawl (child processes, other workers) and reset on restart.  The ingest
calls `record_checks` and `record_events` once per batch, in the transaction that stores the
checks and events, so the counters are exactly as durable as the rows they count; each call is one
UPSERT with one parameter set per distinct label set, sorted (concurrent workers lock rows in one
order), on SQLite and PostgreSQL alike.  Invariant: label values are closed sets (check states,
static|rendered, event types); a value outside them is logged and not counted, so a bug can never
create a new time series.  For users: docs/metrics.md, "How the numbers are made".

Reads no settings.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.core.types import CheckState, EventType
from monitor.store.models import MetricCount

logger = logging.getLogger(__name__)

CHECKS_TOTAL = "checks_total"
FETCHED_BYTES_TOTAL = "fetched_bytes_total"
CHECK_DURATION = "check_duration_seconds"
LINK_EVENTS_TOTAL = "link_events_total"

METHODS = ("static", "rendered")
OUTCOMES = tuple(state.value for state in CheckState)
EVENT_TYPES = tuple(event.value for event in EventType)
#: Upper bounds of the check duration histogram, in seconds (+Inf is implied).
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
INF = "+Inf"


def labels_key(**labels: str) -> str:
    """The canonical form of a label set: `k=v` sorted by key, joined by commas."""
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def parse_labels_key(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(",") if part)


def bucket_for(seconds: float) -> str:
    """The `le` label of the (non-cumulative) bucket an observation falls in."""
    for bound in DURATION_BUCKETS:
        if seconds <= bound:
            return format_bound(bound)
    return INF


def format_bound(bound: float) -> str:
    return repr(float(bound))


def _field(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


def record_checks(session: Session, rows: Iterable[Any]) -> None:
    """Count a batch of checks: by outcome and method, their bytes and durations.

    `rows` are `monitor.store.models.Check` rows or mappings with the same
    fields: `state`, `rendered`, `duration_seconds`, `bytes_received`.
    """
    deltas: dict[tuple[str, str], float] = defaultdict(float)
    for row in rows:
        outcome = str(_field(row, "state"))
        if outcome not in OUTCOMES:
            logger.warning("not counting a check with unknown state %r", outcome)
            continue
        method = "rendered" if _field(row, "rendered") else "static"
        duration = float(_field(row, "duration_seconds") or 0.0)
        deltas[CHECKS_TOTAL, labels_key(method=method, outcome=outcome)] += 1
        deltas[FETCHED_BYTES_TOTAL, ""] += int(_field(row, "bytes_received") or 0)
        deltas[f"{CHECK_DURATION}_bucket", labels_key(le=bucket_for(duration), method=method)] += 1
        deltas[f"{CHECK_DURATION}_sum", labels_key(method=method)] += duration
    _upsert(session, deltas)


def record_events(session: Session, events: Iterable[tuple[str, str]]) -> None:
    """Count a batch of link events, given as `(site domain, event type)` pairs."""
    deltas: dict[tuple[str, str], float] = defaultdict(float)
    for site, event_type in events:
        kind = str(event_type)
        if kind not in EVENT_TYPES:
            logger.warning("not counting an event of unknown type %r", kind)
            continue
        deltas[LINK_EVENTS_TOTAL, labels_key(site=site, type=kind)] += 1
    _upsert(session, deltas)


def _upsert(session: Session, deltas: Mapping[tuple[str, str], float]) -> None:
    """Add each delta to its counter row: one statement, one parameter set per label set."""
    params = [{"name": name, "labels": labels, "value": float(value)}
              for (name, labels), value in sorted(deltas.items()) if value]
    if not params:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if dialect not in {"postgresql", "sqlite"}:
        raise RuntimeError(f"metric counters need SQLite or PostgreSQL, not {dialect}")
    statement = insert(MetricCount)
    statement = statement.on_conflict_do_update(
        index_elements=[MetricCount.name, MetricCount.labels],
        set_={"value": MetricCount.value + statement.excluded.value},
    )
    session.execute(statement, params)


def read_counts(session: Session) -> dict[str, dict[str, float]]:
    """Every counter row, as {name: {labels key: value}}."""
    counts: dict[str, dict[str, float]] = {}
    for name, labels, value in session.execute(select(MetricCount.name, MetricCount.labels, MetricCount.value)):
        counts.setdefault(name, {})[labels] = value
    return counts
