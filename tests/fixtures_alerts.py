"""Real endpoints for the alert tests: an HTTP sink (Slack / webhook stand-in), aiosmtpd SMTP servers,
and a store seeded with events.

- `http_sink`: a threaded stdlib HTTP server on 127.0.0.1, port 0, recording every
  POST.  `sink.fail(500)` / `sink.fail(429, retry_after=...)` make it answer with an
  error, `sink.delay(s)` makes it slow (timeouts), `sink.hold()` makes it record the
  request and then not answer until released (to kill a dispatcher mid-delivery),
  `sink.ok()` restores it.  `refused_url` is a loopback URL nobody listens on.
- `smtp_sink`: aiosmtpd on 127.0.0.1, port 0, plain; `smtp_tls_sink`: STARTTLS
  required plus AUTH (user `alerts`, password `s3cret`) with a self-signed certificate
  made here with `cryptography` (its path in `.cafile`); `smtps_sink`: implicit TLS.
  Each records messages and can answer DATA with an error (`sink.fail("451 ...")`).
- `alert_store`: a migrated SQLite (or PostgreSQL, via `database_url`) database with
  helpers to add sites, backlinks and un-routed events directly through the models.
- `alerts_cli(*args, env=..., background=False)`: `linkwatch` with a clean environment pointing at `alert_store`
  (in-process, or a child process with `background`).
- `settings_for(store, slack=..., webhook=..., smtp=...)`: Settings sending to those sinks; `notifications(store)`;
  `NOW`, the dispatch tests' clock (a Monday).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email
import email.policy
import json
import os
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import Engine, insert, select

from monitor.config import Settings, SmtpConfig
from monitor.store.db import connect, session
from monitor.store.models import Backlink, EventRecord, Notification, Site
from tests.support.cli import LINKWATCH, run_cli
from tests.support.pages import LocalServer

_REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- HTTP


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class HttpSink:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.status = 200
        self.extra_headers: dict[str, str] = {}
        self.sleep = 0.0
        self.holding = False
        self.release_event = threading.Event()
        self.received = threading.Event()
        self.server = LocalServer(_handler(self)).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ok(self) -> None:
        self.status, self.extra_headers, self.sleep, self.holding = 200, {}, 0.0, False

    def fail(self, status: int, retry_after: str | None = None) -> None:
        self.status = status
        self.extra_headers = {"Retry-After": retry_after} if retry_after else {}

    def delay(self, seconds: float) -> None:
        self.sleep = seconds

    def hold(self) -> None:
        self.holding = True

    def wait_for_request(self, timeout: float = 30.0) -> bool:
        return self.received.wait(timeout)

    @property
    def accepted(self) -> list[Recorded]:
        """Requests answered 200 (a failing sink records what it refused too)."""
        return [r for r in self.requests if r.headers.get("x-answered") == "200"]

    def close(self) -> None:
        self.release_event.set()
        self.server.stop()


def _handler(sink: HttpSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            headers["x-answered"] = str(sink.status)
            sink.requests.append(Recorded(self.path, headers, body))
            sink.received.set()
            if sink.holding:
                sink.release_event.wait(60)
                return
            if sink.sleep:
                time.sleep(sink.sleep)
            payload = b"ok" if sink.status == 200 else b"invalid_payload"
            self.send_response(sink.status)
            for name, value in sink.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink()
    yield sink
    sink.close()


@pytest.fixture
def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


# ---------------------------------------------------------------- SMTP


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.failure: str | None = None
        self.reply_delay = 0.0  # seconds between receiving a message and acknowledging it

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.failure:
            return self.failure
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)  # received, but the 250 comes late
        return "250 OK"


class _PortZeroController(Controller):
    """aiosmtpd's Controller on port 0: learn the port before its readiness probe connects."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpSink:
    controller: Controller
    recorder: _Recorder
    cafile: str | None = None
    user: str | None = None
    password: str | None = None
    logins: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages

    def fail(self, reply: str | None) -> None:
        self.recorder.failure = reply

    def slow(self, seconds: float) -> None:
        """Acknowledge each message only `seconds` after receiving it (0: at once)."""
        self.recorder.reply_delay = seconds


def _start(recorder: _Recorder, **kwargs: Any) -> Controller:
    controller = _PortZeroController(recorder, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    return controller


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost: (cert.pem, key.pem)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    recorder = _Recorder()
    controller = _start(recorder)
    yield SmtpSink(controller, recorder)
    controller.stop()


@pytest.fixture
def smtp_tls_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    cert, key = make_certificate(tmp_path)
    recorder = _Recorder()
    sink = SmtpSink(None, recorder, str(cert), "alerts", "s3cret")  # type: ignore[arg-type]

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        login = getattr(auth_data, "login", b"") or b""
        password = getattr(auth_data, "password", b"") or b""
        ok = login == b"alerts" and password == b"s3cret"
        sink.logins.append(f"{login.decode()}:{'ok' if ok else 'refused'}")
        return AuthResult(success=ok, handled=False)

    sink.controller = _start(recorder, tls_context=_server_context(cert, key), require_starttls=True,
                             authenticator=authenticator, auth_required=True)
    yield sink
    sink.controller.stop()


@pytest.fixture
def smtps_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    cert, key = make_certificate(tmp_path)
    recorder = _Recorder()
    controller = _start(recorder, ssl_context=_server_context(cert, key))
    yield SmtpSink(controller, recorder, str(cert))
    controller.stop()


# ---------------------------------------------------------------- store


class AlertStore:
    """A migrated database and helpers that write backlinks and un-routed events straight into it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = connect(url)
        self._sites: dict[str, int] = {}
        self._counter = 0

    def site_id(self, domain: str) -> int:
        if domain not in self._sites:
            with self.engine.begin() as conn:
                found = conn.execute(select(Site.id).where(Site.domain == domain)).scalar_one_or_none()
                if found is None:
                    found = conn.execute(insert(Site).values(domain=domain, competitor=False,
                                                             created_at=dt.datetime.now(dt.UTC))
                                         .returning(Site.id)).scalar_one()
            self._sites[domain] = int(found)
        return self._sites[domain]

    def add_events(self, count: int = 1, kind: str = "lost", site: str = "mysite.example",
                   tags: Sequence[str] = (), anchor: str | None = "great tool", traffic: Any = None,
                   source: str | None = None, detail: dict[str, Any] | None = None,
                   at: dt.datetime | None = None) -> list[int]:
        """Add `count` backlinks with one `kind` event each; `traffic` may be a number or a list per link."""
        now = at or dt.datetime.now(dt.UTC)
        site_id = self.site_id(site)
        links, start = [], self._counter
        for number in range(count):
            self._counter += 1
            url = source or f"https://blog{self._counter}.example/post/{self._counter}"
            page_traffic = traffic[number] if isinstance(traffic, list) else traffic
            links.append({"site_id": site_id, "source_url": url, "source_key": url.split("://", 1)[1],
                          "target": site, "referring_domain": url.split("/")[2], "referring_host": url.split("/")[2],
                          "tags": list(tags), "anchor": anchor, "page_traffic": page_traffic, "state": kind,
                          "rel": [], "extra": {}, "origin": "manual", "misses": 0,
                          "last_live": now - dt.timedelta(days=1), "next_due_at": now,
                          "created_at": now, "updated_at": now})
        with self.engine.begin() as conn:
            ids = [conn.execute(insert(Backlink).values(**link).returning(Backlink.id)).scalar_one()
                   for link in links] if count <= 50 else self._bulk(conn, links, start)
            rows = [{"backlink_id": link_id, "type": kind, "at": now, "old_state": "live", "new_state": kind,
                     "detail": detail if detail is not None else {"http_status": 200, "final_url": "https://x.example/"},
                     "routed": False} for link_id in ids]
            conn.execute(insert(EventRecord), rows)
            return list(conn.execute(select(EventRecord.id).where(EventRecord.backlink_id.in_(ids))).scalars())

    def _bulk(self, conn: Any, links: list[dict[str, Any]], start: int) -> list[int]:
        conn.execute(insert(Backlink), links)
        keys = [link["source_key"] for link in links]
        found: list[int] = []
        for i in range(0, len(keys), 500):
            found += conn.execute(select(Backlink.id).where(Backlink.source_key.in_(keys[i:i + 500]))).scalars()
        return found


@pytest.fixture
def alert_store(tmp_path: Path) -> Iterator[AlertStore]:
    store = AlertStore(f"sqlite:///{tmp_path / 'alerts.db'}")
    yield store
    store.engine.dispose()


@pytest.fixture
def alert_store_any(database_url: str) -> Iterator[AlertStore]:
    """The same, once on SQLite and once on PostgreSQL."""
    store = AlertStore(database_url)
    yield store
    store.engine.dispose()


@pytest.fixture
def alerts_cli(tmp_path: Path, alert_store: AlertStore) -> Callable[..., Any]:
    """Run `linkwatch` (in-process; a child process with `background`) with a clean environment pointing at the
    test store: `alerts_cli(*args, env=..., background=False)`."""
    config = tmp_path / "config.toml"
    config.write_text('[alerts]\nbackoff = "1h"\n')
    config.chmod(0o600)  # linkwatch warns on stderr about config files others can read
    base = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    base.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"),
                LINKWATCH_CONFIG=str(config), LINKWATCH_DATABASE_URL=alert_store.url, LINKWATCH_TIMEOUT="5")

    def run(*args: str, env: dict[str, str] | None = None, background: bool = False) -> Any:
        command = [*LINKWATCH, *args]
        environment = {**base, **(env or {})}
        if background:
            return subprocess.Popen(command, env=environment, cwd=_REPO, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        return run_cli(*args, env=environment, cwd=_REPO)

    return run


NOW = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)  # a Monday


def settings_for(store, slack=None, webhook=None, smtp=None, **changes) -> Settings:
    smtp_config = SmtpConfig(host=smtp.host, port=smtp.port, starttls=False, email_from="lw@mysite.example",
                             email_to=("seo@mysite.example",), timeout=5) if smtp else SmtpConfig()
    base = Settings(database_url=store.url, slack_webhook_url=slack.url if slack else None,
                    webhook_url=webhook, smtp=smtp_config, timeout=5.0, alert_backoff_seconds=30.0,
                    alert_max_attempts=4)
    return dataclasses.replace(base, **changes)


def notifications(store) -> list[Notification]:
    with session(store.engine) as s:
        return list(s.execute(select(Notification).order_by(Notification.id)).scalars())
