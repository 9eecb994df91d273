"""What `linkwatch serve` logs, run as a real process for a few runs against the local test site: at the default
level one line per run (what was checked, how long, what changed) and nothing of Scrapy's, Twisted's, Alembic's,
uvicorn's or the crawl process's info lines; `[log] format = json` makes every line a JSON object with the run's
figures as fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.cli import environment, linkwatch, serve_until
from tests.support.pages import LINK, TestSite, page

TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
DURATION = r"(?:[\d.]+ s|\d+ min(?: \d+ s)?)"
CHATTER = ("alembic", "uvicorn", "scrapy", "twisted", "Context impl", "Running upgrade", "migrating database",
           "robots.txt of", "crawler:", "Started server", "Application startup", "Overridden settings")


def _serve(env: dict[str, str], tmp_path: Path, runs: int) -> tuple[str, str]:
    """serve until it logged `runs` run lines, then SIGTERM; its stdout and stderr."""
    out = tmp_path / "serve.out"
    err = serve_until(env, tmp_path / "serve.err", lambda logged: logged.count(" finished: ") >= runs, stdout=out)
    return out.read_text(), err


def _scenario(site: TestSite, tmp_path: Path, **env_vars: str) -> dict[str, str]:
    """Three referring pages (one on a closed port) checked every second, a link lost after 2 misses."""
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'lw.db'}")
    env.update(LINKWATCH_RENDER="never", LINKWATCH_CHECK_INTERVAL="1s", LINKWATCH_RECHECK_INTERVAL="1s",
               LINKWATCH_LOST_AFTER="2", **env_vars)
    site.set_page("/kept", page(LINK))
    site.set_page("/edited", page(LINK))
    for url in (site.url("/kept"), site.url("/edited"), "http://127.0.0.1:9/closed"):  # nothing listens on port 9:
        linkwatch(env, "add", url, "--target", "mysite.com")  # an error, and the crawl process's info lines
    return env


def test_serve_logs_one_line_per_run_and_no_library_chatter(site: TestSite, tmp_path: Path) -> None:
    env = _scenario(site, tmp_path)
    stdout, first = _serve(env, tmp_path, runs=1)
    site.set_page("/edited", page("<p>The link was removed.</p>"))
    stdout, stderr = _serve(env, tmp_path, runs=3)
    assert stdout == ""
    lines = stderr.splitlines()
    assert re.fullmatch(r"linkwatch serve: the web interface, /metrics and /healthz on http://127\.0\.0\.1:\d+",
                        lines[0]), stderr
    assert re.fullmatch(rf"{TIME} INFO monitor\.cli\.serve: serve: SIGTERM received, stopping", lines[-1]), stderr
    run_lines = lines[1:-1]  # the last run may have been stopped by the SIGTERM
    assert len(run_lines) >= 3 and all(
        re.fullmatch(rf"{TIME} INFO monitor\.service\.loop: run \d+ finished: 3 links checked on 3 pages in "
                     rf"{DURATION}: .*", line) for line in run_lines[:3]), stderr
    assert re.fullmatch(rf"{TIME} (INFO|WARNING) monitor\.service\.loop: run \d+ (finished|stopped): .*",
                        run_lines[-1]), stderr
    changes = [line.partition(" in ")[2].partition(": ")[2] for line in run_lines[:3]]
    assert changes == ["1 missing, 1 could not be checked, 1 followed; no changes",
                       "1 missing, 1 could not be checked, 1 followed; changes: 1 link lost",
                       "1 missing, 1 could not be checked, 1 followed; no changes"], stderr
    numbers = [int(re.search(r"run (\d+) ", line)[1]) for line in run_lines]  # type: ignore[index]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), stderr  # one line per run
    assert re.search(rf"run 1 finished: 3 links checked on 3 pages in {DURATION}: 1 could not be checked, 2 followed; "
                     "changes: 2 new links$", first.splitlines()[1]), first
    for log in (first, stderr):
        assert not [word for word in CHATTER if word in log], log


def test_serve_logs_json_lines_with_the_runs_figures(site: TestSite, tmp_path: Path) -> None:
    env = _scenario(site, tmp_path, LINKWATCH_LOG_FORMAT="json")
    stdout, stderr = _serve(env, tmp_path, runs=2)
    assert stdout == ""
    records = [json.loads(line) for line in stderr.splitlines()]
    assert records[0]["message"].startswith("linkwatch serve: the web interface, /metrics and /healthz on http://")
    assert records[0]["address"] == records[0]["message"].rpartition(" on ")[2]
    runs = [record for record in records if "run_id" in record]
    assert len(runs) == len(records) - 2 >= 2
    first = runs[0]
    assert first["message"].endswith("; changes: 2 new links")
    assert set(first) == {"time", "level", "logger", "message", "run_id", "status", "pages", "checks", "rendered",
                          "seconds", "checks_by_state", "events_by_type"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert (first["level"], first["logger"], first["status"], first["pages"], first["checks"]) == (
        "info", "monitor.service.loop", "finished", 3, 3)
    assert first["checks_by_state"] == {"live": 2, "error": 1} and first["events_by_type"] == {"new": 2}
    assert first["message"].startswith(f"run {first['run_id']} finished: 3 links checked on 3 pages in ")
    assert isinstance(first["seconds"], float) and first["seconds"] > 0
    assert records[-1]["message"] == "serve: SIGTERM received, stopping"


def test_serve_on_a_new_database_says_where_it_created_it_and_nothing_of_alembic(tmp_path: Path) -> None:
    database = tmp_path / "data" / "lw.db"
    env = environment(tmp_path, f"sqlite:///{database}")
    logged = serve_until(env, tmp_path / "serve.err", lambda text: " on http://" in text, 120)
    lines = logged.splitlines()
    assert lines[0] == f"created the database at {database}", logged
    assert re.fullmatch(r"linkwatch serve: the web interface, /metrics and /healthz on http://127\.0\.0\.1:\d+",
                        lines[1]), logged
    assert re.fullmatch(rf"{TIME} INFO monitor\.cli\.serve: serve: SIGTERM received, stopping", lines[2]), logged
    assert len(lines) == 3, logged
