"""Runs `linkwatch check` as a process, the way users run it, with a clean environment.

`run_check(args, tmp, **env)`: `python -m monitor check ARGS` with HOME and XDG_CONFIG_HOME
in `tmp` (no user config), LINKWATCH_ALLOW_PRIVATE=1 (the test site is on 127.0.0.1),
no politeness delay; `env` overrides any of these.  Reads no settings itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_check(args: list[str], tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    environ.update(HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"), LINKWATCH_ALLOW_PRIVATE="1",
                   LINKWATCH_DELAY="0", LINKWATCH_PER_DOMAIN="32")
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "monitor", "check", *args], capture_output=True, text=True,
                          env=environ, timeout=120)
