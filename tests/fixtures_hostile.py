"""A hostile web server on 127.0.0.1 (port 0) and a runner that measures a process tree's peak memory.

The server's pages are generated as they are sent, never held in memory:

    /gb            Content-Length of 1 GiB, streamed until the client hangs up
    /drip          one byte a second, for ever
    /midclose      promises 100 000 bytes, sends 5 000 and closes the connection
    /hugeheaders   2 000 response headers of 4 KiB each, then a page with a link
    /deep          100 000 nested <div>s around a link
    /million       a page of 1 000 000 links, the last one to example.com
    /mixed         declared UTF-8, holding invalid bytes and windows-1252 text, with a link
    /badlabel      charset=x-no-such-charset, with a link
    /challenge503  Cloudflare's "Just a moment..." page with status 503

`run_measured(cmd, env)` runs a command and samples the summed RSS of it and all its
descendants every 50 ms: (CompletedProcess, peak bytes).  Reads no settings.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import psutil
import pytest

from tests.support.pages import LocalServer

LINK = b'<a href="https://example.com/">anchor</a>'
DEPTH = 100_000
LINKS = 1_000_000


def _deep() -> Iterator[bytes]:
    yield b"<!doctype html><html><body>" + b"<div>" * DEPTH + LINK + b"</div>" * DEPTH


def _million() -> Iterator[bytes]:
    yield b"<!doctype html><html><body>"
    for start in range(0, LINKS - 1, 10_000):
        stop = min(start + 10_000, LINKS - 1)
        yield b"".join(b'<a href="https://other.org/%d">l</a>' % n for n in range(start, stop))
    yield LINK


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        handler = getattr(self, "page_" + self.path.strip("/").split("?")[0], None)
        try:
            if self.path == "/robots.txt" or handler is None:
                self._send(404, b"no", "text/plain")
            else:
                handler()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
              headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, chunks: Iterator[bytes]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(chunk)

    def page_gb(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(1 << 30))
        self.end_headers()
        chunk = b"<p>filler</p>" * 5000
        for _ in range((1 << 30) // len(chunk)):
            self.wfile.write(chunk)

    def page_drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        for _ in range(600):
            self.wfile.write(b"<")
            self.wfile.flush()
            time.sleep(1)

    def page_midclose(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"<html><body>" + b"<p>start of a page whose link is further down</p>" * 100)
        self.wfile.flush()
        self.connection.shutdown(2)

    def page_hugeheaders(self) -> None:
        headers = tuple((f"X-Filler-{n}", "v" * 4096) for n in range(2000))
        self._send(200, b"<html><body>" + LINK, headers=headers)

    def page_deep(self) -> None:
        self._stream(_deep())

    def page_million(self) -> None:
        self._stream(_million())

    def page_mixed(self) -> None:
        self._send(200, b"<html><body>caf\xe9 \xff\xfe \xc3\x28 " + "“smart” ünïcödé".encode() + LINK)

    def page_badlabel(self) -> None:
        self._send(200, b"<html><body>" + LINK, "text/html; charset=x-no-such-charset")

    def page_challenge503(self) -> None:
        body = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
                b"<div id=\"challenge-running\">Checking your browser</div>" + LINK + b"</body></html>")
        self._send(503, body, headers=(("Server", "cloudflare"),))


class HostileServer(LocalServer):
    """The hostile pages on the local page server (a class of its own for the tests' type hints)."""

    __test__ = False

    def __init__(self) -> None:
        super().__init__(_Handler)


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    server.start()
    yield server
    server.stop()


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_measured(cmd: list[str], env: dict[str, str], timeout: float = 240) -> tuple[subprocess.CompletedProcess[str],
                                                                                      int]:
    """Run `cmd`, sampling the RSS of its whole process tree; returns (result, peak bytes)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    root = psutil.Process(proc.pid)
    peak = 0
    output: dict[str, str] = {}

    def drain() -> None:
        output["out"], output["err"] = proc.communicate(timeout=timeout)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    while reader.is_alive():
        peak = max(peak, _tree_rss(root))
        reader.join(0.05)
    return subprocess.CompletedProcess(cmd, proc.returncode, output.get("out", ""), output.get("err", "")), peak
