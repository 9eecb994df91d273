"""A referring page that now redirects to another page without the link: the run summary, `history`, the
alert and the reclaim list all name where it redirects (`redirected to http://…/new-home`), and the reclaim
list does not call it `removed`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import linkwatch
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env, import_rows, section_for, slack_sections

LINK = '<a href="https://mysite.com/">Mysite</a>'


def test_a_redirected_page_names_its_destination(site: TestSite, tmp_path: Path, http_sink) -> None:
    env = agency_env(tmp_path, http_sink)
    site.set_page("/old-post", page(LINK))
    site.set_page("/kept", page(LINK))
    import_rows(env, tmp_path, "links.csv", "source_url,target\n"
                f"{site.url('/old-post')},mysite.com\n{site.url('/kept')},mysite.com\n")
    linkwatch(env, "run", "--once")
    site.set_page("/new-home", page("<p>Our new home, no links</p>"))
    site.set_redirect("/old-post", "/new-home")
    destination = site.url("/new-home")
    second = linkwatch(env, "run", "--once", "--all").stdout
    redirected = next(line for line in second.splitlines() if line.strip().startswith("Page redirected: "))
    assert f"redirected to {destination}" in redirected, second
    third = linkwatch(env, "run", "--once", "--all").stdout
    lost = next(line for line in third.splitlines() if line.strip().startswith("Link lost: "))
    assert f"redirected to {destination}" in lost, third

    history = linkwatch(env, "history", site.url("/old-post")).stdout
    assert "FINAL URL" in history.splitlines()[0] and history.count(destination) == 2, history

    linkwatch(env, "alerts", "send")
    alert = section_for(slack_sections(http_sink), site.url("/old-post"), "Link lost")
    assert f"_Why:_ The page now redirects to <{destination}|" in alert

    reclaim = json.loads(linkwatch(env, "report", "reclaim", "--site", "mysite.com", "--json").stdout)
    row = next(r for r in reclaim["rows"] if r["source_url"] == site.url("/old-post"))
    assert row["reason"] == "redirected" and row["redirected_to"] == destination
    assert row["evidence"] == f"redirected to {destination}"
    assert reclaim["by_reason"] == {"redirected": 1}
    text = linkwatch(env, "report", "reclaim", "--site", "mysite.com").stdout
    assert f"redirected to {destination}" in text and "removed" not in text, text
