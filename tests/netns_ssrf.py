"""The SSRF scenario with a *public* address, run inside a network namespace of its own (tests/test_ssrf_netns.py).

`unshare --net --mount python -m tests.netns_ssrf WORKDIR` (as root; otherwise with
`--user --map-root-user`): nothing here can reach a real network.  In the namespace:

- `lo` is brought up and given PUBLIC (a global unicast address, not a documentation
  or benchmarking range) besides 127.0.0.1;
- a "public" HTTP server listens on PUBLIC:PORT, a "loopback" one on 127.0.0.1:PORT
  (the same port: a connection that ends up on loopback reaches it); both record
  every request, and both serve a page with the link, so reaching the loopback one
  would make a check `live`;
- a tiny DNS server on 127.0.0.1:53 (resolv.conf and nsswitch.conf bind-mounted for
  this namespace only) answers `public-dns.test` -> PUBLIC, `loopback-dns.test` ->
  127.0.0.1, `mixed.test` -> 127.0.0.1 and PUBLIC (loopback first), and `rebind.test`
  -> PUBLIC until the public server has answered /rebind, 127.0.0.1 afterwards;
- `linkwatch check` runs on `urls(port)` (LINKWATCH_RESOLVE mapping internal.test to
  127.0.0.1) twice: "guarded" with LINKWATCH_ALLOW_PRIVATE unset, then "allowed" with
  it set, which shows that the redirects really lead to the loopback server.

It prints one JSON object: for each run the check results by URL, the requests each
server got and the DNS questions asked.  Exit status 3 when the namespace could not be set up.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support.pages import LocalServer

PUBLIC = "93.184.216.34"
TARGET = "example.com"
PAGE = b'<!doctype html><html><body><p>hi</p><a href="https://example.com/">anchor</a></body></html>'
REDIRECTS = {  # path on the public server -> where it redirects ({port} filled in)
    "/to-loopback": "http://127.0.0.1:{port}/secret",
    "/to-resolved-name": "http://internal.test:{port}/secret",
    "/to-dns-loopback": "http://loopback-dns.test:{port}/secret",
    "/rebind": "http://rebind.test:{port}/secret",
}


def urls(port: int) -> dict[str, str]:
    """What each checked URL stands for."""
    base = f"http://{PUBLIC}:{port}"
    return {
        "public page": f"{base}/page",
        "public -> 127.0.0.1": f"{base}/to-loopback",
        "public -> LINKWATCH_RESOLVE name of 127.0.0.1": f"{base}/to-resolved-name",
        "public DNS name -> DNS name of 127.0.0.1": f"http://public-dns.test:{port}/to-dns-loopback",
        "DNS answer changes after the first fetch": f"http://rebind.test:{port}/rebind",
        "DNS answers loopback and public": f"http://mixed.test:{port}/page",
    }


class Dns:
    """A-record answers by name (AAAA: none; unknown names: NXDOMAIN); `asked` logs the questions."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {"public-dns.test": [PUBLIC], "loopback-dns.test": ["127.0.0.1"],
                                              "mixed.test": ["127.0.0.1", PUBLIC], "rebind.test": [PUBLIC]}
        self.asked: list[tuple[str, int, list[str]]] = []
        self.lock = threading.Lock()

    def reply(self, query: bytes) -> bytes:
        ident, _flags, _qd = struct.unpack(">HHH", query[:6])
        labels, offset = [], 12
        while query[offset]:
            length = query[offset]
            labels.append(query[offset + 1:offset + 1 + length].decode("ascii").lower())
            offset += 1 + length
        qtype, _qclass = struct.unpack(">HH", query[offset + 1:offset + 5])
        question = query[12:offset + 5]
        name = ".".join(labels)
        with self.lock:
            addresses = list(self.answers.get(name, []))
            self.asked.append((name, qtype, addresses if qtype == 1 else []))
        known = name in self.answers
        records = addresses if qtype == 1 else []
        header = struct.pack(">HHHHHH", ident, 0x8180 if known else 0x8183, 1, len(records), 0, 0)
        answers = b"".join(struct.pack(">HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton(a) for a in records)
        return header + question + answers

    def serve(self) -> None:
        dns = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                sock.sendto(dns.reply(data), self.client_address)

        server = socketserver.ThreadingUDPServer(("127.0.0.1", 53), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()


def http_server(address: str, port: int, name: str, log: list[tuple[str, str, str]], dns: Dns) -> LocalServer:
    class Handler(BaseHTTPRequestHandler):  # HTTP/1.0: one request per connection, each one resolved anew
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            log.append((name, host, self.path))
            target = REDIRECTS.get(self.path) if name == "public" else None
            if target:
                if self.path == "/rebind":
                    with dns.lock:
                        dns.answers["rebind.test"] = ["127.0.0.1"]  # from now on the name is loopback
                self.send_response(302)
                self.send_header("Location", target.format(port=self.server.server_address[1]))
                self.end_headers()
                return
            body = PAGE if self.path != "/robots.txt" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return LocalServer(Handler, address, port).start()


def setup_namespace(work: Path) -> None:
    """lo up with PUBLIC; our resolver configuration, for this mount namespace only."""
    assert ipaddress.ip_address(PUBLIC).is_global
    (work / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
    (work / "nsswitch.conf").write_text("hosts: files dns\n")
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", f"{PUBLIC}/32", "dev", "lo"],
                    ["mount", "--bind", str(work / "resolv.conf"), "/etc/resolv.conf"],
                    ["mount", "--bind", str(work / "nsswitch.conf"), "/etc/nsswitch.conf"]):
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=30)


def main(work: Path) -> int:
    try:
        setup_namespace(work)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        sys.stderr.write(f"netns_ssrf: cannot set up the namespace: {exc}: {detail.strip()}\n")
        return 3
    dns = Dns()
    dns.serve()
    requests: list[tuple[str, str, str]] = []
    public = http_server(PUBLIC, 0, "public", requests, dns)
    port = public.server_address[1]
    http_server("127.0.0.1", port, "loopback", requests, dns)
    checked = urls(port)
    report: dict[str, Any] = {"urls": checked}
    for run, allow in (("guarded", ""), ("allowed", "1")):  # the second run shows where the redirects lead
        requests.clear()
        with dns.lock:
            dns.answers["rebind.test"] = [PUBLIC]
            dns.asked.clear()
        report[run] = check(work, list(checked.values()), allow)
        report[run].update(requests=list(requests), dns=list(dns.asked))
    json.dump(report, sys.stdout)
    return 0


def check(work: Path, urls: list[str], allow_private: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(work), XDG_CONFIG_HOME=str(work / "config"), LINKWATCH_DELAY="0",
               LINKWATCH_RESOLVE="internal.test:127.0.0.1")
    if allow_private:
        env["LINKWATCH_ALLOW_PRIVATE"] = allow_private
    proc = subprocess.run([sys.executable, "-m", "monitor", "check", *urls, "--target", TARGET,
                           "--render", "never", "--json", "--timeout", "15"],
                          capture_output=True, text=True, env=env, timeout=180)
    results = {row["url"]: row for row in map(json.loads, proc.stdout.splitlines())}
    return {"returncode": proc.returncode, "stderr": proc.stderr[-3000:], "results": results}


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
