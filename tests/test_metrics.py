"""The /metrics exposition: values on a hand-seeded database, naming, label cardinality, auth."""

from __future__ import annotations

import math
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import Engine, select

from monitor.config import Settings
from monitor.core.types import BacklinkState, CheckState, EventType
from monitor.service import metrics
from monitor.store import db, metric_counts
from monitor.store.models import CheckRun, Site
from tests.fixtures_metrics import EMPTY, EXAMPLE_LINKS, OWN, RIVAL, SEEDED, backlink, seed_metrics_database

BOUNDED_LABELS = {
    "state": {s.value for s in BacklinkState},
    "outcome": {s.value for s in CheckState},
    "method": {"static", "rendered"},
    "type": {e.value for e in EventType},
    "channel": {"slack", "email", "webhook", "apprise"},
    "follow": {"true", "false"},
    "role": {"own", "competitor"},
    "by": {"links", "domains"},
    "le": {metric_counts.format_bound(b) for b in metric_counts.DURATION_BUCKETS} | {"+Inf"},
}
SITES = {OWN, RIVAL, EMPTY}


def scrape(engine: Engine) -> str:
    return generate_latest(metrics.build_registry(engine, Settings())).decode()


def samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    found = [s.value for s in samples(text) if s.name == name and s.labels == labels]
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
    return found[0]


def test_gauges_on_the_seeded_database(metrics_engine: tuple[Engine, datetime]) -> None:
    engine, now = metrics_engine
    text = scrape(engine)
    for state, count in SEEDED["backlinks"].items():
        assert value(text, "linkwatch_backlinks", site=OWN, state=state) == count
        assert value(text, "linkwatch_backlinks", site=EMPTY, state=state) == 0
    assert value(text, "linkwatch_backlinks", site=RIVAL, state="live") == 1
    for follow, count in SEEDED["referring_domains"].items():
        assert value(text, "linkwatch_referring_domains", site=OWN, follow=follow) == count
    assert value(text, "linkwatch_referring_domains", site=RIVAL, follow="true") == 1
    for by, ratio in SEEDED["dofollow_ratio"].items():
        assert value(text, "linkwatch_dofollow_ratio", site=OWN, by=by) == pytest.approx(ratio)
    assert value(text, "linkwatch_dofollow_ratio", site=RIVAL, by="domains") == 1
    assert not [s for s in samples(text) if s.name == "linkwatch_dofollow_ratio" and s.labels["site"] == EMPTY]
    assert value(text, "linkwatch_backlinks_due", site=OWN) == SEEDED["due"]
    assert value(text, "linkwatch_backlinks_due", site=RIVAL) == 0
    age = value(text, "linkwatch_oldest_overdue_check_age_seconds", site=OWN)
    assert SEEDED["overdue_hours"] * 3600 <= age < SEEDED["overdue_hours"] * 3600 + 600
    assert value(text, "linkwatch_oldest_overdue_check_age_seconds", site=RIVAL) == 0
    last_run = value(text, "linkwatch_last_successful_run_timestamp_seconds")
    assert last_run == pytest.approx((now - timedelta(hours=SEEDED["last_run_hours_ago"])).timestamp())


def test_counters_and_histogram_on_the_seeded_database(metrics_engine: tuple[Engine, datetime]) -> None:
    engine, _ = metrics_engine
    text = scrape(engine)
    for outcome in BOUNDED_LABELS["outcome"]:
        for method in ("static", "rendered"):
            expected = SEEDED["checks"].get((outcome, method), 0)
            assert value(text, "linkwatch_checks_total", outcome=outcome, method=method) == expected
    assert value(text, "linkwatch_fetched_bytes_total") == SEEDED["fetched_bytes"]
    # static: three checks of 0.3 s; rendered: 2 s and 70 s (beyond the last bound)
    bucket = "linkwatch_check_duration_seconds_bucket"
    assert value(text, bucket, method="static", le="0.25") == 0
    assert value(text, bucket, method="static", le="0.5") == 3
    assert value(text, bucket, method="static", le="+Inf") == 3
    assert value(text, bucket, method="rendered", le="1.0") == 0
    assert value(text, bucket, method="rendered", le="2.5") == 1
    assert value(text, bucket, method="rendered", le="60.0") == 1
    assert value(text, bucket, method="rendered", le="+Inf") == 2
    assert value(text, "linkwatch_check_duration_seconds_count", method="rendered") == 2
    for method, total in SEEDED["duration_sum"].items():
        assert value(text, "linkwatch_check_duration_seconds_sum", method=method) == pytest.approx(total)
    for kind in BOUNDED_LABELS["type"]:
        assert value(text, "linkwatch_link_events_total", site=OWN, role="own", type=kind) \
            == SEEDED["events"].get(kind, 0)
        assert value(text, "linkwatch_link_events_total", site=EMPTY, role="own", type=kind) == 0
        assert value(text, "linkwatch_link_events_total", site=RIVAL, role="competitor", type=kind) == 0
    for channel in BOUNDED_LABELS["channel"]:
        assert value(text, "linkwatch_alerts_sent_total", channel=channel) == SEEDED["alerts_sent"].get(channel, 0)
        assert value(text, "linkwatch_alerts_failed_total", channel=channel) == SEEDED["alerts_failed"].get(channel, 0)
    info = [s for s in samples(text) if s.name == "linkwatch_build_info"]
    assert len(info) == 1 and info[0].value == 1 and set(info[0].labels) == {"version", "python"}


def test_counters_survive_a_restart_and_add_up_across_writers(metrics_engine: tuple[Engine, datetime]) -> None:
    """Two engines (two processes' worth of connections) bump the same rows; a new registry reads the sum."""
    engine, _ = metrics_engine
    other = db.connect(engine.url.render_as_string(hide_password=False))
    for writer in (engine, other):
        with db.session(writer) as session:
            metric_counts.record_checks(session, [
                {"state": "live", "rendered": False, "duration_seconds": 0.3, "bytes_received": 10}] * 2)
            metric_counts.record_events(session, [(OWN, "lost"), (OWN, "not-a-type")])
    other.dispose()
    text = scrape(engine)
    assert value(text, "linkwatch_checks_total", outcome="live", method="static") == 3 + 4
    assert value(text, "linkwatch_fetched_bytes_total") == SEEDED["fetched_bytes"] + 40
    assert value(text, "linkwatch_link_events_total", site=OWN, role="own", type="lost") == 1 + 2
    assert "not-a-type" not in text


def test_a_failed_ingest_transaction_counts_nothing(metrics_engine: tuple[Engine, datetime]) -> None:
    engine, _ = metrics_engine
    with pytest.raises(RuntimeError), db.session(engine) as session:
        metric_counts.record_checks(session, [{"state": "lost", "rendered": False, "duration_seconds": 1,
                                               "bytes_received": 1}])
        raise RuntimeError("the batch failed after counting")
    assert value(scrape(engine), "linkwatch_checks_total", outcome="lost", method="static") == 0


def test_naming_follows_prometheus_practice(metrics_engine: tuple[Engine, datetime]) -> None:
    engine, _ = metrics_engine
    families = list(text_string_to_metric_families(scrape(engine)))
    assert len(families) == 14
    for family in families:
        assert family.name.startswith("linkwatch_"), family.name
        assert re.fullmatch(r"[a-z_]+", family.name), family.name
        assert not re.search(r"_(ms|milliseconds|minutes|hours|days|kb|mb|percent)(_|$)", family.name), family.name
        assert family.documentation, family.name
        names = {s.name for s in family.samples}
        if family.type == "counter":
            assert names == {family.name + "_total"}, family.name
        elif family.type == "gauge":
            assert not re.search(r"_(total|count|sum|bucket)$", family.name), family.name
            if family.name.endswith("_info"):
                assert {s.value for s in family.samples} == {1.0}
        elif family.type == "histogram":
            assert family.name.endswith("_seconds") or family.name.endswith("_bytes"), family.name
            assert names == {family.name + suffix for suffix in ("_bucket", "_count", "_sum")}
        else:
            pytest.fail(f"{family.name}: unexpected type {family.type}")
        if re.search(r"(time|age|duration|latency)", family.name):
            assert family.name.endswith("_seconds") or family.name.endswith("_seconds_total"), family.name
        for sample in family.samples:
            assert not math.isnan(sample.value), sample


def test_labels_are_bounded_and_never_urls_domains_or_ids(metrics_engine: tuple[Engine, datetime]) -> None:
    engine, now = metrics_engine
    before = samples(scrape(engine))
    referring = {link[0] for link in EXAMPLE_LINKS}
    for sample in before:
        for label, label_value in sample.labels.items():
            if label == "site":
                assert label_value in SITES
            elif label in ("version", "python"):
                assert sample.name == "linkwatch_build_info"
            else:
                assert label_value in BOUNDED_LABELS[label], (sample.name, label, label_value)
            assert "/" not in label_value and label_value not in referring, (sample.name, label_value)
            assert label == "le" or not re.fullmatch(r"[0-9]+", label_value), (sample.name, label_value)
    # fifty more backlinks from fifty new referring domains, new events and checks: no new series
    with db.session(engine) as session:
        site_id = session.execute(select(Site.id).where(Site.domain == OWN)).scalar_one()
        for number in range(50):
            session.add(backlink(site_id, f"new{number}.example", 100 + number, "live", now, now))
        metric_counts.record_checks(session, [{"state": s.value, "rendered": r, "duration_seconds": 999,
                                               "bytes_received": 5} for s in CheckState for r in (False, True)])
        metric_counts.record_events(session, [(OWN, e.value) for e in EventType])
    after = samples(scrape(engine))
    assert series(after) == series(before)
    assert value(scrape(engine), "linkwatch_backlinks", site=OWN, state="live") == SEEDED["backlinks"]["live"] + 50


def series(found: list[Sample]) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {(s.name, tuple(sorted(s.labels.items()))) for s in found}


def test_an_empty_database_exposes_every_counter_at_zero(tmp_path: Path) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'empty.db'}")
    text = scrape(engine)
    assert value(text, "linkwatch_checks_total", outcome="error", method="rendered") == 0
    assert value(text, "linkwatch_alerts_failed_total", channel="email") == 0
    assert value(text, "linkwatch_last_successful_run_timestamp_seconds") == 0
    assert value(text, "linkwatch_check_duration_seconds_count", method="static") == 0


def test_the_share_rendered_is_that_of_the_last_finished_run_that_checked_pages(tmp_path: Path) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'runs.db'}")
    assert value(scrape(engine), "linkwatch_last_run_rendered_ratio") == 0
    now = datetime.now(UTC)
    with db.session(engine) as s:
        s.add_all([
            CheckRun(started_at=now - timedelta(hours=5), finished_at=now - timedelta(hours=4), status="finished",
                     pages=10, rendered=10),
            CheckRun(started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=2), status="finished",
                     pages=1000, rendered=294),
            CheckRun(started_at=now - timedelta(hours=2), finished_at=now - timedelta(hours=1), status="finished",
                     pages=0, rendered=0),  # nothing was due
            CheckRun(started_at=now - timedelta(minutes=50), finished_at=now - timedelta(minutes=40),
                     status="failed", pages=4, rendered=4),
            CheckRun(started_at=now - timedelta(minutes=5), status="running", pages=8, rendered=8),
        ])
    assert value(scrape(engine), "linkwatch_last_run_rendered_ratio") == pytest.approx(0.294)


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_metrics_endpoint_requires_the_token_when_one_is_set(tmp_path: Path) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'auth.db'}")
    seed_metrics_database(engine, datetime.now(UTC))
    settings = Settings(api_token="s3cret-token")
    server = metrics.start_metrics_server(engine, settings, "127.0.0.1:0")
    try:
        url = f"http://127.0.0.1:{server.port}"
        assert get(f"{url}/metrics")[0] == 401
        assert get(f"{url}/metrics", "wrong")[0] == 401
        status, body = get(f"{url}/metrics", "s3cret-token")
        assert status == 200 and 'linkwatch_backlinks{site="example.com",state="live"} 3.0' in body
        assert get(f"{url}/other", "s3cret-token")[0] == 404
    finally:
        server.stop()
    open_server = metrics.start_metrics_server(engine, Settings(), "127.0.0.1:0")
    try:
        assert get(f"http://127.0.0.1:{open_server.port}/metrics")[0] == 200
    finally:
        open_server.stop()


def test_the_default_metrics_address_is_loopback() -> None:
    assert Settings().metrics_addr.startswith("127.0.0.1:")
