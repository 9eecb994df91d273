"""The value parsers of the settings: each turns what a file or an environment variable holds into a typed value.

A parser is `parse(value, name) -> value` and raises ConfigError with a one-line message that starts with
`name` (the setting as the user writes it, `[crawl] timeout`); nothing here reads the environment.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from monitor.core.types import RenderMode


class ConfigError(ValueError):
    """A setting is missing, malformed or out of range. Its message is one line for the user."""


Parser = Callable[[Any, str], Any]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_duration(value: Any, name: str) -> float:
    """'90', '90s', '15m', '24h', '3d', '1w' (or a number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a duration such as 30s, 15m, 24h or 3d, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).lower())
        if not match:
            raise ConfigError(f"{name}: expected a duration such as 30s, 15m, 24h or 3d, got {value!r}")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ConfigError(f"{name}: must be greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """`seconds` as the docs write a duration: 259200 -> '3d', 86400 -> '24h', 30 -> '30s'."""
    if seconds % 86400 == 0 and seconds > 86400:
        return f"{seconds / 86400:g}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def whole(minimum: int = 0) -> Parser:
    """A parser of whole numbers (`1_000` too) of at least `minimum`."""
    def parse(value: Any, name: str) -> int:
        try:
            number = int(str(value).replace("_", ""))
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
        if number < minimum:
            raise ConfigError(f"{name}: must be at least {minimum}")
        return number
    return parse


def number(minimum: float = 0.0, maximum: float | None = None) -> Parser:
    """A parser of numbers of at least `minimum` (and at most `maximum`, a share when it is 1)."""
    def parse(value: Any, name: str) -> float:
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a number, got {value!r}") from None
        if result < minimum:
            raise ConfigError(f"{name}: must be at least {minimum:g}")
        if maximum is not None and result > maximum:
            raise ConfigError(f"{name}: must be a share between {minimum:g} and {maximum:g}")
        return result
    return parse


def text(value: Any, name: str) -> str:
    return str(value)


def optional_text(value: Any, name: str) -> str | None:
    """A value that may be absent (a secret, a host): None stays None."""
    return None if value is None else str(value)


def optional_web_url(value: Any, name: str) -> str | None:
    """An absolute http(s) URL with a host (a trailing `/` dropped), or None when absent or empty."""
    if value is None or str(value).strip() == "":
        return None
    url = str(value).strip()
    parts = re.match(r"^(https?)://([^/?#\s]+)([^\s]*)$", url, re.IGNORECASE)
    if not parts or parts.group(2).startswith(("@", ":")):
        raise ConfigError(f"{name}: expected an absolute http(s) URL such as https://linkwatch.example.com, "
                          f"got {url[:200]!r}")
    return url.rstrip("/")


def strings(value: Any, name: str) -> tuple[str, ...]:
    """A list of strings, or one comma-separated string (as an environment variable holds it)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{name}: expected a list of strings")


def render_mode(value: Any, name: str) -> RenderMode:
    mode = str(value).lower()
    if mode not in {m.value for m in RenderMode}:
        raise ConfigError(f"{name}: expected auto, never or always, got {mode!r}")
    return RenderMode(mode)


def log_level(value: Any, name: str) -> str:
    level = str(value).strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{name}: expected one of {', '.join(n.lower() for n in LOG_LEVELS)}, got {value!r}")
    return level


LOG_FORMATS = ("text", "json")


def log_format(value: Any, name: str) -> str:
    """`text` (one line per record, for people) or `json` (one JSON object per line, for log collectors)."""
    form = str(value).strip().lower()
    if form not in LOG_FORMATS:
        raise ConfigError(f"{name}: expected text or json, got {str(value)[:20]!r}")
    return form


def weekday(value: Any, name: str) -> int:
    """'mon', 'Sunday' or 0-6 (0 = Monday) -> 0-6."""
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    day = str(value).strip().lower()[:3]
    if day not in _WEEKDAYS:
        raise ConfigError(f"{name}: expected a day such as mon or sunday, got {value!r}")
    return _WEEKDAYS.index(day)


def parse_host_port(value: str, name: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise ConfigError(f"{name}: expected HOST:PORT, got {value!r}")
    number = whole(0)(port, name)
    if number > 65535:
        raise ConfigError(f"{name}: the port must be a number from 0 to 65535, got {number}")
    return host.strip("[]"), number


def host_port(value: Any, name: str) -> str:
    """A HOST:PORT address, checked and kept as written."""
    parse_host_port(str(value), name)
    return str(value)


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback IP literal (an empty host or 0.0.0.0 means every interface)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_resolve(value: Any, name: str = "resolve") -> tuple[tuple[str, str], ...]:
    """'host:ip,host2:ip2' (or a list of 'host:ip') -> ((host, ip), ...); hosts lowercased."""
    pairs = []
    for item in strings(value, name):
        host, sep, ip = item.partition(":")
        host, ip = host.strip().lower().rstrip("."), ip.strip().strip("[]")
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise ConfigError(f"{name}: expected HOST:IP such as example.test:127.0.0.1, got {item!r}") from None
        if not sep or not host:
            raise ConfigError(f"{name}: expected HOST:IP such as example.test:127.0.0.1, got {item!r}")
        pairs.append((host, ip))
    return tuple(pairs)


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: the image types a report logo may be, by their first bytes (SVG: text that holds an <svg element)
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
MAX_LOGO_BYTES = 512 * 1024


def colour(value: Any, name: str) -> str:
    """A CSS colour written `#rrggbb` (lower-cased), the only form accepted: it goes into the report's style."""
    text = str(value).strip()
    if not _COLOUR.match(text):
        raise ConfigError(f"{name}: expected a colour written #rrggbb, such as #2b6cb0, got {value!r}")
    return text.lower()


def image_type(data: bytes) -> str | None:
    """The MIME type of a PNG, JPEG or SVG image from its bytes; None for anything else."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:65536].lower():
        return "image/svg+xml"
    return None


def read_image(path: str, name: str) -> tuple[str, bytes]:
    """(MIME type, bytes) of a PNG, JPEG or SVG file of at most MAX_LOGO_BYTES; ConfigError otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_LOGO_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ConfigError(f"{name}: {path} is larger than {MAX_LOGO_BYTES // 1024} KiB")
    mime = image_type(data)
    if mime is None:
        raise ConfigError(f"{name}: {path} is not a PNG, JPEG or SVG image")
    return mime, data


def image_file(value: Any, name: str) -> str | None:
    """The path of a readable PNG, JPEG or SVG file (checked when the settings are read); empty: none."""
    path = str(value).strip()
    if not path:
        return None
    read_image(path, name)
    return path
