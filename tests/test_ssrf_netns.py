"""The SSRF guard with a public address: redirects and DNS answers from public to loopback (a network namespace).

No public address exists on the build machine, so tests/netns_ssrf.py runs in a
network namespace of its own (`unshare --net --mount`; as another user than root with
`--user --map-root-user`) where 93.184.216.34 -- a global unicast address, checked
with `ipaddress` -- is added to `lo`, and a DNS server of its own answers.  With
LINKWATCH_ALLOW_PRIVATE unset, a page on the public address is `live`, and every way
from it to 127.0.0.1 is `blocked` by the "ssrf guard" without the loopback server ever
seeing a request: a redirect to 127.0.0.1, to a LINKWATCH_RESOLVE name of it, from a
public DNS name to a DNS name of loopback, and to the same name once its DNS answer
has changed to loopback (DNS rebinding); a name answering loopback *and* public is
fetched from the public address only.  The same checks with LINKWATCH_ALLOW_PRIVATE=1
reach the loopback server, so the redirects really lead there.

Needs util-linux's `unshare` and iproute2's `ip` (`make setup` installs them); it
fails, never skips, when they or the namespace are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.netns_ssrf import PUBLIC

ROOT = Path(__file__).resolve().parent.parent
# crawls (in the namespace: no fixture tells it); serial: a namespace of its own, root's mounts, minutes of CPU
pytestmark = [pytest.mark.crawl, pytest.mark.serial]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    missing = [tool for tool in ("unshare", "ip", "mount") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"needs {', '.join(missing)}: install util-linux, iproute2 and mount (`make setup`)",
                    pytrace=False)
    work = tmp_path_factory.mktemp("netns")
    namespaces = ["--net", "--mount"] if os.geteuid() == 0 else ["--user", "--map-root-user", "--net", "--mount"]
    proc = subprocess.run(["unshare", *namespaces, "--", sys.executable, "-m", "tests.netns_ssrf", str(work)],
                          cwd=ROOT, capture_output=True, text=True, timeout=400)
    if proc.returncode != 0:
        pytest.fail(f"the network namespace scenario failed (exit {proc.returncode}): {proc.stderr[-2000:]}",
                    pytrace=False)
    return dict(json.loads(proc.stdout))


BLOCKED = ["public -> 127.0.0.1", "public -> LINKWATCH_RESOLVE name of 127.0.0.1",
           "public DNS name -> DNS name of 127.0.0.1", "DNS answer changes after the first fetch"]


def result(scenario: dict[str, Any], run: str, case: str) -> dict[str, Any]:
    assert scenario[run]["returncode"] == 0, scenario[run]["stderr"]
    return dict(scenario[run]["results"][scenario["urls"][case]])


def test_public_pages_are_fetched(scenario: dict[str, Any]) -> None:
    assert result(scenario, "guarded", "public page")["state"] == "live"
    mixed = result(scenario, "guarded", "DNS answers loopback and public")
    assert mixed["state"] == "live", mixed
    assert ["public", "mixed.test", "/page"] in scenario["guarded"]["requests"]


@pytest.mark.parametrize("case", BLOCKED)
def test_redirects_from_public_to_loopback_are_blocked(scenario: dict[str, Any], case: str) -> None:
    checked = result(scenario, "guarded", case)
    assert checked["state"] == "blocked", checked
    assert "ssrf guard" in checked["error"] and "loopback" in checked["error"], checked


def test_the_loopback_server_is_never_reached(scenario: dict[str, Any]) -> None:
    assert not [r for r in scenario["guarded"]["requests"] if r[0] == "loopback"], scenario["guarded"]["requests"]
    rebind = [answer for name, qtype, answer in scenario["guarded"]["dns"] if name == "rebind.test" and qtype == 1]
    assert rebind[0] == [PUBLIC] and rebind[-1] == ["127.0.0.1"], "the name's answer really changed"


def test_without_the_guard_the_same_redirects_reach_loopback(scenario: dict[str, Any]) -> None:
    reached = {(host, path) for server, host, path in scenario["allowed"]["requests"] if server == "loopback"}
    for host in ("127.0.0.1", "internal.test", "loopback-dns.test", "rebind.test"):
        assert (host, "/secret") in reached, reached
    for case in BLOCKED:
        assert result(scenario, "allowed", case)["state"] == "live"
