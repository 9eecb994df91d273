"""Link velocity on day one: an Ahrefs export of links first seen weeks ago and one link added today are
checked for the first time.  That first verification is a baseline: the links count as gained on their
acquisition date (the export's `First seen`, else the day added), not all in this week."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.support.cli import linkwatch
from tests.support.imports import AHREFS_COLUMNS, ahrefs_row, write_tsv_utf16le
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env

LINK = '<a href="https://mysite.com/">Mysite</a>'
HOSTS = ("blog-a.example", "blog-b.example", "news-c.example")


def monday(day: date) -> str:
    return (day - timedelta(days=day.weekday())).isoformat()


def test_first_verification_is_a_baseline_not_a_gain(site: TestSite, tmp_path: Path) -> None:
    env = agency_env(tmp_path)
    env["LINKWATCH_RESOLVE"] = ",".join(f"{host}:127.0.0.1" for host in (*HOSTS, "fresh.example"))
    today = datetime.now(UTC).date()
    first_seen = [today - timedelta(days=days) for days in (40, 40, 61)]
    rows = [AHREFS_COLUMNS]
    for number, (host, seen) in enumerate(zip(HOSTS, first_seen, strict=True)):
        path = f"/post-{number}"
        site.set_page(path, page(LINK))
        rows.append(ahrefs_row("Post", site.url(path, host=host), "https://mysite.com/", "Mysite", "false", "120",
                               f"{seen.isoformat()} 08:00:00"))
    write_tsv_utf16le(tmp_path / "ahrefs.csv", rows)
    linkwatch(env, "import", str(tmp_path / "ahrefs.csv"))
    site.set_page("/fresh", page(LINK))
    linkwatch(env, "add", site.url("/fresh", host="fresh.example"), "--target", "mysite.com")
    linkwatch(env, "run", "--once")

    report = json.loads(linkwatch(env, "report", "velocity", "--site", "mysite.com", "--period", "week",
                                  "--json").stdout)
    weeks = {row["period_start"]: row for row in report["rows"]}
    assert weeks[monday(today)]["links_gained"] == 1, weeks  # the link added today, not all four
    assert weeks[monday(first_seen[0])]["links_gained"] == 2 and weeks[monday(first_seen[2])]["links_gained"] == 1
    assert weeks[monday(today)]["domains_gained"] == 1 and weeks[monday(first_seen[2])]["domains_gained"] == 1
    assert (report["links_gained"], report["domains_gained"]) == (4, 4)
    text = linkwatch(env, "report", "velocity", "--site", "mysite.com").stdout
    assert "4 / 0 / +4" in text, text
