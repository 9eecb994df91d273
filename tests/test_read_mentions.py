"""`linkwatch mentions` on a real local blog: a sentence naming two brand terms under a heading.  The summary
counts what is listed (one row per page and term, not one per term per sentence copy), a later crawl says how
many earlier rows it lists too, and no sentence starts with the heading above it ("News We love…")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.pages import TestSite

POST = ("<!doctype html><html><body><h2>News</h2><p>We love Acme Shoes. Acme Shoes fit well!</p>"
        "<ul><li>Acme trail runners</li></ul><a href='mailto:editor@blog.example'>write to us</a></body></html>")
OTHER = "<!doctype html><html><body><h1>Reviews</h1><div>Acme makes great shoes.</div></body></html>"


def mentions(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), LINKWATCH_ALLOW_PRIVATE="1",
               LINKWATCH_DELAY="0", LINKWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}")
    done = subprocess.run([sys.executable, "-m", "monitor", "mentions", "--site", "acme.com", "--term", "Acme",
                           "--term", "Acme Shoes", *args], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    return done


def test_mentions_count_what_is_listed_and_keep_headings_apart(site: TestSite, tmp_path: Path) -> None:
    post = site.set_page("/news", POST)
    first = mentions(tmp_path, post, "--json")
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    assert sorted((r["term"], r["sentence"]) for r in rows) == [("Acme", "We love Acme Shoes."),
                                                                ("Acme Shoes", "We love Acme Shoes.")]
    assert first.stderr.splitlines()[-1] == ("checked 1 page for Acme, Acme Shoes: "
                                             "2 unlinked mentions on 1 page (2 new)")

    other = site.set_page("/reviews", OTHER)
    second = mentions(tmp_path, other)
    assert second.stderr.splitlines()[-1] == (
        "checked 1 page for Acme, Acme Shoes: 1 unlinked mention on 1 page (1 new); "
        "listing all 3 stored for acme.com, earlier crawls' included")
    table = second.stdout.splitlines()
    assert len(table) == 1 + 3, second.stdout  # header, three rows
    assert "Acme makes great shoes." in second.stdout and "Reviews Acme" not in second.stdout
    assert "News We love" not in second.stdout
