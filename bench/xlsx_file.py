"""Write an .xlsx as Excel writes it (text in the shared strings table, numbers as numbers), streamed.

openpyxl writes text as inline strings; Excel, Search Console and Semrush write a shared strings table,
which openpyxl reads whole into memory: the part that matters for an import's memory.  `write_xlsx` streams
the rows into the sheet part and writes the table after them.  `python -m bench.xlsx_file OUT --rows N`
writes the generated Ahrefs profile of bench/import_file.py as a workbook (counts as numbers).

Stdlib only (the tests use it too).  Reads no linkwatch settings.
"""

from __future__ import annotations

import argparse
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from bench import import_file

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_xlsx(path: Path, rows: Iterable[list[str | int | float | None]], sheet: str = "Backlinks",
               dimension: str | None = None) -> Path:
    """A one-sheet workbook of `rows` (the first is the header): str via shared strings, numbers as numbers.
    `dimension` (`A1:AC200001`) is the used range Excel writes first; without it openpyxl reads the whole sheet
    once more when it opens the workbook, to find it."""
    strings: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            used = f'<dimension ref="{dimension}"/>' if dimension else ""
            out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">'
                      f'{used}<sheetData>'.encode())
            for number, cells in enumerate(rows, 1):
                out.write(_row(number, cells, strings).encode())
            out.write(b"</sheetData></worksheet>")
        table = "".join(f"<si><t xml:space=\"preserve\">{escape(text)}</t></si>" for text in strings)
        archive.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                         f'<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{table}</sst>')
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
                         f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
                         f'<sheet name={quoteattr(sheet)} sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PACKAGE_RELS}">'
                         f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
                         f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
                         '</Relationships>')
    return path


def _row(number: int, cells: list[str | int | float | None], strings: dict[str, int]) -> str:
    parts = [f'<row r="{number}">']
    for index, value in enumerate(cells, 1):
        ref = f"{column_letter(index)}{number}"
        if value is None or value == "":
            continue
        if isinstance(value, int | float):
            parts.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            parts.append(f'<c r="{ref}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>')
    parts.append("</row>")
    return "".join(parts)


def _numbers(cells: list[str]) -> list[str | int | float | None]:
    """Counts as Excel holds them: `18,300` -> 18300."""
    out: list[str | int | float | None] = []
    for cell in cells:
        plain = cell.replace(",", "")
        out.append(int(plain) if plain.isdigit() and len(plain) < 16 else cell)
    return out


def ahrefs_rows(count: int, seed: int = 1) -> Iterable[list[str | int | float | None]]:
    """The generated Ahrefs profile of bench/import_file.py, header first, counts as numbers."""
    yield list(import_file.COLUMNS)
    for cells in import_file.rows(count, seed):
        yield _numbers(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    used = f"A1:{column_letter(len(import_file.COLUMNS))}{args.rows + 1}"
    write_xlsx(args.out, ahrefs_rows(args.rows, args.seed), dimension=used)


if __name__ == "__main__":
    main()
