"""Fuzz target: an export file's bytes -> format detection -> every row parsed.

Only ImportFileError (a file that cannot be read or recognised, with a line
number) and ValueError (one invalid row, reported with its line) may come out;
anything else is a defect.  The store is left out (it is tested on SQLite and
PostgreSQL in tests/test_import.py): this target is about the parsing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from monitor.importers.base import Columns, ImportOptions, Row
    from monitor.importers.detect import ImportFileError, open_export
    from monitor.importers.importer import choose_format

HEADERS = [b"source_url,target,anchor,tags\n", b"\xff\xfeR\x00e\x00f\x00", b"Source url\tTarget url\tAnchor\n",
           b"Linking page,Last crawled\n", b"Referring page URL,Target URL,Anchor,Nofollow\n", b""]
_DIR = tempfile.mkdtemp(prefix="linkwatch-fuzz-")
_PATH = Path(_DIR) / "export.csv"
OPTIONS = ImportOptions(target_site="example.com")


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    head = HEADERS[fdp.ConsumeIntInRange(0, len(HEADERS) - 1)]
    _PATH.write_bytes(head + fdp.ConsumeBytes(fdp.remaining_bytes()))
    try:
        export = open_export(_PATH)
    except ImportFileError:
        return
    try:
        fmt = choose_format(export.columns, "auto")
        columns = Columns(export.header, export.columns)
        for line, cells in export.rows():
            assert line >= 1
            try:
                fmt.parse(Row(line, columns, cells), OPTIONS)
            except ValueError as exc:
                assert str(exc), line
    except ImportFileError as exc:
        assert str(exc)
    finally:
        export.close()


if __name__ == "__main__":
    from fuzz.harness import run

    try:
        run(one_input)
    finally:
        _PATH.unlink(missing_ok=True)
        os.rmdir(_DIR)
