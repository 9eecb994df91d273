"""A link's context and position in the store (SQLite and PostgreSQL): every check keeps its links' own, an
export's left/right context is the backlink's first known context, a 304 reuses them, the wire carries them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from monitor.config import Settings
from monitor.core.types import FetchStatus, LinkContext, LinkPosition, ObservedLink, PageObservation, RenderMode
from monitor.core.wire import observation_from_json, observation_to_json
from monitor.crawl.scheduler import iter_due_jobs
from monitor.store import db
from monitor.store.ingest import Ingestor
from monitor.store.models import Backlink, Check
from tests.support.imports import AHREFS_COLUMNS, ahrefs_row, run_import, write_tsv_utf16le
from tests.support.store import T0, add_links

SEEN = LinkContext(before="as the review says, try", after="for your next audit.")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.connect(database_url)
    yield engine
    engine.dispose()


def observed(url: str, target: str, fetch: FetchStatus = FetchStatus.OK) -> PageObservation:
    links = () if fetch is not FetchStatus.OK else (
        ObservedLink(href="https://acme.com/", rel=(), anchor="Acme", follow=True, target=target, context=SEEN,
                     position=LinkPosition.FOOTER),)
    return PageObservation(url=url, final_url=url, fetch=fetch, http_status=304 if links == () else 200,
                           links=links)


def ingest(engine: Engine, when: datetime, fetch: FetchStatus = FetchStatus.OK) -> None:
    settings = Settings(render=RenderMode.NEVER)
    ingestor = Ingestor(engine, settings, None, clock=lambda: when)
    for job in iter_due_jobs(engine, settings, when, include_all=True):
        for target in job.targets:
            ingestor.add(observed(job.url, target, fetch), job.backlink_ids)
            break
    ingestor.flush()


def backlinks(engine: Engine) -> dict[str, Backlink]:
    with db.session(engine) as s:
        return {b.source_url: b for b in s.scalars(select(Backlink))}


def test_import_context_is_the_first_known_context_and_checks_keep_their_own(engine: Engine, tmp_path: Path) -> None:
    row = ahrefs_row("Review", "https://review.example.org/tools", "https://acme.com/", "Acme", "false", "10",
                     "2026-01-02")
    row[AHREFS_COLUMNS.index("Left context")] = "   " + "word " * 40 + "we\u00a0recommend  "
    run_import(engine, write_tsv_utf16le(tmp_path / "ahrefs.csv", [AHREFS_COLUMNS, row]))
    imported = backlinks(engine)["https://review.example.org/tools"].context
    assert imported is not None and imported["from"] == "import" and imported["after"] == "for audits"
    assert imported["before"].endswith("word we recommend") and len(imported["before"]) <= 120
    assert imported["before"].startswith("word ")

    add_links(engine, [("https://blog.example.net/post", "https://acme.com/")])
    ingest(engine, T0 + timedelta(days=1))
    stored = backlinks(engine)
    assert stored["https://review.example.org/tools"].context == imported, "a check never replaces the first"
    assert stored["https://blog.example.net/post"].context == {**SEEN.to_json(), "from": "check"}
    with db.session(engine) as s:
        links = [c.links for c in s.scalars(select(Check))]
    assert links == [[{"href": "https://acme.com/", "rel": [], "anchor": "Acme", "follow": True,
                       "context": SEEN.to_json(), "position": "footer"}]] * 2

    changed = ahrefs_row("Review", "https://review.example.org/tools", "https://acme.com/", "Acme", "false", "10",
                         "2026-01-02")
    changed[AHREFS_COLUMNS.index("Left context")] = "other words"
    run_import(engine, write_tsv_utf16le(tmp_path / "again.csv", [AHREFS_COLUMNS, changed]))
    assert backlinks(engine)["https://review.example.org/tools"].context == imported


def test_a_304_reuses_the_context_and_position(engine: Engine) -> None:
    add_links(engine, [("https://blog.example.net/post", "https://acme.com/")])
    ingest(engine, T0 + timedelta(days=1))
    ingest(engine, T0 + timedelta(days=2), FetchStatus.NOT_MODIFIED)
    with db.session(engine) as s:
        checks = s.scalars(select(Check).order_by(Check.id)).all()
        assert [c.fetch_status for c in checks] == ["ok", "not_modified"]
        assert checks[1].links == checks[0].links and checks[1].links[0]["position"] == "footer"


def test_the_wire_carries_context_and_position() -> None:
    observation = observed("https://blog.example.net/post", "acme.com")
    back = observation_from_json(observation_to_json(observation))
    assert back == observation and back.links[0].context == SEEN and back.links[0].position is LinkPosition.FOOTER
