"""Bad imports through `linkwatch import` (in process), on SQLite and PostgreSQL: wrong encodings, missing
columns, empty and header-only files, NUL bytes, cut files, huge cells, malformed quoting, mixed line endings,
a large export with one bad row at the end, formula cells, duplicate and conflicting rows.

Each refused file gives one line on stderr (with the line number where there is one) and exit status 2, and
leaves what was stored before exactly as it was (backlinks, tags, report rollups)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bench import import_file as generator
from monitor.importers import ImportOptions, import_file
from monitor.store import db
from monitor.store.models import Backlink, BacklinkTag
from tests.support.cli import linkwatch as run_linkwatch
from tests.support.cli import run_cli
from tests.support.store import recount, snapshot

GOOD = "source_url,target,anchor,tags\nhttps://a.example.org/p,acme.com,Acme,seo\nhttps://b.example.org/q,acme.com,,\n"
HEADER = "source_url,target,anchor\n"


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    monkeypatch.setenv("LINKWATCH_DATABASE_URL", database_url)
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "home"))
    engine = db.connect(database_url)
    yield engine
    engine.dispose()


def linkwatch(*args: str) -> tuple[int, str, str]:
    result = run_cli(*args)
    return result.returncode, result.stdout, result.stderr


def stored(engine: Engine) -> dict[str, Any]:
    """Everything an import writes: the backlinks (all columns), their tags and the report rollups."""
    with db.session(engine) as s:
        links = [tuple(row) for row in s.execute(select(*Backlink.__table__.columns).order_by(Backlink.id))]
        tags = s.execute(select(BacklinkTag.backlink_id, BacklinkTag.tag).order_by(BacklinkTag.backlink_id,
                                                                                   BacklinkTag.tag)).all()
    return {"links": links, "tags": [tuple(t) for t in tags], "rollups": snapshot(engine)}


def seeded(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert linkwatch("import", str(good))[0] == 0
    return stored(engine)


def utf16_cut_mid_row() -> bytes:
    data = codecs.BOM_UTF16_LE + (HEADER + "https://a.example.org/1,acme.com,one\r\n"
                                  "https://a.example.org/2,acme.com,two\r\nhttps://a.example.org/3").encode("utf-16-le")
    return data


BAD_FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "cp1252 with a byte it does not define": (
        lambda: (HEADER + "https://a.org/1,acme.com,caf\xe9\r\nhttps://a.org/2,acme.com,x\n").encode("cp1252")
        + b"https://a.org/3,acme.com,\x81\n", r"line 4: cannot decode the file as cp1252"),
    "UTF-8 with one Latin-1 byte": (
        lambda: (HEADER + "https://a.org/1,acme.com,Caf\u00e9\n").encode() + b"https://a.org/2,acme.com,caf\xe9\n",
        r"line 3: byte 0xe9 is not UTF-8, though the rest of the file is"),
    "UTF-8 with a BOM and a bad byte far past the read-ahead": (
        lambda: codecs.BOM_UTF8 + (HEADER + "".join(f"https://a.org/{n},acme.com,{'x' * 40}\n"
                                                    for n in range(2, 3000))).encode()
        + b"https://a.org/z,acme.com,\xff\xfe\n", r"line 3000: cannot decode the file as utf-8-sig"),
    "UTF-16 cut in the middle of a character": (
        lambda: codecs.BOM_UTF16_LE + (HEADER + "https://a.org/1,acme.com,x\r\nhttps://a.org/2,acme.com,y\r\n"
                                       ).encode("utf-16-le") + b"h",
        r"line 4: cannot decode the file as utf-16: truncated data \(the file is cut short\?\)"),
    "UTF-16 cut in the middle of a row": (utf16_cut_mid_row, r"line 4: the file ends in the middle of this row"),
    "missing required column": (
        lambda: b"Referring page URL\tAnchor\tNofollow\nhttps://a.org/1\tx\tfalse\n",
        r"line 1: an Ahrefs backlinks export without its required column 'target url' \(or 'link url'\)"),
    "empty": (lambda: b"", r"is empty: expected a header row"),
    "blank lines and a BOM only": (lambda: codecs.BOM_UTF8 + b"\r\n\r\n  \n", r"is empty: expected a header row"),
    "header only": (lambda: HEADER.encode() + b"\n\n", r"a header but no data rows: nothing to import"),
    "a NUL byte": (lambda: (HEADER + "https://a.org/1,acme.com,x\nhttps://a.org/2,acme.com,a\x00b\n").encode(),
                   r"line 3: holds a NUL byte"),
    "a huge cell (an unclosed quote)": (
        lambda: (HEADER + 'https://a.org/1,acme.com,x\nhttps://a.org/2,acme.com,"never closed\n'
                 + ("y" * 1000 + "\n") * 1100).encode(), r"line 3: a cell longer than 1,048,576 characters"),
    "a huge line": (lambda: (HEADER + "https://a.org/1,acme.com," + "z" * (1 << 21) + "\n").encode(),
                    r"line 2: longer than 1,048,576 characters"),
    "a quote never closed before the end": (
        lambda: (HEADER + 'https://a.org/1,acme.com,x\nhttps://a.org/2,acme.com,"open\nmore\n').encode(),
        r"line 3: the file ends inside a quoted cell of this row"),
    "malformed quoting": (lambda: (HEADER + 'https://a.org/1,acme.com,"a"b\n').encode(),
                          r"line 2: malformed CSV: ',' expected after '\"'"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_in_one_line_and_nothing_changes(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    before = seeded(engine, tmp_path, capsys)
    content, message = BAD_FILES[case]
    path = tmp_path / "bad.csv"
    path.write_bytes(content())
    code, out, err = linkwatch("import", str(path))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("linkwatch: error: bad.csv: ")
    assert re.search(message, err), err
    assert stored(engine) == before


def test_mixed_line_endings_keep_the_line_numbers(engine: Engine, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """\\r\\n, \\n and a lone \\r each end a line, also inside a quoted cell; errors name the physical lines."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"source_url,target,anchor\r\n"  # 1
                     b"https://a.org/1,acme.com,one\n"  # 2
                     b"not a url,acme.com,x\r"  # 3
                     b'https://a.org/2,acme.com,"two\r\nlines"\r'  # 4-5
                     b"https://a.org/3,,y\r\n"  # 6: no target
                     b"https://a.org/4,acme.com,four")  # 7, no line end
    code, _, err = linkwatch("import", str(path))
    assert code == 2
    assert err.splitlines()[:2] == ["line 3: source_url: invalid URL 'not a url': expected an absolute http(s) URL",
                                    "line 6: target: missing value (or give --target-site)"]
    assert err.splitlines()[-1].startswith("linkwatch: error: mixed.csv: 2 invalid rows; nothing imported")
    code, out, _ = linkwatch("import", "--skip-invalid", str(path))
    assert code == 0 and "added 3, updated 0, unchanged 0, skipped 2" in out
    with db.session(engine) as s:
        anchor = s.scalar(select(Backlink.expected_anchor).where(Backlink.source_url == "https://a.org/2"))
    assert anchor == "two\r\nlines"


def test_over_long_host_names_are_row_errors(engine: Engine, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Host names over 253 characters would not fit the VARCHAR(255) columns on PostgreSQL."""
    long_host = ".".join(["a" * 60] * 5) + ".org"
    path = tmp_path / "hosts.csv"
    path.write_text(f"{HEADER}https://{long_host}/p,acme.com,x\nhttps://ok.org/p,{long_host},y\n", encoding="utf-8")
    code, _, err = linkwatch("import", str(path))
    assert code == 2
    assert [line.split(":")[0] for line in err.splitlines()[:2]] == ["line 2", "line 3"]
    assert "host name longer than 253 characters" in err
    with db.session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Backlink)) == 0


ROWS = 15_000  # three chunks of 5,000: the first two are written, then rolled back


def test_a_large_export_with_one_bad_row_at_the_end(engine: Engine, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The stand-in for a million rows (bench/import_file.py, UTF-16 tabs): the bad last line writes
    nothing; --skip-invalid writes every other row; the rollups then equal a recount."""
    before = seeded(engine, tmp_path, capsys)
    path = generator.write(tmp_path / "ahrefs.csv", ROWS, bad_lines=[-1])
    code, _, err = linkwatch("import", str(path))
    assert code == 2
    assert err.splitlines()[0] == (f"line {ROWS + 1}: Referring page URL: invalid URL 'not a url {ROWS - 1}': "
                                   "expected an absolute http(s) URL")
    assert stored(engine) == before
    code, out, _ = linkwatch("import", "--skip-invalid", str(path))
    assert code == 0 and f"added {ROWS - 1:,}, updated 0, unchanged 0, skipped 1" in out
    assert snapshot(engine) == recount(engine)


def test_formula_cells_of_an_ahrefs_export_are_text_and_neutralised_in_csv(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [generator.COLUMNS]
    for n, evil in enumerate(("=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=1+1")):
        row = generator.row(n)
        row[generator.COLUMNS.index("Anchor")] = evil
        row[generator.COLUMNS.index("Referring page title")] = evil
        rows.append(row)
    path = tmp_path / "evil.csv"
    with path.open("w", encoding="utf-16", newline="") as handle:
        csv.writer(handle, delimiter="\t", lineterminator="\r\n").writerows(rows)
    code, out, _ = linkwatch("import", str(path))
    assert code == 0 and "added 5" in out
    with db.session(engine) as s:
        anchors = sorted(a or "" for a in s.scalars(select(Backlink.expected_anchor)))
        titles = sorted(e["title"] for e in s.scalars(select(Backlink.extra)))
    assert anchors == titles == sorted(("=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "=1+1"))
    listing = run_linkwatch(dict(os.environ), "links", "--csv", cwd=Path(__file__).resolve().parents[1])  # a process
    exported = list(csv.DictReader(io.StringIO(listing.stdout)))
    assert len(exported) == 5 and {line["anchor"] for line in exported} == {"'" + a for a in anchors}
    for line in exported:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line.values()), line


def test_duplicate_and_conflicting_rows_across_chunks(engine: Engine, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Repeats in other chunks of the write are found with both line numbers (in the temporary table, not in
    memory); a re-import changes nothing and finds them again; the warnings are one line each on stderr."""
    count, every = 2_200, 1_000  # row 1000 repeats row 999 (duplicate), 2000 repeats 1999 (conflict): each
    path = generator.write(tmp_path / "dups.csv", count, duplicates=every)  # the first row of a chunk of 1,000
    for added, unchanged in ((count - 2, 0), (0, count - 2)):
        report = import_file(engine, path, ImportOptions(batch_size=every))
        assert (report.counts.added, report.counts.unchanged, report.duplicates, report.conflict_count) == (
            added, unchanged, 1, 1)
        assert [(c.line, c.message.endswith(f"line {2 * every + 1} kept")) for c in report.conflicts] == [
            (2 * every + 2, True)]
    assert snapshot(engine) == recount(engine)
    small = tmp_path / "small.csv"
    small.write_text(f"{HEADER}https://a.org/1,acme.com,x\nhttps://a.org/1,acme.com,x\nhttp://a.org/1,acme.com,y\n",
                     encoding="utf-8")
    code, out, err = linkwatch("import", str(small))
    assert code == 0 and "added 1, updated 0, unchanged 0, skipped 0, duplicate rows 1, conflicting rows 1" in out
    assert err.splitlines() == ["warning: line 4: the same backlink as line 2 with other values (anchor, tags, "
                                "dates, ...): line 2 kept"]
