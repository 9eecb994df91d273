"""The monitoring loop end to end: `linkwatch add`, `run --once` as real processes against a local site
whose pages change between runs, then `linkwatch events --json`; on SQLite and PostgreSQL.
Also: a run killed with -9 mid-way leaves a consistent database and the next run does the rest."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Backlink, Check, CheckRun, EventRecord
from tests.support.cli import LINKWATCH, environment, linkwatch
from tests.support.pages import LINK, TestSite, page

NOFOLLOW_LINK = '<a href="https://mysite.com/" rel="nofollow">My site</a>'
JS_LINK = ("<div id=x></div><script>var a = document.createElement('a'); a.href = 'https://mysite.com/'; "
           "a.textContent = 'My site'; document.getElementById('x').appendChild(a);</script>")


def event_pairs(rows: list[dict[str, Any]], site: TestSite) -> Counter[tuple[str, str, str]]:
    prefix = site.url("")
    return Counter((e["type"], e["source_url"].removeprefix(prefix), e["target"]) for e in rows)


def stored_events(database_url: str) -> list[dict[str, Any]]:
    """The events as stored (read directly: cheaper than a `linkwatch events` process between runs)."""
    with session(connect(database_url)) as s:
        rows = s.execute(select(EventRecord.type, Backlink.source_url, Backlink.target)
                         .join(Backlink, Backlink.id == EventRecord.backlink_id)).all()
    return [{"type": kind, "source_url": url, "target": target} for kind, url, target in rows]


def stored_links(database_url: str, site: TestSite) -> dict[tuple[str, str], Any]:
    with session(connect(database_url)) as s:
        rows = s.scalars(select(Backlink)).all()
    return {(row.source_url.removeprefix(site.url("")), row.target): row for row in rows}


@pytest.mark.chromium
@pytest.mark.timeout(900)  # several crawls with Chromium, slow on a loaded machine
def test_pages_changing_between_runs(site: TestSite, database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path, database_url)
    for path in ("/removed", "/nofollow", "/gone", "/flap"):
        site.set_page(path, page(LINK))
    site.set_page("/js", page(JS_LINK))
    site.set_page("/pending", page(""))
    site.set_page("/shared", page(LINK + '<a href="https://mysite.com/pricing">pricing</a>'
                                  '<a href="https://mysite.com/blog">blog</a>'))
    rows = [(path, "mysite.com") for path in ("/removed", "/nofollow", "/gone", "/flap", "/js")]
    rows += [("/shared", target) for target in ("mysite.com", "https://mysite.com/pricing", "https://mysite.com/blog")]
    (tmp_path / "links.csv").write_text("source_url,target\n" + "".join(f"{site.url(p)},{t}\n" for p, t in rows))
    linkwatch(env, "import", str(tmp_path / "links.csv"))
    linkwatch(env, "add", site.url("/pending"), "--target", "mysite.com", "--status", "pending")

    first = linkwatch(env, "run", "--once")
    assert "changes, most urgent first: " in first.stdout
    shown = re.search(r"^rendered in Chromium: (\d+) of (\d+) pages \((\d+)%\)$", first.stdout, re.MULTILINE)
    assert shown, first.stdout
    writes = re.search(r"^database: (\d+) transactions?, [\d.]+ s writing \([\d.]+ s of CPU\)$", first.stdout,
                       re.MULTILINE)
    assert writes and int(writes[1]) >= 1, first.stdout
    with session(connect(database_url)) as s:
        run = s.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first()
        assert run is not None and (run.rendered, run.pages) == (int(shown[1]), int(shown[2]))
    assert 1 <= run.rendered < run.pages and int(shown[3]) == round(100 * run.rendered / run.pages)
    # one fetch for three backlinks (every link followed: nothing to render)
    assert site.requests.count(("127.0.0.1", "/shared")) == 1
    new = {(path, target) for kind, path, target in event_pairs(stored_events(database_url), site) if kind == "new"}
    assert new == {("/removed", "mysite.com"), ("/nofollow", "mysite.com"), ("/gone", "mysite.com"),
                   ("/flap", "mysite.com"), ("/js", "mysite.com"), ("/shared", "mysite.com"),
                   ("/shared", "https://mysite.com/pricing"), ("/shared", "https://mysite.com/blog")}
    state = stored_links(database_url, site)
    assert state["/js", "mysite.com"].state == "live"  # found only by rendering
    assert state["/shared", "https://mysite.com/blog"].state == "live"
    assert state["/pending", "mysite.com"].state == "pending"

    site.set_page("/removed", page(""))
    site.set_page("/nofollow", page(NOFOLLOW_LINK))
    site.set_page("/gone", "not here", status=404)
    site.set_page("/flap", page(""))
    site.set_page("/pending", page(LINK))
    linkwatch(env, "run", "--once", "--all")
    after_two = event_pairs(stored_events(database_url), site)
    assert after_two["nofollow", "/nofollow", "mysite.com"] == 1
    assert after_two["went_live", "/pending", "mysite.com"] == 1
    assert not {kind for kind, _, _ in after_two} & {"lost", "page_gone"}  # one miss is not a loss
    state = stored_links(database_url, site)
    assert state["/removed", "mysite.com"].state == "live"  # suspected, not confirmed
    assert state["/removed", "mysite.com"].next_due_at < state["/js", "mysite.com"].next_due_at  # re-checked sooner

    site.set_page("/flap", page(LINK))
    linkwatch(env, "run", "--once", "--all")
    site.set_page("/flap", page(""))
    linkwatch(env, "run", "--once", "--all")

    listed = [json.loads(line) for line in linkwatch(env, "events", "--json").stdout.splitlines()]
    final = event_pairs(listed, site)
    assert final["lost", "/removed", "mysite.com"] == 1
    assert final["page_gone", "/gone", "mysite.com"] == 1
    assert final["nofollow", "/nofollow", "mysite.com"] == 1
    assert not [key for key in final if key[1] == "/flap" and key[0] != "new"]  # flapping: no storm
    assert sum(final.values()) == 8 + 4  # 8 new, nofollow, went_live, lost, page_gone
    lost = next(e for e in listed if e["type"] == "lost")
    assert lost["old_state"] == "live" and lost["new_state"] == "lost"
    assert lost["detail"]["http_status"] == 200 and lost["detail"]["last_href"] == "https://mysite.com/"
    nofollow = next(e for e in listed if e["type"] == "nofollow")
    assert nofollow["detail"]["reason"] == "rel_nofollow"
    state = stored_links(database_url, site)
    assert state["/gone", "mysite.com"].state == "gone" and state["/removed", "mysite.com"].state == "lost"
    with session(connect(database_url)) as s:
        rendered = s.scalars(select(Check.rendered).join(Backlink).where(Backlink.source_url == site.url("/js")))
        assert all(rendered.all())


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _checks(database_url: str) -> int:
    with session(connect(database_url)) as s:
        return int(s.scalar(select(func.count()).select_from(Check)) or 0)


@pytest.mark.timeout(600)
def test_kill_mid_run_then_next_run_completes(site: TestSite, database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path, database_url, "[schedule]\nbatch_size = 3\n")
    pages = 40
    with open(tmp_path / "links.csv", "w") as handle:
        handle.write("source_url,target\n")
        for number in range(pages):
            site.set_page(f"/slow/{number}", page(LINK), delay=0.4)
            handle.write(f"{site.url(f'/slow/{number}')},mysite.com\n")
    linkwatch(env, "import", str(tmp_path / "links.csv"))
    runner = subprocess.Popen([*LINKWATCH, "run", "--once", "--render", "never", "--concurrency", "4"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while _checks(database_url) < 6 and runner.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runner.poll() is None, "the run ended before it could be killed"
    for child in _children(runner.pid):  # the crawl child runs in its own process group
        os.killpg(child, signal.SIGKILL)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()

    engine = connect(database_url)
    with session(engine) as s:
        checked = dict(s.execute(select(Check.backlink_id, func.count()).group_by(Check.backlink_id)).all())
        backlinks = s.execute(select(Backlink.id, Backlink.state, Backlink.last_checked)).all()
    assert 0 < len(checked) < pages and set(checked.values()) == {1}
    for backlink_id, state, last_checked in backlinks:  # the state moved exactly for the ingested checks
        assert (state == "live") == (backlink_id in checked) == (last_checked is not None)

    second = linkwatch(env, "run", "--once", "--render", "never", "--concurrency", "8")
    assert f"{pages - len(checked):,} links checked" in second.stdout
    with session(engine) as s:
        counts = s.execute(select(Check.backlink_id, func.count()).group_by(Check.backlink_id)).all()
        runs = dict(s.execute(select(CheckRun.id, CheckRun.status)).all())
        states = set(s.scalars(select(Backlink.state)))
    assert len(counts) == pages and {n for _, n in counts} == {1}  # exactly one check per backlink
    assert states == {"live"}
    assert sorted(runs.values()) == ["failed", "finished"]  # the killed run is recorded as failed


@pytest.mark.chromium
@pytest.mark.timeout(600)
def test_a_link_from_a_late_api_is_never_lost(site: TestSite, tmp_path: Path) -> None:
    # live in the static HTML first; then the page loads it from an API that answers a second after `load`
    database_url = f"sqlite:///{tmp_path / 'linkwatch.db'}"
    env = {**environment(tmp_path, database_url, "[schedule]\nlost_after = 2\n"), "LINKWATCH_RENDER": "auto"}
    site.set_page("/widget", page(LINK))
    linkwatch(env, "add", site.url("/widget"), "--target", "mysite.com")
    linkwatch(env, "run", "--once", "--all")
    site.set_page("/api/links", '["https://mysite.com/"]', content_type="application/json", delay=1.0)
    site.set_page("/widget", page("<script>addEventListener('load', () => fetch('/api/links').then(r => r.json())"
                                  ".then(hrefs => hrefs.forEach(h => { const a = document.createElement('a'); "
                                  "a.href = h; a.textContent = 'My site'; document.body.appendChild(a); })));"
                                  "</script>"))
    for _ in range(3):
        linkwatch(env, "run", "--once", "--all")
    assert event_pairs(stored_events(database_url), site) == Counter({("new", "/widget", "mysite.com"): 1})
    assert stored_links(database_url, site)["/widget", "mysite.com"].state == "live"
    assert site.requests.count(("127.0.0.1", "/api/links")) == 3  # rendered each time
