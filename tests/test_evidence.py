"""Evidence of how a link was lost, end to end (issue 17): real pages changed four ways between `linkwatch run`s,
the `lost` events' `how`, `before`, `after` and the snapshots behind them, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Backlink, EventRecord, Snapshot
from monitor.store.snapshots import decompress
from tests.support.evidence import BEFORE, PAGES, PARAGRAPHS, lose_four_ways, lost_events
from tests.support.pages import TestSite


@pytest.mark.timeout(600)
def test_a_lost_link_says_how_it_was_lost(site: TestSite, database_url: str, tmp_path: Path) -> None:
    env = lose_four_ways(site, tmp_path, database_url)
    events = lost_events(env, site)
    assert sorted(events) == sorted(PAGES)
    details = {path: event["detail"] for path, event in events.items()}
    assert {path: d["how"] for path, d in details.items()} == {
        "/unlinked": "unlinked", "/removed": "passage_removed", "/rewritten": "page_rewritten",
        "/moved": "moved_to_other_url"}
    for detail in details.values():
        # the link's context as last seen live: up to 120 characters each side, from the paragraphs around it
        assert BEFORE in detail["before"] and detail["before"].endswith("the hosted plans") and detail["misses"] == 2
    unlinked = details["/unlinked"]
    assert unlinked["after"] == BEFORE and unlinked["changed_share"] == 0.0
    assert details["/removed"]["after"] == "" and 0 < details["/removed"]["changed_share"] < 0.5
    assert details["/rewritten"]["after"] == "" and details["/rewritten"]["changed_share"] >= 0.9
    assert details["/moved"]["moved_to"] == "https://www.rival.example/tool"
    assert details["/moved"]["moved_to_competitor"] == "rival.example"
    assert all(d["moved_to"] is None and d["moved_to_competitor"] is None
               for path, d in details.items() if path != "/moved")

    with session(connect(database_url)) as s:
        rows = s.execute(select(Backlink.source_url, EventRecord.before_snapshot_id, EventRecord.after_snapshot_id)
                         .join(Backlink, Backlink.id == EventRecord.backlink_id)
                         .where(EventRecord.type == "lost")).all()
        texts = {i: decompress(t) for i, t in s.execute(select(Snapshot.id, Snapshot.text))}
        count = s.scalar(select(func.count()).select_from(Snapshot))
    snapshots = {url.removeprefix(site.url("")): (before, after) for url, before, after in rows}
    for path, (before, after) in snapshots.items():
        assert before is not None and after is not None, path
        assert BEFORE in (texts[before] or "") and PARAGRAPHS[0] in (texts[before] or "")
        assert "Home" not in (texts[before] or ""), "boilerplate is not main text"
    # an unchanged main text is one snapshot: the unlinked and the moved pages read the same as before
    assert snapshots["/unlinked"][0] == snapshots["/unlinked"][1] and snapshots["/moved"][0] == snapshots["/moved"][1]
    assert "rainy weekend" in (texts[snapshots["/rewritten"][1]] or "")
    assert BEFORE not in (texts[snapshots["/removed"][1]] or "")
    assert count == 6, "four pages as seen live, and the two that changed as seen at the loss"
