"""CSV cells that a spreadsheet opens as text: the one rule of every CSV linkwatch writes (CLI and web).

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula (OWASP CSV
injection); it gets a leading `'`.  Lists become space-separated words, None an empty cell.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Neutralise a cell that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def plain_cell(value: Any) -> Any:
    """A JSON value as one cell of a table: a list as space-separated words, None as empty."""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return "" if value is None else value


def csv_cell(value: Any) -> Any:
    """A JSON value as one formula-safe CSV cell."""
    return spreadsheet_safe(plain_cell(value))
