"""A throwaway PostgreSQL server for the test session, and a fresh database per test on each backend.

`postgres_server` (session) runs `initdb` into a temporary directory and starts
the server with `pg_ctl` on 127.0.0.1 and a free port (fsync off: data is
thrown away), as the `postgres` user when the tests run as root.  It is
stopped at the end of the session.  The binaries are looked for on PATH, then
in /usr/lib/postgresql/*/bin (newest first).  If they are missing the tests that
need them FAIL (CI installs them: `make setup`); they are never skipped quietly.

`postgres_database_url` is a new empty database on that server for one test;
`database_url` is parametrised over `sqlite` (a new file) and `postgresql` for
every test that uses it, directly or through other fixtures.
Only tests that ask for PostgreSQL start the server.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_DATABASES = itertools.count(1)


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    bin_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if candidates:
        return candidates[-1].parent
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL "
                "(Debian: apt-get install postgresql, or `make setup`)", pytrace=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}",
                    pytrace=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = _bin_dir()
    base = Path(tempfile.mkdtemp(prefix="linkwatch-pg-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
          "--no-locale"])
    options = f"-F -c fsync=off -c listen_addresses=127.0.0.1 -p {port} -k {sockets}"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w",
          "-t", "60", "start"])
    try:
        yield PostgresServer("127.0.0.1", port, "postgres", bin_dir)
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                                        "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_database_url(postgres_server: PostgresServer) -> str:
    """A new, empty PostgreSQL database for this test (left for the server's end to clean up)."""
    import psycopg

    name = f"test_{os.getpid()}_{next(_DATABASES)}"
    with psycopg.connect(host=postgres_server.host, port=postgres_server.port, user=postgres_server.user,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.url(name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses `database_url` (directly or through other fixtures) on both backends."""
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                             indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database URL, once on SQLite and once on PostgreSQL.

    Asked for with `request.getfixturevalue("database_url")` from a test that is not
    parametrised by it, it is a PostgreSQL database.
    """
    if getattr(request, "param", "postgresql") == "sqlite":
        return f"sqlite:///{tmp_path / 'linkwatch.db'}"
    return str(request.getfixturevalue("postgres_database_url"))
