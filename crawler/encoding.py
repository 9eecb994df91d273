"""Decode an HTML response body as a browser does (WHATWG Encoding Standard and HTML "determine the encoding").

Order: a byte order mark (UTF-8, UTF-16BE, UTF-16LE), then the `charset` of the
HTTP Content-Type, then a `<meta charset>` / `<meta http-equiv=content-type>`
prescan of the first bytes, then UTF-8 when the body is valid UTF-8, else
windows-1252.  Labels are resolved with the Encoding Standard's label table:
`iso-8859-1`, `latin1` and `ascii` mean windows-1252, `gb2312` means GBK, an
unknown label is ignored.  Invalid bytes become U+FFFD, never an exception.

Reads no settings.
"""

from __future__ import annotations

import codecs
import logging
import re

logger = logging.getLogger(__name__)

__all__ = ["decode_html", "lookup_label"]

# The Encoding Standard's encodings: name -> (Python codec, labels).
_ENCODINGS: dict[str, tuple[str, str]] = {
    "utf-8": ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    "ibm866": ("cp866", "866 cp866 csibm866 ibm866"),
    "iso-8859-2": (
        "iso8859_2",
        "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    ),
    "iso-8859-3": (
        "iso8859_3",
        "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    ),
    "iso-8859-4": (
        "iso8859_4",
        "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    ),
    "iso-8859-5": (
        "iso8859_5",
        "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988",
    ),
    "iso-8859-6": (
        "iso8859_6",
        "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i "
        "iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    ),
    "iso-8859-7": (
        "iso8859_7",
        "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 "
        "iso_8859-7:1987 sun_eu_greek",
    ),
    "iso-8859-8": (
        "iso8859_8",
        "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 "
        "iso_8859-8:1988 visual",
    ),
    "iso-8859-8-i": ("iso8859_8", "csiso88598i iso-8859-8-i logical"),
    "iso-8859-10": ("iso8859_10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6"),
    "iso-8859-13": ("iso8859_13", "iso-8859-13 iso8859-13 iso885913"),
    "iso-8859-14": ("iso8859_14", "iso-8859-14 iso8859-14 iso885914"),
    "iso-8859-15": ("iso8859_15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    "iso-8859-16": ("iso8859_16", "iso-8859-16"),
    "koi8-r": ("koi8_r", "cskoi8r koi koi8 koi8-r koi8_r"),
    "koi8-u": ("koi8_u", "koi8-ru koi8-u"),
    "macintosh": ("mac_roman", "csmacintosh mac macintosh x-mac-roman"),
    "windows-874": ("cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    "windows-1250": ("cp1250", "cp1250 windows-1250 x-cp1250"),
    "windows-1251": ("cp1251", "cp1251 windows-1251 x-cp1251"),
    "windows-1252": (
        "cp1252",
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 "
        "iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    ),
    "windows-1253": ("cp1253", "cp1253 windows-1253 x-cp1253"),
    "windows-1254": (
        "cp1254",
        "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 "
        "windows-1254 x-cp1254",
    ),
    "windows-1255": ("cp1255", "cp1255 windows-1255 x-cp1255"),
    "windows-1256": ("cp1256", "cp1256 windows-1256 x-cp1256"),
    "windows-1257": ("cp1257", "cp1257 windows-1257 x-cp1257"),
    "windows-1258": ("cp1258", "cp1258 windows-1258 x-cp1258"),
    "x-mac-cyrillic": ("mac_cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    "gbk": ("gb18030", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk"),
    "gb18030": ("gb18030", "gb18030"),
    "big5": ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    "euc-jp": ("euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    "iso-2022-jp": ("iso2022_jp", "csiso2022jp iso-2022-jp"),
    "shift_jis": ("cp932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis"),
    "euc-kr": (
        "cp949",
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949",
    ),
    "replacement": ("", "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement"),
    "utf-16be": ("utf-16-be", "unicodefffe utf-16be"),
    "utf-16le": ("utf-16-le", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le"),
    "x-user-defined": ("", "x-user-defined"),
}
_LABELS = {label: name for name, (_, labels) in _ENCODINGS.items() for label in labels.split()}
_SINGLE_BYTE_WINDOWS = frozenset({"cp866", "cp874", *(f"cp125{digit}" for digit in range(9))})
_WHATWG_WS = "\t\n\f\r "
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16be"), (codecs.BOM_UTF16_LE, "utf-16le"))
_PRESCAN_BYTES = 1024
_CHARSET_PARAM_RE = re.compile(r"""charset[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"?|'([^']*)'?|([^\t\n\f\r ;]*))""", re.I)
_PRESCAN_RE = re.compile(
    rb"<!--.*?-->|<meta[\t\n\f\r /](?P<attrs>[^>]*)>?|</?[a-zA-Z][^>]*>?|<[!/?][^>]*>?", re.S | re.I
)
_ATTR_RE = re.compile(
    rb"""[\t\n\f\r /]*(?P<name>[^\t\n\f\r /=>][^\t\n\f\r /=>]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*"""
    rb"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\t\n\f\r >]*)))?"""
)


def lookup_label(label: str | None) -> str | None:
    """The Encoding Standard's name for an encoding label (`latin1` -> `windows-1252`), None if unknown."""
    if label is None:
        return None
    return _LABELS.get(label.strip(_WHATWG_WS).lower())


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip(_WHATWG_WS).lower() == "charset":
            return lookup_label(value.strip(_WHATWG_WS).strip('"'))
    return None


def _meta_charset(attrs: bytes) -> str | None:
    """The encoding a <meta> tag declares (HTML "prescan": charset, or http-equiv + content)."""
    seen: dict[bytes, str] = {}
    for match in _ATTR_RE.finditer(attrs):
        name = match.group("name").lower()
        if name in seen:
            continue
        value = match.group("dq") or match.group("sq") or match.group("uq") or b""
        seen[name] = value.decode("latin-1")
    if b"charset" in seen:
        return lookup_label(seen[b"charset"])
    if seen.get(b"http-equiv", "").strip(_WHATWG_WS).lower() == "content-type" and b"content" in seen:
        found = _CHARSET_PARAM_RE.search(seen[b"content"])
        if found:
            return lookup_label(next(group for group in found.groups() if group is not None))
    return None


def _prescan(body: bytes) -> str | None:
    for match in _PRESCAN_RE.finditer(body[:_PRESCAN_BYTES]):
        attrs = match.group("attrs")
        if attrs is None:
            continue
        name = _meta_charset(attrs)
        if name is not None:
            # a document cannot declare UTF-16 about itself in ASCII bytes
            if name in ("utf-16be", "utf-16le"):
                return "utf-8"
            return "windows-1252" if name == "x-user-defined" else name
    return None


def _c1_passthrough(error: UnicodeError) -> tuple[str, int]:
    """Bytes 0x80-0x9F that a Python single-byte codec leaves undefined map to U+0080-U+009F, as in the Standard."""
    assert isinstance(error, UnicodeDecodeError)
    byte = error.object[error.start]
    return (chr(byte) if 0x80 <= byte <= 0x9F else "\ufffd"), error.start + 1


codecs.register_error("linkwatch-c1", _c1_passthrough)


def _decode(body: bytes, name: str) -> str:
    codec = _ENCODINGS[name][0]
    if name == "replacement":
        return "\ufffd" if body else ""
    if name == "x-user-defined":
        return "".join(chr(b) if b < 0x80 else chr(0xF780 + b - 0x80) for b in body)
    if codec in _SINGLE_BYTE_WINDOWS:
        return body.decode(codec, "linkwatch-c1")
    return body.decode(codec, "replace")


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode an HTML body: returns (text, the Encoding Standard name of the encoding used)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _decode(body[len(bom) :], name), name
    declared = _charset_from_content_type(content_type) or _prescan(body)
    if declared is not None:
        return _decode(body, declared), declared
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _decode(body, "windows-1252"), "windows-1252"
