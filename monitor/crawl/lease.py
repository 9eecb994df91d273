"""The crawl lease: one `run`-mode crawl at a time per database, and no write from one that lost its turn.

The crawl child (crawler.run_mode), not its parent, holds the `crawl` lease (monitor.store.leases)
for its whole life: taken before its first due read, renewed every TTL/4 seconds from a thread,
released at its end; a run that finds it held waits at most `WAIT` seconds, then fails naming the
holder.  Every batch the child writes is fenced (`CrawlLease.fence`, given to
monitor.store.ingest.Ingestor): it commits only while the lease is still the child's, so a child
that lost it can never store a check or an event the new holder stores too.  `serve` looks first
(`busy`) and lets a cycle wait for the next poll.  Takeover and the reasons:
docs/monitoring.md, "One crawl at a time, and crawls that outlive their parent".

Reads no settings.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.store import leases

logger = logging.getLogger(__name__)

NAME = "crawl"
TTL = 60.0  # seconds; renewed every TTL/4
WAIT = 75.0  # seconds a new crawl waits for the holder to end (more than TTL: a dead holder of another host)
POLL = 0.25


def busy(engine: Engine) -> str | None:
    """The holder of the crawl lease when a live crawl holds it, else None."""
    return leases.live_holder(engine, NAME)


class CrawlLease:
    """The crawl lease as held by one crawl child (see the module docstring)."""

    def __init__(self, engine: Engine, tag: str = "") -> None:
        self.engine = engine
        self.holder = leases.new_holder(tag)
        self.held = False
        self._done = threading.Event()

    def acquire(self, cancelled: Callable[[], bool], wait: float = WAIT) -> str | None:
        """Take the lease, waiting up to `wait` seconds. None when taken, else why not (one line)."""
        deadline = time.monotonic() + wait
        announced = None
        while not cancelled():
            if leases.acquire(self.engine, NAME, self.holder, TTL):
                self.held = True
                return None
            holder = busy(self.engine)
            if holder and holder != announced:
                logger.warning("another crawl holds the crawl lease (%s): waiting for it to end", holder)
                announced = holder
            if time.monotonic() >= deadline:
                return (f"another crawl is running on this database (the crawl lease is held by "
                        f"{holder or 'another process'}); gave up after waiting {wait:g}s")
            time.sleep(POLL)
        return "stopped while waiting for the crawl lease"

    def keep(self, on_lost: Callable[[str], None]) -> None:
        """Renew the lease from a thread until `release`; `on_lost(reason)` if another holder has it."""

        def renew() -> None:
            while not self._done.wait(TTL / 4):
                try:
                    if leases.renew(self.engine, NAME, self.holder, TTL):
                        continue
                except Exception as exc:  # the database is unreachable: the fence keeps writes safe
                    logger.warning("could not renew the crawl lease (retrying): %s", str(exc).splitlines()[0][:200])
                    continue
                self.held = False
                on_lost(f"stopped: the crawl lease was taken over by {busy(self.engine) or 'another crawl'}")
                return

        threading.Thread(target=renew, name="crawl-lease", daemon=True).start()

    def fence(self, s: Session) -> None:
        """Inside a batch's transaction: raise leases.LeaseLost unless the lease is still ours."""
        leases.fence(s, NAME, self.holder)

    def release(self) -> None:
        self._done.set()
        if not self.held:
            return
        self.held = False
        try:
            leases.release(self.engine, NAME, self.holder)
        except Exception as exc:  # it expires, or is taken over once this process has ended
            logger.warning("could not release the crawl lease: %s", str(exc).splitlines()[0][:200])
