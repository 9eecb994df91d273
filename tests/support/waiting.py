"""`wait_for`: poll a condition with a generous limit, so that a hang fails the test instead of blocking the
suite (speed is shown by benchmarks, never by these limits)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def wait_for(condition: Callable[[], Any], what: str, limit: float = 120, *, interval: float = 0.2,
             log: Path | None = None) -> Any:
    """Poll until `condition()` is truthy and return its value; else fail naming `what` (and the end of `log`)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    detail = f"\n{log.read_text(errors='replace')[-4000:]}" if log is not None and log.exists() else ""
    raise AssertionError(f"gave up waiting for {what}{detail}")
