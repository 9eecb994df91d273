"""A throwaway Redis server on 127.0.0.1 for one test: Debian's `redis-server`, no persistence.

`redis_url` starts `redis-server --port P --save '' --appendonly no` as a child
process on a free port, waits until it answers PING and stops it afterwards.
If redis-server is missing the test FAILS (CI installs it: `make setup`).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = _free_port()
    server = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                               "--appendonly", "no", "--loglevel", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError as exc:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"redis-server did not start: {server.stderr.read() if server.stderr else ''}") \
                    from exc
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(10)
