"""`linkwatch import` of .xlsx workbooks: Semrush, Search Console (its multi-sheet Links download), Ahrefs saved
as Excel; dates as date cells and as Excel serials (1900 and 1904 epochs); formulas read by their saved value;
bad rows named by sheet, row and column with nothing written; refused files (.xls, password-protected, .xlsm,
.ods, other zips, damaged zips, zip bombs, XML entities, an oversized shared strings table), one line each."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bench.xlsx_file import ahrefs_rows
from monitor.importers import workbook as workbook_checks
from monitor.importers import xlsx as sheet_reader
from monitor.store import db
from monitor.store.models import Backlink
from tests.support.cli import run_cli
from tests.support.web import api
from tests.support.workbooks import (
    SEMRUSH_COLUMNS,
    cache_value,
    excel_workbook,
    replace_part,
    semrush_row,
    workbook,
)

A, B, C = "https://blog.example.org/tools", "https://news.example.net/a", "https://forum.example.com/t/9"
LATEST = [["Linking page", "Last crawled"], [A, date(2026, 9, 15)], [B, 46280]]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    home = str(tmp_path / "home")
    yield {"LINKWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'linkwatch.db'}", "HOME": home,
           "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home, "PATH": "/usr/bin:/bin"}


def imported(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = run_cli("import", *args, env=env)
    return result.returncode, result.stdout, result.stderr


def stored(env: dict[str, str]) -> dict[str, Backlink]:
    engine: Engine = db.connect(env["LINKWATCH_DATABASE_URL"])
    try:
        with db.session(engine) as s:
            return {b.source_url: b for b in s.scalars(select(Backlink))}
    finally:
        engine.dispose()


def count(env: dict[str, str]) -> int:
    engine = db.connect(env["LINKWATCH_DATABASE_URL"])
    try:
        with db.session(engine) as s:
            return int(s.scalar(select(func.count()).select_from(Backlink)) or 0)
    finally:
        engine.dispose()


def test_semrush_workbook(env: dict[str, str], tmp_path: Path) -> None:
    path = workbook(tmp_path / "semrush.xlsx", {"Backlinks": [
        SEMRUSH_COLUMNS,
        semrush_row(A, "https://acme.com/pricing", "Acme pricing", first_seen=datetime(2026, 3, 1, 10, 11, 12)),
        semrush_row(B, "https://acme.com/", "acme", nofollow=True, first_seen=46000),
    ]})
    code, out, err = imported(env, str(path))
    assert (code, err.startswith("created the database at ")) == (0, True), err
    assert out == ("semrush.xlsx, sheet 'Backlinks' (Semrush backlinks export): added 2, updated 0, unchanged 0, "
                   "skipped 0\n")
    links = stored(env)
    assert links[A].expected_anchor == "Acme pricing" and links[A].imported_follow is True
    assert links[A].imported_first_seen == date(2026, 3, 1)
    assert links[B].imported_follow is False
    assert links[B].imported_first_seen == date(2025, 12, 9), "an Excel serial in a date column is a date"
    assert links[B].extra["external_links"] == 12 and links[B].extra["sitewide"] == "false"
    assert imported(env, str(path))[1].endswith("added 0, updated 0, unchanged 2, skipped 0\n"), "idempotent"


def test_search_console_workbook_reads_the_sheet_of_linking_pages(env: dict[str, str], tmp_path: Path) -> None:
    path = workbook(tmp_path / "gsc.xlsx", {
        "Top target pages": [["Target page", "Incoming links", "Linking sites"], ["https://acme.com/", 40, 9]],
        "Top linking sites": [["Site", "Linking pages", "Target pages"], ["example.org", 3, 1]],
        "Top linking text": [["Top linking text", "Links"], ["acme", 12]],
        "Latest links": LATEST,
    })
    code, out, err = imported(env, str(path), "--target-site", "acme.com")
    assert (code, err.startswith("created the database at ")) == (0, True), err
    assert out.startswith("gsc.xlsx, sheet 'Latest links' (Search Console latest links export): added 2")
    links = stored(env)
    assert links[A].imported_last_seen == date(2026, 9, 15)
    assert links[B].imported_last_seen == date(2026, 9, 15), "serial 46280 is 15 Sep 2026"
    assert links[A].target == "acme.com"


def test_search_console_links_report_download_is_refused_with_the_export_to_use(
        env: dict[str, str], tmp_path: Path) -> None:
    path = workbook(tmp_path / "links.xlsx", {
        "Top linking text": [["Top linking text", "Links"], ["acme", 12]],
        "Top target pages": [["Target page", "Incoming links", "Linking sites"], ["https://acme.com/", 40, 9]],
        "Top linking sites": [["Site", "Linking pages", "Target pages"], ["example.org", 3, 1]],
    })
    code, out, err = imported(env, str(path), "--target-site", "acme.com")
    assert code == 2 and out == ""
    assert err.startswith("linkwatch: error: links.xlsx: sheet 'Top target pages', row 1: this is the Search "
                          "Console \"Top linked pages\" export"), err
    assert "export \"Latest links\" instead" in err and err.count("\n") == 1


def test_dates_in_a_1904_workbook(env: dict[str, str], tmp_path: Path) -> None:
    path = workbook(tmp_path / "mac.xlsx", {"Latest links": LATEST}, epoch_1904=True)
    assert imported(env, str(path), "--target-site", "acme.com")[0] == 0
    assert stored(env)[B].imported_last_seen == date(2030, 9, 16), "serial 46280 from 1 Jan 1904"


def test_ahrefs_saved_as_excel_with_shared_strings(env: dict[str, str], tmp_path: Path) -> None:
    """The streamed path with Excel's shared strings: every row, in every chunk of the writer."""
    path = excel_workbook(tmp_path / "ahrefs.xlsx", ahrefs_rows(6_000))
    code, out, err = imported(env, str(path))
    assert (code, err.startswith("created the database at ")) == (0, True), err
    assert out == ("ahrefs.xlsx, sheet 'Backlinks' (Ahrefs backlinks export): added 6,000, updated 0, unchanged 0, "
                   "skipped 0\n")
    assert count(env) == 6000


def test_bad_rows_are_named_by_sheet_row_and_column_and_nothing_is_written(
        env: dict[str, str], tmp_path: Path) -> None:
    rows = [SEMRUSH_COLUMNS] + [semrush_row(f"https://site{i}.example.org/p", "https://acme.com/") for i in range(20)]
    rows[12][SEMRUSH_COLUMNS.index("Target url")] = "not a url"
    rows[13][SEMRUSH_COLUMNS.index("First seen")] = -3
    rows[14][SEMRUSH_COLUMNS.index("Source url")] = "=HYPERLINK(\"https://x.example/\")"
    rows[15][SEMRUSH_COLUMNS.index("Nofollow")] = "maybe"
    rows[16][SEMRUSH_COLUMNS.index("Anchor")] = "=1/0"
    path = workbook(tmp_path / "Links.xlsx", {"Backlinks": rows})
    path = replace_part(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        '<c r="E17"><f>1/0</f><v></v></c>', '<c r="E17" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))
    code, out, err = imported(env, str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "Links.xlsx, sheet 'Backlinks', row 13, column D (Target url): target 'not a url' contains whitespace",
        "Links.xlsx, sheet 'Backlinks', row 14, column P (First seen): not a date: -3 (as an Excel date, a day "
        "number from 1 to 2,958,465)",
        "Links.xlsx, sheet 'Backlinks', row 15, column C (Source url): a formula without a saved value: open the "
        "file in Excel and save it again, or paste the column as values",
        "Links.xlsx, sheet 'Backlinks', row 16, column H (Nofollow): not true/false: 'maybe'",
        "Links.xlsx, sheet 'Backlinks', row 17, column E (Anchor): the Excel error '#DIV/0!'",
        "linkwatch: error: Links.xlsx, sheet 'Backlinks': 5 invalid rows; nothing imported (fix them, or import "
        "the valid rows with --skip-invalid)",
    ]
    assert count(env) == 0
    code, out, err = imported(env, str(path), "--skip-invalid")
    assert code == 0 and "added 15" in out and "skipped 5" in out


def test_a_formula_is_read_by_its_saved_value_never_evaluated(env: dict[str, str], tmp_path: Path) -> None:
    path = workbook(tmp_path / "f.xlsx", {"Backlinks": [
        ["source_url", "target", "anchor"],
        ["=\"https://blog.example.org/\"&\"tools\"", "acme.com", "=cmd|' /C calc'!A0"],
    ]})
    path = cache_value(path, "A2", "https://blog.example.org/saved")
    path = cache_value(path, "C2", "")
    code, _, err = imported(env, str(path))
    assert (code, err.startswith("created the database at ")) == (0, True), err
    link = stored(env)["https://blog.example.org/saved"]
    assert link.expected_anchor is None, "a formula whose saved text is empty is an empty cell"


def test_hostile_cell_values_are_escaped_and_cut_in_errors(env: dict[str, str], tmp_path: Path) -> None:
    cell = "\u202e\n" + "x" * 5000
    path = workbook(tmp_path / "h.xlsx", {"Sheet1": [["source_url", "target"], [cell, "acme.com"]]})
    code, _, err = imported(env, str(path))
    line = err.splitlines()[0]
    assert code == 2 and "\u202e" not in err and len(line) < 400
    assert line.startswith("h.xlsx, sheet 'Sheet1', row 2, column A (source_url): invalid URL '\\u202e\\nxxx")


def test_an_oversized_cell_is_a_row_error(env: dict[str, str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_reader, "MAX_CELL", 1000)
    path = excel_workbook(tmp_path / "big.xlsx", [["source_url", "target", "anchor"], [A, "acme.com", "y" * 1001]])
    code, _, err = imported(env, str(path))
    assert code == 2 and err.splitlines()[0] == (
        "big.xlsx, sheet 'Backlinks', row 2, column C (anchor): longer than 1,000 characters: not a backlink "
        "export value")


def test_sheet_choice(env: dict[str, str], tmp_path: Path) -> None:
    path = workbook(tmp_path / "two.xlsx", {"Ours": [["source_url", "target"], [A, "acme.com"]],
                                            "Theirs": [["source_url", "target"], [B, "rival.com"]]})
    code, _, err = imported(env, str(path))
    assert code == 2 and err == ("linkwatch: error: two.xlsx: several sheets hold backlinks ('Ours', 'Theirs'): "
                                 "choose one with --sheet NAME\n")
    code, _, err = imported(env, str(path), "--sheet", "Nope")
    assert err == "linkwatch: error: two.xlsx: --sheet: no sheet 'Nope'; the workbook has 'Ours', 'Theirs'\n"
    code, out, _ = imported(env, str(path), "--sheet", "theirs")
    assert code == 0 and out.startswith("two.xlsx, sheet 'Theirs' (plain CSV): added 1")
    assert set(stored(env)) == {B}
    text = tmp_path / "plain.csv"
    text.write_text(f"source_url,target\n{A},acme.com\n")
    assert imported(env, str(text), "--sheet", "Ours")[2] == (
        "linkwatch: error: plain.csv: --sheet: only a workbook (.xlsx) has sheets\n")


def test_told_by_content_not_by_name(env: dict[str, str], tmp_path: Path) -> None:
    xlsx = workbook(tmp_path / "export.csv", {"Sheet": [["source_url", "target"], [A, "acme.com"]]})
    assert imported(env, str(xlsx))[1].startswith("export.csv, sheet 'Sheet' (plain CSV): added 1")
    text = tmp_path / "named.xlsx"
    text.write_text(f"source_url,target\n{B},acme.com\n")
    assert imported(env, str(text))[1].startswith("named.xlsx (plain CSV): added 1")


def _ole2(tmp_path: Path, name: str, stream: str = "Workbook") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + stream.encode("utf-16-le") + bytes(4000))
    return path


def _zip(tmp_path: Path, name: str, parts: dict[str, bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return path


def _refusals(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = workbook(tmp_path / "good.xlsx", {"S": [["source_url", "target"], [A, "acme.com"]]})
    data = good.read_bytes()
    xlsm = replace_part(workbook(tmp_path / "m.xlsx", {"S": [["source_url"], [A]]}), "[Content_Types].xml",
                        lambda t: t.replace("spreadsheetml.sheet.main+xml", "ms-excel.sheet.macroEnabled.main+xml"))
    laughs = replace_part(workbook(tmp_path / "l.xlsx", {"S": [["source_url"], [A]]}), "xl/worksheets/sheet1.xml",
                          lambda t: t.replace("<worksheet", '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><worksheet', 1))
    save = "open it in Excel (or LibreOffice, Google Sheets) and save it as .xlsx (Excel Workbook) or CSV"
    return {
        "xls": (_ole2(tmp_path, "old.xls"), f"an Excel 97-2003 workbook (.xls), which linkwatch does not read: {save}"),
        "encrypted": (_ole2(tmp_path, "secret.xlsx", "EncryptedPackage"),
                      "a password-protected workbook, which linkwatch cannot open: open it, remove the password "
                      f"(File > Info > Protect Workbook), or {save}"),
        "xlsm": (xlsm, f"a macro-enabled workbook (.xlsm), refused because of its macros: {save}"),
        "ods": (_zip(tmp_path, "sheet.ods", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                             "content.xml": b"<x/>"}),
                f"an OpenDocument spreadsheet (.ods), which linkwatch does not read: {save}"),
        "zip of CSVs": (_zip(tmp_path, "gsc.zip", {"Latest links.csv": b"Linking page\n"}),
                        "a zip archive, not an Excel workbook: unzip it and import the export inside (Search "
                        "Console's CSV download is such a zip)"),
        "cut short": (_bytes(tmp_path / "cut.xlsx", data[: len(data) // 2]), "a damaged .xlsx (the zip cannot be "
                      f"read: File is not a zip file): download it again, or {save}"),
        "zip bomb": (_zip(tmp_path, "bomb.xlsx", {"[Content_Types].xml": zipfile.ZipFile(good).read(
                     "[Content_Types].xml"), "xl/worksheets/sheet1.xml": bytes(40 << 20)}),
                     "part xl/worksheets/sheet1.xml of the workbook unpacks from 40,"),
        "entities": (laughs, "not a readable .xlsx (EntitiesForbidden: "),
    }


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_refused_files_one_line_each(env: dict[str, str], tmp_path: Path) -> None:
    for kind, (path, message) in _refusals(tmp_path).items():
        code, out, err = imported(env, str(path))
        assert code == 2 and out == "", kind
        assert err.startswith(f"linkwatch: error: {path.name}: {message}"), (kind, err)
        assert err.count("\n") == 1 and "Traceback" not in err, kind
    assert count(env) == 0


def test_an_oversized_shared_strings_table_is_refused(env: dict[str, str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook_checks, "MAX_STRINGS_PART", 4096)
    path = excel_workbook(tmp_path / "strings.xlsx", [["source_url", "target"]]
                          + [[f"https://s{i}.example.org/", "acme.com"] for i in range(200)])
    code, _, err = imported(env, str(path))
    assert code == 2 and err.startswith("linkwatch: error: strings.xlsx: part xl/sharedStrings.xml of the "
                                        "workbook unpacks to ")
    assert err.endswith("bytes (at most 4,096): too large to import as .xlsx; save it as CSV\n")


@pytest.mark.chromium
def test_the_upload_page_imports_a_workbook(web_serve: Any, web_page: Any, tmp_path: Path) -> None:
    served = web_serve()
    page = web_page
    rows = [["Linking page", "Last crawled"], [A, date(2026, 9, 15)], ["not a url", 46280], [C, 46280]]
    bad = workbook(tmp_path / "bad.xlsx", {"Top linking sites": [["Site", "Linking pages"], ["example.org", 3]],
                                           "Latest links": rows})
    page.goto(served.base + "/links/new")
    page.get_by_label("Export file").set_input_files(str(bad))
    page.get_by_label("Target site").fill("acme.com")
    page.get_by_role("button", name="Import").click()
    errors = page.locator("[role=alert]").inner_text()
    assert "sheet 'Latest links', row 3, column A (Linking page): invalid URL 'not a url'" in errors, errors
    assert "bad.xlsx: nothing imported" in page.content()
    assert api(served, "/api/v1/links")[1]["items"] == [], "all or nothing"
    rows[2][0] = B
    good = workbook(tmp_path / "good.xlsx", {"Latest links": rows})
    page.get_by_label("Export file").set_input_files(str(good))
    page.get_by_label("Target site").fill("acme.com")
    page.get_by_role("button", name="Import").click()
    assert page.locator(".ok").inner_text() == ("good.xlsx, sheet 'Latest links' (Search Console latest links "
                                                "export): added 3, updated 0, unchanged 0, skipped 0")
    assert len(api(served, "/api/v1/links")[1]["items"]) == 3
