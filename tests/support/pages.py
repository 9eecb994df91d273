"""The local page server: a stdlib ThreadingHTTPServer on 127.0.0.1 (port 0) in a daemon thread, like
Scrapy's own tests' mock server.  `LocalServer(handler)` serves any handler class; `TestSite` is a site
whose pages tests register and change at runtime (the `site` and `shared_site` fixtures, tests/fixtures_site.py).

Pages are keyed by path (the query string included when registered with one); robots.txt
can differ per Host header, so names mapped to 127.0.0.1 with LINKWATCH_RESOLVE act as
distinct sites.

    site.set_page("/a", "<a href=...>", status=200, headers={"X-Robots-Tag": "nofollow"})
    site.set_page("/slow", html, delay=5)                 # sleeps before answering
    site.set_page("/z", html, encoding="gzip")            # or "br"; body compressed as given
    site.set_raw("/bomb", compressed_bytes, headers=...)  # bytes sent exactly as given
    site.set_redirect("/r", "/a", status=301)
    site.set_endless("/forever")                          # streams HTML until the client gives up
    site.set_held("/events", "data: hi\n\n", "text/event-stream")  # sends this, then holds the connection
    site.set_robots("User-agent: *\\nDisallow: /private", status=200, host="deny.test")
    site.url("/a"), site.url("/a", host="deny.test"), site.requests  # [(host, path), ...]

`page(body)` and `document(body, head)` wrap markup in an HTML document; `LINK` is a followed link to
mysite.com, `link(href, rel, text)` any link.  Reads no settings.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import brotli

LINK = '<a href="https://mysite.com/">My site</a>'


def link(href: str = "https://example.com/", rel: str | None = None, text: str = "anchor") -> str:
    """An `<a>` to `href` (example.com by default), with `rel` when given."""
    rel_attr = f' rel="{rel}"' if rel is not None else ""
    return f'<a href="{href}"{rel_attr}>{text}</a>'


def page(body: str) -> str:
    """A small document with some text and `body`."""
    return f"<!doctype html><html><head><title>t</title></head><body><p>Hello</p>{body}</body></html>"


def document(body: str, head: str = "") -> str:
    """A document of exactly `body` (and `head`)."""
    return f"<!doctype html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


class LocalServer(ThreadingHTTPServer):
    """A threading HTTP server on `address` (127.0.0.1, a free port by default), serving from a daemon thread
    once started; `stop()` shuts it down and closes its socket."""

    daemon_threads = True
    request_queue_size = 256  # crawls connect many at once; the default backlog of 5 refuses some

    def __init__(self, handler: type[BaseHTTPRequestHandler], address: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((address, port), handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


HTML = "text/html; charset=utf-8"


@dataclass
class Page:
    body: bytes
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    endless: bool = False
    held: bool = False


class TestSite:
    """The registry of pages and the server that serves them."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.robots: dict[str | None, Page] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = LocalServer(_handler_for(self))
        self.port = self.server.port

    # -- registration -------------------------------------------------------------------------
    def set_page(self, path: str, body: str | bytes, status: int = 200,
                 headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
                 content_type: str | None = HTML, delay: float = 0.0, encoding: str | None = None) -> str:
        """Serve `body` at `path`; returns the page's URL. `encoding`: "gzip" or "br" compresses it."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        if content_type is not None:
            pairs.insert(0, ("Content-Type", content_type))
        if encoding == "gzip":
            data = gzip.compress(data)
        elif encoding == "br":
            data = brotli.compress(data)
        if encoding:
            pairs.append(("Content-Encoding", encoding))
        with self.lock:
            self.pages[path] = Page(data, status, pairs, delay)
        return self.url(path)

    def set_raw(self, path: str, body: bytes, status: int = 200, headers: list[tuple[str, str]] | None = None) -> str:
        """Serve exactly these bytes and headers (for pre-compressed bombs and odd responses)."""
        with self.lock:
            self.pages[path] = Page(body, status, list(headers or []))
        return self.url(path)

    def set_redirect(self, path: str, location: str, status: int = 301) -> str:
        return self.set_page(path, b"", status=status, headers=[("Location", location)], content_type=None)

    def set_endless(self, path: str, content_type: str = HTML) -> str:
        with self.lock:
            self.pages[path] = Page(b"<html><body>" + b"<p>more</p>" * 100, 200,
                                    [("Content-Type", content_type)], endless=True)
        return self.url(path)

    def set_held(self, path: str, body: str, content_type: str) -> str:
        """Send `body` and keep the connection open, idle, until the client closes it (an EventSource's)."""
        with self.lock:
            self.pages[path] = Page(body.encode(), 200, [("Content-Type", content_type)], held=True)
        return self.url(path)

    def set_robots(self, body: str, status: int = 200, host: str | None = None) -> None:
        """robots.txt for requests with this Host name (None: every host without its own)."""
        with self.lock:
            self.robots[host] = Page(body.encode(), status, [("Content-Type", "text/plain")])

    def remove(self, path: str) -> None:
        with self.lock:
            self.pages.pop(path, None)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    # -- serving -------------------------------------------------------------------------------
    def lookup(self, host: str, path: str) -> Page | None:
        with self.lock:
            self.requests.append((host, path))
            if path == "/robots.txt":
                return self.robots.get(host, self.robots.get(None))
            return self.pages.get(path) or self.pages.get(path.split("?", 1)[0])

    def start(self) -> TestSite:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()


def _handler_for(site: TestSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            page = site.lookup(host, self.path)
            if page is None:
                page = Page(b"<html><body>not found</body></html>", 404, [("Content-Type", HTML)])
            if page.delay:
                time.sleep(page.delay)
            try:
                self._send(page)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _send(self, page: Page) -> None:
            self.send_response(page.status)
            for name, value in page.headers:
                self.send_header(name, value)
            if page.endless:
                self.send_header("Connection", "close")
                self.end_headers()
                while True:
                    self.wfile.write(page.body)
            if page.held:
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(page.body)
                self.wfile.flush()
                while self.rfile.read(1):  # until the client closes the connection
                    pass
                return
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)

    return Handler
