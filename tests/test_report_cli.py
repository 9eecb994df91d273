"""`linkwatch report`, `linkwatch disavow` (in-process, tests.support.cli.run_cli) over the seeded profile; the
HTML report in Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from monitor.store import db
from tests.fixtures_reports import seed_profile
from tests.support.cli import run_cli

CONFIG = """
[database]
url = "{url}"
[[site]]
domain = "acme.com"
brand_terms = ["Acme"]
keywords = ["backlink monitor", "link checker"]
"""


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = db.connect(url)
    seed_profile(engine)
    engine.dispose()
    (tmp_path / "config.toml").write_text(CONFIG.format(url=url))
    (tmp_path / "config.toml").chmod(0o600)  # a config file others can read is warned about on stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), LINKWATCH_CONFIG=str(tmp_path / "config.toml"))
    return env


def lw(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env)


def test_table_json_and_csv(cli_env):
    table = lw(cli_env, "report", "ratio")
    assert table.returncode == 0, table.stderr
    assert "referring domains" in table.stdout and "1.67:1" in table.stdout and "warning:" in table.stdout
    data = json.loads(lw(cli_env, "report", "velocity", "--since", "2026-02-01", "--json").stdout)
    assert data["report"] == "velocity" and (data["links_gained"], data["links_lost"]) == (6, 2)
    rows = list(csv.DictReader(io.StringIO(lw(cli_env, "report", "reclaim", "--csv").stdout)))
    assert [r["reason"] for r in rows] == ["page_gone", "removed", "made_nofollow", "removed"]
    assert rows[0]["contact_hints"] == "mailto:editor@f.example"


def test_csv_neutralises_formulas(cli_env, tmp_path):
    with db.session(db.connect(f"sqlite:///{tmp_path / 'cli.db'}")) as s:
        from monitor.store.models import Backlink
        s.query(Backlink).filter_by(source_url="https://a.example/p1").one().anchor = "=HYPERLINK(\"http://x\")"
    out = lw(cli_env, "report", "anchors", "--csv").stdout
    assert "'=hyperlink" in out.lower()
    assert not any(line.lstrip('"').startswith("=") for line in out.splitlines())


@pytest.mark.parametrize("args, message", [
    (["report", "traffic", "--since", "yesterday-ish"], "--since"),
    (["report", "traffic", "--site", "nowhere.example"], "no site"),
    (["report"], "which report"),
    (["report", "ratio", "--verify"], "--verify"),
    (["report", "ratio", "--html", "x.html"], "--html"),
    (["disavow", "add", "domain:x.example/path"], "bare domain"),
    (["disavow", "check", "/nonexistent/file.txt"], "cannot read"),
])
def test_bad_input_is_one_line_exit_2(cli_env, args, message):
    proc = lw(cli_env, *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_disavow_round_trip(cli_env, tmp_path):
    listing = tmp_path / "toxic.txt"
    listing.write_text("# from an audit\ndomain:spam.example\nhttps://bad.example/page\n")
    added = lw(cli_env, "disavow", "add", "--file", str(listing), "--reason", "audit 2026")
    assert added.returncode == 0 and "2 added" in added.stdout and "manual action" in added.stderr
    assert lw(cli_env, "disavow", "add", "other.example").returncode == 0
    assert "1 removed" in lw(cli_env, "disavow", "remove", "other.example").stdout
    out = tmp_path / "disavow.txt"
    export = lw(cli_env, "disavow", "export", "-o", str(out))
    assert export.returncode == 0, export.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [ln for ln in lines if not ln.startswith("#")] == ["domain:spam.example", "https://bad.example/page"]
    assert lw(cli_env, "disavow", "check", str(out)).returncode == 0
    broken = tmp_path / "broken.txt"
    broken.write_text("domain:ok.example\nexample.org\n")
    check = lw(cli_env, "disavow", "check", str(broken))
    assert check.returncode == 1 and "line 2:" in check.stdout


def test_disavow_by_tag(cli_env, tmp_path):
    from monitor.store.models import Backlink, BacklinkTag
    with db.session(db.connect(f"sqlite:///{tmp_path / 'cli.db'}")) as s:
        for url in ("https://b.example/x", "https://c.example/y"):
            s.add(BacklinkTag(backlink_id=s.query(Backlink).filter_by(source_url=url).one().id, tag="pbn"))
    assert "2 added" in lw(cli_env, "disavow", "add", "--tag", "pbn").stdout
    assert lw(cli_env, "disavow", "export").stdout.count("domain:") == 2


@pytest.mark.chromium
def test_html_report_renders_offline(cli_env, tmp_path, chromium_browser):
    page_file = tmp_path / "report.html"
    proc = lw(cli_env, "report", "--html", str(page_file), "--since", "2026-01-01")
    assert proc.returncode == 0, proc.stderr
    html = page_file.read_text(encoding="utf-8")
    assert "<script" not in html and "http-equiv=\"Content-Security-Policy\"" in html
    requests: list[str] = []
    errors: list[str] = []
    page = chromium_browser.new_page(viewport={"width": 1200, "height": 900})
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    assert page.locator("section").count() == 9, "the summary, then the eight reports"
    assert page.locator("svg rect").count() > 20
    assert page.locator("#velocity svg").count() == 2
    assert "1.67:1" in page.inner_text("#ratio")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.close()
    assert errors == []
    assert requests == [page_file.as_uri()]
