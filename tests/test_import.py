"""Importing real-looking exports (Ahrefs, Semrush, Search Console, GA4, plain CSV) on SQLite and PostgreSQL."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from monitor.core.spreadsheet import spreadsheet_safe
from monitor.importers import ImportFileError, ImportReport
from monitor.store import db
from monitor.store.listing import iter_backlinks
from monitor.store.models import Backlink, ReferralTraffic
from tests.support.imports import AHREFS_COLUMNS, ahrefs_row, run_import, write_tsv_utf16le


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.connect(database_url)
    yield engine
    engine.dispose()


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    c = report.counts
    return c.added, c.updated, c.unchanged, report.skipped


def stored(engine: Engine) -> dict[str, Backlink]:
    with db.session(engine) as s:
        return {b.source_url: b for b in s.scalars(select(Backlink))}


def test_ahrefs_utf16_tsv_current_columns(engine: Engine, tmp_path: Path) -> None:
    path = write_tsv_utf16le(tmp_path / "ahrefs.csv", [
        AHREFS_COLUMNS,
        ahrefs_row("Best SEO tools, 2026", "https://www.review.example.org/seo-tools", "https://acme.com/",
                   "Acme – the audit tool", "false", "1,240", "2026-03-01 10:11:12"),
        ahrefs_row("Forum", "https://forum.example.net/t/123", "https://acme.com/pricing", "pricing",
                   "true", "0", "2026-05-20T08:00:00Z", lost_status="removed"),
    ])
    report = run_import(engine, path)
    assert report.format == "ahrefs" and counts(report) == (2, 0, 0, 0)
    links = stored(engine)
    review = links["https://www.review.example.org/seo-tools"]
    assert review.target == "https://acme.com/" and review.expected_anchor == "Acme – the audit tool"
    assert review.page_traffic == 1240 and review.imported_follow is True
    assert review.imported_first_seen == date(2026, 3, 1) and review.imported_last_seen == date(2026, 9, 14)
    assert review.extra["domain_rating"] == 54 and review.extra["title"] == "Best SEO tools, 2026"
    assert review.referring_domain == "example.org" and review.origin == "ahrefs"
    forum = links["https://forum.example.net/t/123"]
    assert forum.imported_follow is False and forum.extra["lost_status"] == "removed"
    assert forum.state == "unchecked"


def test_ahrefs_old_columns_utf16_be(engine: Engine, tmp_path: Path) -> None:
    rows = [["Referring Page URL", "Link URL", "TextPre", "Link Anchor", "TextPost", "Backlink Status", "First seen"],
            ["http://old.example.com/page", "https://acme.com/blog/", "see", "our blog", "", "live", "15/09/2026"]]
    text = "".join("\t".join(r) + "\n" for r in rows)
    path = tmp_path / "old.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    report = run_import(engine, path, tags=("ahrefs-2019",))
    assert report.format == "ahrefs" and counts(report) == (1, 0, 0, 0)
    [link] = stored(engine).values()
    assert (link.target, link.expected_anchor, link.imported_first_seen) == (
        "https://acme.com/blog/", "our blog", date(2026, 9, 15))
    assert link.extra == {"left_context": "see", "backlink_status": "live"} and link.tags == ["ahrefs-2019"]


SEMRUSH = (
    '"Page ascore","Source title","Source url","Target url","Anchor","External links","Internal links",'
    '"Nofollow","Sponsored","Ugc","Text","Frame","Form","Image","Sitewide","First seen","Last seen",'
    '"New link","Lost link"\r\n'
    '31,"Tools, tips, and tricks",https://tips.example.org/a,https://acme.com/,"audits, done right",12,40,'
    'false,false,false,true,false,false,false,false,"Sep 15, 2026","Oct 1, 2026",false,false\r\n'
    '7,"Paid post",https://ads.example.org/b,https://acme.com/features,"features",3,9,'
    'false,true,false,true,false,false,false,false,"Jan 2, 2026","Oct 1, 2026",false,false\r\n'
)


def test_semrush_csv_with_bom_and_quoted_commas(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "semrush.csv"
    path.write_bytes(codecs.BOM_UTF8 + SEMRUSH.encode())
    report = run_import(engine, path)
    assert report.format == "semrush" and counts(report) == (2, 0, 0, 0)
    links = stored(engine)
    tips = links["https://tips.example.org/a"]
    assert tips.expected_anchor == "audits, done right" and tips.imported_follow is True
    assert tips.imported_first_seen == date(2026, 9, 15) and tips.extra["title"] == "Tools, tips, and tricks"
    assert links["https://ads.example.org/b"].imported_follow is False  # sponsored


def test_gsc_latest_links_needs_target_site(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "gsc.csv"
    path.write_text("Linking page,Last crawled\nhttps://a.example.org/x,2026-09-01\n"
                    "https://b.example.org/y,2026-08-30\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="--target-site"):
        run_import(engine, path)
    report = run_import(engine, path, target_site="www.acme.com")
    assert report.format == "gsc" and counts(report) == (2, 0, 0, 0)
    rows = list(iter_backlinks(engine))
    assert {r["target"] for r in rows} == {"acme.com"} and {r["site"] for r in rows} == {"acme.com"}
    assert stored(engine)["https://a.example.org/x"].imported_last_seen == date(2026, 9, 1)


@pytest.mark.parametrize(("header", "which"), [
    ("Site,Linking pages,Target pages", "Top linking sites"),
    ("Target page,Incoming links,Linking sites", "Top linked pages"),
])
def test_other_gsc_exports_are_refused(engine: Engine, tmp_path: Path, header: str, which: str) -> None:
    path = tmp_path / "gsc.csv"
    path.write_text(f"{header}\nexample.org,1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=which):
        run_import(engine, path, target_site="acme.com")


def test_plain_csv_semicolons_cp1252_and_tags(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_bytes("source_url;target;anchor;tags\n"
                     "https://caf\u00e9.example.org/p;acme.com;Caf\u00e9 cr\u00e8me;guest|2026\n"
                     "https://b.example.org/q;;;\n".encode("cp1252"))
    report = run_import(engine, path, target_site="acme.com", tags=("import",))
    assert counts(report) == (2, 0, 0, 0)
    rows = {r["source_url"]: r for r in iter_backlinks(engine)}
    cafe = rows["https://xn--caf-dma.example.org/p"]
    assert cafe["anchor"] == "Café crème" and cafe["tags"] == ["guest", "2026", "import"]
    assert rows["https://b.example.org/q"]["target"] == "acme.com"


BAD = (
    "source_url,target,anchor\n"  # line 1
    "https://ok.example.org/1,acme.com,fine\n"  # 2
    "not a url,acme.com,x\n"  # 3
    'https://ok.example.org/2,acme.com,"an anchor\nover two lines"\n'  # 4-5
    "https://ok.example.org/3,,x\n"  # 6: no target
    "=HYPERLINK(\"http://evil\"),acme.com,x\n"  # 7
    "https://ok.example.org/4,acme.com,last\n"  # 8
)


def test_bad_rows_are_listed_by_line_and_nothing_is_written(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    run_import(engine, path, skip_invalid=True, batch_size=1)  # the valid rows are stored
    before = {r["source_url"] for r in iter_backlinks(engine)}
    path.write_text(BAD.replace("/1,", "/new1,").replace("/4,", "/new4,"), encoding="utf-8")
    report = run_import(engine, path, batch_size=1)  # earlier rows were flushed in their own batches: rolled back
    assert not report.written
    assert [e.line for e in report.errors] == [3, 6, 7]
    assert "invalid URL" in report.errors[0].message and "target" in report.errors[1].message
    assert {r["source_url"] for r in iter_backlinks(engine)} == before


def test_skip_invalid_writes_the_valid_rows_and_reimport_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    first = run_import(engine, path, skip_invalid=True, batch_size=2)
    assert first.written and counts(first) == (3, 0, 0, 3)
    again = run_import(engine, path, skip_invalid=True, batch_size=2)
    assert counts(again) == (0, 0, 3, 3)
    assert stored(engine)["https://ok.example.org/2"].expected_anchor == "an anchor\nover two lines"


def test_reimporting_the_same_ahrefs_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    rows = [AHREFS_COLUMNS] + [
        ahrefs_row(f"Post {n}", f"https://blog{n}.example.org/post", "https://acme.com/", f"anchor {n}", "false",
                   f"{n},000", "2026-01-01")
        for n in range(1, 40)
    ]
    rows.append(rows[1])  # a duplicate row in the file
    path = write_tsv_utf16le(tmp_path / "ahrefs.csv", rows)
    first = run_import(engine, path, batch_size=7)
    assert counts(first) == (39, 0, 0, 0) and first.duplicates == 1
    with db.session(engine) as s:
        updated_at = {i: at for i, at in s.execute(select(Backlink.id, Backlink.updated_at))}
    again = run_import(engine, path, batch_size=7)
    assert counts(again) == (0, 0, 39, 0) and again.duplicates == 1
    with db.session(engine) as s:
        assert {i: at for i, at in s.execute(select(Backlink.id, Backlink.updated_at))} == updated_at
        assert s.scalar(select(func.count()).select_from(Backlink)) == 39


def test_formula_cells_are_stored_as_text_and_neutralised_on_export(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text("source_url,target,anchor,tags\n"
                    "https://a.example.org/p,acme.com,\"=cmd|' /C calc'!A0\",@SUM(A1)\n", encoding="utf-8")
    assert counts(run_import(engine, path)) == (1, 0, 0, 0)
    [row] = iter_backlinks(engine)
    assert row["anchor"] == "=cmd|' /C calc'!A0" and row["tags"] == ["@SUM(A1)"]
    assert spreadsheet_safe(row["anchor"]) == "'=cmd|' /C calc'!A0"


def test_unrecognised_or_unreadable_files(engine: Engine, tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("url,where\nhttps://a.org/,acme.com\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"line 1: header not recognised \(url, where\)"):
        run_import(engine, unknown)
    typo = tmp_path / "typo.csv"
    typo.write_text("source_url,target,anchr\nhttps://a.org/,acme.com,x\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"unknown columns.*anchr"):
        run_import(engine, typo)
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(ImportFileError, match="not a text file"):
        run_import(engine, binary)
    with pytest.raises(ImportFileError, match="not a Semrush"):
        run_import(engine, typo, format="semrush")
    assert list(iter_backlinks(engine)) == []


def test_ga4_referral_traffic(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "ga4.csv"
    path.write_text("# ----------------------------------------\n# Traffic acquisition\n# Start date: 20260801\n"
                    "\nSession source / medium,Sessions,Engaged sessions\n"
                    "google / organic,\"12,000\",9000\nwww.review.example.org / referral,\"1,240\",800\n"
                    "forum.example.net / referral,31,20\n(direct) / (none),500,100\n"
                    "review.example.org / referral,10,1\n", encoding="utf-8")
    report = run_import(engine, path, target_site="acme.com")
    assert report.format == "ga4" and counts(report) == (2, 0, 0, 0)
    assert counts(run_import(engine, path, target_site="acme.com")) == (0, 0, 2, 0)
    with db.session(engine) as s:
        found = {r.source: r.sessions for r in s.scalars(select(ReferralTraffic))}
    assert found == {"review.example.org": 1250.0, "forum.example.net": 31.0}


def test_duplicate_and_conflicting_rows(engine: Engine, tmp_path: Path) -> None:
    """An exact repeat is counted and left out; a row for a backlink an earlier row gave (http/https and www
    spellings included) with other values is a line-numbered warning and the first row is kept."""
    path = tmp_path / "dups.csv"
    path.write_text("source_url,target,anchor\n"
                    "https://a.example.org/p,acme.com,first\n"  # 2
                    "https://a.example.org/p,acme.com,first\n"  # 3: exact duplicate
                    "http://www.a.example.org/p,acme.com,second\n"  # 4: conflicts with line 2
                    "https://b.example.org/q,acme.com,other\n", encoding="utf-8")  # 5
    report = run_import(engine, path)
    assert report.written and counts(report) == (2, 0, 0, 0)
    assert report.duplicates == 1 and report.conflict_count == 1
    assert [(c.line, "line 2 kept" in c.message) for c in report.conflicts] == [(4, True)]
    assert "duplicate rows 1, conflicting rows 1" in report.summary()
    assert stored(engine)["https://a.example.org/p"].expected_anchor == "first"
