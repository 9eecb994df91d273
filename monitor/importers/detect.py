"""Reading an export file: its encoding, its delimiter, its header, then its rows with line numbers.

Encodings: see monitor.importers.encoding.  Delimiters: tab, comma or semicolon, sniffed from the header
line.  Comment lines (`# ...`) and blank lines before the header are skipped
(Google Analytics puts a few there).  Rows are streamed: the file is never read
into memory at once.  Line numbers are physical lines of the file (the first
line is 1), the line a row starts on when a quoted cell spans several lines.
Refused with the line: a NUL byte, a line or cell of more than MAX_CELL characters,
malformed quoting (strict CSV), a last row cut short (no line end and fewer cells
than the header), bytes the encoding cannot decode.

Reads no settings.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TextIO

from monitor.importers.encoding import EncodingError, decode_error_line, sniff_encoding

MAX_CELL = 1 << 20  # characters: a cell (or a line) longer than this is not an export's value
csv.field_size_limit(MAX_CELL)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, undecodable, header not recognised). One line."""


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
    last_line_open: bool = False  # the last line read has no line end (the file's end, maybe cut short)
    sheet: ClassVar[None] = None  # a text file has no sheets (monitor.importers.xlsx.SheetExport has)

    @property
    def columns(self) -> list[str]:
        return [normalize_header(cell) for cell in self.header]

    def where(self, line: int, column: int | None = None) -> str:
        return f"line {line}"

    def rows(self, dates: tuple[str, ...] = ()) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) for every non-blank row after the header (`dates`: for a sheet, not a text
        file). Raises ImportFileError."""
        reader = csv.reader(self._lines(), delimiter=self.delimiter, strict=True)
        previous, line, cells = 0, 0, None
        try:
            for cells in reader:
                line = self._consumed + previous + 1
                previous = reader.line_num
                if "".join(cells).strip():
                    yield line, cells
        except UnicodeDecodeError:
            raise ImportFileError(decode_error_line(self.path, self.encoding)) from None
        except csv.Error as exc:
            raise ImportFileError(_csv_message(self._consumed + previous + 1, str(exc))) from None
        if self.last_line_open and cells is not None and len(cells) < len(self.header):
            raise ImportFileError(f"line {line}: the file ends in the middle of this row ({len(cells)} of "
                                  f"{len(self.header)} cells): it was cut short?")

    def _lines(self) -> Iterator[str]:
        """The physical lines after the header; a NUL byte or a line of more than MAX_CELL characters raises."""
        readline = self.handle.readline
        line = self._consumed
        while text := readline(MAX_CELL + 1):
            line += 1
            if "\x00" in text:
                raise ImportFileError(f"line {line}: holds a NUL byte: not a text export, or a damaged one")
            if len(text) > MAX_CELL:
                raise ImportFileError(f"line {line}: longer than {MAX_CELL:,} characters: not a backlink export")
            self.last_line_open = not text.endswith(("\n", "\r"))
            yield text

    def close(self) -> None:
        self.handle.close()


def _csv_message(line: int, reason: str) -> str:
    if "field larger than field limit" in reason:
        return (f"line {line}: a cell longer than {MAX_CELL:,} characters (a quote that is never closed?): "
                "not a backlink export value")
    if "unexpected end of data" in reason:
        return f"line {line}: the file ends inside a quoted cell of this row (a quote never closed, or a cut file)"
    return f"line {line}: malformed CSV: {reason}"


def open_export(path: Path) -> ExportFile:
    """Open an export file and read up to its header. Raises ImportFileError."""
    try:
        encoding = sniff_encoding(path)
        handle = path.open("r", encoding=encoding, newline="")
    except EncodingError as exc:
        raise ImportFileError(str(exc)) from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        consumed = 0
        while True:
            text = handle.readline(MAX_CELL + 1)
            if not text:
                raise ImportFileError(f"{path.name} is empty: expected a header row")
            consumed += 1
            if "\x00" in text or len(text) > MAX_CELL:
                raise ImportFileError(f"line {consumed}: not a header row (a NUL byte, or over {MAX_CELL:,} "
                                      "characters): not a text export")
            if text.strip() and not text.lstrip().startswith("#"):
                break
        delimiter = sniff_delimiter(text)
        header = next(csv.reader([text], delimiter=delimiter))
    except UnicodeDecodeError:
        handle.close()
        raise ImportFileError(decode_error_line(path, encoding)) from None
    except csv.Error as exc:
        handle.close()
        raise ImportFileError(_csv_message(consumed, str(exc))) from None
    except BaseException:
        handle.close()
        raise
    return ExportFile(path, encoding, delimiter, consumed, header, handle, consumed)
