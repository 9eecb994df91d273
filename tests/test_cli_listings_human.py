"""`links` filters (repeated `--state`, `--since`, the SITE column, `--csv --human`) and the text output of
`links`, `events` and `history` in words: human dates, yes/no, states and changes in words, no Python
reprs, enum names, ISO timestamps or raw detail keys.  `--json` keeps the machine values."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from monitor.store import db
from monitor.store.mentions import store_mentions
from monitor.store.models import Backlink, Check, EventRecord
from tests.support.cli import StoreCli
from tests.support.store import ingest_a_cycle

NOW = datetime.now(UTC).replace(microsecond=0)
HUMAN_HEADERS = ["Site", "Referring page", "Links to", "State", "Followed", "Anchor text", "Page notes",
                 "Page traffic", "Referring domain", "HTTP status", "First seen live", "Last live", "Last checked",
                 "State since", "Tags", "Campaign", "Cost", "Placed on", "Notes"]
#: what text output must never show: Python reprs, enum names, ISO timestamps, raw detail keys and JSON
MACHINE = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\bnull\b|'[^']*'|EventType\.|BacklinkState\.|\d{4}-\d\d-\d\dT"
                     r"|\d{4}-\d\d-\d\d \d\d:|\+00:00|[a-z]+_[a-z_]+=|\{|rel_(nofollow|sponsored|ugc)|http \d{3}")


@pytest.fixture
def lw(database_url: str, tmp_path: Path) -> StoreCli:
    return StoreCli(database_url, tmp_path)


def three_links_one_lost(lw: StoreCli) -> None:
    """a, b live since 40 days ago; c live then, lost yesterday (two checks without it); d on another site,
    not checked yet."""
    for path in ("a", "b", "c"):
        lw("add", f"https://blog.example.org/{path}", "--target", "acme.com", "--tag", "pr")
    ingest_a_cycle(lw.database_url, "acme.com", now=NOW - timedelta(days=40))
    for days in (2, 1):
        ingest_a_cycle(lw.database_url, "acme.com", without={"https://blog.example.org/c"},
                       now=NOW - timedelta(days=days))
    lw("add", "https://news.example.net/d", "--target", "other-shop.com", "--new-site")


def test_links_filters_and_site_column(lw: StoreCli) -> None:
    three_links_one_lost(lw)

    def urls(*args: str) -> list[str]:
        return sorted(r["source_url"].rsplit("/", 1)[1] for r in lw.json_lines("links", "--json", *args))

    assert urls("--state", "lost") == ["c"]
    assert urls("--state", "lost", "--state", "live") == ["a", "b", "c"]
    assert urls("--state", "live", "--state", "unchecked") == ["a", "b", "d"]
    assert urls("--since", "7d") == ["c"]
    assert urls("--since", (NOW - timedelta(days=10)).date().isoformat()) == ["c"]
    assert urls("--since", (NOW - timedelta(days=50)).isoformat(), "--state", "live") == ["a", "b"]
    assert urls("--since", "7d", "--state", "live") == []
    assert "--since" in lw.error("links", "--since", "last month")
    assert "--human goes with --csv" in lw.error("links", "--human")

    table = lw("links", "--site", "acme.com").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "SITE", "STATE"]
    assert all(line.split()[1] == "acme.com" for line in table[1:]) and len(table) == 4
    assert "other-shop.com" in lw("links").stdout


def test_links_csv_human_for_clients(lw: StoreCli) -> None:
    three_links_one_lost(lw)
    plain = list(csv.reader(io.StringIO(lw("links", "--csv").stdout)))
    assert plain[0][:5] == ["id", "source_url", "target", "site", "state"]  # unchanged
    assert {row[4] for row in plain[1:]} == {"live", "lost", "unchecked"}
    rows = list(csv.reader(io.StringIO(lw("links", "--csv", "--human", "--state", "lost").stdout)))
    assert rows[0] == HUMAN_HEADERS
    lost = dict(zip(rows[0], rows[1], strict=True))
    assert (lost["Site"], lost["State"], lost["Followed"], lost["Tags"]) == ("acme.com", "Lost", "", "pr")
    assert lost["State since"] == f"{(NOW - timedelta(days=1)).day} {NOW - timedelta(days=1):%b %Y %H:%M} UTC"
    assert not MACHINE.search(",".join(rows[1])), rows[1]


def record_events(database_url: str) -> None:
    """Events of the kinds whose text used to show reprs: an anchor that had none, a nofollow by header, a
    page gone with its status, an unreachable page, a redirect."""
    engine = db.connect(database_url)
    events = (
        ("anchor_changed", "live", {"old_anchor": None, "new_anchor": "Acme", "follow": True, "http_status": 200}),
        ("nofollow", "nofollow", {"reason": "header", "reasons": ["header"], "http_status": 200, "follow": False}),
        ("page_gone", "gone", {"http_status": 404, "misses": 2, "last_anchor": "Acme", "rendered": False}),
        ("unreachable", "error", {"errors_since": (NOW - timedelta(days=3)).isoformat(), "check_state": "error",
                                  "error": "connection refused"}),
        ("page_redirected", "live", {"redirected_to": "https://blog.example.org/new-home", "http_status": 200}),
    )
    with db.session(engine) as s:
        link = s.query(Backlink).filter_by(source_key="blog.example.org/a").one()
        for hours, (kind, state, detail) in enumerate(events):
            check = Check(backlink_id=link.id, checked_at=NOW - timedelta(hours=hours), state=state,
                          fetch_status="ok", http_status=detail.get("http_status"), final_url=link.source_url,
                          links=[{"href": "https://acme.com/", "rel": ["nofollow"], "anchor": None, "follow": False}],
                          rendered=False)
            s.add(check)
            s.flush()
            s.add(EventRecord(backlink_id=link.id, check_id=check.id, type=kind, at=check.checked_at,
                              old_state="live", new_state=state, detail=detail))
    engine.dispose()


def test_text_output_is_in_words(lw: StoreCli) -> None:
    three_links_one_lost(lw)
    record_events(lw.database_url)
    for command in (["links"], ["events"], ["history", "https://blog.example.org/a"], ["sites"]):
        text = lw(*command).stdout
        assert not MACHINE.search(text), (command, MACHINE.search(text), text)
    events = lw("events").stdout
    assert events.splitlines()[0].split()[:3] == ["WHEN", "SITE", "WHAT"]
    for words in ("anchor text is now “Acme” (it had none)", "not followed: an X-Robots-Tag: nofollow header",
                  "the page answers 404; missing in 2 checks in a row", "Page unreachable",
                  "redirected to https://blog.example.org/new-home", "Live (followed) → Lost", "Link lost",
                  f"failing since {(NOW - timedelta(days=3)).day} {NOW - timedelta(days=3):%b %Y %H:%M} UTC"):
        assert words in events, (words, events)
    history = lw("history", "https://blog.example.org/a").stdout.splitlines()
    assert history[0].split()[:4] == ["CHECKED", "TARGET", "STATE", "HTTP"]
    assert " no " in history[1] and "Page gone" in "\n".join(history)
    assert " UTC " in lw("links").stdout
    detail = next(e for e in lw.json_lines("events", "--json") if e["type"] == "anchor_changed")["detail"]
    assert detail == {"old_anchor": None, "new_anchor": "Acme", "follow": True, "http_status": 200}  # machine values


@pytest.mark.parametrize("name", ["traffic", "ratio", "velocity", "domains", "gap", "anchors", "reclaim", "outreach"])
def test_report_text_is_in_words(report_engine: Engine, tmp_path: Path, name: str) -> None:
    """The seeded report profile (tests/fixtures_reports.py): every report's text in words."""
    lw = StoreCli(report_engine.url.render_as_string(hide_password=False), tmp_path)
    text = lw("report", name, "--site", "acme.com", "--since", "2026-01-01").stdout
    assert not MACHINE.search(text.replace("competitor's", "")), (MACHINE.search(text), text)
    assert not re.search(r"\b(made_nofollow|page_gone|naked_url|rel_sponsored)\b|\d{4}-\d\d-\d\d", text), text
    if name == "reclaim":
        assert "Made not followed" in text and 'not followed: rel="sponsored" on the link' in text, text
        assert "the page answers 404" in text and "16 Feb 2026 10:00 UTC" in text, text


def test_mentions_list_is_in_words(lw: StoreCli) -> None:
    engine = db.connect(lw.database_url)
    store_mentions(engine, "acme.com", [("https://news.example.org/a", "Acme", "We love Acme shoes.",
                                         ["mailto:editor@news.example.org"])])
    engine.dispose()
    text = lw("mentions", "--site", "acme.com", "--list").stdout
    assert text.splitlines()[0].split() == ["PAGE", "URL", "TERM", "SENTENCE", "CONTACT", "HINTS", "FOUND", "AT"]
    assert f"{NOW.day} {NOW:%b %Y}" in text and " UTC" in text and not MACHINE.search(text), text
    assert lw.json_lines("mentions", "--site", "acme.com", "--list", "--json")[0]["found_at"].startswith(
        NOW.date().isoformat())
