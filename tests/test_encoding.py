"""decode_html: BOM, then HTTP charset, then <meta> prescan, then UTF-8 if valid, else windows-1252."""

from __future__ import annotations

import codecs

import pytest

from crawler.encoding import decode_html, lookup_label

CAFE_UTF8 = "café".encode()
CAFE_1252 = "café €".encode("cp1252")

CASES = [
    # body, content type, expected text, expected encoding
    (codecs.BOM_UTF8 + CAFE_UTF8, "text/html; charset=windows-1252", "café", "utf-8"),  # BOM wins
    (codecs.BOM_UTF16_LE + "café".encode("utf-16-le"), "text/html; charset=utf-8", "café", "utf-16le"),
    (codecs.BOM_UTF16_BE + "café".encode("utf-16-be"), None, "café", "utf-16be"),
    (CAFE_1252, "text/html; charset=iso-8859-1", "café €", "windows-1252"),  # latin1 means windows-1252
    (CAFE_1252, "text/html; charset=latin1", "café €", "windows-1252"),
    (CAFE_1252, "text/html; charset=US-ASCII", "café €", "windows-1252"),
    (CAFE_1252, 'text/html; charset="ISO-8859-1"', "café €", "windows-1252"),
    (CAFE_UTF8, "text/html;charset=UTF-8", "café", "utf-8"),
    (CAFE_UTF8, "text/html; CHARSET = utf8", "café", "utf-8"),
    ("привет".encode("cp1251"), "text/html; charset=windows-1251", "привет", "windows-1251"),
    ("привет".encode("koi8_r"), "text/html; charset=koi8-r", "привет", "koi8-r"),
    ("日本語".encode("shift_jis"), "text/html; charset=Shift_JIS", "日本語", "shift_jis"),
    ("中文".encode("gb2312"), "text/html; charset=gb2312", "中文", "gbk"),
    ("한국어".encode("euc_kr"), "text/html; charset=euc-kr", "한국어", "euc-kr"),
    # HTTP charset beats <meta>
    (b'<meta charset="koi8-r">' + CAFE_UTF8, "text/html; charset=utf-8", '<meta charset="koi8-r">café', "utf-8"),
    # <meta charset> and <meta http-equiv>
    (b'<meta charset="windows-1252">' + CAFE_1252, "text/html", '<meta charset="windows-1252">café €', "windows-1252"),
    (b"<meta charset=ISO-8859-1>caf\xe9", None, "<meta charset=ISO-8859-1>café", "windows-1252"),
    (
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">\xef',
        None,
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">п',
        "windows-1251",
    ),
    (
        b'<meta content="text/html; charset=koi8-r">' + CAFE_UTF8,
        None,
        '<meta content="text/html; charset=koi8-r">café',
        "utf-8",
    ),
    (b"<!-- <meta charset=koi8-r> -->" + CAFE_UTF8, None, "<!-- <meta charset=koi8-r> -->café", "utf-8"),
    (b"<meta charset=utf-16le>hi", None, "<meta charset=utf-16le>hi", "utf-8"),  # UTF-16 in a prescan means UTF-8
    (b"<meta charset=x-user-defined>hi", None, "<meta charset=x-user-defined>hi", "windows-1252"),
    (b"<meta charset=bogus>" + CAFE_UTF8, None, "<meta charset=bogus>café", "utf-8"),  # unknown label ignored
    (CAFE_UTF8, "text/html; charset=bogus", "café", "utf-8"),
    # nothing declared: UTF-8 when valid, else windows-1252
    (CAFE_UTF8, None, "café", "utf-8"),
    (b"plain ascii", None, "plain ascii", "utf-8"),
    (CAFE_1252, None, "café €", "windows-1252"),
    (CAFE_1252, "text/html", "café €", "windows-1252"),
    # bytes undefined in Python's cp1252 are C1 controls in the Standard; invalid UTF-8 becomes U+FFFD
    (b"a\x81\x8d\x8f\x90\x9d", "text/html; charset=windows-1252", "a\x81\x8d\x8f\x90\x9d", "windows-1252"),
    (b"a\xff\xfeb", "text/html; charset=utf-8", "a\ufffd\ufffdb", "utf-8"),
    (b"x", "text/html; charset=iso-2022-kr", "\ufffd", "replacement"),
    (b"", "text/html; charset=utf-8", "", "utf-8"),
]


@pytest.mark.parametrize(("body", "content_type", "text", "encoding"), CASES)
def test_decode_html(body: bytes, content_type: str | None, text: str, encoding: str) -> None:
    assert decode_html(body, content_type) == (text, encoding)


def test_meta_after_the_first_1024_bytes_is_not_seen() -> None:
    body = b" " * 1100 + b"<meta charset=koi8-r>" + CAFE_UTF8
    assert decode_html(body, None)[1] == "utf-8"


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("latin1", "windows-1252"),
        ("ISO-8859-1", "windows-1252"),
        ("ascii", "windows-1252"),
        (" utf8 ", "utf-8"),
        ("unicode-1-1-utf-8", "utf-8"),
        ("iso-8859-9", "windows-1254"),
        ("tis-620", "windows-874"),
        ("utf-16", "utf-16le"),
        ("sjis", "shift_jis"),
        ("x-mac-roman", "macintosh"),
        ("utf-32", None),
        ("utf-7", None),
        ("", None),
        (None, None),
    ],
)
def test_lookup_label(label: str | None, name: str | None) -> None:
    assert lookup_label(label) == name
