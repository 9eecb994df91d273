"""A competitor's lost link (`[[site]] competitor = true`) is not "your" lost link (issue 16, item 1).

The scenario: an agency's own site `mysite.com` and a competitor `rival.com`, six referring pages each on the
local test site, imported, crawled by `linkwatch run`, then every link removed by the editors and confirmed lost;
alerts go to the Slack-like HTTP sink.  Without a route asking for competitors, only the own site's losses are
alerted; with `competitors = true` the competitor's read as an outreach opportunity, never "Reclaim it".
`events --json` carries each event's site role, and the lost-link metric and the shipped `LinkwatchLinksLost`
rule (run by promtool on the scraped counters) count the own site's losses only."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import environment, linkwatch
from tests.support.pages import TestSite, page
from tests.support.store import link_event_samples

PAGES = 6  # more than the LinkwatchLinksLost threshold (5 a day)
SITES = '[[site]]\ndomain = "mysite.com"\n\n[[site]]\ndomain = "rival.com"\ncompetitor = true\n'
RULES = Path(__file__).resolve().parent.parent / "deploy" / "prometheus" / "rules" / "linkwatch.rules.yml"


def _lose_every_link(site: TestSite, tmp_path: Path, http_sink: Any, config: str) -> dict[str, str]:
    """Six pages linking to mysite.com and six to rival.com, checked live, then every link removed and
    confirmed lost (two misses), and the alerts sent; returns the environment."""
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'lw.db'}", SITES + config)
    env.update(LINKWATCH_RENDER="never", LINKWATCH_LOST_AFTER="2", LINKWATCH_SLACK_WEBHOOK_URL=http_sink.url)
    rows = ["source_url,target"]
    for n in range(PAGES):
        site.set_page(f"/own{n}", page('<a href="https://mysite.com/shoes">Trail shoes</a>'))
        site.set_page(f"/rival{n}", page('<a href="https://rival.com/boots">Rival boots</a>'))
        rows += [f"{site.url(f'/own{n}')},https://mysite.com/shoes", f"{site.url(f'/rival{n}')},https://rival.com/boots"]
    export = tmp_path / "ahrefs.csv"
    export.write_text("\n".join(rows) + "\n")
    linkwatch(env, "import", str(export))
    linkwatch(env, "run", "--once")
    for n in range(PAGES):
        site.set_page(f"/own{n}", page("<p>the editor removed the link</p>"))
        site.set_page(f"/rival{n}", page("<p>the editor removed the link</p>"))
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")  # the second miss confirms the losses
    linkwatch(env, "alerts", "send")
    return env


def _sections(http_sink: Any) -> list[str]:
    return [block["text"]["text"] for request in http_sink.accepted for block in request.json["blocks"]
            if block["type"] == "section" and "_What to do:_" in block["text"]["text"]]


def _lost_events(env: dict[str, str]) -> list[dict[str, Any]]:
    out = linkwatch(env, "events", "--json", "--type", "lost").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_competitor_losses_are_not_alerted_without_the_route_option(site: TestSite, tmp_path: Path,
                                                                    http_sink: Any) -> None:
    env = _lose_every_link(site, tmp_path, http_sink, "")
    sections = _sections(http_sink)
    own = [s for s in sections if "/own" in s]
    assert len(own) == PAGES and all("*Link lost*" in s and "Reclaim it" in s for s in own), sections
    assert not [s for s in sections if "/rival" in s or "rival.com" in s], sections
    assert all("rival" not in request.body.decode() for request in http_sink.accepted)

    events = _lost_events(env)
    assert len(events) == 2 * PAGES
    for event in events:
        assert event["role"] == ("competitor" if event["site"] == "rival.com" else "own"), event
    assert {e["site"] for e in events if e["role"] == "own"} == {"mysite.com"}


def test_competitor_losses_read_as_outreach_opportunities_when_routed(site: TestSite, tmp_path: Path,
                                                                      http_sink: Any) -> None:
    route = '\n[[alerts.route]]\nchannel = "slack"\nevents = ["lost", "page_gone"]\ncompetitors = true\n'
    _lose_every_link(site, tmp_path, http_sink, route)
    sections = _sections(http_sink)
    rival = [s for s in sections if "/rival" in s]
    assert len(rival) == PAGES, sections
    for text in rival:
        assert text.startswith("*Competitor lost a link*"), text
        assert "_What to do:_ An outreach opportunity: the page linked to rival.com; pitch your own page" in text
        assert "Reclaim it" not in text and "Link lost" not in text, text
    own = [s for s in sections if "/own" in s]
    assert len(own) == PAGES and all(s.startswith("*Link lost*") and "Reclaim it" in s for s in own)
    headers = sorted(request.json["blocks"][0]["text"]["text"] for request in http_sink.accepted)
    assert headers == [f"[mysite.com] {PAGES} links lost", f"[rival.com] Competitor lost {PAGES} links: outreach "
                       "opportunities"], headers  # one message per site


def test_lost_link_metric_and_rule_ignore_competitor_losses(site: TestSite, tmp_path: Path, http_sink: Any) -> None:
    _lose_every_link(site, tmp_path, http_sink, "")
    samples = link_event_samples(f"sqlite:///{tmp_path / 'lw.db'}")
    lost = {labels["site"]: (labels.get("role"), value) for _, labels, value in samples if labels["type"] == "lost"}
    assert lost == {"mysite.com": ("own", PAGES), "rival.com": ("competitor", PAGES)}

    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed (make system-deps installs Debian's prometheus package)")
    # The scraped counters as series that were 0 an hour earlier: the rule fires for the own site only.
    series = "".join(
        f"      - series: '{name}{{{','.join(f'{k}={json.dumps(v)}' for k, v in sorted(labels.items()))}}}'\n"
        f"        values: '0 {value:g}'\n" for name, labels, value in samples)
    (tmp_path / "rules.yml").write_text(RULES.read_text())
    (tmp_path / "test.yml").write_text(
        "rule_files:\n  - rules.yml\nevaluation_interval: 1m\ntests:\n  - interval: 1h\n    input_series:\n"
        f"{series}    alert_rule_test:\n      - eval_time: 1h\n        alertname: LinkwatchLinksLost\n"
        "        exp_alerts:\n          - exp_labels:\n              severity: warning\n"
        "              site: mysite.com\n            exp_annotations:\n"
        f"              summary: \"mysite.com lost {PAGES} backlinks in the last day\"\n"
        "              description: \"More than 5 backlinks of mysite.com were lost or their pages gone in 24 hours. "
        "`linkwatch events` lists them.\"\n")
    result = subprocess.run(["promtool", "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
