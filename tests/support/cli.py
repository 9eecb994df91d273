"""Running `linkwatch`, the one way for each need.

`run_cli(*args, env=...)` runs the command in this process (monitor.cli.main.main), capturing stdout,
stderr and the exit status: for commands that start no child process, at a fraction of a process's cost.
`linkwatch(env, *args)` runs `python -m monitor ARGS` as a real process: for commands that crawl (the crawl
child must be a real process), serve, or whose process-level behaviour is under test (signals, logging,
start-up).  `environment(tmp_path, database_url)` is the environment both take: HOME and the config file
in `tmp_path`, no politeness delay, private addresses allowed (the test site is on 127.0.0.1).
`run_check(args, tmp)` is `linkwatch check ARGS` as a process without a database or a config file, and
`results_by_url` reads its --json lines.  `StoreCli(database_url, home)` runs the store commands in-process
on one database, asserting their exit status (`error` for a one-line user error, `json_lines` for --json).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

LINKWATCH = [sys.executable, "-m", "monitor"]
REPO = Path(__file__).resolve().parents[2]


def environment(tmp_path: Path, database_url: str, config: str = "") -> dict[str, str]:
    """os.environ without LINKWATCH_* plus the test's: a private config file (else linkwatch warns), its
    database, no delay, private addresses allowed."""
    config_file = tmp_path / "config.toml"
    config_file.write_text(config)
    config_file.chmod(0o600)  # linkwatch warns on stderr about config files others can read
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), LINKWATCH_CONFIG=str(config_file),
               LINKWATCH_DATABASE_URL=database_url, LINKWATCH_ALLOW_PRIVATE="1", LINKWATCH_DELAY="0",
               LINKWATCH_PER_DOMAIN="8", LINKWATCH_TIMEOUT="20")
    return env


def linkwatch(env: Mapping[str, str], *args: str, check: bool = True, timeout: float = 240,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m monitor ARGS` as a process; with `check`, a non-zero exit fails with its output."""
    result = subprocess.run([*LINKWATCH, *args], env=dict(env), capture_output=True, text=True, timeout=timeout,
                            cwd=cwd)
    if check and result.returncode != 0:
        raise AssertionError(f"linkwatch {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def serve_until(env: Mapping[str, str], log: Path, done: Callable[[str], Any], limit: float = 180,
                stdout: Path | None = None) -> str:
    """`linkwatch serve` as a process (stderr to `log`) until `done(what it logged)`, then SIGTERM; it must exit 0.
    Returns what it logged."""
    from tests.support.waiting import wait_for

    with open(log, "w") as err, open(stdout or os.devnull, "w") as out:
        process = subprocess.Popen([*LINKWATCH, "serve", "--metrics-addr", "127.0.0.1:0", "--poll", "0.3"],
                                   env=dict(env), stdout=out, stderr=err)
    try:
        wait_for(lambda: process.poll() is not None or done(log.read_text()), "serve's log", limit, log=log)
        assert process.poll() is None, log.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=90) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return log.read_text()


def check_environment(tmp: Path, **env: str) -> dict[str, str]:
    """For `linkwatch check`: HOME and XDG_CONFIG_HOME in `tmp` (no user config), private addresses allowed,
    no politeness delay; `env` overrides any of these."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    environ.update(HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"), LINKWATCH_ALLOW_PRIVATE="1",
                   LINKWATCH_DELAY="0", LINKWATCH_PER_DOMAIN="32")
    environ.update(env)
    return environ


def run_check(args: list[str], tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`linkwatch check ARGS` as a process in check_environment(tmp, **env)."""
    return linkwatch(check_environment(tmp, **env), "check", *args, check=False, timeout=120)


def results_by_url(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    """The --json lines of a successful `linkwatch check`, by URL."""
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    return {line["url"]: line for line in lines}


def run_cli(*args: str, env: Mapping[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`linkwatch ARGS` in this process with `env` as the whole environment (default: unchanged).

    The result is shaped like subprocess.run's.  Log records do not reach the captured stderr (the test
    runner owns the root logger): test logging with `linkwatch(...)`.
    """
    from monitor.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with _environ(env), _chdir(cwd), _root_logger_kept(), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                err.write(exc.code + "\n")
    return subprocess.CompletedProcess(["linkwatch", *args], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _environ(env: Mapping[str, str] | None) -> Iterator[None]:
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _chdir(cwd: Path | None) -> Iterator[None]:
    if cwd is None:
        yield
    else:
        with contextlib.chdir(cwd):
            yield


@contextlib.contextmanager
def _root_logger_kept() -> Iterator[None]:
    """main() configures the root logger: undo it, so that one run does not change the next."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


class StoreCli:
    """`linkwatch ARGS` in-process on one database, HOME in `home`, no LINKWATCH_* but the database's URL."""

    def __init__(self, database_url: str, home: Path) -> None:
        self.database_url = database_url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
        self.env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
                        LINKWATCH_DATABASE_URL=database_url)

    def __call__(self, *args: str, expect: int = 0, **env: str) -> subprocess.CompletedProcess[str]:
        result = run_cli(*args, env={**self.env, **env}, cwd=REPO)
        assert result.returncode == expect, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result

    def error(self, *args: str, **env: str) -> str:
        """Run a command that must fail as a user error: exit 2, one line on stderr, nothing on stdout."""
        result = self(*args, expect=2, **env)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 or not args or args[0] == "import", lines
        assert lines[-1].startswith("linkwatch") and ": error: " in lines[-1] and result.stdout == ""
        return lines[-1]

    def json_lines(self, *args: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self(*args).stdout.splitlines()]
