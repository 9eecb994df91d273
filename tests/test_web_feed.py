"""The Changes filters and the Alerts buttons, in Chromium against a real `serve` (store of tests/test_web_api.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_alerts import HttpSink
from tests.fixtures_web import Served
from tests.support.waiting import wait_for
from tests.test_web_api import seeded

pytestmark = pytest.mark.chromium


def rows(page: Any) -> list[str]:
    return page.locator("tbody tr").all_inner_texts()


def test_change_filters_by_type_site_and_dates(tmp_path: Path, web_serve: Callable[..., Served],
                                               web_page: Any) -> None:
    served, made = seeded(tmp_path, web_serve)
    page = web_page
    page.goto(served.base + "/events")
    assert len(rows(page)) == 9
    page.get_by_label("What").select_option("lost")
    page.get_by_role("button", name="Apply").click()
    assert len(rows(page)) == 3 and all("blog" in r for r in rows(page))
    assert "type=lost" in page.url
    page.get_by_label("What").select_option("")
    page.get_by_label("Site").select_option("other.example")
    page.get_by_role("button", name="Apply").click()
    assert len(rows(page)) == 2 and all("other.example" in r for r in rows(page))

    page.goto(served.base + "/events")
    ten_days_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).date().isoformat()
    page.get_by_label("From").fill(ten_days_ago)
    page.get_by_role("button", name="Apply").click()
    assert len(rows(page)) == 6, "the changes of the last 10 days: 4 new, 2 pages gone"
    page.get_by_label("From").fill("")
    page.get_by_label("To").fill(ten_days_ago)
    page.get_by_role("button", name="Apply").click()
    assert len(rows(page)) == 3, "the older changes: the 3 lost"
    page.locator("tbody tr a").first.click()
    assert int(page.url.split("/links/")[1]) in made["lost"], "a row opens its link"

    assert page.goto(served.base + "/events?type=bogus").status == 400
    assert page.goto(served.base + "/events?since=yesterday").status == 400


def test_alerts_retry_and_test_buttons(tmp_path: Path, web_serve: Callable[..., Served], web_page: Any,
                                       http_sink: HttpSink) -> None:
    http_sink.fail(400)
    served, _ = seeded(tmp_path, web_serve, LINKWATCH_SLACK_WEBHOOK_URL=http_sink.url)
    page = web_page

    def failed_button() -> bool:
        page.goto(served.base + "/alerts")
        return page.get_by_role("button", name="Retry failed").count() == 1

    wait_for(failed_button, "a delivery failed for good")
    assert "HTTP 400" in page.locator("main").inner_text(), "the last error is shown"
    refused = len(http_sink.requests)
    assert refused >= 1 and http_sink.accepted == []

    http_sink.ok()
    page.get_by_role("button", name="Retry failed").click()
    assert "queued again" in page.get_by_role("status").inner_text()
    wait_for(lambda: http_sink.accepted, "the retried delivery arrives")
    assert "blog" in json.dumps(http_sink.accepted[0].json), "the retried message is the changes' one"

    page.goto(served.base + "/alerts")
    page.get_by_role("button", name="Send a test").click()
    assert page.get_by_role("status").inner_text() == "slack: test message sent"
    assert "test from linkwatch" in json.dumps(http_sink.accepted[-1].json)
    http_sink.fail(403)
    page.get_by_role("button", name="Send a test").click()
    assert "the test failed: HTTP 403" in page.get_by_role("status").inner_text()
