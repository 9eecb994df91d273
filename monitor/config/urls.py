"""The parsers of the settings that hold a URL or a server: checked when the settings are read.

A webhook with a typo (`htps://`, a space pasted in, `:44x` for a port) would otherwise surface hours later as a
failed delivery.  Each parser refuses such a value with one line naming the setting and what is wrong, and never
repeats the value itself: these URLs carry secrets (a Slack webhook's path is its token, a database URL its
password).  What a message may show is the scheme, the host and the port, never the user, password, path or query.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, urlsplit

from monitor.config.values import ConfigError, Parser, optional_text, strings

WEB_SCHEMES = ("https", "http")
DATABASE_SCHEMES = ("sqlite", "postgresql")
REDIS_SCHEMES = ("redis", "rediss", "unix")


def _scheme_list(schemes: tuple[str, ...]) -> str:
    return " or ".join(f"{scheme}://" for scheme in schemes)


def _split(value: str, name: str, example: str) -> SplitResult:
    """`value` split into its parts, or a ConfigError that says what is missing (never quoting `value`)."""
    if not value.strip():
        raise ConfigError(f"{name}: empty; expected a URL such as {example}")
    if any(ch.isspace() for ch in value):
        raise ConfigError(f"{name}: contains a space or a line break (pasted with the URL?); expected a URL such as "
                          f"{example}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigError(f"{name}: contains a control character; expected a URL such as {example}")
    if "://" not in value:
        raise ConfigError(f"{name}: not a URL (no scheme://); expected a URL such as {example}")
    try:
        return urlsplit(value)
    except ValueError:  # an unbalanced [ in the host
        raise ConfigError(f"{name}: not a valid URL; expected a URL such as {example}") from None


def _check_server(parts: SplitResult, name: str, example: str, need_host: bool = True) -> None:
    """The host is present (when `need_host`) and the port, if any, a number from 1 to 65535."""
    if need_host and not parts.hostname:
        raise ConfigError(f"{name}: no host in the URL; expected a URL such as {example}")
    after_host = parts.netloc.rpartition("@")[2].rpartition("]")[2]  # an IPv6 host is in brackets
    if ":" in after_host:
        port = after_host.rpartition(":")[2]
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            shown = port if len(port) <= 12 else port[:12] + "…"
            raise ConfigError(f"{name}: the port must be a number from 1 to 65535, got {shown!r}")


def _check_scheme(parts: SplitResult, name: str, schemes: tuple[str, ...], example: str) -> None:
    scheme = parts.scheme.lower()
    if scheme.split("+", 1)[0] not in schemes:
        shown = scheme if len(scheme) <= 20 else scheme[:20] + "…"
        raise ConfigError(f"{name}: the URL must start with {_scheme_list(schemes)}, not {shown}://; "
                          f"expected a URL such as {example}")


def web_url(example: str) -> Parser:
    """A parser of an optional http(s) URL with a host (a webhook); an empty value means none."""
    def parse(value: Any, name: str) -> str | None:
        url = optional_text(value, name)
        if url is None or url == "":
            return None
        parts = _split(url, name, example)
        _check_scheme(parts, name, WEB_SCHEMES, example)
        _check_server(parts, name, example)
        return url
    return parse


def database_url(value: Any, name: str) -> str:
    """A SQLite or PostgreSQL SQLAlchemy URL (`sqlite:///PATH`, `postgresql+psycopg://user:pass@host/db`).

    A SQLite path may hold spaces (`My Documents`), so only PostgreSQL URLs are refused for them."""
    url = str(value)
    example = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB"
    if url == "":
        return url  # the default database
    scheme = url.partition(":")[0].lower()
    if scheme.split("+", 1)[0] == "sqlite":
        rest = url.partition("://")[2]
        if "://" not in url or (rest and not rest.startswith("/")):
            raise ConfigError(f"{name}: a SQLite URL is sqlite:///PATH (three slashes before a relative path, "
                              "four before an absolute one)")
        return url
    parts = _split(url, name, example)
    _check_scheme(parts, name, DATABASE_SCHEMES, example)
    _check_server(parts, name, example, need_host=False)  # postgresql:///db is the local socket
    if not parts.path.strip("/"):
        raise ConfigError(f"{name}: no database name at the end of the URL; expected a URL such as {example}")
    return url


def redis_url(value: Any, name: str) -> str:
    """A Redis URL: `redis://HOST:PORT/DB`, `rediss://` (TLS) or `unix:///path/to/socket`."""
    url = str(value)
    example = "redis://127.0.0.1:6379/0"
    parts = _split(url, name, example)
    _check_scheme(parts, name, REDIS_SCHEMES, example)
    _check_server(parts, name, example, need_host=parts.scheme.lower() != "unix")
    return url


def apprise_urls(value: Any, name: str) -> tuple[str, ...]:
    """Apprise URLs (`tgram://TOKEN/CHAT`, `mailto://...`): each a scheme:// and no spaces (Apprise itself knows
    its hundred schemes)."""
    urls = strings(value, name)
    for index, url in enumerate(urls, 1):
        _split(url, f"{name} #{index}", "tgram://BOT_TOKEN/CHAT_ID")
    return urls


def smtp_host(value: Any, name: str) -> str | None:
    """The SMTP server's host name (the port is `[smtp] port`, TLS `starttls` or `ssl`); not a URL."""
    host = optional_text(value, name)
    if host is None or host == "":
        return None
    if "://" in host:
        raise ConfigError(f"{name}: a host name such as smtp.example.com, not a URL; the port goes in [smtp] port "
                          "and implicit TLS (smtps) is [smtp] ssl = true")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in host) or any(ch in host for ch in "/@?#"):
        raise ConfigError(f"{name}: expected a host name such as smtp.example.com (no spaces, slashes or @)")
    if not host.startswith("[") and host.count(":") == 1:  # an IPv6 address has several
        raise ConfigError(f"{name}: a host name without a port; the port goes in [smtp] port")
    return host


def port_number(value: Any, name: str) -> int:
    """A TCP port: a whole number from 1 to 65535."""
    try:
        port = int(str(value).replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}: expected a port number from 1 to 65535, got {str(value)[:12]!r}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name}: expected a port number from 1 to 65535, got {port}")
    return port
