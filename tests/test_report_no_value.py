"""Links on pages that pass no value (issues 16/17): a followed link on a page that is noindex, blocked for
Googlebot by robots.txt, canonicalised elsewhere or redirected to another page is reported apart, never as a
followed live link.  Through `linkwatch run` on real local pages, then the reports as JSON, CSV and the HTML
client summary, over all links (rollups), with `--since` (the window) and after `db rebuild-rollups`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import linkwatch
from tests.support.imports import AHREFS_COLUMNS, ahrefs_row, write_tsv_utf16le
from tests.support.pages import TestSite
from tests.support.scenario import agency_env

pytestmark = pytest.mark.crawl

LINK = '<a href="https://mysite.com/">Mysite</a>'
NOFOLLOW = '<a href="https://mysite.com/" rel="nofollow">Mysite</a>'
#: path -> page traffic of the referring page
TRAFFIC = {"/plain": 1000, "/plain-too": 2000, "/nofollow": 30, "/noindex": 400, "/blocked": 500,
           "/canonical": 600, "/moved": 700}
NO_VALUE = {"noindex": 1, "blocked_for_google": 1, "canonical_elsewhere": 1, "redirected_away": 1}


def html(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head><title>Post</title>{head}</head><body><main><p>{body}</p></main></body></html>"


def build(site: TestSite, env: dict[str, str], tmp_path: Path) -> None:
    """Seven referring pages: two plain, one nofollow, one of each page problem; imported with page traffic, run."""
    site.set_page("/plain", html(f"See {LINK}."))
    site.set_page("/plain-too", html(f"See {LINK}."))
    site.set_page("/nofollow", html(f"See {NOFOLLOW}."))
    site.set_page("/noindex", html(f"See {LINK}.", '<meta name="robots" content="noindex">'))
    site.set_page("/blocked", html(f"See {LINK}."))
    site.set_page("/canonical", html(f"See {LINK}.", f'<link rel="canonical" href="{site.url("/original")}">'))
    site.set_page("/landing", html(f"See {LINK}."))
    site.set_redirect("/moved", site.url("/landing"))
    site.set_robots("User-agent: Googlebot\nDisallow: /blocked\n\nUser-agent: *\nAllow: /\n")
    rows = [ahrefs_row("Post", site.url(path), "https://mysite.com/", "Mysite", "false", f"{traffic:,}",
                       "2026-09-01 10:00:00") for path, traffic in TRAFFIC.items()]
    export = write_tsv_utf16le(tmp_path / "ahrefs.tsv", [AHREFS_COLUMNS, *rows])
    linkwatch(env, "import", str(export))
    linkwatch(env, "run", "--once")


def report(env: dict[str, str], name: str, *flags: str) -> dict[str, Any]:
    return json.loads(linkwatch(env, "report", name, "--site", "mysite.com", "--json", *flags).stdout)


def assert_figures(env: dict[str, str], *flags: str) -> None:
    ratio = report(env, "ratio", *flags)
    assert (ratio["links"], ratio["followed_links"], ratio["nofollow_links"], ratio["no_value_links"]) == (
        7, 2, 1, 4), ratio
    assert ratio["no_value"] == NO_VALUE, ratio
    assert (ratio["domains"], ratio["followed_domains"], ratio["no_value_domains"]) == (1, 1, 0), ratio
    traffic = report(env, "traffic", *flags)
    assert traffic["followed_traffic"] == 3000, traffic  # the two plain pages only
    assert traffic["no_value_traffic"] == 400 + 500 + 600 + 700, traffic
    assert traffic["at_risk_traffic"] == 30 + 400 + 500 + 600 + 700, traffic
    assert (traffic["at_risk_links"], traffic["no_value_links"], traffic["no_value"]) == (5, 4, NO_VALUE), traffic
    reasons = {row["source_url"].rsplit("/", 1)[1]: (row["no_value"], row["at_risk"]) for row in traffic["rows"]}
    assert reasons == {"plain": ("", False), "plain-too": ("", False), "nofollow": ("", True),
                       "noindex": ("noindex", True), "blocked": ("blocked_for_google", True),
                       "canonical": ("canonical_elsewhere", True), "moved": ("redirected_away", True)}, reasons


def test_links_on_pages_that_pass_no_value_are_reported_apart(site: TestSite, tmp_path: Path) -> None:
    env = agency_env(tmp_path)
    build(site, env, tmp_path)
    states = {json.loads(line)["source_url"]: json.loads(line)["state"]
              for line in linkwatch(env, "links", "--json").stdout.splitlines()}
    assert sorted(states.values()) == ["live"] * 6 + ["nofollow"], states  # all still on their pages

    assert_figures(env)
    assert_figures(env, "--since", "30d")  # the window, not the rollups
    domains = report(env, "domains")
    assert (domains["followed_domains"], domains["no_value_domains"]) == (1, 0), domains
    assert [(r["followed_links"], r["no_value_links"]) for r in domains["rows"]] == [(2, 4)], domains
    table = list(csv.DictReader(io.StringIO(
        linkwatch(env, "report", "traffic", "--site", "mysite.com", "--csv").stdout)))
    assert sorted(r["no_value"] for r in table) == ["", "", "", "blocked_for_google", "canonical_elsewhere",
                                                    "noindex", "redirected_away"], table

    linkwatch(env, "db", "rebuild-rollups")  # the rollups recounted from scratch agree
    assert_figures(env)

    out = tmp_path / "report.html"
    linkwatch(env, "report", "--html", str(out), "--site", "mysite.com")
    text = out.read_text()
    glance = text[text.index("Followed live links") - 200:text.index("Traffic at risk") + 400]
    assert '<span class="value">2</span><span class="label">Followed live links</span>' in glance, glance
    assert ('<span class="value">4</span><span class="label">Live but on pages that pass no value</span>'
            '<span class="note">noindex 1, blocked for Google 1, canonical elsewhere 1, redirected away 1</span>'
            in glance), glance
    assert '<span class="value">2,230</span><span class="label">Traffic at risk</span>' in glance, glance



def test_pages_already_without_value_at_the_first_check_are_no_loss_of_the_period(site: TestSite,
                                                                                  tmp_path: Path) -> None:
    """Found noindex, blocked or redirected at their first check, these pages are a baseline: velocity counts no
    link lost (nor after the rollups are rebuilt); a plain page that turns noindex later is a loss."""
    env = agency_env(tmp_path)
    build(site, env, tmp_path)
    assert report(env, "velocity")["links_lost"] == 0
    linkwatch(env, "db", "rebuild-rollups")
    assert report(env, "velocity")["links_lost"] == 0
    site.set_page("/plain", html(f"See {LINK}.", '<meta name="robots" content="noindex">'))
    linkwatch(env, "run", "--once", "--all")
    assert report(env, "velocity")["links_lost"] == 1
    found = linkwatch(env, "events", "--json", "--type", "page_noindex").stdout
    events = [json.loads(line) for line in found.splitlines()]
    assert sorted(e["detail"].get("never_seen", False) for e in events) == [False, True], events
