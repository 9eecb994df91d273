"""The same referring page in a Search Console export (domain target) and an Ahrefs export (URL target) is
one backlink: when the editor removes the link, `alerts send` delivers one "Link lost" item by Slack and by
email, and the reclaim list has one row.  A page with two tracked URL targets stays two backlinks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import linkwatch
from tests.support.imports import AHREFS_COLUMNS, ahrefs_row, write_tsv_utf16le
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env, import_rows, slack_sections

LINK = '<a href="https://mysite.com/trail-runners">trail runners</a>'


def test_one_link_in_two_exports_is_one_backlink(site: TestSite, tmp_path: Path, http_sink, smtp_sink) -> None:
    env = agency_env(tmp_path, http_sink, smtp_sink)
    review, other = site.set_page("/review", page(LINK)), site.set_page("/other", page(LINK))
    gsc = import_rows(env, tmp_path, "gsc.csv", f"Linking page,Last crawled\n{review},2026-11-20\n"
                      f"{other},2026-11-21\n", "--target-site", "mysite.com")
    assert "added 2" in gsc, gsc
    write_tsv_utf16le(tmp_path / "ahrefs.csv", [
        AHREFS_COLUMNS, ahrefs_row("Review", review, "https://mysite.com/trail-runners", "trail runners", "false",
                                   "1,200", "2026-10-02 08:00:00")])
    ahrefs = linkwatch(env, "import", str(tmp_path / "ahrefs.csv")).stdout
    assert "added 0" in ahrefs and "updated 1" in ahrefs, ahrefs
    listed = [json.loads(line) for line in linkwatch(env, "links", "--json").stdout.splitlines()]
    assert sorted((r["source_url"], r["target"], r["page_traffic"]) for r in listed) == [
        (other, "mysite.com", None), (review, "mysite.com", 1200)]

    linkwatch(env, "run", "--once")
    site.set_page("/review", page("<p>the link was removed</p>"))
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "alerts", "send")
    lost = [s for s in slack_sections(http_sink) if "Link lost" in s]
    assert len(lost) == 1 and f"<{review}|" in lost[0], lost
    assert smtp_sink.messages[0]["Subject"] == "[mysite.com] 1 link lost (1,200 visits/mo at risk)"
    reclaim = json.loads(linkwatch(env, "report", "reclaim", "--site", "mysite.com", "--json").stdout)
    assert [(r["source_url"], r["reason"]) for r in reclaim["rows"]] == [(review, "removed")]
