"""Database bytes per check with evidence on: N backlinks checked R times with a realistic rate of change.

A synthetic ingest (no crawl): `bench.seed` backlinks, one page each, and per round one observation per page
handed to monitor.store.ingest.Ingestor with the page's main text, run once with `[evidence] enabled` and
once without, on SQLite.  The pages: prose-like text of 3,000 to 9,000 characters (a Zipf draw over 5,000
words, which zlib packs about as well as English); per check, CHANGE of the pages edit one paragraph (a new
snapshot), REWRITE are rewritten, LOSS lose the link (confirmed lost after two misses, which keeps both
snapshots for the event).  Prints and writes results/NAME.json: the database size after each round, the
snapshots' total, and bytes per check with and without evidence.

    python -m bench.evidence --count 10000 --rounds 30 [--budget BYTES] [--name evidence-10k]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bench.seed import seed
from monitor.config import Settings
from monitor.core.types import FetchStatus, ObservedLink, PageObservation, RenderMode
from monitor.store import db
from monitor.store.ingest import Ingestor
from monitor.store.models import Backlink
from monitor.store.snapshots import total_bytes

CHANGE, REWRITE, LOSS = 0.03, 0.002, 0.002  # per page per check
T0 = datetime(2026, 1, 1, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results"


class Pages:
    """The main text of every page, as paragraphs, edited as the rounds go."""

    def __init__(self, count: int, rng: random.Random) -> None:
        self.rng = rng
        letters = "etaoinshrdlucmfwypvbgk"
        self.words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(5000)]
        self.cum_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.paragraphs = [self._page() for _ in range(count)]
        self.linked = [True] * count

    def _paragraph(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum_weights, k=self.rng.randint(30, 90))
        return " ".join(words).capitalize() + "."

    def _page(self) -> list[str]:
        target = self.rng.randint(3000, 9000)
        paragraphs: list[str] = []
        while sum(len(p) for p in paragraphs) < target:
            paragraphs.append(self._paragraph())
        return paragraphs

    def change(self, index: int) -> None:
        draw = self.rng.random()
        if draw < REWRITE:
            self.paragraphs[index] = self._page()
        elif draw < REWRITE + CHANGE:
            page = self.paragraphs[index]
            page[self.rng.randrange(len(page))] = self._paragraph()
        elif draw < REWRITE + CHANGE + LOSS and self.linked[index]:
            self.linked[index] = False

    def text(self, index: int) -> str:
        return "\n".join(self.paragraphs[index])


def database_bytes(engine: Any) -> int:
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar() or 0
        free = conn.execute(text("PRAGMA freelist_count")).scalar() or 0
        size = conn.execute(text("PRAGMA page_size")).scalar() or 0
    return int((pages - free) * size)


def run(count: int, rounds: int, evidence: bool, budget: int | None, workdir: Path) -> dict[str, Any]:
    url = f"sqlite:///{workdir / ('evidence.db' if evidence else 'plain.db')}"
    seed(url, count, port=9, domains=1000)
    engine = db.connect(url)
    with engine.connect() as conn:
        rows = conn.execute(select(Backlink.id, Backlink.source_url, Backlink.target).order_by(Backlink.id)).all()
    settings = dataclasses.replace(Settings(render=RenderMode.NEVER, lost_after=2), evidence=evidence)
    if budget is not None:
        settings = dataclasses.replace(settings, evidence_budget_bytes=budget)
    pages = Pages(count, random.Random(11))
    sizes, started = [], time.perf_counter()
    start_bytes = database_bytes(engine)
    for number in range(rounds):
        when = T0 + timedelta(days=number)
        ingestor = Ingestor(engine, settings, None, clock=lambda when=when: when)  # type: ignore[misc]
        for index, (backlink_id, source_url, target) in enumerate(rows):
            if number:
                pages.change(index)
            links = (ObservedLink(href=f"https://{target}/", rel=(), anchor="Example", follow=True, target=target),)
            ingestor.add(PageObservation(url=source_url, final_url=source_url, fetch=FetchStatus.OK, http_status=200,
                                         links=links if pages.linked[index] else (), main_text=pages.text(index)),
                         [backlink_id])
        ingestor.flush()
        with db.session(engine) as s:
            snapshots = total_bytes(s)
        sizes.append({"round": number + 1, "database_bytes": database_bytes(engine), "snapshot_bytes": snapshots})
        print(json.dumps({"evidence": evidence, **sizes[-1]}), flush=True)
    checks = count * rounds
    grown = sizes[-1]["database_bytes"] - start_bytes
    engine.dispose()
    return {"evidence": evidence, "count": count, "rounds": rounds, "checks": checks, "budget": budget,
            "seconds": round(time.perf_counter() - started, 1), "database_growth_bytes": grown,
            "bytes_per_check": round(grown / checks, 1), "rounds_detail": sizes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=None, help="[evidence] budget_bytes (default: the setting's)")
    parser.add_argument("--name", default=None)
    parser.add_argument("--evidence-only", action="store_true",
                        help="run with evidence on only (half the time; no figure without evidence to subtract)")
    args = parser.parse_args(argv)
    modes = (True,) if args.evidence_only else (False, True)
    with tempfile.TemporaryDirectory(prefix="linkwatch-bench-evidence-") as tmp:
        results = [run(args.count, args.rounds, on, args.budget, Path(tmp)) for on in modes]
    plain, with_evidence = (None, results[0]) if args.evidence_only else results
    without = plain["bytes_per_check"] if plain else None
    summary = {"count": args.count, "rounds": args.rounds, "change": CHANGE, "rewrite": REWRITE, "loss": LOSS,
               "bytes_per_check_without": without,
               "bytes_per_check_with": with_evidence["bytes_per_check"],
               "evidence_bytes_per_check": None if without is None else round(
                   with_evidence["bytes_per_check"] - without, 1),
               "snapshot_bytes_at_end": with_evidence["rounds_detail"][-1]["snapshot_bytes"], "runs": results,
               "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    if args.name:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
