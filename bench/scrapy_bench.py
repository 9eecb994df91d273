"""The framework's own ceiling: run `scrapy bench` (its loopback server and spider) and record pages/min.

`scrapy bench` starts Scrapy's bundled mock server on localhost and follows
links on its generated pages for CLOSESPIDER_TIMEOUT seconds; the log prints
"Crawled N pages (at R pages/min)" every LOGSTATS_INTERVAL.  We report the
steady-state rate (the median of the per-interval rates after the first).

    python -m bench.scrapy_bench [--seconds 20]

Prints one JSON object.  Reads no linkwatch settings.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RATE_RE = re.compile(r"Crawled (\d+) pages \(at (\d+) pages/min\)")


def run(seconds: int = 20) -> dict[str, object]:
    scrapy = Path(sys.executable).with_name("scrapy")
    with tempfile.TemporaryDirectory() as empty:  # outside any Scrapy project
        completed = subprocess.run(
            [str(scrapy), "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}", "-s", "LOGSTATS_INTERVAL=2"],
            cwd=empty, capture_output=True, text=True, timeout=seconds + 60, check=False)
    found = [(int(pages), int(rate)) for pages, rate in RATE_RE.findall(completed.stderr)]
    rates = [rate for _, rate in found[1:]]  # LogStats already scales each interval to a minute
    return {"tool": "scrapy bench", "seconds": seconds, "pages": found[-1][0] if found else 0,
            "pages_per_minute": int(statistics.median(rates)) if rates else None,
            "returncode": completed.returncode}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run `scrapy bench` and record its pages/min.")
    parser.add_argument("--seconds", type=int, default=20, help="how long scrapy bench crawls")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
