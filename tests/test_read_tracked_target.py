"""A page links to mysite.com/ and mysite.com/sale, both tracked; the editor removes the /sale link.
That is a lost link, not "target_changed /sale -> /": the other URL is a backlink of its own on the page.
A link that moved to an URL nobody tracks is still `target_changed`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import linkwatch
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env, import_rows

HOME = '<a href="https://mysite.com/">Mysite</a>'
SALE = '<a href="https://mysite.com/sale">the sale</a>'


def test_removing_one_of_two_tracked_links_is_lost(site: TestSite, tmp_path: Path) -> None:
    env = agency_env(tmp_path)
    site.set_page("/deals", page(HOME + SALE))
    site.set_page("/roundup", page(SALE))
    import_rows(env, tmp_path, "links.csv", "source_url,target\n"
                f"{site.url('/deals')},https://mysite.com/\n{site.url('/deals')},https://mysite.com/sale\n"
                f"{site.url('/roundup')},https://mysite.com/sale\n")
    linkwatch(env, "run", "--once")
    site.set_page("/deals", page(HOME))  # the /sale link removed; the tracked home link stays
    site.set_page("/roundup", page(HOME))  # the /sale link now points at the home page, untracked here
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")

    events = [json.loads(line) for line in linkwatch(env, "events", "--json").stdout.splitlines()]
    changed = {(e["source_url"].removeprefix(site.url("")), e["target"]): e["type"]
               for e in events if e["type"] != "new"}
    assert changed == {("/deals", "https://mysite.com/sale"): "lost",
                       ("/roundup", "https://mysite.com/sale"): "target_changed"}
    listed = linkwatch(env, "links").stdout
    deals_sale = next(line for line in listed.splitlines()
                      if site.url("/deals") in line and "https://mysite.com/sale" in line)
    assert "  Lost  " in deals_sale, listed
