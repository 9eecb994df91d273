"""`linkwatch sites` (list, add, remove) and the rule that a target outside your sites needs `--new-site`
(`add`, `import`), against a real database, run in-process (tests.support.cli.StoreCli)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import StoreCli
from tests.support.store import ingest_a_cycle

TYPO = ("acmeshoes.con is not one of your sites (did you mean acmeshoes.com?): check the spelling, or add "
        "--new-site to start monitoring it")


@pytest.fixture
def lw(database_url: str, tmp_path: Path) -> StoreCli:
    """The commands on a fresh database (SQLite and PostgreSQL), with a config file naming a competitor."""
    config = tmp_path / "config.toml"
    config.write_text('[[site]]\ndomain = "rival.com"\ncompetitor = true\n')
    config.chmod(0o600)
    cli = StoreCli(database_url, tmp_path)
    cli.env["LINKWATCH_CONFIG"] = str(config)
    return cli


@pytest.fixture
def lw_sqlite(tmp_path: Path) -> StoreCli:
    """The commands on a fresh SQLite database, without a config file."""
    return StoreCli(f"sqlite:///{tmp_path / 'linkwatch.db'}", tmp_path)


def test_sites_lists_role_and_counts(lw: StoreCli) -> None:
    for path in ("a", "b", "c"):
        lw("add", f"https://blog.example.org/{path}", "--target", "acmeshoes.com")
    ingest_a_cycle(lw.database_url, "acmeshoes.com")
    for _ in range(2):  # lost after two checks without the link
        ingest_a_cycle(lw.database_url, "acmeshoes.com", without={"https://blog.example.org/c"})
    lw("add", "https://news.example.net/x", "--target", "rival.com")  # configured: no --new-site needed

    listed = lw.json_lines("sites", "--json")
    assert [(s["domain"], s["role"], s["backlinks"], s["live_followed"], s["lost"], s["configured"])
            for s in listed] == [("acmeshoes.com", "own", 3, 2, 1, False), ("rival.com", "competitor", 1, 0, 0, True)]
    table = lw("sites").stdout.splitlines()
    assert table[0].split() == ["SITE", "ROLE", "BACKLINKS", "LIVE,", "FOLLOWED", "LOST", "MONITORED", "SINCE"]
    assert table[1].split()[:5] == ["acmeshoes.com", "yours", "3", "2", "1"], table
    assert table[2].split()[:2] == ["rival.com", "competitor"], table
    assert "UTC" in table[1] and "T" not in table[1].split("UTC")[0].split()[-1], table


def test_a_configured_site_is_listed_before_it_is_stored(lw: StoreCli) -> None:
    assert "no sites yet" not in lw("sites").stderr
    assert lw("sites").stdout.splitlines()[1].split()[:2] == ["rival.com", "competitor"]
    assert lw.json_lines("sites", "--json")[0]["stored"] is False
    assert "config file only" in lw("sites").stdout
    assert "only named in the config file" in lw.error("sites", "remove", "rival.com")
    assert "change its role there" in lw.error("sites", "add", "rival.com")


def test_a_typo_in_add_target_is_refused_and_can_be_removed(lw_sqlite: StoreCli) -> None:
    lw = lw_sqlite
    assert "no sites yet" in lw("sites").stderr
    lw("add", "https://blog.example.org/a", "--target", "acmeshoes.com")  # the first add creates your site
    before = lw("links", "--json").stdout
    assert lw.error("add", "https://blog.example.org/b", "--target", "https://acmeshoes.con/sale") == (
        f"linkwatch: error: {TYPO}")
    assert lw("links", "--json").stdout == before, "nothing stored"
    assert [s["domain"] for s in lw.json_lines("sites", "--json")] == ["acmeshoes.com"]

    lw("add", "https://blog.example.org/b", "--target", "acmeshoes.con", "--new-site")
    lw("add", "https://blog.example.org/c", "--target", "acmeshoes.con")  # a site now: no flag needed
    ingest_a_cycle(lw.database_url, "acmeshoes.con")
    assert lw.error("sites", "remove", "acmeshoes.con") == (
        "linkwatch: error: acmeshoes.con has 2 backlinks: add --with-backlinks to remove them with the site "
        "(their check history and events go too)")
    assert len(lw.json_lines("links", "--json")) == 3
    assert lw("sites", "remove", "www.acmeshoes.con", "--with-backlinks").stdout == (
        "removed acmeshoes.con and its 2 backlinks\n")
    assert [link["site"] for link in lw.json_lines("links", "--json")] == ["acmeshoes.com"]
    assert lw.json_lines("events", "--json", "--site", "acmeshoes.con") == []
    assert [s["domain"] for s in lw.json_lines("sites", "--json")] == ["acmeshoes.com"]
    assert lw.error("sites", "remove", "acmeshoes.con") == (
        "linkwatch: error: acmeshoes.con is not one of your sites (did you mean acmeshoes.com?)")


def test_sites_add_and_change_role(lw_sqlite: StoreCli) -> None:
    lw = lw_sqlite
    assert lw("sites", "add", "https://www.acmeshoes.com/").stdout == "added acmeshoes.com as one of your own sites\n"
    assert lw("sites", "add", "acmeshoes.com").stdout == "acmeshoes.com is already one of your own sites\n"
    assert lw("sites", "add", "rival.com", "--competitor").stdout == "added rival.com as a competitor's site\n"
    lw("add", "https://blog.example.org/a", "--target", "rival.com")  # stored by `sites add`: a site
    assert lw("sites", "add", "rival.com").stdout == "rival.com is now one of your own sites\n"
    assert lw("sites", "remove", "acmeshoes.com").stdout == "removed acmeshoes.com\n"  # no backlinks: no flag
    assert "DOMAIN" in lw.error("sites", "add", "https://acmeshoes.com/blog/post")
    assert "DOMAIN" in lw.error("sites", "add", "not a domain")


def test_import_creates_sites_only_on_first_use(lw_sqlite: StoreCli, tmp_path: Path) -> None:
    lw = lw_sqlite
    first = tmp_path / "ahrefs.csv"
    first.write_text("source_url,target\nhttps://a.example.org/1,acmeshoes.com\nhttps://a.example.org/2,"
                     "https://acmeshoes.com/sale\n")
    assert "added 2" in lw("import", str(first)).stdout  # an empty database: your first import
    second = tmp_path / "more.csv"
    second.write_text("source_url,target\nhttps://b.example.org/1,acmeshoes.com\nhttps://b.example.org/2,"
                      "acmeshoes.con\n")
    message = lw.error("import", str(second))
    assert message == ("linkwatch: error: more.csv: the targets are on a domain that is not one of your sites: "
                       "acmeshoes.con (did you mean acmeshoes.com?); check the spelling, or add --new-site to start "
                       "monitoring it; nothing imported")
    assert len(lw.json_lines("links", "--json")) == 2, "all or nothing"
    gsc = tmp_path / "gsc.csv"
    gsc.write_text("Linking page,Last crawled\nhttps://g.example.org/,2026-09-01\n")
    assert "acmeshoes.co " in lw.error("import", str(gsc), "--target-site", "acmeshoes.co") + " "
    assert "added 2" in lw("import", str(second), "--new-site").stdout
    assert [s["domain"] for s in lw.json_lines("sites", "--json")] == ["acmeshoes.com", "acmeshoes.con"]


def test_competitor_events_read_as_competitors(lw: StoreCli) -> None:
    lw("add", "https://news.example.net/x", "--target", "rival.com")
    ingest_a_cycle(lw.database_url, "rival.com")
    assert [e["role"] for e in lw.json_lines("events", "--json")] == ["competitor"]
    assert "rival.com (competitor)  New link found" in lw("events").stdout
