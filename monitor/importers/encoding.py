"""Which encoding an export is in, and on which line a byte that does not decode is.

UTF-8 with a BOM, UTF-16 LE/BE with a BOM (Ahrefs writes UTF-16 LE + BOM + tabs),
UTF-16 without a BOM (guessed from its NUL bytes), UTF-8, else Windows-1252.  A
file that is UTF-8 (it holds valid multi-byte characters) except for some bytes is
refused with the line of the first bad byte rather than read as Windows-1252
(which would garble every accented character of it).  A decoding error met while
streaming is located exactly by `decode_error_line` (the text reader decodes ahead
of the line being parsed, so its position says nothing).  Lines are counted as the
csv reader sees them: `\\n`, `\\r\\n` and a lone `\\r` each end one.

Reads no settings.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

CHUNK = 1 << 20
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, as surrogateescape decodes them
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")  # valid UTF-8 beyond ASCII


class EncodingError(ValueError):
    """The file cannot be decoded; the message is one line, with the line number when there is one."""


def newlines(text: str, after_cr: bool = False) -> int:
    """Line ends in `text` (`after_cr`: the text before it ended with `\\r`, so a leading `\\n` ends nothing)."""
    count = text.count("\n") + text.count("\r") - text.count("\r\n")
    return count - 1 if after_cr and text.startswith("\n") else count


def sniff_encoding(path: Path) -> str:
    """The Python codec to read `path` with. Raises EncodingError (binary file, UTF-8 with bad bytes)."""
    with path.open("rb") as handle:
        head = handle.read(CHUNK)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if sample.count(0) > 3:  # one NUL byte in a text file is reported with its line (monitor.importers.detect)
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return "utf-16-le"
        if even > len(sample) // 4 and odd == 0:
            return "utf-16-be"
        raise EncodingError("not a text file (it holds NUL bytes): expected a CSV or TSV export")
    return _utf8_or_cp1252(path)


def _utf8_or_cp1252(path: Path) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    line, after_cr, bad, utf8_text = 1, False, None, False
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if bad is None:
                match = _ESCAPED.search(text)
                if match:
                    bad = (line + newlines(text[:match.start()], after_cr), ord(match.group()) - 0xDC00)
                else:
                    line += newlines(text, after_cr)
                    after_cr = text.endswith("\r")
            utf8_text = utf8_text or bool(_NON_ASCII.search(text))
            if not chunk or (bad is not None and utf8_text):
                break
    if bad is None:
        return "utf-8"
    if utf8_text:
        raise EncodingError(f"line {bad[0]}: byte 0x{bad[1]:02x} is not UTF-8, though the rest of the file is: "
                            "save the file again as UTF-8 (or UTF-16)")
    return "cp1252"


def decode_error_line(path: Path, encoding: str) -> str:
    """The one-line message for the first byte of `path` that `encoding` cannot decode, with its line."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, after_cr = 1, False
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                buffered = len(exc.object) - len(chunk)  # bytes the decoder held back from the chunk before
                line += newlines(decoder.decode(chunk[:max(exc.start - buffered, 0)]), after_cr)
                hint = " (the file is cut short?)" if exc.reason == "truncated data" else ""
                return f"line {line}: cannot decode the file as {encoding}: {exc.reason}{hint}"
            line += newlines(text, after_cr)
            after_cr = text.endswith("\r") if text else after_cr
            if not chunk:
                return f"cannot decode the file as {encoding}"
