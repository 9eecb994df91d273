"""What an idle `linkwatch serve` costs: its memory and CPU with nothing due and nobody asking.

Starts `serve` on a seeded store (every due time first moved 30 days ahead, so that nothing is due: run it on
a benchmark database), lets it start, then reads the process's RSS and PSS and its CPU seconds over
`--seconds`; then asks for each web page once and reads its memory again (the pages' templates and queries
loaded).  Figures from /proc (Linux).

    python -m bench.serve_idle --url sqlite:///web-1m.db [--seconds 120] [--name serve-idle-sqlite-1m]

Reads no linkwatch settings (the URL is given; serve gets an empty config file).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from monitor.store import db
from monitor.store.models import Backlink

RESULTS = Path(__file__).resolve().parent / "results"
PAGES = ("/", "/links", "/links?sort=changed", "/events", "/reports", "/alerts", "/links/1", "/metrics")


def _make_idle(url: str) -> None:
    engine = db.connect(url)
    with db.session(engine) as session:
        session.execute(update(Backlink).values(next_due_at=datetime.now(UTC) + timedelta(days=30)))
    engine.dispose()


def _memory_mb(pid: int) -> dict[str, float]:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    kb = {key: int(re.search(rf"^{key}:\s+(\d+)", rollup, re.M).group(1)) for key in ("Rss", "Pss")}  # type: ignore[union-attr]
    return {"rss_mb": round(kb["Rss"] / 1024, 1), "pss_mb": round(kb["Pss"] / 1024, 1)}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _start(url: str, home: Path) -> tuple[subprocess.Popen[str], str]:
    config = home / "config.toml"
    config.write_text("")
    config.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(home), LINKWATCH_CONFIG=str(config), LINKWATCH_DATABASE_URL=url)
    process = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--metrics-addr", "127.0.0.1:0"],
                               env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        found = re.search(r"on http://([^/\s]+:\d+)", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, found.group(1)
    raise SystemExit(f"serve exited ({process.wait()}) without serving")


def run(url: str, seconds: float, settle: float) -> dict[str, Any]:
    _make_idle(url)
    with tempfile.TemporaryDirectory() as tmp:
        process, address = _start(url, Path(tmp))
        try:
            time.sleep(settle)
            started, cpu_before = time.monotonic(), _cpu_seconds(process.pid)
            time.sleep(seconds)
            idle_cpu, watched = _cpu_seconds(process.pid) - cpu_before, time.monotonic() - started
            idle = _memory_mb(process.pid) | {
                "cpu_seconds": round(idle_cpu, 2), "cpu_percent": round(100 * idle_cpu / watched, 2)}
            for path in PAGES:
                with urllib.request.urlopen(f"http://{address}{path}", timeout=120) as answer:
                    answer.read()
            served = _memory_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)
    return {"url_backend": url.split(":", 1)[0], "seconds": seconds, "idle": idle, "after_pages": served,
            "pages": list(PAGES), "load": list(os.getloadavg())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Memory and CPU of an idle `linkwatch serve`.")
    parser.add_argument("--url", required=True, help="database URL of a seeded benchmark store (it is modified)")
    parser.add_argument("--seconds", type=float, default=120, help="how long to watch the idle process")
    parser.add_argument("--settle", type=float, default=15, help="seconds after start-up before watching")
    parser.add_argument("--name", default="serve-idle", help="results file name (bench/results/NAME.json)")
    args = parser.parse_args(argv)
    figures = run(args.url, args.seconds, args.settle)
    print(json.dumps(figures, indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
