"""Reading an export file: its encoding, its delimiter, its header, then its rows with line numbers.

Encodings: UTF-8 with or without a BOM, UTF-16 LE/BE with a BOM (Ahrefs writes
UTF-16 LE + BOM + tabs), UTF-16 without a BOM (guessed from NUL bytes), else
Windows-1252.  Delimiters: tab, comma or semicolon, sniffed from the header
line.  Comment lines (`# ...`) and blank lines before the header are skipped
(Google Analytics puts a few there).  Rows are streamed: the file is never read
into memory at once.  Line numbers are physical lines of the file (the first
line is 1), the line a row starts on when a quoted cell spans several lines.

Reads no settings.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

CHUNK = 1 << 20
csv.field_size_limit(min(sys.maxsize, 1 << 24))


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, undecodable, header not recognised). One line."""


def sniff_encoding(path: Path) -> str:
    """The Python codec to read `path` with."""
    with path.open("rb") as handle:
        head = handle.read(CHUNK)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        sample = head[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return "utf-16-le"
        if even > len(sample) // 4 and odd == 0:
            return "utf-16-be"
        raise ImportFileError("not a text file (it holds NUL bytes): expected a CSV or TSV export")
    return "utf-8" if _is_utf8(path) else "cp1252"


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def sniff_delimiter(header_line: str) -> str:
    """Tab, comma or semicolon: whichever separates the header's cells."""
    outside_quotes = re.sub(r'"[^"]*"', "", header_line)
    if "\t" in outside_quotes:
        return "\t"
    return ";" if outside_quotes.count(";") > outside_quotes.count(",") else ","


def normalize_header(cell: str) -> str:
    """A header cell as matched against known column names: trimmed, lower case, single spaces."""
    return " ".join(cell.replace("\ufeff", "").strip().strip('"').split()).lower()


@dataclass
class ExportFile:
    """An open export: the header (as written and normalised) and a stream of (line, cells)."""

    path: Path
    encoding: str
    delimiter: str
    header_line: int
    header: list[str]
    handle: TextIO
    _consumed: int  # physical lines before the csv reader took over

    @property
    def columns(self) -> list[str]:
        return [normalize_header(cell) for cell in self.header]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) for every non-blank row after the header."""
        reader = csv.reader(self.handle, delimiter=self.delimiter)
        previous = 0
        try:
            for cells in reader:
                line = self._consumed + previous + 1
                previous = reader.line_num
                if any(cell.strip() for cell in cells):
                    yield line, cells
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"line {self._consumed + previous + 1}: cannot decode the file as "
                                  f"{self.encoding}: {exc.reason}") from None
        except csv.Error as exc:
            raise ImportFileError(f"line {self._consumed + reader.line_num}: {exc}") from None

    def close(self) -> None:
        self.handle.close()


def open_export(path: Path) -> ExportFile:
    """Open an export file and read up to its header. Raises ImportFileError."""
    try:
        encoding = sniff_encoding(path)
        handle = path.open("r", encoding=encoding, newline="")
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        consumed = 0
        while True:
            text = handle.readline()
            if not text:
                raise ImportFileError(f"{path.name} is empty: expected a header row")
            consumed += 1
            if text.strip() and not text.lstrip().startswith("#"):
                break
        delimiter = sniff_delimiter(text)
        header = next(csv.reader([text], delimiter=delimiter))
    except UnicodeDecodeError as exc:
        handle.close()
        raise ImportFileError(f"cannot decode the file as {encoding}: {exc.reason}") from None
    except BaseException:
        handle.close()
        raise
    return ExportFile(path, encoding, delimiter, consumed, header, handle, consumed)
