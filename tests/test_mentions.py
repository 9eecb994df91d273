"""Unlinked mentions: the pure text logic, and `linkwatch mentions` crawling the local test site."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from crawler.mentions_mode import page_links, sitemap_links, visible_text
from monitor.core.mentions import contact_hints, page_mentions, sentences
from tests.support.cli import linkwatch, run_cli

PAGE = """<!doctype html><html><head><title>Acme in the title</title><style>.acme{}</style>
<script>var x = "Acme is in a script";</script></head><body>
<template><p>Acme in a template.</p></template>
<h1>Tools we like</h1>
<p>We tried many monitors. In the end ACME's checker won, hands down! Acmeology is something else.</p>
<p>Write to <a href="mailto:editor@blog.example?subject=hi">the editor</a> or use the
<a href="/contact-us">form</a>. <a href="/about">About</a> <a href="https://other.example/">x</a></p>
</body></html>"""


def test_visible_text_skips_script_style_template():
    text = visible_text(PAGE)
    assert "ACME's checker won" in text
    assert "script" not in text and "template" not in text and ".acme" not in text


def test_sentences_and_word_boundaries():
    found = page_mentions(visible_text(PAGE), page_links(PAGE, "https://blog.example/post"), "acme.com",
                          ["Acme", "checker won", "missing"])
    assert not found.links_to_site
    assert found.mentions == (("Acme", "In the end ACME's checker won, hands down!"),
                              ("checker won", "In the end ACME's checker won, hands down!"))
    assert found.contact_hints == ("mailto:editor@blog.example", "https://blog.example/contact-us",
                                   "https://blog.example/about")
    assert sentences("One. Two!  Three?\nFour") == ["One.", "Two!", "Three?", "Four"]
    assert page_mentions("Acmeology rules.", [], "acme.com", ["Acme"]).mentions == ()


def test_a_page_linking_to_the_site_is_not_a_mention():
    html = PAGE.replace("https://other.example/", "https://www.acme.com/pricing")
    found = page_mentions(visible_text(html), page_links(html, "https://blog.example/"), "acme.com", ["Acme"])
    assert found.links_to_site and found.mentions == ()
    assert contact_hints([("https://x.example/a", "Contact us"), ("javascript:void(0)", "contact")]) == (
        "https://x.example/a",)


def test_sitemap_locs():
    body = b'<?xml version="1.0"?><urlset><url><loc> https://a.example/1 </loc></url><url><loc>https://a.example/2?a=1&amp;b=2</loc></url></urlset>'
    assert [link.href for link in sitemap_links(body)] == ["https://a.example/1", "https://a.example/2?a=1&b=2"]
    assert sitemap_links(b"<html></html>") == ()


def mentions_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"), LINKWATCH_ALLOW_PRIVATE="1", LINKWATCH_DELAY="0",
               LINKWATCH_DATABASE_URL=f"sqlite:///{tmp / 'm.db'}")
    return env


def lw(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`linkwatch mentions ARGS` as a process (it crawls)."""
    return linkwatch(mentions_env(tmp), "mentions", *args, check=False, timeout=180)


def test_mentions_crawl_end_to_end(site, tmp_path):
    mention = site.set_page("/mention", PAGE)
    linked = site.set_page("/linked", PAGE.replace("https://other.example/", "https://acme.com/"))
    missing = site.url("/missing")
    site.set_page("/sitemap.xml", f"<urlset><url><loc>{mention}</loc></url><url><loc>{linked}</loc></url></urlset>",
                  content_type="application/xml")
    proc = lw(tmp_path, "--site", "acme.com", "--term", "Acme", mention, linked, missing, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["page_url"], r["term"]) for r in rows] == [(mention, "Acme")]
    assert rows[0]["sentence"] == "In the end ACME's checker won, hands down!"
    assert "mailto:editor@blog.example" in rows[0]["contact_hints"]
    assert f"could not check {missing}" in proc.stderr
    via_sitemap = lw(tmp_path, "--site", "acme.com", "--term", "Acme", "--sitemap", site.url("/sitemap.xml"))
    assert via_sitemap.returncode == 0 and "checked 3 pages" in via_sitemap.stderr, via_sitemap.stderr
    listed = lw(tmp_path, "--site", "acme.com", "--list", "--csv")
    assert listed.stdout.count("\n") == 2  # header + the one mention, stored once


def test_mentions_bounded_crawl_from_a_start_url(site, tmp_path):
    """--crawl follows links within the host breadth first, up to --max-pages, and finds the mention
    two clicks away; pages of other hosts are not crawled."""
    site.set_page("/", '<a href="/blog/">blog</a> <a href="https://other.example/">elsewhere</a>')
    site.set_page("/blog/", '<a href="/blog/post">a post</a> <a href="/blog/other">other</a>')
    post = site.set_page("/blog/post", PAGE)
    site.set_page("/blog/other", "<p>Nothing here.</p>")
    crawled = lw(tmp_path, "--site", "acme.com", "--term", "Acme", "--crawl", site.url("/"), "--json")
    assert crawled.returncode == 0, crawled.stderr
    assert [json.loads(line)["page_url"] for line in crawled.stdout.splitlines()] == [post]
    fresh = tmp_path / "bounded"
    fresh.mkdir()
    bounded = lw(fresh, "--site", "acme.com", "--term", "Acme", "--crawl", site.url("/"), "--max-pages", "2", "--json")
    assert bounded.returncode == 0 and bounded.stdout == "", bounded.stderr  # the post is the 3rd or 4th page
    assert "checked 2 pages" in bounded.stderr


@pytest.mark.parametrize("args", [["--site", "acme.com"], ["--site", "acme.com", "ftp://x/"],
                                  ["--site", "acme.com", "--crawl", "a/b"]])
def test_bad_input(tmp_path, args):
    proc = run_cli("mentions", *args, env=mentions_env(tmp_path))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
