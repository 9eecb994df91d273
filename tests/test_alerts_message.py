"""Message content, grouping and escaping: what a crawled page controls can never format an alert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from alerts import email, slack, webhook
from alerts.escape import html_text, slack_link, slack_text
from alerts.items import describe
from alerts.message import build_message
from alerts.render import joined, line
from monitor.core.human import short_url
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


def _our_link(token: str) -> bool:
    """`<url>` or `<url|label>` where the label is the URL itself, shortened: never a label a page chose."""
    url, _, label = token.partition("|")
    if not re.match(r"^https?://[^\s|<>]+$", url):
        return False
    return not label or label == short_url(url.replace("&amp;", "&")).replace("&", "&amp;")


def test_malicious_anchor_is_harmless_everywhere():
    message = build_message([event(anchor=MALICIOUS, final_url="https://x.example/<b>", rel=["nofollow"])])
    payload = slack.render_payload(message)
    texts = [payload["text"]] + [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    texts += [e["text"] for b in payload["blocks"] if b["type"] == "context" for e in b["elements"]]
    for text in texts:
        for token in slack_tokens(text):
            assert _our_link(token), token  # only our own links
    joined = "\n".join(texts)
    assert "*bold*" not in joined and "_i_" not in joined and "`c`" not in joined
    assert "anchor “&lt;!channel&gt; ∗bold∗" in joined
    html = email.render_html(message)
    assert "<script>" not in html and "<b>" not in html and "&lt;script&gt;" in html
    assert all(tag in {"html", "body", "h2", "p", "strong", "em", "br", "small", "a"}
               for tag in re.findall(r"<\s*([a-zA-Z0-9]+)", html.split(">", 1)[1]))
    assert "anchor “<!channel> *bold*" in email.render_text(message)  # plain text, one line
    assert webhook.render_payload(message)["events"][0]["anchor"] == MALICIOUS  # data, for the receiver


def test_each_alert_says_what_why_and_what_to_do():
    item = describe(Event(EventType.NOFOLLOW, "https://b.example/x", "https://mysite.example/p", NOW, "live",
                          "nofollow", {"http_status": 200, "final_url": "https://b.example/x", "rel": ["sponsored"],
                                       "reasons": ["rel_sponsored", "header"], "reason": "rel_sponsored",
                                       "anchor": "best tool"},
                          last_live_at=NOW - timedelta(days=2), page_traffic=12400, backlink_id=7,
                          contact_hints=("mailto:editor@b.example?subject=hi", "https://b.example/contact")))
    assert item.title == "Link became nofollow"
    assert line(item.happened, "plain") == "The link to mysite.example/p on b.example/x is no longer followed"
    assert line(item.why, "plain") == ('rel="sponsored" was added to the link; '
                                       "the page's X-Robots-Tag header now says nofollow")
    assert line(item.action, "plain") == ("Ask the site to make the link followed again. "
                                          "Contact: editor@b.example, b.example/contact")
    assert joined(item.facts, "plain") == "12,400 visits/mo · anchor “best tool” · seen 1 May 2026 09:30 UTC"
    assert item.page_url == "https://b.example/x" and item.linkwatch_url is None
    assert describe(item.event, "https://lw.example/app").linkwatch_url == "https://lw.example/app/links/7"
    assert "contact the site" in describe(event(EventType.LOST)).action[0].text
    assert "contact the site" in describe(event(EventType.PAGE_GONE)).action[0].text
    assert "celebrate" in describe(event(EventType.WENT_LIVE)).action[0].text
    assert describe(event(EventType.RESTORED)).action[1:] == ()  # nothing to do: no contacts


@pytest.mark.parametrize(("detail", "why", "action"), [
    ({"how": "unlinked", "before": "We love the Acme trail runners for rocky paths.", "after": ""},
     "They kept your mention but removed the link. It read: “We love the Acme trail runners for rocky paths.”",
     "Reclaim it: ask them to re-link your mention."),
    ({"how": "passage_removed", "before": "Acme shoes are great."},
     "The passage with your link was taken out; the rest of the page is unchanged. It read: “Acme shoes are great.”",
     "Reclaim it: ask them to put the passage or the link back."),
    ({"how": "page_rewritten", "before": "", "after": "All new text", "changed_share": 0.8},
     "The page was rewritten (80% of its text changed) and your link went with it",
     "Reclaim it: ask them to add the link to the new text."),
    ({"how": "moved_to_other_url", "moved_to": "https://rival.example/boots", "before": "Try these boots."},
     "The passage now links to rival.example/boots instead. It read: “Try these boots.”",
     "Reclaim it: ask them to point the link back to you."),
    ({"redirected_to": "https://b.example/new"}, "The page now redirects to b.example/new, which has no link to you",
     "Reclaim it: contact the site and ask them to put the link back."),
    ({}, "", "Reclaim it: contact the site and ask them to put the link back."),
])
def test_a_lost_link_says_how_it_was_lost(detail, why, action):
    item = describe(event(EventType.LOST, **detail))
    assert line(item.why, "plain") == why
    assert line(item.action, "plain") == action


def test_long_evidence_is_cut_and_escaped():
    item = describe(event(EventType.LOST, how="unlinked", before="<b>x</b> " + "word " * 100))
    text = line(item.why, "html")
    assert "<b>" not in text and "&lt;b&gt;" in text and "…”" in text and len(text) < 300


@pytest.mark.parametrize(("kind", "detail", "why"), [
    (EventType.PAGE_GONE, {"http_status": 404}, "The page answers 404 (not found)"),
    (EventType.PAGE_NOINDEX, {"sources": ["meta"]}, "A robots meta tag with noindex was added"),
    (EventType.PAGE_BLOCKED_FOR_GOOGLE, {}, "The site's robots.txt now disallows Googlebot on this page"),
    (EventType.LINK_DEMOTED, {"position": "footer", "old_position": "content"},
     "It is now in the footer (was in the article)"),
    (EventType.ANCHOR_CHANGED, {"old_anchor": None, "new_anchor": "Acme"}, "Now “Acme”"),
    (EventType.ANCHOR_CHANGED, {"old_anchor": "Shoes", "new_anchor": "Acme"}, "Was “Shoes”, now “Acme”"),
    (EventType.UNREACHABLE, {"errors_since": "2026-04-28T10:00:00+00:00", "http_status": 503},
     "Failing since 28 Apr 2026 10:00 UTC: it answers 503"),
])
def test_why_in_plain_words(kind, detail, why):
    assert line(describe(event(kind, **detail)).why, "plain") == why


def test_thousand_events_one_message_counts_and_most_urgent_first():
    events = [event(EventType.LOST, n, traffic=float(n)) for n in range(1, 901)]
    events += [event(EventType.NOFOLLOW, n, traffic=None) for n in range(901, 1001)]
    message = build_message(events)
    assert message.total == 1000
    assert message.counts == (("lost", 900), ("nofollow", 100))
    assert message.summary() == "1,000 backlink changes: 900 lost, 100 nofollow"
    assert message.headline() == "[mysite.example] 900 links lost (405,450 visits/mo at risk), 100 now nofollow"
    assert [i.event.page_traffic for i in message.listed(3)] == [900.0, 899.0, 898.0]
    blocks = slack.render_blocks(message, max_listed=20)
    assert len(blocks) <= 50
    assert blocks[-1]["elements"][0]["text"] == "and 985 more changes: see linkwatch"
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    text = email.render_text(message)
    assert text.count("What to do:") == 100 and "and 900 more changes: see linkwatch" in text
    assert "linkwatch events" not in text
    assert len(webhook.render_payload(message)["events"]) == 1000


def test_slack_limits_hold_for_huge_values():
    huge = event(anchor="A" * 10_000, error="E" * 10_000, how="unlinked", before="x" * 9000, extra="y" * 9000)
    message = build_message([huge] * 200, public_url="https://lw.example")
    blocks = slack.render_blocks(message, max_listed=500)
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert all(len(e["text"]) <= 3000 for b in blocks if b["type"] == "context" for e in b["elements"])
    assert len(blocks[0]["text"]["text"]) <= 150
    assert blocks[-1]["elements"][0]["text"] == ("and 185 more changes: see "
                                                 "<https://lw.example/events|all changes in linkwatch>")


def test_order_lost_by_traffic_then_problems_then_good_news():
    message = build_message([event(EventType.NEW, 1, traffic=9000.0), event(EventType.NOFOLLOW, 2, traffic=5000.0),
                             event(EventType.LOST, 3, traffic=10.0), event(EventType.RESTORED, 4),
                             event(EventType.LOST, 5, traffic=300.0), event(EventType.PAGE_GONE, 6)])
    assert [(str(e.type), e.id) for e in message.events] == [
        ("lost", 5), ("lost", 3), ("nofollow", 2), ("page_gone", 6), ("new", 1), ("restored", 4)]


def test_ties_in_traffic_put_the_worst_change_first():
    message = build_message([event(EventType.RESTORED, 1), event(EventType.LOST, 2), event(EventType.NOFOLLOW, 3)])
    assert [str(e.type) for e in message.events] == ["lost", "nofollow", "restored"]


def test_cli_channel_list_matches_the_channels():
    from monitor.cli.alerts import CHANNELS as CLI_CHANNELS
    from monitor.notify.channels import CHANNELS

    assert CLI_CHANNELS == CHANNELS


@pytest.mark.parametrize("kind, words", [(EventType.PAGE_NOINDEX, "already noindex when linkwatch first checked"),
                                         (EventType.PAGE_BLOCKED_FOR_GOOGLE, "already kept off the page")])
def test_a_page_already_so_at_the_first_check_does_not_read_as_a_change(kind, words):
    """A page event at the link's first check (`never_seen`) says the page was already so, not that it became so."""
    first = line(describe(event(kind, never_seen=True)).action, "plain")
    assert words in first
    assert words not in line(describe(event(kind)).action, "plain")
