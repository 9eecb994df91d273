"""What a link is worth to Google (issue 17): `link_demoted` / `link_promoted` when an editor moves a link
between the article and its footer, and `page_blocked_for_google` when a robots.txt starts disallowing
Googlebot only, each through `linkwatch run` on real local pages: the events (JSON, `--type`), the default
alert routing (demoted and blocked are sent, promoted is not), the page flag of `links` (table and JSON),
the Links filter, the reclaim list and velocity, and the Prometheus events metric's `type` label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from monitor.store.db import connect
from monitor.store.link_pages import LinkFilter, backlink_page
from tests.support.cli import linkwatch
from tests.support.pages import TestSite
from tests.support.scenario import agency_env, import_rows, slack_sections
from tests.support.store import link_event_samples

LINK = '<a href="https://mysite.com/">Mysite</a>'


def article(in_text: bool) -> str:
    """A review whose link to mysite.com is in the article's sentence, or moved into the footer."""
    sentence = f"We tried every tool and {LINK} was the fastest of them." if in_text else "We tried every tool."
    footer = f"Partners: {LINK}" if not in_text else "Partners: none"
    return (f"<!doctype html><html><head><title>Review</title></head><body><main><article><h1>Review</h1>"
            f"<p>{sentence}</p></article></main><footer><p>{footer}</p></footer></body></html>")


def events(env: dict[str, str], kind: str) -> list[dict[str, Any]]:
    out = linkwatch(env, "events", "--json", "--type", kind).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def listed(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {r["source_url"]: r for r in map(json.loads, linkwatch(env, "links", "--json").stdout.splitlines())}


def event_counts(tmp_path: Path) -> dict[str, float]:
    """linkwatch_link_events_total of mysite.com (role own) by type."""
    return {labels["type"]: value for _, labels, value in link_event_samples(f"sqlite:///{tmp_path / 'lw.db'}")
            if labels["site"] == "mysite.com" and labels["role"] == "own"}


def test_link_moved_to_the_footer_is_demoted_and_back_promoted(site: TestSite, tmp_path: Path,
                                                              http_sink: Any) -> None:
    env = agency_env(tmp_path, http_sink=http_sink)
    site.set_page("/review", article(in_text=True))
    site.set_page("/steady", article(in_text=True))
    import_rows(env, tmp_path, "links.csv", f"source_url,target\n{site.url('/review')},mysite.com\n"
                                            f"{site.url('/steady')},mysite.com\n")
    linkwatch(env, "run", "--once")
    assert events(env, "link_demoted") == []

    site.set_page("/review", article(in_text=False))  # the editor moves the link into the footer
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")  # once per move, not on every check
    demoted = events(env, "link_demoted")
    assert [e["source_url"] for e in demoted] == [site.url("/review")], demoted
    detail = demoted[0]["detail"]
    assert (detail["old_position"], detail["new_position"]) == ("content", "footer"), detail
    assert detail["anchor"] == "Mysite" and detail["http_status"] == 200 and detail["follow"] is True, detail
    assert demoted[0]["old_state"] == demoted[0]["new_state"] == "live"
    links = listed(env)
    assert links[site.url("/review")]["position"] == "footer" and links[site.url("/steady")]["position"] == "content"

    site.set_page("/review", article(in_text=True))  # and back into the article
    linkwatch(env, "run", "--once", "--all")
    promoted = events(env, "link_promoted")
    assert [(e["source_url"], e["detail"]["old_position"], e["detail"]["new_position"]) for e in promoted] == [
        (site.url("/review"), "footer", "content")]
    assert len(events(env, "link_demoted")) == 1

    linkwatch(env, "alerts", "send")  # demoted is alerted by default, promoted (good news) is not
    sections = slack_sections(http_sink)
    assert any(s.startswith("*Link moved out of the article*") for s in sections), sections
    assert not any("Link moved into the article" in s for s in sections), sections
    counts = event_counts(tmp_path)
    assert (counts["link_demoted"], counts["link_promoted"]) == (1, 1), counts


def test_robots_txt_blocking_googlebot_only(site: TestSite, tmp_path: Path) -> None:
    env = agency_env(tmp_path)
    for path in ("/blocked", "/open"):
        site.set_page(path, article(in_text=True))
    import_rows(env, tmp_path, "links.csv", f"source_url,target\n{site.url('/blocked')},mysite.com\n"
                                            f"{site.url('/open')},mysite.com\n")
    linkwatch(env, "run", "--once")
    assert listed(env)[site.url("/blocked")]["page_blocked_for_google"] is False

    site.set_robots("User-agent: Googlebot\nDisallow: /blocked\n\nUser-agent: *\nAllow: /\n")
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")  # once, when the page becomes blocked
    blocked = events(env, "page_blocked_for_google")
    assert [(e["source_url"], e["old_state"], e["new_state"]) for e in blocked] == [
        (site.url("/blocked"), "live", "live")], blocked
    assert blocked[0]["detail"]["http_status"] == 200

    links = listed(env)
    assert links[site.url("/blocked")]["page_blocked_for_google"] is True
    assert links[site.url("/open")]["page_blocked_for_google"] is False
    assert links[site.url("/blocked")]["state"] == "live"  # linkwatch itself may still read it
    checked = linkwatch(env, "check", site.url("/blocked"), site.url("/open"), "--target", "mysite.com").stdout
    assert [site.url("/open") in line for line in checked.splitlines() if "blocked for Google" in line] == [False]
    table = linkwatch(env, "links").stdout.splitlines()
    row = {path: next(line for line in table if site.url(path) in line) for path in ("/blocked", "/open")}
    assert row["/blocked"].endswith("  blocked for Google") and not row["/open"].endswith("Google"), table
    engine = connect(env["LINKWATCH_DATABASE_URL"])
    try:
        items, _ = backlink_page(engine, LinkFilter(flags=("blocked_for_google",)))
    finally:
        engine.dispose()
    assert [item["source_url"] for item in items] == [site.url("/blocked")]

    reclaim = json.loads(linkwatch(env, "report", "reclaim", "--site", "mysite.com", "--json").stdout)
    assert [(r["source_url"], r["reason"], r["evidence"]) for r in reclaim["rows"]] == [
        (site.url("/blocked"), "blocked_for_google", "blocked for Google by robots.txt")]
    assert reclaim["by_reason"] == {"blocked_for_google": 1}
    velocity = json.loads(linkwatch(env, "report", "velocity", "--site", "mysite.com", "--json").stdout)
    assert velocity["links_lost"] == 1, velocity
    assert event_counts(tmp_path)["page_blocked_for_google"] == 1

    site.set_robots("User-agent: *\nAllow: /\n")  # lifted: the flag goes, no event
    linkwatch(env, "run", "--once", "--all")
    assert listed(env)[site.url("/blocked")]["page_blocked_for_google"] is False
    assert len(events(env, "page_blocked_for_google")) == 1
    reclaim = json.loads(linkwatch(env, "report", "reclaim", "--site", "mysite.com", "--json").stdout)
    assert reclaim["rows"] == []
