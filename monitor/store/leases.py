"""Named leases in the database (`leases` table): at most one holder at a time, until it expires.

`acquire(engine, name, holder, ttl)` takes the lease when it is free, expired, already ours, or
held by a process of this host that no longer exists (so a holder killed with -9 does not block
its restart for the whole TTL), each step one conditional UPDATE or one INSERT, atomic on SQLite
and PostgreSQL alike; `renew` extends it (False when it was lost); `release` gives it up;
`live_holder` says who holds it now.  `fence(session, name, holder)`, inside a write transaction,
raises LeaseLost unless the lease is still ours: on PostgreSQL it locks the lease row (FOR SHARE),
so a takeover waits for that transaction to end; on SQLite the single writer orders them.

Leases use the real clock.  Reads no settings.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.store.db import session
from monitor.store.models import Lease

logger = logging.getLogger(__name__)


def new_holder(tag: str = "") -> str:
    """`host:pid:[tag-]nonce`: unique per process and call, and telling which host and process hold it."""
    return f"{socket.gethostname()[:200]}:{os.getpid()}:{tag + '-' if tag else ''}{uuid.uuid4().hex[:8]}"


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _now() -> datetime:
    return datetime.now(UTC)


class LeaseLost(Exception):
    """The lease a write depends on is no longer ours (another holder took it over)."""


def process_gone(host: str, pid: str) -> bool:
    """True when `pid` names a process of this host that no longer runs (or is a zombie: it has exited)."""
    if host != socket.gethostname()[:200] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # an orphan that has exited but whose new parent has not reaped it yet
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[:1] == [b"Z"]
    except OSError:
        return False


def holder_is_dead(holder: str) -> bool:
    """True when `holder` names a process of this host that no longer runs."""
    parts = holder.rsplit(":", 2)
    return len(parts) == 3 and process_gone(parts[0], parts[1])


def acquire(engine: Engine, name: str, holder: str, ttl: float) -> bool:
    """Take the lease `name` for `ttl` seconds. False when someone else holds it."""
    now = _now()
    expires = now + timedelta(seconds=ttl)
    with session(engine) as s:
        taken = _rowcount(s.execute(update(Lease).where(
            Lease.name == name, (Lease.expires_at < now) | (Lease.holder == holder))
            .values(holder=holder, expires_at=expires)))
        if taken:
            return True
        current = s.execute(select(Lease.holder).where(Lease.name == name)).scalar_one_or_none()
    if current is None:
        try:
            with session(engine) as s:
                s.add(Lease(name=name, holder=holder, expires_at=expires))
            return True
        except IntegrityError:
            return False
    if holder_is_dead(current):
        logger.warning("lease %s: taking over from %s, which no longer runs", name, current)
        with session(engine) as s:
            return bool(_rowcount(s.execute(update(Lease).where(Lease.name == name, Lease.holder == current)
                                            .values(holder=holder, expires_at=expires))))
    return False


def renew(engine: Engine, name: str, holder: str, ttl: float) -> bool:
    """Extend our lease; False when it is no longer ours."""
    with session(engine) as s:
        return bool(_rowcount(s.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
                                        .values(expires_at=_now() + timedelta(seconds=ttl)))))


def release(engine: Engine, name: str, holder: str) -> None:
    with session(engine) as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def live_holder(engine: Engine, name: str) -> str | None:
    """Who holds `name` now: None when it is free, expired, or held by a dead process of this host."""
    with session(engine) as s:
        row = s.execute(select(Lease.holder, Lease.expires_at).where(Lease.name == name)).one_or_none()
    if row is None or row.expires_at < _now() or holder_is_dead(row.holder):
        return None
    return str(row.holder)


def fence(s: Session, name: str, holder: str) -> None:
    """Inside a write transaction: raise LeaseLost unless `holder` still holds `name` (see the docstring)."""
    current = s.execute(select(Lease.holder).where(Lease.name == name).with_for_update(read=True)).scalar()
    if current != holder:
        raise LeaseLost(f"the {name} lease is held by {current or 'nobody'} now")
