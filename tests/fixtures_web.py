"""A real `linkwatch serve` for the web tests, a Chromium page on it, and the screenshot helper of docs/ui.md.

`web_serve(env_extra)` starts serve over a fresh SQLite store (loopback, port 0, short poll) and returns
its base URL and environment; `linkwatch(env, *args)` runs a command on the same store.  `shoot(page, name)`
writes docs/ui/NAME.png only when UPDATE_UI_SHOTS=1, so the normal run never rewrites the docs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_metrics import served_address

DOCS_UI = Path(__file__).resolve().parent.parent / "docs" / "ui"


@dataclass
class Served:
    base: str
    env: dict[str, str]
    process: subprocess.Popen[str]


def linkwatch(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], env=env, capture_output=True, text=True,
                          timeout=240, check=check)


def web_env(folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    config = folder / "config.toml"
    config.write_text("")
    config.chmod(0o600)
    env.update(HOME=str(folder), LINKWATCH_CONFIG=str(config), LINKWATCH_ALLOW_PRIVATE="1", LINKWATCH_DELAY="0",
               LINKWATCH_DATABASE_URL=f"sqlite:///{folder / 'linkwatch.db'}", LINKWATCH_RENDER="never",
               LINKWATCH_TIMEOUT="20", **extra)
    return env


@pytest.fixture
def web_serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(**extra: str) -> Served:
        env = web_env(tmp_path, **extra)
        process = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--metrics-addr", "127.0.0.1:0",
                                    "--poll", "0.5"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   text=True)
        started.append(Served(f"http://{served_address(process)}", env, process))
        return started[-1]

    yield start
    for served in started:
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait()


@pytest.fixture
def web_page(chromium_browser: Any) -> Iterator[Any]:
    """A fresh browser context and page; every JavaScript dialog is recorded in `page.dialogs` (and dismissed)."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()


def shoot(page: Any, name: str, full: bool = True) -> None:
    """A screenshot for the docs (docs/ui/NAME.png), when UPDATE_UI_SHOTS=1 asks for one: of the whole page, of
    the window only (`full=False`), or of one element when `page` is a Playwright Locator."""
    if os.environ.get("UPDATE_UI_SHOTS") == "1":
        DOCS_UI.mkdir(parents=True, exist_ok=True)
        options = {"full_page": full} if hasattr(page, "goto") else {}
        page.screenshot(path=str(DOCS_UI / f"{name}.png"), **options)
