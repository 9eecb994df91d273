"""One check run from the parent's side: record it, run the crawl child in `run` mode, summarise it.

`RunCycle(engine, settings, include_all=..., limit=...)` creates the `runs` row, spawns `python -m
crawler run` (monitor.crawl.child.open_child: settings on stdin, then the run options), reads the
child's JSON progress lines and marks the run finished (child exit 0) or failed.  Invariant: the
child pulls its own work and ingests it, so a run killed at any point leaves the database
consistent (checked batches stored, the rest still due).  `stop()` (from a signal handler or
another thread) asks the child to stop gracefully, SIGKILL after a grace period.
`run_summary(engine, run_id)` reads back what a run changed (docs/monitoring.md, "`linkwatch run
--once`").

Reads settings: none of its own (forwards Settings to the child).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, func, select, update

from monitor.config import Settings
from monitor.core.human import EVENT_URGENCY
from monitor.core.types import Event, EventType
from monitor.crawl.child import open_child, stop_child
from monitor.store import leases
from monitor.store.db import session
from monitor.store.ingest import utcnow
from monitor.store.models import Backlink, Check, CheckRun, EventRecord, Site

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0  # for a graceful stop of the crawl child before SIGKILL


def worker_name() -> str:
    return f"{socket.gethostname()[:200]}:{os.getpid()}"


def _pid_dead(worker: str | None) -> bool:
    host, _, pid = (worker or "").rpartition(":")
    return leases.process_gone(host, pid)


def start_run(engine: Engine, now: datetime) -> int:
    """Create the `runs` row (and fail the runs of this host whose process died) and return its id."""
    with session(engine) as s:
        stale = s.execute(select(CheckRun.id, CheckRun.worker).where(CheckRun.status == "running")).all()
        dead = [run_id for run_id, worker in stale if _pid_dead(worker)]
        if dead:
            s.execute(update(CheckRun).where(CheckRun.id.in_(dead))
                      .values(status="failed", error="interrupted: its process died", finished_at=now))
        run = CheckRun(started_at=now, status="running", worker=worker_name(),
                       pages=0, checks=0, rendered=0, events=0)
        s.add(run)
        s.flush()
        return run.id


def finish_run(engine: Engine, run_id: int, ok: bool, error: str | None = None) -> None:
    with session(engine) as s:
        s.execute(update(CheckRun).where(CheckRun.id == run_id).values(
            status="finished" if ok else "failed", finished_at=utcnow(), error=error))


@dataclass
class RunOutcome:
    run_id: int
    ok: bool
    stopped: bool
    error: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)


class RunCycle:
    """One run of the crawl child over what is due (see the module docstring)."""

    def __init__(self, engine: Engine, settings: Settings, *, include_all: bool = False,
                 limit: int | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.include_all = include_all
        self.limit = limit
        self._child: subprocess.Popen[str] | None = None
        self._stopping = threading.Event()

    def run(self, on_progress: Callable[[dict[str, Any]], None] | None = None) -> RunOutcome:
        now = utcnow()
        run_id = start_run(self.engine, now)
        options = {"run_id": run_id, "now": now.isoformat(), "include_all": self.include_all, "limit": self.limit}
        try:
            child = self._child = open_child(self.settings, "run")
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(json.dumps(options) + "\n")
            child.stdin.close()
        except OSError as exc:
            finish_run(self.engine, run_id, False, f"cannot start the crawler: {exc}")
            raise
        tail = _pass_stderr(child)
        last: dict[str, Any] = {}
        try:
            for line in child.stdout:
                message = _parse(line)
                if "progress" in message or "done" in message:
                    last = message.get("progress") or message.get("done") or last
                    if on_progress:
                        on_progress(message)
            returncode = child.wait()
        except BaseException:
            stop_child(child, STOP_GRACE_SECONDS)  # graceful: what the child observed is still ingested
            finish_run(self.engine, run_id, False, "interrupted")
            raise
        ok = returncode == 0
        error = None if ok else f"crawler exit status {returncode}: {_last(tail)}"
        if error:
            logger.error("run %d failed: %s", run_id, error)
        finish_run(self.engine, run_id, ok and not self._stopping.is_set(),
                   "stopped" if self._stopping.is_set() and ok else error)
        return RunOutcome(run_id, ok, self._stopping.is_set(), error, last)

    def stop(self) -> None:
        """Ask the child to stop (graceful, then forced after a grace period). Safe from any thread."""
        self._stopping.set()
        child = self._child
        if child is not None and child.poll() is None:
            threading.Thread(target=stop_child, args=(child, STOP_GRACE_SECONDS), daemon=True).start()


def _parse(line: str) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError:
        logger.warning("crawler sent an unreadable line: %.200s", line)
        return {}
    return message if isinstance(message, dict) else {}


# the last line of a traceback, which says what went wrong ("...OperationalError: database or disk is full")
_EXCEPTION_LINE = re.compile(r"^[\w.]*(?:Error|Exception|Exit|Interrupt)\b[^\n]*:")


#: a log line of the crawl child (Scrapy's handler: "2026-12-02 16:07:40 [crawler.spider] WARNING: ...")
_CHILD_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[^\]]*\] (DEBUG|INFO|WARNING|ERROR|CRITICAL): ")


def _pass_stderr(child: subprocess.Popen[str], keep: int = 20) -> list[str]:
    """Re-log the child's stderr as `crawler: LINE`, each record at the level the child gave it (a traceback's
    lines at its record's), its info lines at debug: at info, `serve` logs one line per run, not the crawl's
    news (a robots.txt that could not be read). The child already logs at this process's level. Returns the
    (live) last lines."""
    tail: list[str] = []

    def pump() -> None:
        assert child.stderr is not None
        level = logging.DEBUG
        for line in child.stderr:
            tail.append(line)
            del tail[:-keep]
            record = _CHILD_RECORD.match(line)
            if record:
                level = logging.getLevelNamesMapping()[record.group(1)]
                level = logging.DEBUG if level == logging.INFO else level
            elif level < logging.WARNING and ("Traceback" in line or _EXCEPTION_LINE.match(line)):
                level = logging.WARNING  # output that is not a log record (an interpreter's traceback)
            logger.log(level, "crawler: %s", line.rstrip())

    threading.Thread(target=pump, daemon=True).start()
    return tail


def _last(tail: list[str]) -> str:
    return next((line.strip()[:200] for line in reversed(tail) if line.strip()), "")


@dataclass
class RunSummary:
    run_id: int
    checks_by_state: dict[str, int]
    events_by_type: dict[str, int]
    events: list[Event]
    status: str
    pages: int
    rendered: int = 0  # pages rendered in Chromium
    render_failures: int = 0  # checks left without a verdict because rendering failed
    seconds: float | None = None  # from start to finish (None while it runs)
    suspected: int = 0  # links missing at this check but not (yet) lost: the next check confirms
    error: str | None = None  # why it failed ("stopped": a graceful stop)


def _urgency() -> Any:
    """The SQL rank of an event's type, most urgent first (monitor.core.human.EVENT_URGENCY)."""
    return case({kind: rank for rank, kind in enumerate(EVENT_URGENCY)}, value=EventRecord.type,
                else_=len(EVENT_URGENCY))


def run_summary(engine: Engine, run_id: int, max_events: int = 50) -> RunSummary:
    """What a run checked and what changed (its checks per state, its events, the `max_events` most urgent)."""
    with session(engine) as s:
        run = s.get(CheckRun, run_id)
        states = dict(s.execute(select(Check.state, func.count()).where(Check.run_id == run_id)
                                .group_by(Check.state)).all())
        in_run = EventRecord.check_id.in_(select(Check.id).where(Check.run_id == run_id))
        types = dict(s.execute(select(EventRecord.type, func.count()).where(in_run)
                               .group_by(EventRecord.type)).all())
        rows = s.execute(select(EventRecord, Backlink.source_url, Backlink.target, Site.domain)
                         .join(Backlink, Backlink.id == EventRecord.backlink_id)
                         .join(Site, Site.id == Backlink.site_id)
                         .where(in_run).order_by(_urgency(), EventRecord.id).limit(max_events)).all()
        events = [Event(type=EventType(r.type), source_url=url, target=target, at=r.at, old_state=r.old_state,
                        new_state=r.new_state, detail=r.detail or {}, id=r.id, backlink_id=r.backlink_id,
                        site=domain) for r, url, target, domain in rows]
        render_failures = s.execute(select(func.count()).select_from(Check).where(
            Check.run_id == run_id, Check.state == "error",
            Check.error.like("%render%") | Check.error.like("browser unavailable%"))).scalar_one()
        suspected = s.execute(select(func.count()).select_from(Check).join(Backlink, Backlink.id == Check.backlink_id)
                              .where(Check.run_id == run_id, Check.state.in_(("lost", "gone")),
                                     Backlink.state.not_in(("lost", "gone")))).scalar_one()
        seconds = (run.finished_at - run.started_at).total_seconds() if run and run.finished_at else None
        return RunSummary(run_id, states, types, events, run.status if run else "unknown", run.pages if run else 0,
                          run.rendered if run else 0, render_failures, seconds, suspected, run.error if run else None)
