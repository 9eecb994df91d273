"""Hostile pages against `linkwatch check` run as a process (tests/fixtures_hostile.py serves them).

Each ends with the right state and reason and none is a false `lost`; the peak RSS
of the whole process tree (linkwatch and its crawler child) stays under a generous
bound.  Time is bounded by the command's own --timeout, pytest-timeout is the
backstop; no assertion is about time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_hostile import HostileServer, run_measured
from tests.support.cli import LINKWATCH, check_environment

pytestmark = pytest.mark.serial  # measures the peak memory of its process tree: alone, after the rest
MiB = 1024 * 1024
PEAK_BOUND = 1500 * MiB  # the tree: Python + Scrapy child + one parsed page; a 1 GiB body must not show up


def check(urls: list[str], tmp: Path, *extra: str, **env: str) -> tuple[dict[str, dict[str, Any]], int]:
    environ = check_environment(tmp, **env)
    cmd = [*LINKWATCH, "check", *urls, "--target", "example.com", "--render", "never",
           "--json", *extra]
    proc, peak = run_measured(cmd, environ)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    return {line["url"]: line for line in lines}, peak


CASES = {  # path -> (state, a word of the reason, or None)
    "/gb": ("error", "too large"),
    "/drip": ("error", "timeout"),
    "/midclose": ("error", None),
    "/hugeheaders": (None, None),  # accepted or refused, but never lost
    "/deep": ("live", None),
    "/mixed": ("live", None),
    "/badlabel": ("live", None),
    "/challenge503": ("blocked", "challenge"),
}


@pytest.fixture(scope="module")
def hostile_results(hostile_server: HostileServer, tmp_path_factory: pytest.TempPathFactory,
                    ) -> tuple[dict[str, dict[str, Any]], int]:
    urls = [hostile_server.url(path) for path in CASES]
    return check(urls, tmp_path_factory.mktemp("hostile"), "--timeout", "8")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", CASES)
def test_hostile_page(hostile_server: HostileServer, hostile_results: tuple[dict[str, dict[str, Any]], int],
                      path: str) -> None:
    results, _ = hostile_results
    result = results[hostile_server.url(path)]
    state, reason = CASES[path]
    assert result["state"] != "lost", result
    if state is not None:
        assert result["state"] == state, result
    if reason is not None:
        assert reason in (result["error"] or "").lower(), result
    if result["state"] == "error":
        assert result["error"], "an error names its reason"


@pytest.mark.timeout(300)
def test_hostile_batch_peak_memory(hostile_results: tuple[dict[str, dict[str, Any]], int]) -> None:
    _, peak = hostile_results
    assert 0 < peak < PEAK_BOUND, f"peak RSS of the check process tree: {peak / MiB:.0f} MiB"


@pytest.mark.timeout(600)
def test_a_million_links_on_one_page(hostile_server: HostileServer, tmp_path: Path) -> None:
    url = hostile_server.url("/million")
    results, peak = check([url], tmp_path, "--timeout", "120", "--max-bytes", str(100 * MiB))
    assert results[url]["state"] == "live", results[url]
    assert [link["href"] for link in results[url]["links"]] == ["https://example.com/"]
    assert peak < PEAK_BOUND, f"peak RSS of the check process tree: {peak / MiB:.0f} MiB"


@pytest.mark.timeout(300)
def test_ssrf_public_looking_name_mapped_to_loopback_is_blocked(hostile_server: HostileServer,
                                                               tmp_path: Path) -> None:
    """LINKWATCH_ALLOW_PRIVATE unset: a name that looks public but resolves to 127.0.0.1 is refused."""
    url = hostile_server.url("/deep", host="www.public-looking.com")
    results, _ = check([url], tmp_path, "--timeout", "8", LINKWATCH_ALLOW_PRIVATE="",
                       LINKWATCH_RESOLVE="www.public-looking.com:127.0.0.1")
    assert results[url]["state"] == "blocked", results[url]
    assert "ssrf" in results[url]["error"].lower()
