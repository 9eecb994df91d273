"""A crawl child learns at once that its parent died: Linux's parent-death signal, and the race it leaves.

`die_with_parent(parent_pid, signum)` asks the kernel (prctl PR_SET_PDEATHSIG) for `signum` when
the parent's thread that started this process exits (monitor.crawl.child starts a child from the
thread that then waits for it); a parent already dead sends nothing, so it compares getppid() with
`parent_pid` and returns False when the parent is gone.  Without prctl (not Linux) it returns True
and the child notices when a write to its parent fails.  `StopSignal` runs one function in a thread
of its own on such a signal (the handler only writes a byte to a pipe); `exit_now(code)` ends this
process and what it started (Chromium, Playwright's driver): SIGTERM to its process group when it
leads one, then _exit.  Why: docs/reliability.md, "The parent-death signal is Linux's".

Reads no settings.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, signum: int) -> bool:
    """Have `signum` sent when the parent dies; False when the parent is gone already."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        logger.debug("no prctl here: the parent's death is noticed on the next write to it")
        return True
    if prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        logger.warning("prctl(PR_SET_PDEATHSIG) failed: %s", os.strerror(ctypes.get_errno()))
    return os.getppid() == parent_pid


class StopSignal:
    """Run `on_stop(reason)` once, in a thread, when `request(reason)` is called or `signum` arrives."""

    def __init__(self, on_stop: Callable[[str], None]) -> None:
        self.on_stop = on_stop
        self.reason = ""
        self._read, self._write = os.pipe()
        threading.Thread(target=self._wait, name="stop-now", daemon=True).start()

    def install(self, signum: int, reason: str) -> None:
        """From the main thread: `signum` requests the stop with `reason`."""

        def handler(_signum: int, _frame: Any) -> None:
            self.request(reason)

        signal.signal(signum, handler)

    def request(self, reason: str) -> None:
        """Safe anywhere, a signal handler included: the first reason wins."""
        if not self.reason:
            self.reason = reason
        os.write(self._write, b"!")

    @property
    def requested(self) -> bool:
        return bool(self.reason)

    def _wait(self) -> None:
        os.read(self._read, 1)
        self.on_stop(self.reason)


def exit_now(code: int) -> None:
    """End this process at once, and its process group when it leads one (see the module docstring)."""
    try:
        sys.stderr.flush()
    except (OSError, ValueError):  # a dead parent's pipe: nothing to say to anyone
        pass
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGTERM)  # our own handler would only note it: _exit comes first
    os._exit(code)
