"""A PostgreSQL server of its own for fault tests that restart it (so other tests never see the outage).

`restartable_postgres` (per test) runs `initdb` and `pg_ctl start` like
tests/fixtures_postgres.py (same binaries, same user), creates one database and
yields a `RestartablePostgres` with its `url` and `restart(down_for=0)`: `pg_ctl
restart -m fast` (every session is terminated, open transactions roll back, the
server comes back on the same port), or stop, `down_for` seconds down, start.
The server is stopped and its files removed at the end of the test.
Reads no settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _helpers() -> Any:
    # imported late: tests.fixtures_postgres is a plugin loaded after this one (assertion rewriting)
    from tests import fixtures_postgres

    return fixtures_postgres


@dataclass(frozen=True)
class RestartablePostgres:
    bin_dir: Path
    data: Path
    log: Path
    options: str
    url: str

    def restart(self, down_for: float = 0.0) -> None:
        """`pg_ctl restart -m fast`; with `down_for`, `stop -m fast`, that many seconds down, then `start`.
        Returns when the server accepts connections again."""
        pg_ctl = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60"]
        start = ["-o", self.options, "-l", str(self.log)]
        if not down_for:
            self._pg_ctl([*pg_ctl, "-m", "fast", *start, "restart"])
            return
        self._pg_ctl([*pg_ctl, "-m", "fast", "stop"])
        time.sleep(down_for)
        self._pg_ctl([*pg_ctl, *start, "start"])

    @staticmethod
    def _pg_ctl(command: list[str]) -> None:
        subprocess.run(_helpers()._as_server_user(command), capture_output=True, text=True, timeout=120,
                       check=True)


@pytest.fixture
def restartable_postgres() -> Iterator[RestartablePostgres]:
    pg = _helpers()
    bin_dir = pg._bin_dir()
    base = Path(tempfile.mkdtemp(prefix="linkwatch-pg-restart-"))
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    port = pg._free_port()
    pg._run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
    options = f"-F -c fsync=off -c listen_addresses=127.0.0.1 -p {port} -k {sockets}"
    pg._run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"])
    try:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute('CREATE DATABASE "faults"')
        yield RestartablePostgres(bin_dir, data, log, options, f"postgresql+psycopg://postgres@127.0.0.1:{port}/faults")
    finally:
        subprocess.run(pg._as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
