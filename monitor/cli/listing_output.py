"""Printing a stream of rows as a table, JSON lines or spreadsheet-safe CSV, without holding them all.

The table takes its column widths from the first rows and truncates longer cells after that.

Reads no settings.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from monitor.cli.common import column_titles, print_table, table_cell, write_csv, write_json_lines

FIRST_CHUNK = 200


def stream_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO | None = None,
                 headers: Mapping[str, str] | None = None) -> int:
    """Print rows as an aligned table (column headers as in print_table); return how many were printed."""
    out = sys.stdout if out is None else out  # the stdout of the call, not of the import
    iterator: Iterator[dict[str, Any]] = iter(rows)
    first = list(itertools.islice(iterator, FIRST_CHUNK))
    if not first:
        return 0
    print_table(first, columns, out, headers=headers)
    count = len(first)
    titles = column_titles(columns, headers)
    widths = [max(len(title), *(len(table_cell(r.get(col), col)) for r in first))
              for col, title in zip(columns, titles, strict=True)]
    for row in iterator:
        cells = [table_cell(row.get(col), col) for col in columns]
        out.write("  ".join(_fit(c, w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n")
        count += 1
    return count


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def emit(rows: Iterable[dict[str, Any]], output: str, columns: Sequence[str], table_columns: Sequence[str],
         out: TextIO | None = None, headers: Mapping[str, str] | None = None) -> int | None:
    """Write rows as `json` lines, `csv` (spreadsheet-safe) or a `table` (with `headers`); the table returns
    its row count."""
    out = sys.stdout if out is None else out  # the stdout of the call, not of the import
    if output == "json":
        write_json_lines(rows, out)
        return None
    if output == "csv":
        write_csv(rows, columns, out)
        return None
    return stream_table(rows, table_columns, out, headers)
