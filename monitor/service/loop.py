"""`linkwatch serve`: the long-running service that keeps checking what becomes due.

`Service.run`, every `poll` seconds: hold the `serve` leader lease (monitor.store.leases, renewed
from a thread); when backlinks are due and no other crawl holds the crawl lease
(monitor.crawl.lease), run one check cycle (monitor.crawl.runs.RunCycle); after each cycle and each
idle poll, drain the alert outbox (monitor.notify.dispatcher.dispatch, when installed).  A threaded
HTTP server answers `/metrics` (monitor.service.metrics) and `/healthz`.  Invariants: two services on
one database never both schedule (the other waits as standby); SIGTERM/SIGINT stop the crawl child
gracefully (SIGKILL after a grace period: only its un-ingested batch is lost, and stays due), then
release the lease and exit 0.  The loop, /healthz and the stop: docs/monitoring.md, "`linkwatch serve`".

Reads settings: metrics_addr, api_token, allow_unauthenticated (via monitor.service.metrics), and
everything a run reads (monitor.crawl.runs, monitor.crawl.scheduler, monitor.store.ingest).
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from monitor.config import Settings
from monitor.core.human import plural
from monitor.crawl import lease as crawl_lease
from monitor.crawl.run_text import log_fields, log_line
from monitor.crawl.runs import RunCycle, run_summary, utcnow
from monitor.crawl.scheduler import due_count
from monitor.service import DEFAULT_POLL
from monitor.service.metrics import bearer_matches
from monitor.store import leases
from monitor.store.db import session
from monitor.store.models import CheckRun

logger = logging.getLogger(__name__)

LEASE_NAME = "serve"
LEASE_TTL = 90.0

WsgiApp = Callable[..., Iterable[bytes]]


def last_successful_run(engine: Engine) -> datetime | None:
    with session(engine) as s:
        return s.scalar(select(func.max(CheckRun.finished_at)).where(CheckRun.status == "finished"))


def dispatch_alerts(engine: Engine, settings: Settings) -> None:
    """The alert dispatcher hook: one pass of monitor.notify.dispatcher.dispatch, if it is installed. Never raises."""
    try:
        module = importlib.import_module("monitor.notify.dispatcher")
    except ImportError as exc:
        logger.debug("no alert dispatcher (%s)", exc)
        return
    try:
        module.dispatch(engine, settings)
    except Exception:
        logger.exception("the alert dispatcher failed; it is retried after the next cycle")


def log_run(engine: Engine, run_id: int, ok: bool) -> None:
    """The one line a run gets in serve's log: what was checked, how long it took, what changed (its figures as
    fields of a JSON line). A failed run's line is a warning; its reason was logged by the run itself."""
    summary = run_summary(engine, run_id, max_events=0)
    logger.log(logging.INFO if ok else logging.WARNING, "%s", log_line(summary),
               extra={"fields": log_fields(summary)})


class Service:
    """The serve loop (see the module docstring). `stop()` is safe from a signal handler."""

    def __init__(self, engine: Engine, settings: Settings, poll: float = DEFAULT_POLL,
                 hook: Callable[[Engine, Settings], None] = dispatch_alerts) -> None:
        self.engine = engine
        self.settings = settings
        self.poll = poll
        self.hook = hook
        self.holder = leases.new_holder()
        self.leader = False
        self._standby = False  # waited as standby behind another serve's leader lease
        self.cycle: RunCycle | None = None
        self._redis: Any = None  # the workers' queue (settings.workers)
        self._waited_for: str | None = None  # the crawl lease holder last waited for
        self.stopping = threading.Event()
        self._woken = threading.Event()  # set by wake(): look for due work now, not after `poll`
        self._renewer = threading.Thread(target=self._renew_lease, name="lease", daemon=True)

    def run(self) -> int:
        self._renewer.start()
        try:
            while not self.stopping.is_set():
                self._step()
                self._woken.wait(self.poll)
                self._woken.clear()
        finally:
            if self.leader:
                leases.release(self.engine, LEASE_NAME, self.holder)
            self.leader = False
        return 0

    def wake(self) -> None:
        """Look for due backlinks now (the web's Check now) instead of after the poll interval."""
        self._woken.set()

    def stop(self) -> None:
        self.stopping.set()
        self._woken.set()
        cycle = self.cycle
        if cycle is not None:
            cycle.stop()

    def _step(self) -> None:
        if not self.leader:
            self.leader = leases.acquire(self.engine, LEASE_NAME, self.holder, LEASE_TTL)
            if self.leader:  # news only when another serve held it before: a lone serve is always the leader
                logger.log(logging.INFO if self._standby else logging.DEBUG, "serve: leader (%s)", self.holder)
            elif not self._standby:
                logger.info("serve: standby: another serve is the leader; taking over if it stops")
            self._standby = not self.leader
        if not self.leader:
            return
        try:
            if self.settings.workers:  # scale-out: `linkwatch worker`s crawl, this leader fills their queue
                self._lead_workers()
            elif due_count(self.engine, utcnow()) > 0 and not self.stopping.is_set() and self._crawl_free():
                self._cycle()
        except Exception:
            logger.exception("serve: the check cycle failed; retrying after %gs", self.poll)
        if not self.stopping.is_set():
            self.hook(self.engine, self.settings)

    def _cycle(self) -> None:
        self.cycle = RunCycle(self.engine, self.settings)
        try:
            outcome = self.cycle.run()
        finally:
            self.cycle = None
        log_run(self.engine, outcome.run_id, outcome.ok)

    def _crawl_free(self) -> bool:
        """False while another crawl (an orphaned child, a `run --once`) holds the crawl lease."""
        holder = crawl_lease.busy(self.engine)
        if holder and holder != self._waited_for:
            logger.info("serve: another crawl holds the crawl lease (%s); checking after it ends", holder)
        self._waited_for = holder
        return holder is None

    def _lead_workers(self) -> None:
        from monitor.crawl import workqueue

        if self._redis is None:
            self._redis = workqueue.connect(self.settings)
        step = workqueue.lead_step(self.engine, self.settings, self._redis, utcnow())
        if step["requeued"]:
            logger.warning("serve: re-queued %s of workers that stopped answering", plural(step["requeued"], "job"))
        if step["finished"] is not None:
            log_run(self.engine, step["finished"], ok=True)
        if step["opened"] is not None:
            logger.debug("serve: run %d started: %s queued for the workers", step["opened"],
                         plural(step["jobs"], "page"))

    def _renew_lease(self) -> None:
        while not self.stopping.wait(LEASE_TTL / 3):
            if self.leader and not leases.renew(self.engine, LEASE_NAME, self.holder, LEASE_TTL):
                logger.warning("serve: lost the leader lease; stopping the running cycle")
                self.leader = False
                cycle = self.cycle
                if cycle is not None:
                    cycle.stop()

    def health(self) -> dict[str, Any]:
        last = last_successful_run(self.engine)
        return {"status": "ok", "role": "leader" if self.leader else "standby", "running": self.cycle is not None,
                "last_successful_run": last.isoformat() if last else None,
                "due": due_count(self.engine, utcnow())}


def http_app(service: Service, metrics: WsgiApp) -> WsgiApp:
    """`/healthz` here, everything else to the metrics app (which serves /metrics).

    With an api_token, a request without it gets only `{"status": ...}` (and the same code)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in ("/healthz", "/healthz/"):
            try:
                body, status = service.health(), "200 OK"
            except Exception as exc:  # the database is unreachable: say so
                body, status = {"status": "error", "error": str(exc).splitlines()[0][:200]}, "503 Service Unavailable"
            token = service.settings.api_token
            if token and not bearer_matches(environ, token):  # a probe learns up or down, nothing more
                body = {"status": body["status"]}
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(body).encode() + b"\n"]
        return metrics(environ, start_response)

    return app
