"""Benchmark the start-up of the `linkwatch` command against `python -c pass` and the naive script.

Runs, as child processes, in interleaved rounds (so load from other work spreads over all of them):
`python -c pass`; the naive check of one page (requests + BeautifulSoup, bench.baseline_naive's
verdict); `linkwatch --help`; `linkwatch check --help`; `linkwatch links` on a small SQLite database
(`--backlinks`, added with `linkwatch add`); `linkwatch check URL --target T --json` of one small
static page on 127.0.0.1 with the shipped settings (delay 1 s: robots.txt, then the page) and with
LINKWATCH_DELAY=0.  Each records wall seconds and CPU seconds (os.wait4: the process and its
children), median and min over `--runs`; every run's output is checked (a wrong verdict stops it).
Bytecode is cached (PYTHONPYCACHEPREFIX, one warm-up run each), as in a deployment.

    python -m bench.startup --runs 7 --name startup-after

Writes bench/results/NAME.json and NAME.md. Reads no linkwatch settings (each child gets its own HOME).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.run import PYCACHE, RESULTS, machine

ROOT = Path(__file__).resolve().parent.parent

PAGE = b'<!doctype html><html><head><title>a post</title></head><body><p>Read <a href="https://example.com/x">' \
       b'example</a>, and <a href="https://other.example/" rel="nofollow">other</a>.</p></body></html>'
NAIVE = ("import sys, requests; from bench.baseline_naive import verdict; "
         "print(verdict(requests.get(sys.argv[1], timeout=30).text, 'example.com'))")


class Page(BaseHTTPRequestHandler):
    """One static page at /post.html; 404 for everything else (robots.txt too: all allowed)."""

    def do_GET(self) -> None:
        found = self.path == "/post.html"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        body = PAGE if found else b"not found"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and every child it waited for) and stdout of one run."""
    before = _children_cpu()
    started = time.perf_counter()
    child = subprocess.run(argv, env=env, capture_output=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{argv[:3]} exited {child.returncode}: {child.stderr.decode()[-500:]}")
    return seconds, _children_cpu() - before, child.stdout.decode()


def _children_cpu() -> float:
    """CPU seconds of every child waited for so far (a crawl child is waited for by its linkwatch parent)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cases(url: str, backlinks: int) -> dict[str, tuple[list[str], dict[str, str], str]]:
    """name -> (argv, extra environment, a string its stdout must hold)."""
    python = sys.executable
    linkwatch = str(Path(python).with_name("linkwatch"))
    check = [linkwatch, "check", url, "--target", "example.com", "--json"]
    return {
        "python -c pass": ([python, "-c", "pass"], {}, ""),
        "naive script (requests + bs4)": ([python, "-c", NAIVE, url], {}, "live"),
        "linkwatch --help": ([linkwatch, "--help"], {}, "usage: linkwatch"),
        "linkwatch check --help": ([linkwatch, "check", "--help"], {}, "usage: linkwatch check"),
        f"linkwatch links ({backlinks} backlinks)": ([linkwatch, "links"], {}, "example.com"),
        "linkwatch check (shipped: delay 1 s)": (check, {}, '"state": "live"'),
        "linkwatch check (LINKWATCH_DELAY=0)": (check, {"LINKWATCH_DELAY": "0"}, '"state": "live"'),
    }


def measure(runs: int, backlinks: int) -> dict[str, Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/post.html"
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_") and k != "PYTHONDONTWRITEBYTECODE"}
        env.update(HOME=home, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home, PYTHONPYCACHEPREFIX=str(PYCACHE),
                   LINKWATCH_DATABASE_URL=f"sqlite:///{home}/bench.db", LINKWATCH_ALLOW_PRIVATE="true",
                   PYTHONPATH=str(ROOT))
        linkwatch = str(Path(sys.executable).with_name("linkwatch"))
        for n in range(backlinks):
            timed([linkwatch, "add", f"https://blog{n}.example.org/post", "--target", "example.com"], env)
        table = cases(url, backlinks)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
        load_before = os.getloadavg()[0]
        for round_ in range(runs + 1):  # round 0 warms the bytecode cache and is not counted
            for name, (argv, extra, expect) in table.items():
                seconds, cpu, out = timed(argv, {**env, **extra})
                if expect not in out:
                    raise SystemExit(f"{name}: expected {expect!r} in its output, got {out[:300]!r}")
                if round_:
                    samples[name].append((seconds, cpu))
    server.shutdown()
    rows = {name: {"wall_median": round(statistics.median(s for s, _ in got), 3),
                   "wall_min": round(min(s for s, _ in got), 3),
                   "cpu_median": round(statistics.median(c for _, c in got), 3),
                   "cpu_min": round(min(c for _, c in got), 3)} for name, got in samples.items()}
    return {"runs": runs, "backlinks": backlinks, "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2), "machine": machine(), "results": rows}


def markdown(name: str, data: dict[str, Any]) -> str:
    rows = data["results"]
    naive = rows["naive script (requests + bs4)"]
    lines = [f"# {name}", "", f"`python -m bench.startup --runs {data['runs']}`: median (min) of {data['runs']} "
             f"interleaved runs, bytecode cached; load average {data['load_before']} before, "
             f"{data['load_after']} after ({data['machine']['cores']} cores, shared).", "",
             "| command | wall s | CPU s | wall ÷ naive | CPU ÷ naive |", "| --- | --- | --- | --- | --- |"]
    for command, row in rows.items():
        lines.append(f"| {command} | {row['wall_median']:.3f} ({row['wall_min']:.3f}) | {row['cpu_median']:.3f} "
                     f"({row['cpu_min']:.3f}) | {row['wall_median'] / naive['wall_median']:.1f}× | "
                     f"{row['cpu_median'] / naive['cpu_median']:.1f}× |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backlinks", type=int, default=20, help="backlinks in the database `links` lists")
    parser.add_argument("--name", default="startup")
    args = parser.parse_args()
    data = measure(args.runs, args.backlinks)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{args.name}.md").write_text(markdown(args.name, data), encoding="utf-8")
    print(markdown(args.name, data))


if __name__ == "__main__":
    main()
