"""Faults of `linkwatch serve` itself: kill -9 at random points (seeded, so a failure can be replayed).

One serve after another crawls a slow local site of many backlinks and dispatches a
`new` alert per backlink to the local HTTP sink as a Slack webhook (`/slack`) and a
JSON webhook (`/webhook`, which lists every event by id).  Three of them are killed
with SIGKILL (the serve process only: its crawl child notices that its parent is gone
and stops by itself): two while crawling, after random delays, one while the slow sink
holds its first alert request; the fourth is left to finish.  Each new
serve takes over the leader lease at once (the dead holder is a process of this
host), so the work resumes by itself.  At the end: every backlink checked, no check
twice in a run, one `new` event per backlink, and no event delivered twice on either
channel.  A notification in flight when its serve died is `unconfirmed` and not
resent (docs/alerts.md): it was delivered at most once, never twice.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store.db import connect, session
from monitor.store.models import Backlink, EventRecord, Lease, Notification
from tests.fixtures_alerts import HttpSink
from tests.support.cli import LINKWATCH, environment, linkwatch
from tests.support.pages import LINK, TestSite, page
from tests.support.store import assert_consistent

PAGES = 120
SEED = 8  # the kill delays; change it to explore other kill points
KILL_PHASES = ("crawl", "crawl", "dispatch")


def slack_count(payload: dict) -> int:
    """How many changes a Slack message carries: its context line says `12 changes · 6 Dec 2026 ...`."""
    lines = [e["text"] for b in payload["blocks"] if b["type"] == "context" for e in b["elements"]]
    counts = [re.match(r"([\d,]+) changes? · ", line) for line in lines]
    return next(int(m.group(1).replace(",", "")) for m in counts if m)


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([*LINKWATCH, "serve", "--metrics-addr", "127.0.0.1:0",
                                 "--poll", "0.5"], env=env, stdout=subprocess.DEVNULL, stderr=out)


def notification_counts(database_url: str) -> Counter[tuple[str, str]]:
    engine = connect(database_url)
    try:
        with session(engine) as s:
            rows = s.execute(select(Notification.channel, Notification.status, func.count())
                             .group_by(Notification.channel, Notification.status)).all()
    finally:
        engine.dispose()
    return Counter({(channel, status): n for channel, status, n in rows})


def leader_pid(database_url: str) -> int | None:
    engine = connect(database_url)
    try:
        with session(engine) as s:
            holder = s.scalar(select(Lease.holder).where(Lease.name == "serve"))
    finally:
        engine.dispose()
    return int(holder.rsplit(":", 2)[1]) if holder else None


def all_settled(database_url: str) -> bool:
    """Every backlink checked and every notification out of `pending`/`sending`."""
    engine = connect(database_url)
    try:
        with session(engine) as s:
            unchecked = s.scalar(select(func.count()).select_from(Backlink).where(Backlink.last_checked.is_(None)))
            unrouted = s.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.routed.is_(False)))
            waiting = s.scalar(select(func.count()).select_from(Notification)
                               .where(Notification.status.in_(("pending", "sending"))))
    finally:
        engine.dispose()
    return unchecked == 0 and unrouted == 0 and waiting == 0


@pytest.fixture
def two_path_sink() -> Iterator[HttpSink]:
    sink = HttpSink()
    yield sink
    sink.close()


@pytest.mark.timeout(300)
def test_serve_killed_at_random_points_resumes_without_duplicates(site: TestSite, two_path_sink: HttpSink,
                                                                  tmp_path: Path) -> None:
    sink = two_path_sink
    base = sink.url.rsplit("/", 1)[0]
    database_url = f"sqlite:///{tmp_path / 'linkwatch.db'}"
    routes = ('[[alerts.route]]\nchannel = "slack"\nevents = ["new"]\n\n'
              '[[alerts.route]]\nchannel = "webhook"\nevents = ["new"]\n')
    env = environment(tmp_path, database_url, "[schedule]\nbatch_size = 4\n\n" + routes)
    (tmp_path / "config.toml").chmod(0o600)
    env.update(LINKWATCH_SLACK_WEBHOOK_URL=f"{base}/slack", LINKWATCH_WEBHOOK_URL=f"{base}/webhook",
               LINKWATCH_RENDER="never", LINKWATCH_CONCURRENCY="4")
    with open(tmp_path / "links.csv", "w") as handle:
        handle.write("source_url,target\n")
        for number in range(PAGES):
            site.set_page(f"/p/{number}", page(LINK), delay=0.15)
            handle.write(f"{site.url(f'/p/{number}')},mysite.com\n")
    linkwatch(env, "import", str(tmp_path / "links.csv"))

    chance = random.Random(SEED)
    log = tmp_path / "serve.log"
    for phase in KILL_PHASES:
        serve = start_serve(env, log)
        deadline = time.monotonic() + 60
        while leader_pid(database_url) != serve.pid and serve.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert leader_pid(database_url) == serve.pid, log.read_text()[-3000:]
        if phase == "crawl":
            time.sleep(chance.uniform(0.2, 3.0))  # crawl child starting, batches being stored
        else:  # the cycle is over and the slow sink has the first alert: the serve dies mid-delivery
            sink.received.clear()
            sink.delay(2.0)
            assert sink.wait_for_request(120), log.read_text()[-3000:]
            time.sleep(chance.uniform(0.0, 1.5))
        assert serve.poll() is None, log.read_text()[-3000:]
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait()
        sink.ok()

    last = start_serve(env, log)
    try:
        deadline = time.monotonic() + 180
        while not all_settled(database_url) and time.monotonic() < deadline:
            assert last.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
    finally:
        last.send_signal(signal.SIGTERM)
        last.wait(timeout=90)
    assert all_settled(database_url), f"serve did not resume and finish\n{log.read_text()[-3000:]}"
    text = log.read_text()
    takeovers = text.count("lease serve: taking over from")
    assert takeovers == len(KILL_PHASES), "each new serve takes the dead one's lease at once"

    checked = assert_consistent(database_url)
    assert len(checked) == PAGES and set(checked.values()) == {1}, "every backlink checked exactly once"
    notes = notification_counts(database_url)
    unconfirmed = {channel: notes[channel, "unconfirmed"] for channel in ("slack", "webhook")}
    for channel in ("slack", "webhook"):
        assert notes[channel, "sent"] + unconfirmed[channel] == PAGES, notes
        assert notes[channel, "dead"] == 0, notes

    webhook_ids = Counter(event["id"] for r in sink.accepted if r.path == "/webhook" for event in r.json["events"])
    assert not [i for i, n in webhook_ids.items() if n > 1], "no event delivered twice to the webhook"
    assert PAGES - unconfirmed["webhook"] <= len(webhook_ids) <= PAGES  # unconfirmed ones: at most once
    slack_totals = [slack_count(r.json) for r in sink.accepted if r.path == "/slack"]
    assert PAGES - unconfirmed["slack"] <= sum(slack_totals) <= PAGES, "no event delivered twice to Slack"
    keys = Counter(r.headers.get("idempotency-key") for r in sink.requests if r.path == "/webhook")
    assert set(keys.values()) == {1}, "no delivery sent twice"
