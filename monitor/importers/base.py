"""What every export format shares: rows by column name, value parsing, options and the format record.

Values as the tools write them: dates as ISO (`2026-09-15`, `2026-09-15T10:00:00Z`),
`Sep 15, 2026` or DD/MM/YYYY; counts with thousands separators (`1,240`);
booleans as true/false, 1/0, yes/no.  A malformed value raises ValueError naming
the column, which the importer reports with the row's line number.

Reads no settings (the caller puts `Settings.sites` into ImportOptions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from monitor.config import SiteConfig
from monitor.store.backlink_input import BacklinkInput, clean_tags, normalize_target, source_parts


@dataclass(frozen=True)
class ImportOptions:
    format: str = "auto"  # auto|ahrefs|semrush|gsc|csv|ga4
    target_site: str | None = None  # the target of GSC and GA4 rows, and of plain CSV rows without one
    skip_invalid: bool = False
    tags: tuple[str, ...] = ()  # added to every imported backlink
    sites: tuple[SiteConfig, ...] = ()  # Settings.sites
    batch_size: int = 5000  # rows written per chunk (all in one transaction)
    max_errors: int = 20  # errors listed; all are counted
    sheet: str | None = None  # the sheet of a workbook to read (else the one holding an export)
    #: may the import start monitoring sites that are neither stored nor configured (the CLI's --new-site)?
    new_sites: bool = True


@dataclass(frozen=True)
class ReferralInput:
    """Referral sessions from one source (a GA4 export row)."""

    source: str
    sessions: float


class Columns:
    """A file's header: where each (normalised) column name is, looked up once per file, not once per row."""

    def __init__(self, header: list[str], names: list[str]) -> None:
        self.header = header  # as written
        self.positions: dict[str, int] = {}
        for index, name in enumerate(names):
            self.positions.setdefault(name, index)
        self._found: dict[tuple[str, ...], int | None] = {}
        self._present: dict[int, list[tuple[int, str]]] = {}

    def find(self, names: tuple[str, ...]) -> int | None:
        """The position of the first of `names` the header has."""
        try:
            return self._found[names]
        except KeyError:
            found = next((self.positions[n] for n in names if n in self.positions), None)
            self._found[names] = found
            return found

    def present(self, columns: dict[str, str]) -> list[tuple[int, str]]:
        """(position, key) of the columns of `columns` (name -> key) the header has, in `columns`' order."""
        try:
            return self._present[id(columns)]
        except KeyError:
            found = [(self.positions[name], key) for name, key in columns.items() if name in self.positions]
            self._present[id(columns)] = found
            return found


class CellError(ValueError):
    """A bad value in one column of a row: the column's position and header, and why (str: `Header: reason`)."""

    def __init__(self, column: int | None, header: str, reason: str) -> None:
        super().__init__(f"{header}: {reason}")
        self.column = column
        self.header = header
        self.reason = reason


class Row:
    """One data row, its cells looked up by (normalised) column name."""

    __slots__ = ("cells", "columns", "line")

    def __init__(self, line: int, columns: Columns, cells: list[str]) -> None:
        self.line = line
        self.columns = columns
        self.cells = cells

    def column(self, *names: str) -> str | None:
        """The header cell as written of the first of `names` the file has."""
        index = self.columns.find(names)
        return None if index is None else self.columns.header[index].strip()

    def cell(self, index: int) -> str | None:
        """The trimmed value at a position; None when empty or past the row's end."""
        value = self.cells[index].strip() if index < len(self.cells) else ""
        return value or None

    def get(self, *names: str) -> str | None:
        """The trimmed value of the first of `names` the file has; None when absent or empty."""
        index = self.columns.find(names)
        return None if index is None else self.cell(index)

    def require(self, *names: str) -> str:
        value = self.get(*names)
        if value is None:
            raise self.error(names, "missing value")
        return value

    def error(self, names: tuple[str, ...], reason: str, fallback: str | None = None) -> CellError:
        """The error of a bad value in the first of `names` the file has (`fallback` names an absent column)."""
        return CellError(self.columns.find(names), self.column(*names) or fallback or names[0], reason)


_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d",
                 "%d-%m-%Y", "%Y%m%d")
_ISO_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")


def parse_date(text: str | None) -> date | None:
    """ISO date or datetime, `Sep 15, 2026`, `15 Sep 2026`, DD/MM/YYYY, DD.MM.YYYY, YYYYMMDD. Raises ValueError."""
    if text is None:
        return None
    text = text.strip()
    match = _ISO_PREFIX.match(text)
    if match:
        return date.fromisoformat(match.group(1))
    short = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2})?(\s*[AP]M)?$", "", text, flags=re.IGNORECASE)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(short, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def parse_count(text: str | None) -> float | None:
    """`1,240`, `1 240`, `12.5`, `3k`-free numbers. Raises ValueError."""
    if text is None:
        return None
    cleaned = text.strip().replace(",", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None


_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


def parse_bool(text: str | None) -> bool | None:
    if text is None:
        return None
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"not true/false: {text!r}")


def field_value(row: Row, parse: Callable[[str | None], Any], *names: str) -> Any:
    """Parse the value of a column, prefixing any error with the column's name."""
    try:
        return parse(row.get(*names))
    except ValueError as exc:
        raise row.error(names, str(exc)) from None


_SEPARATORS = (",", "\u00a0", "\u202f", " ")
_NUMBER_START = frozenset("+-.,iInN")  # besides digits: what a number (as parse_count reads it) may start with


def loose_value(text: str | None) -> Any:
    """An extra column's value: a number when it reads as one (as parse_count), else the text."""
    if text is None:
        return None
    if not (text[0].isdecimal() or text[0] in _NUMBER_START):
        return text  # the common case of a text cell: no exception raised and caught
    try:
        return float(text)
    except ValueError:
        pass
    if any(sep in text for sep in _SEPARATORS):
        try:
            return parse_count(text)
        except ValueError:
            pass
    return text


def extras(row: Row, columns: dict[str, str]) -> dict[str, Any]:
    """{key: value} for the extra columns present and non-empty (`columns` maps column name -> key)."""
    out: dict[str, Any] = {}
    cells = row.cells
    width = len(cells)
    for index, key in row.columns.present(columns):
        if index < width:
            text = cells[index].strip()
            if text:
                out[key] = loose_value(text)
    return out


def follow_from_flags(*flags: bool | None) -> bool | None:
    """Followed unless any of nofollow/ugc/sponsored is set; None when the export says nothing."""
    if all(flag is None for flag in flags):
        return None
    return not any(flags)


def split_tags(text: str | None) -> tuple[str, ...]:
    return tuple(re.split(r"[;|]", text)) if text else ()


def make_backlink(row: Row, source_columns: tuple[str, ...], target_columns: tuple[str, ...],
                  options: ImportOptions, origin: str, tags: Iterable[str] = (), **fields: Any) -> BacklinkInput:
    """A BacklinkInput from a row: source and target validated, the options' tags and target site applied."""
    source_text = row.require(*source_columns)
    try:
        source, key, host = source_parts(source_text)
    except ValueError as exc:
        raise row.error(source_columns, str(exc)) from None
    target_text = row.get(*target_columns) if target_columns else None
    if target_text is None:
        if not options.target_site:
            raise row.error(target_columns, "missing value (or give --target-site)", "target")
        target_text = options.target_site
    try:
        target, target_host = normalize_target(target_text)
    except ValueError as exc:
        raise row.error(target_columns, str(exc), "target") from None
    return BacklinkInput(source_url=source, target=target, target_host=target_host, source_key=key, source_host=host,
                         tags=clean_tags([*tags, *options.tags]) if tags or options.tags else (), origin=origin,
                         **fields)


@dataclass(frozen=True)
class ExportFormat:
    """An export format: how to recognise its header and turn a row into an input."""

    name: str
    title: str
    required: tuple[tuple[str, ...], ...]  # each: alternative column names, one of which must be there
    parse: Callable[[Row, ImportOptions], BacklinkInput | ReferralInput | None]  # None: a row to ignore
    known: frozenset[str] | None = None  # when set, other columns are errors (our own plain CSV)
    needs_target_site: bool = False
    dates: tuple[str, ...] = ()  # columns holding dates: a spreadsheet's plain number there is an Excel serial
    refuse: str | None = None  # recognised but not importable: the message
    hints: tuple[str, ...] = field(default=())

    def matches(self, columns: Iterable[str]) -> bool:
        present = set(columns)
        return all(any(name in present for name in names) for names in self.required)
