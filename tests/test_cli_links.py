"""`add`, `remove`, `import`, `links`, `history` and `events` against a real database, run in-process
(tests.support.cli.run_cli: none of them starts a child process)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.importers.names import FORMAT_NAMES
from monitor.store import db
from monitor.store.models import Backlink, Check, EventRecord
from tests.support.cli import StoreCli as Linkwatch
from tests.support.store import ingest_a_cycle

REPO = Path(__file__).resolve().parents[1]
LINK_FIELDS = {"source_url", "target", "state", "follow", "rel", "anchor", "http_status", "first_seen",
               "last_checked", "last_live", "tags", "id", "site", "referring_domain", "page_traffic", "final_url",
               "next_due_at"}
EVENT_FIELDS = {"type", "source_url", "target", "at", "old_state", "new_state", "detail"}


@pytest.fixture
def linkwatch(tmp_path: Path) -> Linkwatch:
    """The commands on a fresh SQLite database (the store tests cover both backends)."""
    return Linkwatch(f"sqlite:///{tmp_path / 'linkwatch.db'}", tmp_path)


@pytest.fixture
def linkwatch_any_backend(database_url: str, tmp_path: Path) -> Linkwatch:
    """The commands on a fresh database, SQLite and PostgreSQL."""
    return Linkwatch(database_url, tmp_path)


def test_add_and_list(linkwatch: Linkwatch) -> None:
    assert linkwatch("add", "https://www.blog.example.org/post", "--target", "acme.com", "--anchor", "Acme",
                     "--tag", "guest", "--tag", "q3").stdout == "added https://www.blog.example.org/post -> acme.com\n"
    linkwatch("add", "https://news.example.net/a", "--target", "https://acme.com/pricing", "--status", "pending",
              "--campaign", "spring", "--cost", "150", "--placed", "2026-09-01", "--notes", "promised by Jo")
    again = linkwatch("add", "http://blog.example.org/post/", "--target", "ACME.com", "--tag", "q3")
    assert again.stdout.startswith("already stored, unchanged:")
    rows = linkwatch.json_lines("links", "--json")
    assert [set(r) >= LINK_FIELDS for r in rows] == [True, True]
    first, second = rows
    assert (first["state"], first["target"], first["tags"], first["anchor"]) == ("unchecked", "acme.com",
                                                                                  ["guest", "q3"], "Acme")
    assert first["follow"] is None and first["rel"] == [] and first["last_checked"] is None
    assert (second["state"], second["cost"], second["placed_on"], second["site"]) == (
        "pending", 150.0, "2026-09-01", "acme.com")
    assert [r["id"] for r in linkwatch.json_lines("links", "--json", "--state", "pending")] == [second["id"]]
    assert [r["id"] for r in linkwatch.json_lines("links", "--json", "--tag", "guest")] == [first["id"]]
    assert len(linkwatch.json_lines("links", "--json", "--site", "www.acme.com")) == 2
    assert linkwatch.json_lines("links", "--json", "--site", "other.com") == []
    table = linkwatch("links").stdout.splitlines()
    assert table[0].split()[:5] == ["ID", "SITE", "STATE", "REFERRING", "PAGE"] and len(table) == 3


def test_bad_input_is_one_line_and_loses_nothing(linkwatch: Linkwatch, tmp_path: Path) -> None:
    linkwatch("add", "https://a.example.org/p", "--target", "acme.com")
    before = linkwatch("links", "--json").stdout
    assert "invalid URL" in linkwatch.error("add", "javascript:alert(1)", "--target", "acme.com")
    assert "--target" in linkwatch.error("add", "https://a.example.org/q", "--target", "not a domain")
    assert "--placed" in linkwatch.error("add", "https://a.example.org/q", "--target", "acme.com", "--placed", "soon")
    assert "nothing removed" in linkwatch.error("remove", "https://a.example.org/p", "--target", "other.com")
    assert "no backlink" in linkwatch.error("history", "https://unknown.example.org/")
    assert "--since" in linkwatch.error("events", "--since", "yesterday-ish")
    linkwatch.error("links", "--state", "bogus")
    linkwatch.error("import", str(tmp_path / "missing.csv"))
    assert linkwatch("links", "--json").stdout == before
    message = linkwatch.error("links", LINKWATCH_DATABASE_URL="postgresql+psycopg://u:secret@127.0.0.1:1/x")
    assert "cannot open database" in message and "secret" not in message


def test_remove_takes_checks_and_events_along(linkwatch: Linkwatch) -> None:
    linkwatch("add", "https://a.example.org/p", "--target", "acme.com")
    linkwatch("add", "https://a.example.org/p", "--target", "https://acme.com/pricing")
    linkwatch("add", "https://b.example.org/q", "--target", "acme.com")
    ingest_a_cycle(linkwatch.database_url)
    assert stored(linkwatch.database_url) == {"a.example.org/p": (2, 1), "b.example.org/q": (1, 1)}
    assert linkwatch("remove", "http://www.a.example.org/p", "--target", "https://acme.com/pricing/").stdout == (
        "removed 1 backlink from http://www.a.example.org/p\n")
    assert stored(linkwatch.database_url) == {"a.example.org/p": (1, 1), "b.example.org/q": (1, 1)}
    assert linkwatch("remove", "https://a.example.org/p").stdout.startswith("removed 1 backlink")
    assert [r["source_url"] for r in linkwatch.json_lines("links", "--json")] == ["https://b.example.org/q"]
    assert stored(linkwatch.database_url) == {"b.example.org/q": (1, 1)}


def stored(database_url: str) -> dict[str, tuple[int, int]]:
    """(checks, events) per source key, counted in the database."""
    engine = db.connect(database_url)
    with db.session(engine) as s:
        checks = dict(s.execute(select(Backlink.source_key, func.count(Check.id)).join(Check)
                                .group_by(Backlink.source_key)).all())
        events = dict(s.execute(select(Backlink.source_key, func.count(EventRecord.id)).join(EventRecord)
                                .group_by(Backlink.source_key)).all())
        every_check, every_event = s.scalar(select(func.count(Check.id))), s.scalar(select(func.count(EventRecord.id)))
    engine.dispose()
    assert (every_check, every_event) == (sum(checks.values()), sum(events.values())), "no orphaned rows"
    return {key: (checks[key], events.get(key, 0)) for key in checks}


def record_checks(database_url: str, now: datetime) -> None:
    engine = db.connect(database_url)
    with db.session(engine) as s:
        link = s.scalars(select(Backlink).where(Backlink.source_key == "a.example.org/p")).one()
        for hours, state, follow in ((0, "live", True), (24, "nofollow", False)):
            at = now - timedelta(hours=48 - hours)
            check = Check(backlink_id=link.id, checked_at=at, state=state, fetch_status="ok", http_status=200,
                          final_url=link.source_url,
                          links=[{"href": "https://acme.com/", "rel": [] if follow else ["sponsored"],
                                  "anchor": "Acme", "follow": follow}])
            s.add(check)
            s.flush()
            old = "unchecked" if state == "live" else "live"
            s.add(EventRecord(backlink_id=link.id, check_id=check.id, type="new" if state == "live" else "nofollow",
                              at=at, old_state=old, new_state=state,
                              detail={"reason": "rel_sponsored"} if state == "nofollow" else {}))
    engine.dispose()


def test_history_and_events(linkwatch_any_backend: Linkwatch) -> None:
    linkwatch = linkwatch_any_backend
    linkwatch("add", "https://a.example.org/p", "--target", "acme.com", "--tag", "pr")
    assert "not been checked yet" in linkwatch("history", "https://a.example.org/p").stderr
    now = datetime.now(UTC)
    record_checks(linkwatch.database_url, now)
    history = linkwatch.json_lines("history", "http://a.example.org/p/", "--json")
    assert [h["state"] for h in history] == ["nofollow", "live"]
    assert history[0]["links"][0]["rel"] == ["sponsored"] and history[0]["follow"] is False
    assert "sponsored" in linkwatch("history", "https://a.example.org/p").stdout
    events = linkwatch.json_lines("events", "--json")
    assert [set(e) >= EVENT_FIELDS for e in events] == [True, True]
    assert [(e["type"], e["old_state"], e["new_state"]) for e in events] == [
        ("nofollow", "live", "nofollow"), ("new", "unchecked", "live")]
    assert events[0]["detail"] == {"reason": "rel_sponsored"} and events[0]["tags"] == ["pr"]
    assert datetime.fromisoformat(events[0]["at"]) == now - timedelta(hours=24)
    assert [e["type"] for e in linkwatch.json_lines("events", "--json", "--type", "new")] == ["new"]
    assert [e["type"] for e in linkwatch.json_lines("events", "--json", "--since", "36h")] == ["nofollow"]
    since = (now - timedelta(hours=30)).date().isoformat()
    assert len(linkwatch.json_lines("events", "--json", "--since", since)) >= 1
    assert len(linkwatch.json_lines("events", "--json", "--limit", "1")) == 1
    assert linkwatch.json_lines("events", "--json", "--site", "other.com") == []
    assert 'not followed: rel="sponsored" on the link' in linkwatch("events").stdout


def test_csv_export_is_spreadsheet_safe(linkwatch: Linkwatch) -> None:
    linkwatch("add", "https://a.example.org/p", "--target", "acme.com", "--anchor", "=cmd|' /C calc'!A0",
              "--tag", "+1", "--notes", "@SUM(1)")
    rows = list(csv.DictReader(io.StringIO(linkwatch("links", "--csv").stdout)))
    assert rows[0]["anchor"] == "'=cmd|' /C calc'!A0" and rows[0]["tags"] == "'+1" and rows[0]["notes"] == "'@SUM(1)"
    assert linkwatch.json_lines("links", "--json")[0]["anchor"] == "=cmd|' /C calc'!A0"  # stored as given


def test_import_command(linkwatch: Linkwatch, tmp_path: Path) -> None:
    path = tmp_path / "links.csv"
    path.write_text("source_url,target,anchor,tags\nhttps://a.example.org/1,acme.com,one,x;y\n"
                    "ftp://a.example.org/2,acme.com,two,\nhttps://a.example.org/3,,three,\n", encoding="utf-8")
    result = linkwatch("import", str(path), expect=2)
    assert result.stderr.splitlines()[:2] == [
        "line 3: source_url: invalid URL 'ftp://a.example.org/2': expected an absolute http(s) URL",
        "line 4: target: missing value (or give --target-site)"]
    assert "2 invalid rows; nothing imported" in result.stderr.splitlines()[-1]
    assert "no database at" in linkwatch("links", "--json", expect=2).stderr  # nothing imported, nothing created
    ok = linkwatch("import", str(path), "--skip-invalid", "--tag", "batch1")
    assert ok.stdout == "links.csv (plain CSV): added 1, updated 0, unchanged 0, skipped 2\n"
    ok = linkwatch("import", str(path), "--skip-invalid", "--tag", "batch1", "--target-site", "acme.com")
    assert ok.stdout.endswith("added 1, updated 0, unchanged 1, skipped 1\n")
    assert [r["tags"] for r in linkwatch.json_lines("links", "--json")] == [["x", "y", "batch1"], ["batch1"]]
    gsc = tmp_path / "gsc.csv"
    gsc.write_text("Linking page,Last crawled\nhttps://g.example.org/,2026-09-01\n", encoding="utf-8")
    assert "--target-site" in linkwatch.error("import", str(gsc))


@pytest.mark.parametrize("command", ["add", "remove", "import", "links", "history", "events"])
def test_help(command: str, tmp_path: Path) -> None:
    result = Linkwatch("sqlite:///unused.db", tmp_path)(command, "--help")
    assert f"usage: linkwatch {command}" in result.stdout


def test_every_format_choice_forces_its_format(linkwatch: Linkwatch, tmp_path: Path) -> None:
    """Each --format name (one list, monitor.importers.names) selects an importer; `auto` recognises."""
    path = tmp_path / "links.csv"
    path.write_text("source_url,target\nhttps://a.example.org/1,acme.com\n", encoding="utf-8")
    for name in FORMAT_NAMES:
        result = linkwatch("import", str(path), "--format", name, expect=0 if name in ("auto", "csv") else 2)
        if name in ("auto", "csv"):
            assert "plain CSV" in result.stdout, (name, result.stderr)
        else:  # that format was tried on the header, and said what it lacks
            assert "not a " in result.stderr or "without its required" in result.stderr, (name, result.stderr)
