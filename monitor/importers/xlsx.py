"""Reading one sheet of an .xlsx export (openpyxl, read-only, cached values only, rows streamed).

The workbook is checked first (monitor.importers.workbook).  Which sheet: the one `--sheet` names, else the
one sheet whose header is a backlink export linkwatch imports (Search Console's Excel download of the Links
report holds "Top target pages", "Top linking sites" and "Top linking text"; its "Latest links" download one
sheet; Semrush's one sheet).  The header is a sheet's first row with a value (up to HEADER_ROWS rows down).

Cells become the text the format parsers read, as a CSV of the same export would hold it: numbers without a
trailing `.0`, booleans as true/false, Excel dates as ISO dates; a plain number in a date column
(ExportFormat.dates) is an Excel date serial, converted with the workbook's epoch (1900 or 1904).  Formulas
are never evaluated: their cached value is read, and a formula without one (a file written by a program
that does not calculate) is an error naming the cell, as is an Excel error value (`#N/A`).

openpyxl's own row walk is replaced (`_RowParser.parse`) so that memory stays flat: rows are dropped from
the tree once read, and a row of more than MAX_COLUMNS cells is refused while it is read.  Relies on
openpyxl's WorkSheetParser and its read-only workbook's attributes (pinned in pyproject.toml).

Reads no settings.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._reader import CELL_TAG, FORMULA_TAG, ROW_TAG, VALUE_TAG, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from monitor.core.human import quoted
from monitor.importers.base import CellError
from monitor.importers.detect import MAX_CELL, ImportFileError, normalize_header
from monitor.importers.workbook import SAVE_AS, check_workbook

warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")  # "no default style" and such

DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"
HEADER_ROWS = 50  # a header further down than this is not an export's
MAX_COLUMNS = 16_384  # Excel's own limit (XFD)
MAX_SHEETS = 256
NO_VALUE = "formula without value"  # the data type _RowParser gives a formula cell without a cached value
LAST_SERIAL = 2_958_465  # 31 Dec 9999


class _RowParser(WorkSheetParser):
    """openpyxl's sheet parser, yielding rows only, with formulas that have no cached value marked."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        if element.find(FORMULA_TAG) is not None:
            cached = element.findtext(VALUE_TAG)  # empty is a value only for a text result (t="str")
            if cached is None or (not cached and element.get("t") != "str"):
                cell["data_type"] = NO_VALUE
        return cell

    def parse(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        sheet_data, cells = None, 0
        for event, element in iterparse(self.source, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == DATA_TAG:
                    sheet_data = element
                elif tag == ROW_TAG:
                    cells = 0
            elif tag == CELL_TAG:
                cells += 1
                if cells > MAX_COLUMNS:
                    raise ImportFileError(f"row {self.row_counter + 1}: more than {MAX_COLUMNS:,} cells")
            elif tag == ROW_TAG:
                yield self.parse_row(element)
                element.clear()
                if sheet_data is not None:
                    sheet_data.clear()  # the rows already read: the tree stays one row deep


@dataclass
class SheetExport:
    """One sheet of a workbook, read like monitor.importers.detect.ExportFile: header, columns, rows()."""

    path: Path
    sheet: str
    header_line: int
    header: list[str]
    _workbook: Any
    _worksheet: Any
    _handle: BinaryIO | None = None

    @property
    def columns(self) -> list[str]:
        return [normalize_header(cell) for cell in self.header]

    def where(self, line: int, column: int | None = None) -> str:
        """`sheet 'Backlinks', row 14` and, with a column, `, column C (Target URL)`."""
        text = f"sheet {quoted(self.sheet, 40)}, row {line:,}"
        if column is None:
            return text
        name = self.header[column].strip() if column < len(self.header) else ""
        return f"{text}, column {get_column_letter(column + 1)}" + (f" ({quoted(name, 40)[1:-1]})" if name else "")

    def rows(self, dates: tuple[str, ...] = ()) -> Iterator[tuple[int, list[str] | CellError]]:
        """(row number, cells as text) after the header, blank rows left out; a bad cell gives a CellError."""
        dated = {i for i, name in enumerate(self.columns) if name in dates}
        for number, cells in _sheet_rows(self._workbook, self._worksheet):
            if number <= self.header_line:
                continue
            try:
                texts = _texts(cells, dated, self._workbook.epoch)
            except CellError as exc:
                yield number, CellError(exc.column, self.header[exc.column] if exc.column is not None
                                        and exc.column < len(self.header) else "", exc.reason)
                continue
            if "".join(texts).strip():
                yield number, texts

    def close(self) -> None:
        self._workbook.close()
        if self._handle is not None:
            self._handle.close()


def open_sheet_export(path: Path, sheet: str | None, fits: Callable[[list[str]], int]) -> SheetExport:
    """Open the sheet to import: `sheet` by name, else the one whose columns `fits` (2: an export to import,
    1: a recognised export that is refused, 0: anything else). Raises ImportFileError."""
    check_workbook(path)
    handle = path.open("rb")  # a file, not a name: openpyxl would refuse a name without .xlsx (a web upload)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises anything from KeyError to ValueError on a damaged file
        handle.close()
        cause = exc.__cause__ or exc  # openpyxl wraps the reason in "Unable to read workbook"
        raise ImportFileError(f"not a readable .xlsx ({type(cause).__name__}: {quoted(str(cause), 80)}): "
                              f"{SAVE_AS}") from None
    try:
        export = _choose(path, workbook, sheet, fits)
    except BaseException:
        workbook.close()
        handle.close()
        raise
    export._handle = handle
    return export


def _choose(path: Path, workbook: Any, wanted: str | None, fits: Callable[[list[str]], int]) -> SheetExport:
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "_worksheet_path")]  # chartsheets have no cells
    if len(sheets) > MAX_SHEETS:
        raise ImportFileError(f"{len(sheets):,} sheets (at most {MAX_SHEETS}): not an export")
    names = ", ".join(quoted(ws.title, 40) for ws in sheets) or "none"
    if wanted is not None:
        chosen = [ws for ws in sheets if ws.title.strip().lower() == wanted.strip().lower()]
        if not chosen:
            raise ImportFileError(f"--sheet: no sheet {quoted(wanted, 40)}; the workbook has {names}")
        return _export(path, workbook, chosen[0])
    exports = [_export(path, workbook, ws) for ws in sheets]
    exports = [e for e in exports if e.header] or exports
    ranks = [fits(e.columns) for e in exports]
    fitting = [e for e, rank in zip(exports, ranks, strict=True) if rank == 2]
    if len(fitting) > 1:
        raise ImportFileError(f"several sheets hold backlinks ({', '.join(quoted(e.sheet, 40) for e in fitting)}): "
                              "choose one with --sheet NAME")
    if not exports or not exports[0].header:
        raise ImportFileError(f"no sheet holds a header row (sheets: {names}): expected an export")
    # else the best sheet, whose header the importer refuses with its reason when it is not an export to import
    return exports[max(range(len(exports)), key=lambda i: (ranks[i], -i))]


def _export(path: Path, workbook: Any, worksheet: Any) -> SheetExport:
    """A sheet with its header found (or an empty header when the sheet has none in its first rows)."""
    for number, cells in _sheet_rows(workbook, worksheet):
        if number > HEADER_ROWS:
            break
        try:
            texts = _texts(cells, set(), workbook.epoch)
        except CellError as exc:
            raise ImportFileError(f"sheet {quoted(worksheet.title, 40)}, row {number}: a header cell "
                                  f"{exc.reason}") from None
        first = next((t.strip() for t in texts if t.strip()), None)
        if first is not None and not first.startswith("#"):
            while texts and not texts[-1].strip():
                texts.pop()
            return SheetExport(path, worksheet.title, number, texts, workbook, worksheet)
    return SheetExport(path, worksheet.title, 0, [], workbook, worksheet)


def _sheet_rows(workbook: Any, worksheet: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(row number, openpyxl's cells) of a sheet, streamed; a damaged sheet raises ImportFileError."""
    where = f"sheet {quoted(worksheet.title, 40)}"
    number = 0
    try:
        with workbook._archive.open(worksheet._worksheet_path) as source:
            parser = _RowParser(source, worksheet._shared_strings, data_only=True, epoch=workbook.epoch,
                                date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats)
            for number, cells in parser.parse():
                yield number, cells
    except ImportFileError as exc:
        raise ImportFileError(f"{where}, {exc}") from None
    except (ParseError, ValueError, IndexError, KeyError, TypeError, OSError, EOFError) as exc:
        # ValueError includes defusedxml's refusals (entities, DTDs) and zipfile's bad CRC
        raise ImportFileError(f"{where}: damaged sheet data after row {number} ({type(exc).__name__}: "
                              f"{quoted(str(exc), 80)}): {SAVE_AS}") from None


def _texts(cells: list[dict[str, Any]], dated: set[int], epoch: datetime) -> list[str]:
    """A row's cells as text, by position (cells the file leaves out are empty). Raises CellError."""
    width = max((c["column"] for c in cells), default=0)
    if width > MAX_COLUMNS:
        raise CellError(None, "", f"a cell beyond column {get_column_letter(MAX_COLUMNS)}")
    texts = [""] * width
    for cell in cells:
        index = cell["column"] - 1
        if index >= 0:
            texts[index] = _text(cell, index, index in dated, epoch)
    return texts


def _text(cell: dict[str, Any], index: int, dated: bool, epoch: datetime) -> str:
    value, kind = cell["value"], cell["data_type"]
    if kind == NO_VALUE:
        raise CellError(index, "", "a formula without a saved value: open the file in Excel and save it "
                                   "again, or paste the column as values")
    if kind == "e":
        raise CellError(index, "", f"the Excel error {quoted(str(value), 20)}")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int | float):
        return _serial_date(value, index, epoch) if dated else _number(value)
    text = str(value)
    if len(text) > MAX_CELL:
        raise CellError(index, "", f"longer than {MAX_CELL:,} characters: not a backlink export value")
    return text


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _serial_date(value: float, index: int, epoch: datetime) -> str:
    """An Excel date serial (days since the workbook's epoch) as an ISO date or date and time."""
    if not 0 < value <= LAST_SERIAL:
        raise CellError(index, "", f"not a date: {_number(value)} (as an Excel date, a day number from 1 to "
                                   f"{LAST_SERIAL:,})")
    moment = from_excel(value, epoch)
    return moment.date().isoformat() if isinstance(value, int) or value.is_integer() else moment.isoformat()
