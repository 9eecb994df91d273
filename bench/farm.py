"""A loopback web farm for benchmarks: many virtual hosts, many pages, nothing stored.

One asyncio process (optionally forked into several sharing one listening socket)
answers for every host named `site0001.farm.test` ... by its Host header.  A page
`/p/<n>.html` is built from the path alone: one of the real pages of
`../shared/corpus/pages` (so page sizes and markup are realistic) chosen by a hash
of host and path, with one link to the target domain injected at a fixed place in
its body: followed (70%), `rel="nofollow"` (15%), `rel="sponsored"` (5%) or no link
at all (10%).  `/robots.txt` allows everything.  `--latency 0.15` waits that long
before each response (the latency-bound regime); without it the farm answers at
once (the CPU-bound regime).  `--spread` makes the wait vary by page as on the web
(deterministic by host and path): nine pages in ten wait 0.5-1.5 x latency, one in
ten 4-9 x.  `--api-delay 1.0` moves the link (or its absence) out of the page into
an API: the page's script fetches `/_farm/api/p/<n>.html`, which answers that many
seconds later, and inserts its answer (pages whose links a script loads; only a
render that waits for the page to settle sees them).

    python -m bench.farm --port 8900 [--latency 0.15 [--spread]] [--api-delay 1.0] [--processes 1]

prints `listening 127.0.0.1:PORT` on stdout once it accepts connections.
`/_farm/stats` (any host) answers JSON counters of this process.
Binds 127.0.0.1 only.  Reads no linkwatch settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_PAGES = REPO.parent / "shared" / "corpus" / "pages"
HOST_PATTERN = "site{:04d}.farm.test"
HOST_RE = re.compile(rb"^site(\d+)\.farm\.test(?::\d+)?$")
PAGE_RE = re.compile(rb"^/p/(\d+)\.html$")
API_PREFIX = b"/_farm/api"
API_SCRIPT = (b'<div id="farm-api"></div><script>fetch("/_farm/api" + location.pathname).then(r => r.text())'
              b'.then(h => { document.getElementById("farm-api").innerHTML = h; });</script>')
DEFAULT_TARGET = "example.com"
ROBOTS = b"User-agent: *\nAllow: /\n"

# link kinds, by the hash of host and path (percent thresholds)
KINDS = (("follow", 70), ("nofollow", 85), ("sponsored", 90), ("missing", 100))
EXPECTED_STATE = {"follow": "live", "nofollow": "nofollow", "sponsored": "nofollow", "missing": "lost"}


def host_for(domain_index: int) -> str:
    return HOST_PATTERN.format(domain_index)


def page_host_path(page_index: int, domains: int) -> tuple[str, str]:
    """The host and path of page number `page_index` when the farm has `domains` hosts."""
    return host_for(page_index % domains + 1), f"/p/{page_index}.html"


def link_kind(host: str, path: str) -> str:
    """Which link a page carries: follow, nofollow, sponsored or missing (deterministic)."""
    bucket = zlib.crc32(f"{host}{path}".encode()) % 100
    return next(kind for kind, limit in KINDS if bucket < limit)


def _injection_point(html: bytes) -> int:
    """A fixed place in the body: after the `</p>` nearest the middle, else after `<body ...>`."""
    middle = len(html) // 2
    after = html.find(b"</p>", middle)
    before = html.rfind(b"</p>", 0, middle)
    candidates = [p for p in (after, before) if p >= 0]
    if candidates:
        best = min(candidates, key=lambda p: abs(p - middle))
        return best + len(b"</p>")
    body = re.search(rb"<body[^>]*>", html, re.IGNORECASE)
    return body.end() if body else len(html)


@dataclass(frozen=True)
class Template:
    name: str
    head: bytes
    tail: bytes


def load_templates(directory: Path = CORPUS_PAGES) -> list[Template]:
    templates = []
    for path in sorted(directory.glob("*.html")):
        html = path.read_bytes()
        cut = _injection_point(html)
        templates.append(Template(path.name, html[:cut], html[cut:]))
    if not templates:
        raise SystemExit(f"no corpus pages in {directory}")
    return templates


def link_html(kind: str, target: str, page_index: int) -> bytes:
    if kind == "missing":
        return b"<p>No link here.</p>"
    rel = "" if kind == "follow" else f' rel="{kind}"'
    return f'<p>See <a href="https://{target}/guide/{page_index}"{rel}>the {target} guide</a>.</p>'.encode()


def latency_factor(host: bytes, path: bytes) -> float:
    """`--spread`: how many times the median latency this page waits (0.5-1.5, or 4-9 for one page in ten)."""
    bucket = zlib.crc32(b"latency" + host + path) % 100
    return 0.5 + bucket / 90 if bucket < 90 else 4.0 + (bucket - 90) / 2


class Farm:
    """Builds responses; shared by every connection of one process."""

    def __init__(self, templates: list[Template], target: str, latency: float, spread: bool = False,
                 api_delay: float = 0.0) -> None:
        self.templates = templates
        self.target = target
        self.latency = latency
        self.spread = spread
        self.api_delay = api_delay
        self.stats = {"requests": 0, "pages": 0, "bytes": 0, "robots": 0, "not_found": 0, "pid": os.getpid()}

    def respond(self, host: bytes, path: bytes) -> list[bytes]:
        self.stats["requests"] += 1
        if path == b"/robots.txt":
            self.stats["robots"] += 1
            return _response(200, "text/plain", [ROBOTS])
        if path == b"/_farm/stats":
            return _response(200, "application/json", [json.dumps(self.stats).encode()])
        api = self.api_delay > 0 and path.startswith(API_PREFIX)
        page = PAGE_RE.match(path.split(b"?", 1)[0].removeprefix(API_PREFIX if api else b""))
        if not page or not HOST_RE.match(host):
            self.stats["not_found"] += 1
            return _response(404, "text/html", [b"<html><body>not found</body></html>"])
        index = int(page.group(1))
        host_text = host.split(b":", 1)[0].decode()
        path_text = path.removeprefix(API_PREFIX if api else b"").decode()
        links = link_html(link_kind(host_text, path_text), self.target, index)
        if api:
            return _response(200, "text/html; charset=utf-8", [links])
        template = self.templates[zlib.crc32(f"t{host_text}{path_text}".encode()) % len(self.templates)]
        parts = [template.head, API_SCRIPT if self.api_delay > 0 else links, template.tail]
        self.stats["pages"] += 1
        self.stats["bytes"] += sum(map(len, parts))
        return _response(200, "text/html; charset=utf-8", parts)


_REASONS = {200: b"OK", 404: b"Not Found"}


def _response(status: int, content_type: str, body: list[bytes]) -> list[bytes]:
    length = sum(map(len, body))
    head = (f"HTTP/1.1 {status} {_REASONS[status].decode()}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\nServer: linkwatch-bench-farm\r\n\r\n").encode()
    return [head, *body]


class FarmProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; GET only; just enough of the protocol for crawlers."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self._handle(head)

    def _handle(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        try:
            _method, path, _version = lines[0].split(b" ", 2)
        except ValueError:
            self._send([b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"], close=True)
            return
        host, close = b"", False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"host":
                host = value.strip().lower()
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        parts = self.farm.respond(host, path)
        wait = self.farm.latency * (latency_factor(host, path) if self.farm.spread else 1.0)
        if self.farm.api_delay > 0 and path.startswith(API_PREFIX):
            wait += self.farm.api_delay
        if wait > 0:
            asyncio.get_running_loop().call_later(wait, self._send, parts, close)
        else:
            self._send(parts, close)

    def _send(self, parts: list[bytes], close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.writelines(parts)
        if close:
            self.transport.close()


def listening_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


async def serve(sock: socket.socket, farm: Farm) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: FarmProtocol(farm), sock=sock)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Loopback benchmark farm of virtual hosts built from the corpus.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each response")
    parser.add_argument("--spread", action="store_true", help="vary the latency by page (see the docstring)")
    parser.add_argument("--target", default=DEFAULT_TARGET, help="the domain the injected links point at")
    parser.add_argument("--processes", type=int, default=1, help="server processes sharing the socket")
    parser.add_argument("--api-delay", type=float, default=0.0,
                        help="serve each page's link from an API answering this many seconds late")
    args = parser.parse_args(argv)
    templates = load_templates()
    sock = listening_socket(args.port)
    children = []
    for _ in range(args.processes - 1):
        pid = os.fork()
        if pid == 0:
            asyncio.run(serve(sock, Farm(templates, args.target, args.latency, args.spread, args.api_delay)))
            os._exit(0)
        children.append(pid)
    print(f"listening 127.0.0.1:{sock.getsockname()[1]}", flush=True)
    try:
        asyncio.run(serve(sock, Farm(templates, args.target, args.latency, args.spread, args.api_delay)))
    finally:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
