"""`make demo`: the monitoring loop end to end, on SQLite, against a few local referring pages.

Serves three small "referring sites" from a local HTTP server (their hostnames are
mapped to 127.0.0.1 with LINKWATCH_RESOLVE), imports their backlinks from a CSV
file, checks them, then edits the pages the way editors do (a link removed, a
link flipped to rel="sponsored", a page deleted) and shows the resulting events.
Every step runs the real `linkwatch` command, printed before it runs.

It uses its own database, `$XDG_DATA_HOME/linkwatch/demo.db`, recreated on every
run; your real database is not touched.  Reads no settings itself: it passes
LINKWATCH_DATABASE_URL, LINKWATCH_ALLOW_PRIVATE, LINKWATCH_RESOLVE and
LINKWATCH_DELAY to the commands it runs.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor.config import child_environment, default_data_dir

HOSTS = ("blog.demo.test", "news.demo.test", "forum.demo.test", "app.demo.test")

PAGES: dict[str, str] = {
    "/blog/best-tools": '<p>We recommend <a href="https://example.com/pricing">Example\'s pricing</a>.</p>',
    "/news/launch": '<p>Read <a href="https://www.example.com/">the Example homepage</a> for more.</p>',
    "/forum/thread-42": '<p>User tip: <a rel="ugc nofollow" href="https://example.com/">example.com</a></p>',
    "/app/widgets": (
        "<div id=w></div><script>document.getElementById('w').innerHTML = "
        "'<a href=\"https://example.com/widgets\">Example widgets</a>';</script>"
    ),
}

CSV = """source_url,target,anchor,tags
http://blog.demo.test:{port}/blog/best-tools,https://example.com/pricing,Example's pricing,guest-post
http://news.demo.test:{port}/news/launch,example.com,the Example homepage,pr
http://forum.demo.test:{port}/forum/thread-42,example.com,,community
http://app.demo.test:{port}/app/widgets,example.com,Example widgets,partner
"""


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, str] = PAGES

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            self._send(200, "User-agent: *\nAllow: /\n", "text/plain")
        elif path in self.pages:
            body = f"<!doctype html><html><head><title>{path}</title></head><body>{self.pages[path]}</body></html>"
            self._send(200, body, "text/html; charset=utf-8")
        else:
            self._send(404, "<h1>Not found</h1>", "text/html")

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # keep the demo's output readable
        pass


def _step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def _linkwatch(env: dict[str, str], *args: str) -> None:
    print(f"$ linkwatch {shlex.join(args)}", flush=True)
    result = subprocess.run([sys.executable, "-m", "monitor", *args], env=env)
    if result.returncode != 0:
        raise SystemExit(f"demo: `linkwatch {args[0]}` failed with exit status {result.returncode}")


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    database = default_data_dir() / "demo.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = child_environment({
        "LINKWATCH_DATABASE_URL": f"sqlite:///{database}",
        "LINKWATCH_ALLOW_PRIVATE": "1",
        "LINKWATCH_RESOLVE": ",".join(f"{host}:127.0.0.1" for host in HOSTS),
        "LINKWATCH_DELAY": "0",
        "LINKWATCH_LOST_AFTER": "2",
    }, drop=("LINKWATCH_CONFIG",))
    with tempfile.TemporaryDirectory() as tmp:
        csv_file = Path(tmp) / "backlinks.csv"
        csv_file.write_text(CSV.format(port=port))
        _step("1. Import four earned backlinks (a plain CSV; Ahrefs, Semrush and GSC exports work the same way)")
        _linkwatch(env, "import", str(csv_file))
    _step("2. Check them all (one Scrapy crawl; the widget link exists only after JavaScript: Chromium renders it)")
    _linkwatch(env, "run", "--once", "--all")
    _linkwatch(env, "links")

    _step("3. Editors strike: a link removed, a link flipped to rel=sponsored, a page deleted")
    PAGES["/news/launch"] = "<p>Read more elsewhere.</p>"
    PAGES["/blog/best-tools"] = PAGES["/blog/best-tools"].replace("<a ", '<a rel="sponsored" ')
    del PAGES["/forum/thread-42"]
    _step("4. Check again: a missing link is only a suspected loss until a second check confirms it")
    _linkwatch(env, "run", "--once", "--all")
    _linkwatch(env, "run", "--once", "--all")
    _linkwatch(env, "links")
    _step("5. What changed, newest first (the alert outbox: Slack and email get these)")
    _linkwatch(env, "events")
    server.shutdown()
    print(f"\nThe demo database is {database}; point LINKWATCH_DATABASE_URL at it to explore "
          "(`linkwatch history URL`, `linkwatch report ratio`).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
