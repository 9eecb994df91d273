"""Workbooks for the .xlsx import tests.

`workbook(path, {sheet: rows})` writes them with openpyxl (text as inline strings; a cell `"=..."` is a formula
without a cached value, as openpyxl leaves it); `excel_workbook` writes text through a shared strings table as
Excel, Search Console and Semrush do (bench/xlsx_file.py); `cache_value` gives a formula the value Excel would
have saved with it; `replace_part` rewrites one part of the zip (content types, a sheet's XML)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl

from bench.xlsx_file import write_xlsx

SEMRUSH_COLUMNS = ["Page ascore", "Source title", "Source url", "Target url", "Anchor", "External links",
                   "Internal links", "Nofollow", "Sponsored", "Ugc", "Text", "Frame", "Form", "Image", "Sitewide",
                   "First seen", "Last seen", "New link", "Lost link"]


def workbook(path: Path, sheets: dict[str, list[list[Any]]], epoch_1904: bool = False) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    if epoch_1904:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def excel_workbook(path: Path, rows: Iterable[list[Any]], sheet: str = "Backlinks") -> Path:
    return write_xlsx(path, rows, sheet)


def semrush_row(source: str, target: str, anchor: str = "Acme", nofollow: bool = False,
                first_seen: Any = None) -> list[Any]:
    values = {"Page ascore": 31, "Source title": "Best audit tools, reviewed", "Source url": source,
              "Target url": target, "Anchor": anchor, "External links": 12, "Internal links": 80,
              "Nofollow": nofollow, "Sponsored": False, "Ugc": False, "Text": True, "Frame": False, "Form": False,
              "Image": False, "Sitewide": False, "First seen": first_seen, "Last seen": None,
              "New link": False, "Lost link": False}
    return [values[c] for c in SEMRUSH_COLUMNS]


def replace_part(path: Path, name: str, change: Any) -> Path:
    """Rewrite the part `name` of the zip with `change(text) -> text` (the other parts kept as they are)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[name] = change(parts[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return path


def cache_value(path: Path, cell: str, value: str, sheet_part: str = "xl/worksheets/sheet1.xml") -> Path:
    """Give the formula in `cell` the text `value` as its saved result, as Excel writes it (t="str")."""
    pattern = re.compile(rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?')

    def cached(text: str) -> str:
        new, count = pattern.subn(lambda m: f'<c r="{cell}" t="str"><f>{m.group(2)}</f><v>{value}</v>', text)
        assert count == 1, f"no formula in {cell}"
        return new

    return replace_part(path, sheet_part, cached)
