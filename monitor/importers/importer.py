"""`linkwatch import`: recognise an export, validate it row by row, write it all or nothing.

The file is streamed: rows are parsed one at a time and written in batches
(ImportOptions.batch_size) inside ONE transaction, so memory stays flat and a
failure leaves the store as it was.  Any invalid row (bad URL, missing required
cell, malformed value) is an error with its line number; then nothing is
written, unless `skip_invalid` asks to write the valid rows.  Re-importing the
same file changes nothing (every row counts as unchanged).

Reads `Settings.sites` through ImportOptions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.core.human import human_number
from monitor.importers import ahrefs, csv_plain, ga4, gsc, semrush
from monitor.importers.base import CellError, Columns, ExportFormat, ImportOptions, ReferralInput, Row
from monitor.importers.detect import ExportFile, ImportFileError, open_export
from monitor.importers.workbook import is_workbook
from monitor.store.backlink_input import BacklinkInput, UpsertCounts, normalize_target
from monitor.store.db import session as transaction
from monitor.store.referrals import upsert_referrals
from monitor.store.sites import SiteResolver, closest_site
from monitor.store.writer import BacklinkWriter, Repeat

if TYPE_CHECKING:
    from monitor.importers.xlsx import SheetExport

logger = logging.getLogger(__name__)

#: Checked in this order; refusals first so that their columns are not mistaken for another format.
FORMATS: tuple[ExportFormat, ...] = (gsc.TOP_SITES, gsc.TOP_PAGES, ahrefs.FORMAT, semrush.FORMAT, gsc.FORMAT,
                                     ga4.FORMAT, csv_plain.FORMAT)


@dataclass
class RowError:
    line: int  # the line of a text file, the row of a sheet
    message: str
    where: str = ""  # in a workbook: `sheet 'Backlinks', row 14, column C (Target URL)`

    def __str__(self) -> str:
        return f"{self.where or f'line {self.line}'}: {self.message}"


@dataclass
class ImportReport:
    format: str
    title: str
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ImportOptions.max_errors
    error_count: int = 0
    written: bool = False
    rows: int = 0  # data rows read (blank lines and the header not counted)
    duplicates: int = 0  # rows repeating an earlier row of the file exactly: left out
    conflicts: list[RowError] = field(default_factory=list)  # the first ImportOptions.max_errors
    conflict_count: int = 0  # rows for a backlink an earlier row already gave, with other values: left out
    sheet: str | None = None  # the sheet read, for a workbook

    def summary(self) -> str:
        c, n = self.counts, human_number
        text = f"added {n(c.added)}, updated {n(c.updated)}, unchanged {n(c.unchanged)}, skipped {n(self.skipped)}"
        if self.duplicates:
            text += f", duplicate rows {n(self.duplicates)}"
        if self.conflict_count:
            text += f", conflicting rows {n(self.conflict_count)} (the first row of each backlink kept)"
        return text


class NewSitesError(ImportFileError):
    """The rows target domains that are not sites of yours yet, and new sites were not allowed."""

    def __init__(self, domains: list[str], known: list[str]) -> None:
        self.domains, self.known = domains, known
        super().__init__(self.words("add --new-site"))

    def words(self, allow: str) -> str:
        """The refusal, with `allow` saying how to import them anyway (the CLI's flag, the web's checkbox)."""
        domains = self.domains
        shown = ", ".join(domains[:5]) + (f" and {len(domains) - 5} more" if len(domains) > 5 else "")
        if len(domains) == 1 and (guess := closest_site(domains[0], self.known)):
            shown += f" (did you mean {guess}?)"
        them = "it" if len(domains) == 1 else "them"
        return (f"the targets are on {'a domain' if len(domains) == 1 else 'domains'} that "
                f"{'is' if len(domains) == 1 else 'are'} not one of your sites: {shown}; check the "
                f"spelling, or {allow} to start monitoring {them}; nothing imported")


class _Abort(Exception):
    """Raised inside the transaction to roll it back when invalid rows forbid writing."""


def choose_format(columns: list[str], wanted: str, header_line: int = 1, sheet_at: str = "") -> ExportFormat:
    """The format of a header (or check it is the one asked for); `sheet_at` locates the header of a sheet.
    Raises ImportFileError."""
    candidates = [f for f in FORMATS if wanted in ("auto", f.name)]
    at = sheet_at or f"line {header_line}"
    for fmt in candidates:
        if fmt.matches(columns):
            if fmt.refuse:
                raise ImportFileError(f"{sheet_at}: {fmt.refuse}" if sheet_at else fmt.refuse)
            if fmt.known is not None:
                unknown = [c for c in columns if c not in fmt.known]
                if unknown:
                    raise ImportFileError(f"{at}: unknown columns for a {fmt.title}: {', '.join(unknown)} "
                                          f"(known: {', '.join(sorted(fmt.known))})")
            return fmt
    shown = ", ".join(c for c in columns if c) or "(none)"
    partial = _partial_match(columns, candidates)
    if partial is not None:
        fmt, missing = partial
        article = "an" if fmt.title[0].lower() in "aeiou" else "a"
        plural = "s" if len(missing) > 1 else ""
        raise ImportFileError(f"{at}: {article} {fmt.title} without its required column{plural} "
                              f"{' and '.join(missing)}; the header has {shown}")
    if wanted != "auto":
        needed = " and ".join(_alternatives(names) for names in candidates[-1].required)
        raise ImportFileError(f"{at}: not a {candidates[-1].title}: it needs the columns {needed}; "
                              f"the header has {shown}")
    raise ImportFileError(f"{at}: header not recognised ({shown}); expected an Ahrefs, Semrush, Search Console "
                          "or Google Analytics export, or a plain CSV with source_url,target[,anchor,tags]")


def _alternatives(names: tuple[str, ...]) -> str:
    return " (or ".join(f"'{n}'" for n in names[:2]) + (")" if len(names) > 1 else "")


def _partial_match(columns: list[str], candidates: list[ExportFormat]) -> tuple[ExportFormat, list[str]] | None:
    """The format whose required columns the header has some of (the most), and those it lacks."""
    present = set(columns)
    best: tuple[ExportFormat, list[str]] | None = None
    for fmt in candidates:
        if fmt.refuse:
            continue
        missing = [_alternatives(names) for names in fmt.required if not present.intersection(names)]
        if missing and len(missing) < len(fmt.required) and (best is None or len(missing) < len(best[1])):
            best = (fmt, missing)
    return best


def fits(columns: list[str], wanted: str) -> int:
    """2 for a header of an export that can be imported (as `wanted`, or any format for auto), 1 for one
    recognised and refused (its reason is worth showing), 0 for any other."""
    found = [f for f in FORMATS if wanted in ("auto", f.name) and f.matches(columns)]
    return 2 if any(not f.refuse for f in found) else 1 if found else 0


def _row_error(export: ExportFile | SheetExport, line: int, exc: ValueError) -> RowError:
    """The error of a row, located by line, or in a workbook by sheet, row and column."""
    if isinstance(exc, CellError) and exc.column is not None and export.sheet is not None:
        return RowError(line, exc.reason, export.where(line, exc.column))
    return RowError(line, str(exc), export.where(line) if export.sheet is not None else "")


def _rows(export: ExportFile | SheetExport, fmt: ExportFormat, options: ImportOptions, report: ImportReport,
          ) -> Iterator[tuple[int, BacklinkInput | ReferralInput]]:
    """(line, parsed row); invalid rows are recorded in the report and left out."""
    columns = Columns(export.header, export.columns)
    width = len(export.header)
    for line, cells in export.rows(fmt.dates):
        report.rows += 1
        try:
            if isinstance(cells, CellError):
                raise cells
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                raise ValueError(f"{len(cells)} cells but the header has {width} columns")
            item = fmt.parse(Row(line, columns, cells), options)
        except ValueError as exc:
            report.error_count += 1
            if len(report.errors) < options.max_errors:
                report.errors.append(_row_error(export, line, exc))
            continue
        if item is not None:
            yield line, item


def _record(report: ImportReport, repeats: list[Repeat], options: ImportOptions) -> None:
    for repeat in repeats:
        if repeat.same:
            report.duplicates += 1
            continue
        report.conflict_count += 1
        if len(report.conflicts) < options.max_errors:
            report.conflicts.append(RowError(repeat.line, f"the same backlink as line {repeat.earlier} with other "
                                                          f"values (anchor, tags, dates, ...): line {repeat.earlier} "
                                                          "kept"))


def _write(session: Session, rows: Iterator[tuple[int, BacklinkInput | ReferralInput]], report: ImportReport,
           options: ImportOptions, now: datetime) -> None:
    resolver = SiteResolver(session, options.sites)
    writer = BacklinkWriter(session, resolver, now, remember=True)
    batch: list[BacklinkInput] = []
    lines: list[int] = []
    referrals: dict[str, float] = {}
    for line, item in rows:
        if report.error_count and not options.skip_invalid:
            batch, lines = [], []  # keep validating to list every error, but write nothing more
            continue
        if isinstance(item, ReferralInput):
            referrals[item.source] = referrals.get(item.source, 0.0) + item.sessions
            continue
        batch.append(item)
        lines.append(line)
        if len(batch) >= options.batch_size:
            _record(report, writer.write(batch, lines), options)
            batch, lines = [], []
    if report.error_count and not options.skip_invalid:
        raise _Abort
    if not report.rows:
        raise ImportFileError("a header but no data rows: nothing to import")
    _record(report, writer.write(batch, lines), options)
    report.counts.add(writer.finish())
    if referrals and options.target_site:
        site_id = resolver.site_id(normalize_target(options.target_site)[1])
        report.counts.add(upsert_referrals(session, site_id, referrals, now))
    new = resolver.unexpected_new_sites()
    if new and not options.new_sites:  # raised inside the transaction: nothing is written
        raise NewSitesError(new, resolver.known())


def _open(path: Path, options: ImportOptions) -> ExportFile | SheetExport:
    """A text export, or the sheet of a workbook to import (told from the file's bytes, not its name)."""
    if not is_workbook(path):
        if options.sheet is not None:
            raise ImportFileError("--sheet: only a workbook (.xlsx) has sheets")
        return open_export(path)
    from monitor.importers.xlsx import open_sheet_export

    return open_sheet_export(path, options.sheet, lambda columns: fits(columns, options.format))


def import_file(engine: Engine, path: Path, options: ImportOptions, now: datetime | None = None) -> ImportReport:
    """Import one export file. Raises ImportFileError for a file that cannot be read or recognised."""
    now = now or datetime.now(UTC)
    if options.target_site:
        try:
            normalize_target(options.target_site)
        except ValueError as exc:
            raise ImportFileError(f"--target-site: {exc}") from None
    export = _open(path, options)
    try:
        sheet_at = export.where(export.header_line) if export.sheet is not None else ""
        fmt = choose_format(export.columns, options.format, export.header_line, sheet_at)
        if fmt.needs_target_site and not options.target_site:
            raise ImportFileError(f"a {fmt.title} does not name the target: give --target-site DOMAIN")
        report = ImportReport(format=fmt.name, title=fmt.title, sheet=export.sheet)
        try:
            with transaction(engine) as session:
                _write(session, _rows(export, fmt, options, report), report, options, now)
        except _Abort:
            return report
    finally:
        export.close()
    report.skipped = report.error_count
    report.written = True
    logger.info("imported %s (%s): %s", path, fmt.name, report.summary())
    return report
