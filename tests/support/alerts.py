"""What the alert tests share besides the fixtures of tests/fixtures_alerts.py: `smtp_env(sink)`, the
LINKWATCH_SMTP_* and e-mail settings that send to an SMTP sink (plain, no STARTTLS)."""

from __future__ import annotations

from typing import Any


def smtp_env(sink: Any) -> dict[str, str]:
    return {"LINKWATCH_SMTP_HOST": sink.host, "LINKWATCH_SMTP_PORT": str(sink.port),
            "LINKWATCH_SMTP_STARTTLS": "false", "LINKWATCH_EMAIL_FROM": "lw@mysite.example",
            "LINKWATCH_EMAIL_TO": "seo@mysite.example"}
