"""What every command shares: the one-line error, settings loading, output helpers.

Reads settings through monitor.config only.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, TextIO

from monitor.cli import log_setup
from monitor.config import ConfigError, Settings, config_file_warnings, load_settings
from monitor.core.spreadsheet import csv_cell, plain_cell

logger = logging.getLogger(__name__)


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
                max_width: int = 60) -> None:
    """A plain aligned text table for the terminal."""
    out = sys.stdout if out is None else out  # the stdout of the call, not of the import
    def text(value: Any) -> str:
        value = plain_cell(value)
        value = str(value).replace("\n", " ")
        return value if len(value) <= max_width else value[: max_width - 1] + "…"

    cells = [[text(row.get(col)) for col in columns] for row in rows]
    widths = [max([len(col)] + [len(r[i]) for r in cells]) for i, col in enumerate(columns)]
    out.write("  ".join(col.upper().ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for r in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
