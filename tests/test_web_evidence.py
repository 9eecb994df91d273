"""The link and events pages show how a link was lost (a `lost` event's `how`, before/after passages, the share
of the page that changed, where it moved) and where the latest check found it, in words; hostile text from the
page shows as text.  Events are written straight into the store, as the ingest would write them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from monitor.store.models import Check, EventRecord
from tests.fixtures_alerts import AlertStore
from tests.fixtures_web import Served, shoot, web_env

pytestmark = pytest.mark.chromium

HOSTILE = '<img src=x onerror=alert(1)> "quotes" & <b>bold</b>'
NOW = dt.datetime.now(dt.UTC)


def _store(tmp_path: Path) -> tuple[int, int, int]:
    """(unlinked, moved, plain) backlink ids: two lost with evidence, one lost with a detail that says nothing."""
    store = AlertStore(web_env(tmp_path)["LINKWATCH_DATABASE_URL"])
    unlinked = store.add_events(1, "lost", "acme.example", anchor="Great Tool", detail={
        "how": "unlinked", "before": f"We tried the great tool {HOSTILE} and loved it.",
        "after": f"We tried the great tool {HOSTILE} and loved it.", "changed_share": 0.04})
    moved = store.add_events(1, "lost", "acme.example", anchor="seo kit", detail={
        "how": "moved_to_other_url", "before": "Try the seo kit today.", "after": "",
        "moved_to": "javascript:alert(3)", "moved_to_competitor": "rival.example"})
    plain = store.add_events(1, "lost", "acme.example", detail={"http_status": 200})
    with store.engine.begin() as conn:
        ids = [conn.execute(select(EventRecord.backlink_id).where(EventRecord.id == e[0])).scalar_one()
               for e in (unlinked, moved, plain)]
        conn.execute(insert(Check), [{
            "backlink_id": ids[0], "checked_at": NOW - dt.timedelta(hours=2), "state": "live", "fetch_status": "ok",
            "http_status": 200, "noindex": False, "nofollow": False, "rendered": False, "redirects": [],
            "links": [{"href": "https://acme.example/", "rel": [], "anchor": "Great Tool", "follow": True,
                       "context": {"before": f"Read {HOSTILE} about the", "after": "in our footer"},
                       "position": "footer"}]}])
    store.engine.dispose()
    return ids[0], ids[1], ids[2]


def test_lost_evidence_and_placement_in_words(tmp_path: Path, web_serve: Callable[..., Served],
                                              web_page: Any) -> None:
    unlinked, moved, plain = _store(tmp_path)
    served = web_serve()
    page = web_page
    page.goto(f"{served.base}/links/{unlinked}")
    evidence = page.locator("#how-lost .evidence")
    assert evidence.locator(".how").inner_text().startswith("They kept your mention but removed the link.")
    assert "About 4% of the page’s text changed." in evidence.inner_text()
    assert HOSTILE in evidence.inner_text()  # shown as text, not markup
    assert evidence.locator("mark").first.inner_text() == "great tool"  # the anchor, found in any case
    assert page.locator(".evidence").count() == 1, "shown under the verdict, not again in the changes"
    placement = page.locator("#placement").inner_text()
    assert placement.startswith("In the footer, at the last check") and HOSTILE in placement
    shoot(page, "link-evidence")

    page.goto(f"{served.base}/links/{moved}")
    how = page.locator(".evidence .how").inner_text()
    assert "The passage now links to another page instead." in how and "a competitor’s site (rival.example)" in how
    assert page.locator(".evidence a").count() == 0  # a javascript: URL is never a link
    assert "no similar passage on the page" in page.locator(".evidence").inner_text()

    page.goto(f"{served.base}/links/{plain}")
    assert page.locator(".evidence, #placement, #how-lost").count() == 0

    page.goto(f"{served.base}/events")
    assert page.locator(".evidence").count() == 2
    assert page.locator(".evidence .how", has_text="They kept your mention").count() == 1
    assert page.locator("img").count() == 0 and page.locator("main b").count() == 0
    assert page.dialogs == []
