"""What every command shares: the one-line error, settings loading, output helpers.

Reads settings through monitor.config only.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TextIO

from monitor.cli import log_setup
from monitor.config import ConfigError, Settings, config_file_warnings, load_settings
from monitor.core.human import human_value
from monitor.core.spreadsheet import csv_cell, plain_cell

logger = logging.getLogger(__name__)


#: columns of numbers that are codes, printed as they are (no thousands separator)
CODES = frozenset({"id", "http_status", "backlink_id", "run_id"})


class CliError(Exception):
    """A user error: printed as one line `linkwatch: error: ...`, exit status 2."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def settings_from(args: argparse.Namespace) -> Settings:
    """Load the settings once for this invocation (the --config flag wins over LINKWATCH_CONFIG)."""
    cached = getattr(args, "_settings", None)
    if cached is not None:
        return cached
    try:
        settings = load_settings(path=getattr(args, "config", None))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    for warning in config_file_warnings(settings.config_path):  # once per command (settings are cached)
        logger.warning("%s", warning)
    settings = replace(settings, log_level=effective_log_level(args, settings))
    log_setup.configure(settings)
    args._settings = settings
    return settings


#: the commands that log at `[log] level`; every other one logs warnings only (its output is on stdout)
LOGGING_COMMANDS = ("serve", "worker")


def effective_log_level(args: argparse.Namespace, settings: Settings) -> str:
    """DEBUG with -v; `[log] level` for the long-running commands; WARNING for the others."""
    if getattr(args, "verbose", False):
        return "DEBUG"
    return settings.log_level if getattr(args, "command", None) in LOGGING_COMMANDS else "WARNING"


def positive_int(text: str) -> int:
    """An argparse `type` for counts (--limit, --max-bytes, ...): a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO | None = None) -> None:
    out = sys.stdout if out is None else out  # the stdout of the call, not of the import
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(col)) for col in columns])


def write_json_lines(rows: Iterable[dict[str, Any]], out: TextIO | None = None) -> None:
    out = sys.stdout if out is None else out  # the stdout of the call, not of the import
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], out: TextIO | None = None,
                max_width: int = 60, headers: Mapping[str, str] | None = None) -> None:
    """A plain aligned text table for the terminal, values as people read them (monitor.core.human); a
    column's header is `headers[col]`, else COL (with
    spaces for underscores)."""
    out = sys.stdout if out is None else out  # the stdout of the call, not of the import
    cells = [[table_cell(row.get(col), col, max_width) for col in columns] for row in rows]
    titles = column_titles(columns, headers)
    widths = [max([len(title)] + [len(r[i]) for r in cells]) for i, title in enumerate(titles)]
    out.write("  ".join(title.ljust(w) for title, w in zip(titles, widths, strict=True)).rstrip() + "\n")
    for r in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")


def column_titles(columns: Sequence[str], headers: Mapping[str, str] | None = None) -> list[str]:
    """The header of each column: `headers[col]`, else the name in capitals with spaces (`LAST CHECKED`)."""
    return [(headers or {}).get(col) or col.replace("_", " ").upper() for col in columns]


def table_cell(value: Any, column: str, max_width: int = 60) -> str:
    """One cell of a text table: the value in words (codes such as ids as they are), on one line, cut at
    `max_width` characters."""
    text = str(plain_cell(value)) if column in CODES else human_value(value)
    text = text.replace("\n", " ")
    return text if len(text) <= max_width else text[: max_width - 1] + "…"
