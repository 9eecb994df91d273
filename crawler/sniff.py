"""Is a response an HTML document?  `text/html` or `application/xhtml+xml`, sniffed when unlabelled.

Sniffing follows the WHATWG MIME Sniffing Standard's HTML patterns (`<!DOCTYPE HTML`,
`<html`, `<head`, `<body`, `<script`, `<a`, `<p`, `<!--`, ... after leading
whitespace, followed by a space or `>`).

Reads no settings.
"""

from __future__ import annotations

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
         b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def looks_like_html(body: bytes) -> bool:
    head = body[:1024].removeprefix(b"\xef\xbb\xbf")
    head = head.lstrip(b" \t\n\r\x0c").lower()
    if head.startswith(b"<!--"):
        return True
    return any(head.startswith(tag) and head[len(tag):len(tag) + 1] in (b" ", b">") for tag in _TAGS)


def is_html(content_type: str | None, body: bytes) -> bool:
    """True for an HTML (or XHTML) document, by its Content-Type, else by sniffing the body."""
    kind = media_type(content_type)
    if kind:
        return kind in _HTML_TYPES
    return looks_like_html(body)
