"""The fast tier's guard: with this folder on PYTHONPATH and TESTS_SPAWN_GUARD_LOG set, a Python process
refuses to start a crawl child (`python -m crawler`), a browser (Chromium, Playwright's node driver) or a
server the full suite starts (PostgreSQL, Redis, Prometheus), and appends the attempt to that file.

Python loads `sitecustomize` at start-up, so the guard holds in every `linkwatch` process a test starts, and
their children; tests/fixtures_tiers.py installs it in the test process too and fails the test that made
an attempt.  Self-contained (only the standard library): it runs before anything else is importable.
"""

from __future__ import annotations

import os
import sys
from typing import Any

FORBIDDEN = frozenset({"chromium", "chromium-browser", "chrome", "headless_shell", "node", "postgres", "initdb",
                       "pg_ctl", "redis-server", "prometheus"})
EVENTS = {"subprocess.Popen": 1, "os.posix_spawn": 1, "os.exec": 1}  # event -> index of its argv


def forbidden(argv: Any) -> str | None:
    """Why starting `argv` is out of the fast tier, or None."""
    words = [str(a) for a in argv] if isinstance(argv, list | tuple) else str(argv).split()
    for before, word in zip(["", *words], words, strict=False):
        if before == "-m" and word.split(".")[0] == "crawler":
            return "crawl child"
        if os.path.basename(word) in FORBIDDEN:
            return os.path.basename(word)
    return None


INSTALLED = False


def install(log: str) -> None:
    """Refuse, and note in `log` (or the file TESTS_SPAWN_GUARD_LOG names then), every forbidden process this
    interpreter would start.  Once per interpreter: an audit hook cannot be removed."""
    global INSTALLED
    if INSTALLED:
        return
    INSTALLED = True

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in EVENTS:
            argv = args[EVENTS[event]]
        elif event == "os.system":
            argv = args[0]
        else:
            return
        what = forbidden(argv if argv is not None else args[0])
        if what:
            with open(os.environ.get("TESTS_SPAWN_GUARD_LOG", log), "a") as handle:  # an xdist worker's own
                handle.write(f"{what}: {argv!r} (pid {os.getpid()}, {' '.join(sys.argv)[:200]})\n")
            raise PermissionError(f"the fast tier starts no crawl, browser or server, here {what} "
                                  "(tests/support/spawn_guard)")

    sys.addaudithook(hook)


if os.environ.get("TESTS_SPAWN_GUARD_LOG"):
    install(os.environ["TESTS_SPAWN_GUARD_LOG"])
