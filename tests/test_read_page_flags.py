"""A referring page turns noindex, another names a different page as canonical: `links` shows the page flags
(table `PAGE` column; JSON `page_noindex`, `canonical`) and the reclaim list has both live links with their
reason, after the lost ones; a self-canonical page is not flagged."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import linkwatch
from tests.support.pages import TestSite
from tests.support.scenario import agency_env, import_rows

LINK = '<a href="https://mysite.com/">Mysite</a>'


def head_page(head: str, body: str = LINK) -> str:
    return f"<!doctype html><html><head><title>t</title>{head}</head><body><p>Hello</p>{body}</body></html>"


def test_noindex_and_canonical_elsewhere_are_shown_and_listed(site: TestSite, tmp_path: Path) -> None:
    env = agency_env(tmp_path)
    for path in ("/guide", "/copy", "/plain", "/removed"):
        site.set_page(path, head_page(f'<link rel="canonical" href="{site.url(path)}">'))
    import_rows(env, tmp_path, "links.csv", "source_url,target\n" + "".join(
        f"{site.url(p)},mysite.com\n" for p in ("/guide", "/copy", "/plain", "/removed")))
    linkwatch(env, "run", "--once")
    site.set_page("/guide", head_page('<meta name="robots" content="noindex">'))
    site.set_page("/copy", head_page(f'<link rel="canonical" href="{site.url("/original")}">'))
    site.set_page("/removed", head_page("", "<p>no link</p>"))
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")

    table = linkwatch(env, "links").stdout.splitlines()
    assert table[0].split()[-2:] == ["TAGS", "PAGE"], table[0]
    row = {path: next(line for line in table if site.url(path) in line) for path in ("/guide", "/copy", "/plain")}
    assert "  Live (followed)  " in row["/guide"] and row["/guide"].endswith("  noindex"), table
    assert "  Live (followed)  " in row["/copy"] and row["/copy"].endswith("  canonical elsewhere"), table
    assert not row["/plain"].endswith(("noindex", "elsewhere")), table
    listed = {r["source_url"]: r for r in map(json.loads, linkwatch(env, "links", "--json").stdout.splitlines())}
    assert listed[site.url("/guide")]["page_noindex"] is True and listed[site.url("/plain")]["page_noindex"] is False
    assert listed[site.url("/copy")]["canonical"] == site.url("/original")

    reclaim = json.loads(linkwatch(env, "report", "reclaim", "--site", "mysite.com", "--json").stdout)
    reasons = [(r["source_url"].removeprefix(site.url("")), r["reason"], r["evidence"]) for r in reclaim["rows"]]
    assert reasons[0][:2] == ("/removed", "removed")
    assert reasons[1:] == [("/guide", "noindex", "the page is noindex"),
                           ("/copy", "canonical_elsewhere", f"canonical {site.url('/original')}")]
    assert reclaim["by_reason"] == {"canonical_elsewhere": 1, "noindex": 1, "removed": 1}
    text = linkwatch(env, "report", "reclaim", "--site", "mysite.com").stdout
    assert "the page is noindex" in text and f"canonical {site.url('/original')}" in text, text
