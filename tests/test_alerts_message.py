"""Message content, grouping and escaping: what a crawled page controls can never format an alert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from alerts import email, slack, webhook
from alerts.escape import html_text, slack_link, slack_text
from alerts.message import build_message, describe
from monitor.core.types import Event, EventType

NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
MALICIOUS = "<!channel> *bold* <https://evil|click> <@U123> <#C1> _i_ ~s~ `c` @here\n> quote <script>x</script>"


def event(kind=EventType.LOST, number=1, traffic=None, anchor="great tool", **detail) -> Event:
    return Event(kind, f"https://blog{number}.example/p", "mysite.example", NOW - timedelta(minutes=number),
                 "live", str(kind), detail, id=number, anchor=anchor, page_traffic=traffic, site="mysite.example")


def slack_tokens(text: str) -> list[str]:
    return re.findall(r"<([^>]*)>", text)


def test_slack_text_neutralises_mentions_links_and_formatting():
    text = slack_text(MALICIOUS)
    assert slack_tokens(text) == []  # no <...>: no mention, channel, user or link
    assert not set("*_~`") & set(text)
    assert "\n" not in text
    assert "@\u2060here" in text
    assert "&lt;!channel&gt;" in text


def test_slack_link_only_for_plain_web_urls():
    assert slack_link("https://a.example/x?a=1&b=2|y") == "<https://a.example/x?a=1&amp;b=2%7Cy>"
    assert slack_link("javascript:alert(1)") == "javascript:alert(1)"
    assert slack_tokens(slack_link("<!channel>")) == []
    assert slack_tokens(slack_link("https://a.example/<!here>"))[0].startswith("https://a.example/&lt;!here")
    long = "https://a.example/" + "x" * 2000
    assert slack_tokens(slack_link(long)) == []


def test_html_escaping():
    assert html_text('<script>"x"</script>') == "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"


def test_malicious_anchor_is_harmless_everywhere():
    message = build_message([event(anchor=MALICIOUS, final_url="https://x.example/<b>", rel=["nofollow"])])
    payload = slack.render_payload(message)
    texts = [payload["text"]] + [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    for text in texts:
        for token in slack_tokens(text):
            assert re.match(r"^https?://[^\s|<>]+$", token), token  # only our own links
    joined = "\n".join(texts)
    assert "*bold*" not in joined and "_i_" not in joined and "`c`" not in joined
    html = email.render_html(message)
    assert "<script>" not in html and "<b>" not in html and "&lt;script&gt;" in html
    assert all(tag in {"html", "body", "h2", "h3", "p", "strong", "table", "tr", "th", "td", "a"}
               for tag in re.findall(r"<\s*([a-zA-Z0-9]+)", html.split(">", 1)[1]))
    assert "Anchor: <!channel> *bold*" in email.render_text(message)  # plain text, one line
    assert webhook.render_payload(message)["events"][0]["anchor"] == MALICIOUS  # data, for the receiver


def test_each_alert_says_what_why_and_what_to_do():
    view = describe(Event(EventType.NOFOLLOW, "https://b.example/x", "https://mysite.example/p", NOW, "live",
                          "nofollow", {"http_status": 200, "final_url": "https://b.example/x", "rel": ["nofollow"],
                                       "reasons": ["rel_nofollow", "header"], "reason": "rel_nofollow",
                                       "anchor": "best tool"},
                          last_live_at=NOW - timedelta(days=2), page_traffic=1500))
    facts = {f.label: f.value for f in view.facts}
    assert view.title == "Link became nofollow"
    assert facts["Referring page"] == "https://b.example/x" and facts["Target"] == "https://mysite.example/p"
    assert facts["State"] == "live → nofollow"
    assert facts["HTTP status"] == "200" and facts["rel"] == "nofollow"
    assert facts["Nofollow because of"] == 'rel="nofollow" on the link, an X-Robots-Tag: nofollow header'
    assert facts["Anchor"] == "best tool"
    assert facts["Last seen live"] == "2026-04-29 09:30 UTC"
    assert "restore the followed link" in view.action
    assert "contact the site" in describe(event(EventType.LOST)).action
    assert "contact the site" in describe(event(EventType.PAGE_GONE)).action
    assert "celebrate" in describe(event(EventType.WENT_LIVE)).action


def test_thousand_events_one_message_counts_and_most_valuable_first():
    events = [event(EventType.LOST, n, traffic=float(n)) for n in range(1, 901)]
    events += [event(EventType.NOFOLLOW, n, traffic=None) for n in range(901, 1001)]
    message = build_message(events)
    assert message.total == 1000
    assert message.counts == (("lost", 900), ("nofollow", 100))
    assert message.summary() == "1,000 backlink changes: 900 lost, 100 nofollow"
    assert [v.event.page_traffic for v in message.listed(3)] == [900.0, 899.0, 898.0]
    blocks = slack.render_blocks(message, max_listed=20)
    assert len(blocks) <= 50
    assert "and 980 more: run `linkwatch events --since 2026-04-30T16:50:00Z`" in blocks[-1]["text"]["text"]
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    text = email.render_text(message)
    assert text.count("What to do:") == 100 and "and 900 more" in text
    assert len(webhook.render_payload(message)["events"]) == 1000


def test_slack_limits_hold_for_huge_values():
    huge = event(anchor="A" * 10_000, error="E" * 10_000, reasons=["x" * 5000] * 5, extra="y" * 9000)
    blocks = slack.render_blocks(build_message([huge] * 200), max_listed=500)
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert len(blocks[0]["text"]["text"]) <= 150


def test_ties_in_traffic_put_the_worst_change_first():
    message = build_message([event(EventType.RESTORED, 1), event(EventType.LOST, 2), event(EventType.NOFOLLOW, 3)])
    assert [str(e.type) for e in message.events] == ["lost", "nofollow", "restored"]


def test_cli_channel_list_matches_the_channels():
    from monitor.cli.alerts import CHANNELS as CLI_CHANNELS
    from monitor.notify.channels import CHANNELS

    assert CLI_CHANNELS == CHANNELS
