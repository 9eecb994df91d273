"""The Google disavow file format: writing a valid one and checking an existing one.

Pure functions, no database.  The rules (Google Search Console help): plain text, UTF-8; one entry
per line, an absolute http(s) URL or `domain:example.com` (no scheme, path or port); `#` comments
on their own lines; at most 100,000 lines (blank and comment lines count) and 2 MB (2,097,152
bytes); each URL at most 2,048 characters.  `build_disavow(entries, header)` returns the text or
raises DisavowError naming the limit; `check_disavow(data)` returns every problem with its line
number.  For users: docs/reports.md, "Disavow".

Reads no settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LINES = 100_000
MAX_BYTES = 2 * 1024 * 1024
MAX_URL_LENGTH = 2048
WARNING = ("Disavowing is only for sites with a manual action for unnatural links or a suspected link "
           "penalty; disavowing links as a precaution can hurt your rankings.")

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+(?:{_LABEL})$")


class DisavowError(ValueError):
    """An entry or the whole file breaks a rule of the format. One line for the user."""


@dataclass(frozen=True)
class Entry:
    kind: str  # domain | url
    value: str
    reason: str | None = None

    def line(self) -> str:
        return f"domain:{self.value}" if self.kind == "domain" else self.value


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based; 0 for the whole file
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def domain_problem(domain: str) -> str | None:
    """Why `domain` cannot follow `domain:` (None when it can)."""
    if not domain:
        return "domain: needs a domain name"
    if "/" in domain or ":" in domain or "?" in domain or "#" in domain:
        return f"domain:{domain} must be a bare domain name, without scheme, path or port"
    try:
        ascii_name = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"domain:{domain} is not a valid domain name"
    if not _DOMAIN.match(ascii_name.rstrip(".")):
        return f"domain:{domain} is not a valid domain name"
    return None


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a disavow line (None when it can)."""
    if len(url) > MAX_URL_LENGTH:
        return f"URL longer than {MAX_URL_LENGTH} characters ({len(url)})"
    if any(c.isspace() for c in url):
        return "a URL cannot contain spaces (one entry per line; comments go on their own line)"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"not a valid URL: {url[:80]}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"expected an absolute http(s) URL or domain:NAME, got {url[:80]!r}"
    return None


def parse_entry(text: str, reason: str | None = None) -> Entry:
    """`domain:example.com`, a bare domain, or a URL -> Entry. Raises DisavowError."""
    value = text.strip()
    if value.lower().startswith("domain:"):
        domain = value[len("domain:"):].strip().lower().rstrip(".")
    elif "://" not in value:
        domain = value.lower().rstrip(".")
    else:
        problem = url_problem(value)
        if problem:
            raise DisavowError(problem)
        return Entry("url", value, reason)
    problem = domain_problem(domain)
    if problem:
        raise DisavowError(problem)
    return Entry("domain", domain, reason)


def _comment_lines(text: str) -> list[str]:
    return ["# " + line.strip() if line.strip() else "#" for line in text.splitlines()] or ["#"]


def build_disavow(entries: Iterable[Entry], header: Sequence[str] = ()) -> str:
    """The disavow file text: header comments, then domains, then URLs (each with its reason as a comment).

    Raises DisavowError when the file would break a limit: more than 100,000 lines or 2 MB.
    """
    lines = [c for text in header for c in _comment_lines(text)]
    ordered = sorted(set(entries), key=lambda e: (e.kind != "domain", e.value))
    for entry in ordered:
        problem = domain_problem(entry.value) if entry.kind == "domain" else url_problem(entry.value)
        if problem:
            raise DisavowError(f"cannot export {entry.line()[:100]}: {problem}")
        if entry.reason:
            lines += _comment_lines(entry.reason)
        lines.append(entry.line())
    text = "\n".join(lines) + "\n"
    if len(lines) > MAX_LINES:
        raise DisavowError(f"the disavow file would have {len(lines):,} lines, over Google's limit of "
                           f"{MAX_LINES:,}: disavow whole domains instead of single URLs")
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise DisavowError(f"the disavow file would be {size:,} bytes, over Google's limit of {MAX_BYTES:,} (2 MB): "
                           "disavow whole domains instead of single URLs")
    return text


def check_disavow(data: bytes) -> list[Problem]:
    """Every problem of an existing disavow file, with its line number (an empty list: valid)."""
    problems: list[Problem] = []
    if len(data) > MAX_BYTES:
        problems.append(Problem(0, f"file is {len(data):,} bytes, over the limit of {MAX_BYTES:,} (2 MB)"))
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = body[: exc.start].count(b"\n") + 1
        return [*problems, Problem(bad_line, "not UTF-8 (save the file as UTF-8 or plain ASCII)")]
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        problems.append(Problem(0, f"{len(lines):,} lines, over the limit of {MAX_LINES:,}"))
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if " #" in line or "\t#" in line:
            problems.append(Problem(number, "comments must be on their own line, starting with #"))
            continue
        problem = _line_problem(line)
        if problem:
            problems.append(Problem(number, problem))
    return problems


def _line_problem(line: str) -> str | None:
    if line.lower().startswith("domain:"):
        return domain_problem(line[len("domain:"):].strip().rstrip("."))
    if "://" not in line:
        return f"expected a URL or domain:NAME, got {line[:80]!r} (a bare domain needs the domain: prefix)"
    return url_problem(line)
