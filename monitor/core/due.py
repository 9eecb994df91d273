"""When a checked backlink is due again: its check interval and its next due time. Pure.

`next_due_at` (applied by monitor.store.ingest):
- normally `check_interval`, or the shortest matching `[[schedule.rule]]` for the
  backlink's site or tags (`interval_rules`);
- a suspected loss (missing, not yet confirmed): `recheck_interval`;
- during an error streak: the streak's age, at least `recheck_interval` and at
  most the normal interval (so retries back off exponentially).

Reads settings: check_interval, recheck_interval, interval_rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.config import IntervalRule, Settings


def _rule_matches(rule: IntervalRule, site: str | None, tags: Sequence[str]) -> bool:
    if rule.site is not None and (site or "").lower().removeprefix("www.") != rule.site.lower().removeprefix("www."):
        return False
    return rule.tag is None or rule.tag in tags


def interval_for(settings: Settings, site: str | None, tags: Sequence[str]) -> float:
    """The check interval of a backlink: the shortest matching interval rule, else `check_interval`."""
    matching = [rule.interval_seconds for rule in settings.interval_rules if _rule_matches(rule, site, tags)]
    return min(matching) if matching else settings.check_interval


def next_due(settings: Settings, now: datetime, *, interval: float, suspected_loss: bool = False,
             errors_since: datetime | None = None) -> datetime:
    """When a backlink checked at `now` is due again (see the module docstring)."""
    if suspected_loss:
        return now + timedelta(seconds=min(settings.recheck_interval, interval))
    if errors_since is not None:
        streak = (now - errors_since).total_seconds()
        return now + timedelta(seconds=max(settings.recheck_interval, min(streak, interval)))
    return now + timedelta(seconds=interval)
