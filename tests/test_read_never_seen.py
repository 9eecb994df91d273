"""An imported link whose page is already 404 at its first checks is not told "Reclaim it" (it was never
live: the alert says so and what to do), and a link restored after a confirmed loss does not say how many
checks in a row it was missing: in the Slack alert and in the email."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import linkwatch
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env, import_rows, section_for, slack_sections

LINK = '<a href="https://mysite.com/">Mysite</a>'


def test_never_seen_and_restored_items_read_true(site: TestSite, tmp_path: Path, http_sink, smtp_sink) -> None:
    env = agency_env(tmp_path, http_sink, smtp_sink)
    site.set_page("/dead", "not here", status=404)
    site.set_page("/back", page(LINK))
    import_rows(env, tmp_path, "ahrefs.csv", "source_url,target\n"
                f"{site.url('/dead')},mysite.com\n{site.url('/back')},mysite.com\n")
    linkwatch(env, "run", "--once")
    site.set_page("/back", page("<p>the link is gone for now</p>"))
    linkwatch(env, "run", "--once", "--all")  # /dead: the second miss confirms it gone
    linkwatch(env, "run", "--once", "--all")  # /back: lost
    site.set_page("/back", page(LINK))
    linkwatch(env, "run", "--once", "--all")  # /back: restored
    linkwatch(env, "alerts", "send")

    sections = slack_sections(http_sink)
    dead = section_for(sections, site.url("/dead"), "Referring page gone")
    assert "Reclaim it" not in dead
    assert "The page was already gone when linkwatch first checked it: check the export, or remove the backlink." \
        in dead
    assert "Reclaim it" in section_for(sections, site.url("/back"), "Link lost")
    restored = section_for(sections, site.url("/back"), "Link restored")
    assert "Checks in a row without the link" not in restored and "Nothing to do: the link is back." in restored
    text = smtp_sink.messages[0].get_body(("plain",)).get_content()
    assert text.count("Reclaim it") == 1, text
    assert "Checks in a row without the link" not in text.split("Link restored", 1)[1], text
    assert "already gone when linkwatch first checked it" in text
