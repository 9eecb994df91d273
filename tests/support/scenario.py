"""Shared set-up of the "what people read" scenario tests (issue 16): an agency's monitored site
`mysite.com`, referring pages on the local test site, and `linkwatch` run as a real process with alerts to
the Slack-like HTTP sink and aiosmtpd.  Not a fixtures plugin: the tests import these helpers (and
`linkwatch` from tests.support.cli, `page` from tests.support.pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.cli import environment, linkwatch


def agency_env(tmp_path: Path, http_sink: Any = None, smtp_sink: Any = None, render: str = "never",
               config: str = "") -> dict[str, str]:
    """The environment of `linkwatch` for one scenario: a SQLite store in tmp_path, lost after 2 misses."""
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'lw.db'}", config)
    env.update(LINKWATCH_RENDER=render, LINKWATCH_LOST_AFTER="2")
    if http_sink is not None:
        env["LINKWATCH_SLACK_WEBHOOK_URL"] = http_sink.url
    if smtp_sink is not None:
        env.update(LINKWATCH_SMTP_HOST=smtp_sink.host, LINKWATCH_SMTP_PORT=str(smtp_sink.port),
                   LINKWATCH_SMTP_STARTTLS="false", LINKWATCH_EMAIL_FROM="linkwatch@agency.example",
                   LINKWATCH_EMAIL_TO="seo@agency.example")
    return env


def import_rows(env: dict[str, str], tmp_path: Path, name: str, text: str, *flags: str) -> str:
    """Write an export file and `linkwatch import` it; returns the import's output."""
    path = tmp_path / name
    path.write_text(text)
    return linkwatch(env, "import", str(path), *flags).stdout


def slack_sections(http_sink: Any) -> list[str]:
    """The text of every event item of every Slack message the sink accepted: its section (what happened, why,
    what to do) and the context line of facts that follows it."""
    items: list[str] = []
    for request in http_sink.accepted:
        blocks = request.json["blocks"]
        for number, block in enumerate(blocks):
            if block["type"] == "section" and "_What to do:_" in block["text"]["text"]:
                after = blocks[number + 1] if number + 1 < len(blocks) else {}
                facts = after["elements"][0]["text"] if after.get("type") == "context" else ""
                items.append(block["text"]["text"] + ("\n" + facts if facts else ""))
    return items


def section_for(sections: list[str], url: str, title: str) -> str:
    """The one section about the referring page `url` (linked as `<url|short url>`) with this title."""
    found = [s for s in sections if f"<{url}|" in s and title in s]
    assert len(found) == 1, (url, title, sections)
    return found[0]
