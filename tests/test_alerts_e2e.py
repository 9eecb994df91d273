"""End to end: a local page loses its link, `linkwatch run --once` confirms it (lost_after=2), and
`linkwatch alerts send` delivers exactly one Slack message and one email saying so."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.cli import linkwatch as run_linkwatch
from tests.support.pages import page

LINK = '<a href="https://mysite.com/pricing">Best &lt;!channel&gt; *pricing* tool</a>'


def test_removed_link_gives_one_slack_message_and_one_email(site, tmp_path: Path, http_sink, smtp_sink):
    config = tmp_path / "config.toml"
    config.write_text("")
    config.chmod(0o600)  # linkwatch warns on stderr about config files others can read
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), LINKWATCH_CONFIG=str(config),
               LINKWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'lw.db'}", LINKWATCH_ALLOW_PRIVATE="1",
               LINKWATCH_DELAY="0", LINKWATCH_RENDER="never", LINKWATCH_LOST_AFTER="2", LINKWATCH_TIMEOUT="20",
               LINKWATCH_SLACK_WEBHOOK_URL=http_sink.url, LINKWATCH_SMTP_HOST=smtp_sink.host,
               LINKWATCH_SMTP_PORT=str(smtp_sink.port), LINKWATCH_SMTP_STARTTLS="false",
               LINKWATCH_EMAIL_FROM="linkwatch@mysite.com", LINKWATCH_EMAIL_TO="seo@mysite.com")

    def linkwatch(*args: str) -> subprocess.CompletedProcess[str]:
        return run_linkwatch(env, *args)

    site.set_page("/review", page(LINK))
    linkwatch("add", site.url("/review"), "--target", "mysite.com")
    linkwatch("run", "--once")  # seen live: a `new` event, not alerted by default
    site.set_page("/review", page("<p>the link is gone</p>"))
    linkwatch("run", "--once", "--all")  # one miss: suspected, not lost
    linkwatch("run", "--once", "--all")  # the second miss confirms it
    sent = linkwatch("alerts", "send")
    assert "slack: sent 1 event in one message" in sent.stdout
    assert "email: sent 1 event in one message" in sent.stdout
    assert linkwatch("alerts", "send").stdout.strip() == "nothing to send"

    assert len(http_sink.requests) == 1 and len(smtp_sink.messages) == 1
    slack = http_sink.requests[0].json
    review = site.url("/review")
    assert slack["text"].startswith("[mysite.com] 1 link lost")
    section = next(b["text"]["text"] for b in slack["blocks"] if "Link lost" in b.get("text", {}).get("text", ""))
    assert section.startswith(f"*Link lost*: The link to mysite.com was removed from <{review}|")
    assert "_Why:_ The page was rewritten (" in section and "of its text changed) and your link went with it" in section
    assert "It read: “Hello Best &lt;!channel&gt; ∗pricing∗ tool”" in section, section
    assert "Reclaim it" in section
    context = " ".join(e["text"] for b in slack["blocks"] if b["type"] == "context" for e in b["elements"])
    assert "anchor “Best &lt;!channel&gt; ∗pricing∗ tool”" in context and "<!channel>" not in context
    assert "last seen live " in context and " UTC" in context
    buttons = [e for b in slack["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [("Open page", review)]  # no public_url: no linkwatch

    mail = smtp_sink.messages[0]
    assert mail["Subject"] == "[mysite.com] 1 link lost"
    text = mail.get_body(("plain",)).get_content()
    assert f"page: {review}" in text and "anchor “Best <!channel> *pricing* tool”" in text
    assert "What to do: Reclaim it" in text
    html = mail.get_body(("html",)).get_content()
    assert "Best &lt;!channel&gt; *pricing* tool" in html
