"""`linkwatch import FILE`: import a backlink export (Ahrefs, Semrush, Search Console, GA4, plain CSV).

The format is recognised from the header (or forced with --format); the
encoding and delimiter are detected.  An .xlsx workbook (told from its bytes) is
read from the sheet holding an export, or the one --sheet names.  Rows are validated one by one: if any is
invalid, its line number and reason are listed and nothing is written, unless
--skip-invalid asks to write the valid rows.  Re-importing the same file
changes nothing.  Targets outside your sites (stored or configured) need --new-site, except in the
first import.  See docs/importing.md.

Reads `Settings.database_url` and `Settings.sites`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.cli.common import CliError, settings_from
from monitor.cli.store_access import announce_database, discard_database, open_store
from monitor.core.human import human_number, quoted
from monitor.importers.names import FORMAT_NAMES

if TYPE_CHECKING:
    from monitor.importers import ImportReport


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="import backlinks from an Ahrefs, Semrush, Search Console or CSV export",
        description="Import a backlink export. All or nothing: an invalid row stops the import "
        "(its line is reported) unless --skip-invalid is given. Re-importing the same file changes nothing.")
    parser.add_argument("file", metavar="FILE", help="the export: CSV or TSV (UTF-8, UTF-16 or Windows-1252), "
                        "or an Excel workbook (.xlsx)")
    parser.add_argument("--format", choices=FORMAT_NAMES, default="auto",
                        help="the export's format (default: auto, recognised from the header)")
    parser.add_argument("--target-site", metavar="DOMAIN",
                        help="the target of every row of a Search Console or GA4 export (they do not name it), "
                        "and of plain CSV rows without one")
    parser.add_argument("--sheet", metavar="NAME",
                        help="the sheet of an .xlsx workbook to read (default: the one sheet holding an export)")
    parser.add_argument("--skip-invalid", action="store_true",
                        help="import the valid rows and skip the invalid ones (listed on stderr)")
    parser.add_argument("--tag", action="append", default=[], metavar="T",
                        help="add this tag to every imported backlink (repeatable)")
    parser.add_argument("--new-site", action="store_true",
                        help="the targets may be on domains that are not sites of yours yet: start monitoring them "
                        "(not needed for your first import)")
    parser.set_defaults(func=run)


def _print_errors(report: ImportReport, name: str) -> None:
    prefix = f"{name}, " if report.sheet is not None else ""  # `Links.xlsx, sheet 'Backlinks', row 14, ...`
    for error in report.errors:
        sys.stderr.write(f"{prefix}{error}\n")
    for conflict in report.conflicts:
        sys.stderr.write(f"warning: {prefix}{conflict}\n")
    if report.conflict_count > len(report.conflicts):
        more = human_number(report.conflict_count - len(report.conflicts))
        sys.stderr.write(f"warning: ... and {more} more conflicting rows\n")
    hidden = report.error_count - len(report.errors)
    if hidden > 0:
        sys.stderr.write(f"... and {human_number(hidden)} more invalid row{'s' if hidden != 1 else ''}\n")


def run(args: argparse.Namespace) -> int:
    from monitor.importers import ImportFileError, ImportOptions, import_file
    from monitor.store.backlink_input import clean_tags

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}: no such file")
    try:
        tags = clean_tags(args.tag)
    except ValueError as exc:
        raise CliError(f"--tag: {exc}") from None
    settings = settings_from(args)
    options = ImportOptions(format=args.format, target_site=args.target_site, skip_invalid=args.skip_invalid,
                            tags=tags, sites=settings.sites, sheet=args.sheet, new_sites=args.new_site)
    engine = open_store(args, announce=False)  # said once something is written; a refused import leaves no file
    try:
        report = import_file(engine, path, options)
    except ImportFileError as exc:
        discard_database(args, engine)
        raise CliError(f"{path.name}: {exc}") from None
    if report.written:
        announce_database(args)
    else:
        discard_database(args, engine)
    _print_errors(report, path.name)
    name = path.name if report.sheet is None else f"{path.name}, sheet {quoted(report.sheet, 40)}"
    if not report.written:
        rows = f"{human_number(report.error_count)} invalid row{'s' if report.error_count != 1 else ''}"
        raise CliError(f"{name}: {rows}; nothing imported (fix them, or import the valid rows "
                       "with --skip-invalid)")
    sys.stdout.write(f"{name} ({report.title}): {report.summary()}\n")
    return 0
