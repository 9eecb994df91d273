"""Named leases in the database (`leases` table): at most one holder at a time, until it expires.

`acquire(engine, name, holder, ttl)` takes the lease when it is free, expired, already
ours, or held by a process of this host that no longer exists (so a dispatcher
killed with -9 does not block its restart for the whole TTL).  Every step is one
conditional UPDATE or one INSERT, atomic on SQLite and PostgreSQL alike.
`renew` extends it (False when it was lost); `release` gives it up.

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

from monitor.store.db import session
from monitor.store.models import Lease

logger = logging.getLogger(__name__)


def new_holder() -> str:
    """`host:pid:nonce`: unique per process and call, and telling which host and process hold it."""
    return f"{socket.gethostname()[:200]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _now() -> datetime:
    return datetime.now(UTC)


def holder_is_dead(holder: str) -> bool:
    """True when `holder` names a process of this host that no longer runs."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname()[:200] or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


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
