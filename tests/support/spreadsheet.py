"""`assert_spreadsheet_safe(text, where)`: a CSV export has cells and none of them starts like a spreadsheet
formula (=, +, -, @, tab, carriage return): each such cell is neutralised with a leading quote."""

from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def assert_spreadsheet_safe(text: str, where: str) -> int:
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert cells, f"{where}: no CSV"
    for cell in cells:
        assert not cell.startswith(FORMULA_START), f"{where}: formula cell {cell!r}"
    return len(cells)
