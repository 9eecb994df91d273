"""Targets (what a backlink must point at) and the URL identities linkwatch compares.

A target is a bare domain (`example.com`: http/https links to it or a subdomain, hosts compared
after IDNA, a leading `www.` ignored) or an absolute http(s) URL (`https://example.com/pricing`:
links to that page, whatever their scheme, leading `www.`, trailing slash, fragment, `utm_*`
parameters or query order).  `source_key()` is the identity of a referring page in the store, so
that an http->https or www move of a page is the same backlink.  URLs are parsed with the WHATWG
URL parser (ada-url), as browsers do.  The exact rules: docs/links.md, "Targets".

Reads no settings.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import ada_url

from monitor.core.types import TargetKind

logger = logging.getLogger(__name__)

__all__ = ["Target", "TargetKind", "normalize_url", "parse_source", "parse_target", "source_key"]

_HTTP_SCHEMES = ("http:", "https:")
_DEFAULT_PORTS = {"http:": "80", "https:": "443"}
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_OTHER_SCHEME_RE = re.compile(r"^(?:mailto|javascript|data|tel|ftp|file|about|blob|ws|wss):", re.IGNORECASE)
_PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def normalize_url(url: str) -> str | None:
    """The WHATWG serialisation of an absolute http(s) URL, or None if it is not one."""
    try:
        parsed = ada_url.URL(url)
    except ValueError:
        return None
    if parsed.protocol not in _HTTP_SCHEMES or not parsed.hostname:
        return None
    return str(parsed.href)


def _strip_www(host: str) -> str:
    """Drop one trailing dot (`example.com.` is `example.com`) and a leading `www.`."""
    host = host[:-1] if host.endswith(".") else host
    return host[4:] if host.startswith("www.") and len(host) > 4 else host


def _canonical_percent(text: str) -> str:
    """Decode percent-escapes of unreserved characters and upper-case the others (RFC 3986 6.2.2)."""

    def fix(match: re.Match[str]) -> str:
        byte = int(match.group(1), 16)
        return chr(byte) if byte in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_RE.sub(fix, text) if "%" in text else text


def _path_key(pathname: str) -> str:
    path = _canonical_percent(pathname)
    return path.rstrip("/") if path.endswith("/") else path


def _query_key(search: str) -> tuple[tuple[str, str], ...]:
    """Query parameters without utm_*, form-decoded, sorted: their order does not matter."""
    if len(search) <= 1:
        return ()
    pairs = parse_qsl(search[1:], keep_blank_values=True)
    return tuple(sorted((name, value) for name, value in pairs if not name.lower().startswith("utm_")))


def _port_key(protocol: str, port: str) -> str:
    return "" if port in ("", _DEFAULT_PORTS.get(protocol)) else port


@dataclass(frozen=True)
class Target:
    """A target as the user gave it, parsed once for fast matching."""

    raw: str
    kind: TargetKind
    host: str  # IDNA ASCII, lower case, leading www. removed
    # URL targets only: (port, path, query) keys compared with a link's
    port: str = ""
    path: str = ""
    query: tuple[tuple[str, str], ...] = ()
    _suffix: str = field(default="", repr=False, compare=False)

    def matches(self, href: str) -> bool:
        """Whether an absolute URL (any spelling the WHATWG parser accepts) points at this target."""
        try:
            url = ada_url.URL(href)
        except ValueError:
            return False
        return self._matches_url(url)

    def matches_serialized(self, href: str) -> bool:
        """`matches()` for an href already serialised by the WHATWG parser (as element.href).

        Such an href spells its host in lower-case ASCII, so a substring test
        rejects most links without parsing them again.
        """
        if self.host not in href:
            return False
        return self.matches(href)

    def _matches_url(self, url: ada_url.URL) -> bool:
        if url.protocol not in _HTTP_SCHEMES:
            return False
        host = _strip_www(url.hostname)
        if self.kind is TargetKind.DOMAIN:
            return host == self.host or host.endswith(self._suffix)
        return (
            host == self.host
            and _port_key(url.protocol, url.port) == self.port
            and _path_key(url.pathname) == self.path
            and _query_key(url.search) == self.query
        )


def _make(raw: str, kind: TargetKind, url: ada_url.URL) -> Target:
    host = _strip_www(url.hostname)
    if kind is TargetKind.DOMAIN:
        return Target(raw=raw, kind=kind, host=host, _suffix="." + host)
    return Target(
        raw=raw,
        kind=kind,
        host=host,
        port=_port_key(url.protocol, url.port),
        path=_path_key(url.pathname),
        query=_query_key(url.search),
    )


SITE_PREFIX = "site:"


def site_target(target: Target) -> Target | None:
    """For a URL target, a domain target for its whole site, labelled `site:HOST`.

    The crawler reports links to the rest of your site alongside those to the exact
    URL, so change detection can tell "the link now points at another URL of yours"
    (`target_changed`) from "the link was removed" (`lost`).  None for domain targets.
    """
    if target.kind is TargetKind.DOMAIN:
        return None
    return Target(raw=SITE_PREFIX + target.host, kind=TargetKind.DOMAIN, host=target.host,
                  _suffix="." + target.host)


def with_site_targets(targets: tuple[Target, ...]) -> tuple[Target, ...]:
    """The targets, then the site targets of the URL targets among them (each once)."""
    extra: dict[str, Target] = {}
    for target in targets:
        site = site_target(target)
        if site is not None:
            extra.setdefault(site.raw, site)
    return targets + tuple(extra.values())


def _check_host(text: str, url: ada_url.URL) -> None:
    if url.username or url.password:
        raise ValueError(f"target {text!r} holds a user name or password; give a domain or an http(s) URL")
    host = url.hostname
    is_ip = url.host_type != ada_url.HostType.DEFAULT
    if not is_ip and host != "localhost" and "." not in host.strip("."):
        raise ValueError(f"target {text!r} is not a domain (example.com) or an http(s) URL")
    if ".." in host or host.startswith("."):
        raise ValueError(f"target {text!r} is not a valid domain")


def parse_target(text: str) -> Target:
    """Parse a target as given on the command line or in a file.

    `example.com` (also `www.example.com`, `Bücher.example`, `example.com/`) is a
    domain target; `https://example.com/pricing` is a URL target, and so is
    `example.com/pricing` (a scheme is not needed, since it does not matter).
    Raises ValueError with a one-line message for anything else.
    """
    raw = text
    text = text.strip()
    if not text:
        raise ValueError("empty target: give a domain (example.com) or an http(s) URL")
    if any(ch.isspace() for ch in text):
        raise ValueError(f"target {raw!r} contains whitespace")
    has_scheme = bool(_SCHEME_RE.match(text))
    if has_scheme and not text.lower().startswith(("http://", "https://")):
        raise ValueError(f"target {raw!r} is not an http(s) URL")
    if not has_scheme and _OTHER_SCHEME_RE.match(text):
        raise ValueError(f"target {raw!r} is not an http(s) URL")
    try:
        url = ada_url.URL(text if has_scheme else "http://" + text)
    except ValueError:
        raise ValueError(f"target {raw!r} is not a valid domain or URL") from None
    _check_host(raw, url)
    if has_scheme:
        return _make(raw, TargetKind.URL, url)
    if url.port:
        raise ValueError(f"target {raw!r}: a domain target takes no port; give a URL (http://{text})")
    is_bare = url.pathname == "/" and not url.search and "?" not in text
    return _make(raw, TargetKind.DOMAIN if is_bare else TargetKind.URL, url)


def source_key(url: str) -> str:
    """The identity of a referring page: the URL without scheme, leading `www.`,
    fragment, default port and trailing slash (`https://www.a.com/x/?q#f` -> `a.com/x?q`).

    Raises ValueError when `url` is not an absolute http(s) URL.
    """
    try:
        parts = ada_url.parse_url(url, attributes=_SOURCE_PARTS)
    except ValueError:
        raise ValueError(f"not a valid URL: {url!r}") from None
    if parts["protocol"] not in _HTTP_SCHEMES:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return _source_key(parts)


def parse_source(url: str) -> tuple[str, str, str] | None:
    """(normalize_url(url), source_key(url), its host name as WHATWG spells it) from one parse;
    None when `url` is not an absolute http(s) URL."""
    try:
        parts = ada_url.parse_url(url, attributes=_SOURCE_PARTS)
    except ValueError:
        return None
    if parts["protocol"] not in _HTTP_SCHEMES or not parts["hostname"]:
        return None
    return str(parts["href"]), _source_key(parts), parts["hostname"]


_SOURCE_PARTS = ("href", "protocol", "hostname", "port", "pathname", "search")


def _source_key(parts: ada_url.ada_adapter.ParseAttributes) -> str:
    host = _strip_www(parts["hostname"])
    port = _port_key(parts["protocol"], parts["port"])
    path = parts["pathname"]
    path = path.rstrip("/") if path.endswith("/") else path
    return f"{host}{':' + port if port else ''}{path}{parts['search']}"
