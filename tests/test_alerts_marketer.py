"""Alerts a marketer can act on (issue 16): what the Slack message and the email of a real scenario say.

The scenario: an agency monitors two clients, acmeshoes.com and bikeshop.com, with referring pages on the local
test site imported from an Ahrefs export (with page traffic) and a plain CSV (a promised link).  `linkwatch run`
sees them live; the editors then remove two links (one keeps the sentence), make one sponsored, delete a page,
publish the promised link, and remove bikeshop.com's link; two more runs confirm it, and `alerts send` posts to
the Slack-like sink and to aiosmtpd with `[serve] public_url` set.  The texts are asserted: one message per site,
the headline, most urgent first, at most four lines per item, contact hints, no command or file path, links to
linkwatch, human dates and numbers and no Python values.  With stored events: the evidence of how a link was
lost, Slack's limits with 80 events, and `alerts send` with no channel configured."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from monitor.notify.dispatcher import dispatch
from tests.fixtures_alerts import NOW, settings_for
from tests.support.cli import linkwatch
from tests.support.imports import AHREFS_COLUMNS, ahrefs_row, write_tsv_utf16le
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env, import_rows

SITES = '[[site]]\ndomain = "acmeshoes.com"\n\n[[site]]\ndomain = "bikeshop.com"\n'
PUBLIC = "https://linkwatch.agency.example"
SHOES = '<a href="https://acmeshoes.com/trail-runners">Acme trail runners</a>'
SENTENCE = "For rocky trails we love the {link}, light and grippy."
CONTACTS = '<p><a href="mailto:editor@runnersweekly.example">Write to the editor</a> <a href="/contact">Contact</a></p>'
HUMAN_TIME = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC\b")
FILE_PATH = re.compile(r"(^|[\s(“\"])(~|\.{1,2})?/[\w.-]+|\b[\w-]+\.(md|toml|db|py|csv)\b")
COMMAND = re.compile(r"\blinkwatch (events|alerts|run|links|report|check|history|add|import)\b")
REPR = re.compile(r"\b(None|True|False)\b|http_status=|reason=|'[^'\s]*'|\(http \d+")


def _scenario(site: TestSite, tmp_path: Path, http_sink: Any, smtp_sink: Any) -> dict[str, str]:
    env = agency_env(tmp_path, http_sink, smtp_sink, config=SITES)
    env["LINKWATCH_PUBLIC_URL"] = PUBLIC
    site.set_page("/best-trail-shoes", page(f"<p>{SENTENCE.format(link=SHOES)}</p>{CONTACTS}"))
    site.set_page("/gear-guide", page(f"<p>Our pick: {SHOES}</p>"))
    site.set_page("/sponsored", page(f"<p>Sponsored pick: {SHOES}</p>"))
    site.set_page("/old-review", page(f"<p>Review: {SHOES}</p>"))
    site.set_page("/promised", page("<p>Coming soon</p>"))
    site.set_page("/bike-blog", page('<p>Get a <a href="https://bikeshop.com/">bike</a></p>'))
    write_tsv_utf16le(tmp_path / "ahrefs.csv", [AHREFS_COLUMNS] + [
        ahrefs_row("Page", site.url(path), "https://acmeshoes.com/trail-runners", "Acme trail runners", "false",
                   traffic, "2026-10-02 08:00:00")
        for path, traffic in (("/best-trail-shoes", "8,400"), ("/gear-guide", "4,000"), ("/sponsored", "300"),
                              ("/old-review", "1,000"))])
    linkwatch(env, "import", str(tmp_path / "ahrefs.csv"))
    import_rows(env, tmp_path, "links.csv", "source_url,target,status\n"
                f"{site.url('/promised')},acmeshoes.com,pending\n{site.url('/bike-blog')},bikeshop.com,\n")
    linkwatch(env, "run", "--once")
    site.set_page("/best-trail-shoes", page(f"<p>{SENTENCE.format(link='Acme trail runners')}</p>{CONTACTS}"))
    site.set_page("/gear-guide", page("<p>Our pick: nothing today</p>"))
    site.set_page("/sponsored", page(f"<p>Sponsored pick: {SHOES.replace('<a ', '<a rel=sponsored ')}</p>"))
    site.set_page("/old-review", "not here", status=404)
    site.set_page("/promised", page(f"<p>Here it is: {SHOES}</p>"))
    site.set_page("/bike-blog", page("<p>Get a bike</p>"))
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")  # the second miss confirms the losses
    sent = linkwatch(env, "alerts", "send")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    return env


def _slack_texts(request: Any) -> list[str]:
    """Every text of one Slack message: the fallback, the header, sections, context lines and buttons."""
    payload = request.json
    texts = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [e["text"] if isinstance(e["text"], str) else e["text"]["text"] for e in block.get("elements", ())]
    return texts


def _email_items(mail: EmailMessage) -> list[list[str]]:
    """The numbered items of an email's text part, each as its lines."""
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return [block.splitlines() for block in text.split("\n\n") if re.match(r"\d+\. ", block)]


def _readable(text: str) -> None:
    """What people read: no command, no file path, no Python value, no ISO date."""
    assert not COMMAND.search(text), text
    assert not FILE_PATH.search(text), FILE_PATH.search(text)
    assert not REPR.search(text), REPR.search(text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text


def test_a_marketer_reads_one_message_per_site_most_urgent_first(site: TestSite, tmp_path: Path, http_sink,
                                                                 smtp_sink) -> None:
    _scenario(site, tmp_path, http_sink, smtp_sink)
    posts = {r.json["blocks"][0]["text"]["text"]: r for r in http_sink.accepted}
    shoes_header = ("[acmeshoes.com] 2 links lost (12,400 visits/mo at risk), 1 page gone, 1 now nofollow, "
                    "1 promised link live")
    assert sorted(posts) == [shoes_header, "[bikeshop.com] 1 link lost"]
    mails = {m["Subject"].strip(): m for m in smtp_sink.messages}
    assert sorted(mails) == sorted(posts)

    blocks = posts[shoes_header].json["blocks"]
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert [s.split("*")[1] for s in sections] == ["Link lost", "Link lost", "Referring page gone",
                                                   "Link became nofollow", "Promised link went live"]
    best, gear = site.url("/best-trail-shoes"), site.url("/gear-guide")
    assert sections[0].startswith(f"*Link lost*: The link to <https://acmeshoes.com/trail-runners|acmeshoes.com/"
                                  f"trail-runners> was removed from <{best}|{best.removeprefix('http://')}>.")
    assert f"<{gear}|" in sections[1]
    assert "Contact: editor@runnersweekly.example, <" + site.url("/contact") + "|" in sections[0]
    assert "_Why:_ The page answers 404 (not found)." in sections[2]
    assert '_Why:_ rel="sponsored" was added to the link.' in sections[3]
    assert "Nothing to do: celebrate" in sections[4]
    assert all(s.count("\n") <= 2 for s in sections)  # what happened, why, what to do

    contexts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert "8,400 visits/mo · anchor “Acme trail runners” · last seen live " in contexts[1]
    assert HUMAN_TIME.search(contexts[1])
    assert contexts[-1] == f"See <{PUBLIC}/events|all changes in linkwatch>"
    buttons = [[(e["text"]["text"], e["url"]) for e in b["elements"]] for b in blocks if b["type"] == "actions"]
    assert len(buttons) == 5 and buttons[0][0] == ("Open page", best)
    assert buttons[0][1][0] == "Open in linkwatch" and re.fullmatch(rf"{PUBLIC}/links/\d+", buttons[0][1][1])
    assert len({b[1][1] for b in buttons}) == 5  # each item its own link page

    items = _email_items(mails[shoes_header])
    assert [i[0].split(":")[0] for i in items] == ["1. Link lost", "2. Link lost", "3. Referring page gone",
                                                   "4. Link became nofollow", "5. Promised link went live"]
    assert all(len(item) <= 4 for item in items), items
    assert "Contact: editor@runnersweekly.example" in items[0][2] and "8,400 visits/mo" in items[0][3]
    assert f"in linkwatch: {PUBLIC}/links/" in items[0][3] and HUMAN_TIME.search(items[0][3])
    html = mails[shoes_header].get_body(("html",)).get_content()
    assert f'<a href="{PUBLIC}/events">all changes in linkwatch</a>' in html and "Open in linkwatch" in html
    for request in http_sink.accepted:
        for text in _slack_texts(request):
            _readable(text)
    for mail in smtp_sink.messages:
        _readable(mail["Subject"] + "\n" + mail.get_body(("plain",)).get_content())


def test_how_a_link_was_lost_is_said_with_the_sentence(alert_store, http_sink, smtp_sink) -> None:
    detail = {"http_status": 200, "how": "unlinked", "before": "For rocky trails we love the Acme trail runners.",
              "after": "For rocky trails we love the Acme trail runners.", "misses": 2}
    alert_store.add_events(1, "lost", site="acmeshoes.com", traffic=1200.0, detail=detail)
    alert_store.add_events(1, "lost", site="acmeshoes.com", detail={"http_status": 200, "how": "moved_to_other_url",
                                                                   "moved_to": "https://rival.example/boots",
                                                                   "before": "Try <b>these</b> boots."})
    dispatch(alert_store.engine, settings_for(alert_store, slack=http_sink, smtp=smtp_sink), NOW)
    sections = [b["text"]["text"] for b in http_sink.accepted[0].json["blocks"] if b["type"] == "section"]
    assert ("_Why:_ They kept your mention but removed the link. It read: “For rocky trails we love the Acme "
            "trail runners.”") in sections[0]
    assert "_What to do:_ Reclaim it: ask them to re-link your mention." in sections[0]
    assert ("_Why:_ The passage now links to <https://rival.example/boots|rival.example/boots> instead. It read: "
            "“Try &lt;b&gt;these&lt;/b&gt; boots.”") in sections[1]
    text = smtp_sink.messages[0].get_body(("plain",)).get_content()
    assert "Why: They kept your mention but removed the link. It read: “For rocky trails" in text
    html = smtp_sink.messages[0].get_body(("html",)).get_content()
    assert "“Try &lt;b&gt;these&lt;/b&gt; boots.”" in html and "<b>these" not in html


def test_eighty_changes_stay_within_slacks_limits_and_count_the_rest(alert_store, http_sink) -> None:
    alert_store.add_events(60, "lost", site="acmeshoes.com", traffic=[float(n * 100) for n in range(60)])
    alert_store.add_events(20, "nofollow", site="acmeshoes.com", detail={"reasons": ["rel_ugc"], "rel": ["ugc"]})
    settings = settings_for(alert_store, slack=http_sink, public_url=PUBLIC)
    dispatch(alert_store.engine, settings, NOW)
    [request] = http_sink.accepted
    blocks = request.json["blocks"]
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    assert blocks[0]["text"]["text"] == "[acmeshoes.com] 60 links lost (177,000 visits/mo at risk), 20 now nofollow"
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    listed = sum(b["type"] == "section" for b in blocks)
    assert listed == 15
    assert blocks[-1]["elements"][0]["text"] == (f"and {80 - listed} more changes: see "
                                                 f"<{PUBLIC}/events|all changes in linkwatch>")
    assert "5,900 visits/mo" in blocks[4]["elements"][0]["text"]  # the most traffic first
    assert "and 75 more changes: see linkwatch" in request.json["text"]


def test_alerts_send_without_a_channel_says_how_many_wait(alerts_cli, alert_store, http_sink) -> None:
    alert_store.add_events(14, "lost")
    alert_store.add_events(3, "new")  # not alerted by default
    done = alerts_cli("alerts", "send")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("No alert channel is configured: 14 alerts wait and will be sent once one is added "
                           "([alerts] in the config)\n")
    assert alerts_cli("alerts", "send").stdout.startswith("No alert channel is configured: 14 alerts wait")
    sent = alerts_cli("alerts", "send", env={"LINKWATCH_SLACK_WEBHOOK_URL": http_sink.url})
    assert sent.returncode == 0 and "slack: sent 14 events in one message" in sent.stdout
    assert http_sink.accepted[0].json["blocks"][0]["text"]["text"] == "[mysite.example] 14 links lost"


@pytest.mark.parametrize("value", ["linkwatch.agency.example", "ftp://linkwatch.example", "https://", "http:// x"])
def test_a_bad_public_url_is_one_line(alerts_cli, value: str) -> None:
    done = alerts_cli("alerts", "send", env={"LINKWATCH_PUBLIC_URL": value})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "public_url: expected an absolute http(s) URL" in done.stderr
