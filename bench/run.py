"""Drive a benchmark: farm, seed, `linkwatch run --once --all`, reference points; JSON and a markdown table.

For each regime (`cpu`: the farm answers at once; `latency`: it waits 150 ms),
it starts the farm (bench/farm.py), runs the reference points (naive sequential
requests + BeautifulSoup, the asyncio loop with linkwatch's parser, once
`scrapy bench`), then for each backend (sqlite, postgresql), size and politeness
(`shipped`: the default settings; `relaxed`: --concurrency 64 --per-domain 8
--delay 0) seeds a fresh database and runs `linkwatch run --once --all` as a
child process with `LINKWATCH_RESOLVE` mapping every farm host to 127.0.0.1 and
`LINKWATCH_ALLOW_PRIVATE=1`.  Measured per run: wall time and pages/s, CPU
seconds per page (os.wait4: the process and its reaped children), peak memory of
the whole process tree (summed RSS, an upper bound, every 100 ms; summed PSS from
/proc/PID/smaps_rollup, the real footprint, every 0.5 s, with a timeline), database
size, the time the ingest spent in database transactions (wall and CPU, the last
line of the run's summary), pages rendered and render failures (with --render), and whether every
backlink got the verdict the farm implies.  Everything targets
127.0.0.1 and every run is bounded (`--timeout`).

    python -m bench.run --sizes 1000,10000 --backends sqlite,postgresql \
        --politeness relaxed,shipped --regimes cpu,latency --name full

`--order host` seeds the backlink ids grouped by referring host (an import sorted by
domain) instead of the farm's round-robin, to measure the due walk's interleaving.
`--api-delay 1.0` has the farm serve each page's link from an API answering a second
late (pages whose links a script loads: what waiting for a page to settle costs).

writes bench/results/<name>.json and bench/results/<name>.md.
Reads no linkwatch settings itself: the child gets them through the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, func, select, text

from bench import baseline_asyncio, baseline_naive, scrapy_bench
from bench.farm import host_for
from bench.pg import TempPostgres
from bench.seed import expected_state, page_index, seed
from monitor.store.models import Backlink, Check

RESULTS = Path(__file__).resolve().parent / "results"
PYCACHE = Path(tempfile.gettempdir()) / "linkwatch-bench-pycache"
#: extra environment for every linkwatch run (`--child-env KEY=VALUE`), e.g. LINKWATCH_RENDER_CONCURRENCY
CHILD_ENV: dict[str, str] = {}
POLITENESS = {"shipped": [], "relaxed": ["--concurrency", "64", "--per-domain", "8", "--delay", "0"]}
LATENCY = {"cpu": 0.0, "latency": 0.15}


def machine() -> dict[str, Any]:
    import scrapy
    import sqlalchemy

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    pg = subprocess.run(["bash", "-c", "ls /usr/lib/postgresql | sort -n | tail -1"], capture_output=True,
                        text=True, check=False).stdout.strip()
    import sqlite3
    return {"cores": os.cpu_count(), "cpu": model, "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "scrapy": scrapy.__version__, "sqlalchemy": sqlalchemy.__version__,
            "sqlite": sqlite3.sqlite_version, "postgresql": pg, "kernel": platform.release()}


class TreeSampler(threading.Thread):
    """Memory of a process and all its descendants, sampled every `interval` seconds.

    `peak` is the peak summed RSS, which counts pages shared between processes (Chromium's
    renderers share most of theirs) once per process: an upper bound.  `peak_pss` is the peak
    summed PSS (/proc/PID/smaps_rollup: each shared page split between the processes mapping
    it), the tree's real footprint; `timeline` keeps (seconds, PSS bytes) once a second."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.done = pid, interval, threading.Event()
        self.peak = self.peak_pss = 0
        self.timeline: list[tuple[float, int]] = []

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        started = time.monotonic()
        last_pss = last_point = -1.0
        while not self.done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            self.peak = max(self.peak, sum(_rss(p) for p in procs))
            now = time.monotonic() - started
            if now - last_pss >= 0.5:  # smaps_rollup walks page tables: sampled less often
                pss, last_pss = sum(_pss(p.pid) for p in procs), now
                self.peak_pss = max(self.peak_pss, pss)
                if now - last_point >= 1.0:
                    self.timeline.append((round(now, 1), pss))
                    last_point = now
            self.done.wait(self.interval)

    def summary(self) -> dict[str, Any]:
        """Peak RSS and PSS, and the PSS timeline cut to at most 40 points (MB)."""
        step = max(1, len(self.timeline) // 40)
        return {"peak_rss_mb": round(self.peak / 2**20, 1), "peak_pss_mb": round(self.peak_pss / 2**20, 1),
                "pss_timeline_mb": [(t, round(b / 2**20, 1)) for t, b in self.timeline[::step]]}


def _rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_info().rss)
    except psutil.Error:
        return 0


def _pss(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    line = next((ln for ln in text.splitlines() if ln.startswith("Pss:")), "Pss: 0 kB")
    return int(line.split()[1]) * 1024


def start_farm(latency: float, spread: bool = False, api_delay: float = 0.0) -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "bench.farm", "--port", "0", "--latency", str(latency),
               "--api-delay", str(api_delay)]
    farm = subprocess.Popen([*command, *(["--spread"] if spread else [])], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert farm.stdout is not None
    line = farm.stdout.readline().strip()
    if not line.startswith("listening"):
        farm.kill()
        raise SystemExit(f"farm did not start: {line!r}")
    return farm, int(line.rsplit(":", 1)[1])


def child_env(url: str, domains: int, home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LINKWATCH_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({
        # compiled bytecode cached out of the tree: without it every child compiles Scrapy & co. (~2 CPU s)
        "PYTHONPYCACHEPREFIX": str(PYCACHE),
        "LINKWATCH_DATABASE_URL": url,
        "LINKWATCH_ALLOW_PRIVATE": "1",
        "LINKWATCH_RESOLVE": ",".join(f"{host_for(d)}:127.0.0.1" for d in range(1, domains + 1)),
        "LINKWATCH_LOG_LEVEL": "WARNING",
        "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home, "HOME": home,
    })
    env.update(CHILD_ENV)
    return env


def kill_tree(pid: int) -> None:
    """Stop a run that outlived --timeout: linkwatch and its crawl child (which has its own session)."""
    try:
        root = psutil.Process(pid)
        for proc in [*root.children(recursive=True), root]:
            proc.kill()
    except psutil.Error:
        pass


def run_linkwatch(url: str, domains: int, flags: list[str], timeout: float, log: Path) -> dict[str, Any]:
    linkwatch = Path(sys.executable).with_name("linkwatch")
    with tempfile.TemporaryDirectory() as home, log.open("w") as out:
        before = os.getloadavg()[0]
        started = time.perf_counter()
        child = subprocess.Popen([str(linkwatch), "run", "--once", "--all", *flags], env=child_env(url, domains, home),
                                 stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(child.pid)
        sampler.start()
        killer = threading.Timer(timeout, kill_tree, (child.pid,))
        killer.start()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        killer.cancel()
        sampler.done.set()
        sampler.join()
    return {"returncode": child.returncode, "seconds": round(seconds, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2), **sampler.summary(), **database_writes(log),
            "load_before": round(before, 2), "load_after": round(os.getloadavg()[0], 2)}


_WRITES = re.compile(r"^database: (\d+) transactions, ([\d.]+) s writing \(([\d.]+) CPU s\)$", re.M)


def database_writes(log: Path) -> dict[str, Any]:
    """The run's own account of its database transactions (the last line of `linkwatch run`'s summary)."""
    found = _WRITES.findall(log.read_text(errors="replace")) if log.exists() else []
    if not found:
        return {}
    batches, seconds, cpu = found[-1]
    return {"db_transactions": int(batches), "db_write_seconds": float(seconds), "db_write_cpu_seconds": float(cpu)}


def verify(url: str, count: int, domains: int) -> dict[str, Any]:
    """State counts, checks written, and backlinks whose verdict differs from the farm's."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(Backlink.source_url, Check.state)  # the verdicts of this run
                            .join(Backlink, Backlink.id == Check.backlink_id)).all()
        checks = len(rows)
        rendered = conn.execute(select(func.count()).select_from(Check).where(Check.rendered.is_(True))).scalar_one()
        render_failures = conn.execute(select(func.count()).select_from(Check).where(
            Check.error.like("%render%") | Check.error.like("browser unavailable%"))).scalar_one()
        unchecked = conn.execute(select(func.count()).select_from(Backlink)
                                 .where(Backlink.last_checked.is_(None))).scalar_one()
        if engine.dialect.name == "postgresql":
            size = conn.execute(text("select pg_database_size(current_database())")).scalar_one()
        else:
            database = engine.url.database or ""
            size = sum(os.path.getsize(p) for p in (database, database + "-wal") if os.path.exists(p))
    engine.dispose()
    states = Counter(state for _, state in rows)
    wrong = sum(1 for url, state in rows if state != expected_state(page_index(url), domains))
    return {"states": dict(states), "checks": checks, "rendered": rendered, "render_failures": render_failures,
            "rendered_share": round(rendered / max(checks, 1), 3), "never_checked": unchecked,
            "wrong_verdicts": wrong,
            "db_mb": round(size / 2**20, 1)}


def fresh_database(backend: str, tag: str, workdir: Path, stack: ExitStack, pg: list[TempPostgres]) -> str:
    """The URL of a new empty database: a file in `workdir`, or a database of the one PostgreSQL server (started
    on first use, stopped with `stack`)."""
    if backend == "postgresql":
        if not pg:
            pg.append(stack.enter_context(TempPostgres()))
        return pg[0].create_database(f"bench_{tag}")
    return f"sqlite:///{workdir / f'{tag}.db'}"


def measure_linkwatch(backend: str, size: int, politeness: str, port: int, domains: int, stack: ExitStack,
                      pg: list[TempPostgres], workdir: Path, timeout: float, tag: str,
                      render: str = "never", order: str = "farm") -> dict[str, Any]:
    url = fresh_database(backend, tag, workdir, stack, pg)
    seeded = seed(url, size, port, domains, order=order)
    flags = [*POLITENESS[politeness], "--render", render]
    result = run_linkwatch(url, domains, flags, timeout, workdir / f"{tag}.log")
    result.update(verify(url, size, domains))
    pages = result["checks"]  # one backlink per farm page; fewer than `size` when --timeout stopped the run
    result.update({"tool": "linkwatch", "render": render, "backend": backend, "backlinks": size,
                   "politeness": politeness, "order": order,
                   "seed_seconds": seeded["seconds"], "pages_per_second": round(pages / result["seconds"], 2),
                   "cpu_seconds_per_page": round(result["cpu_seconds"] / max(pages, 1), 5),
                   "rendered_per_second": round(result["rendered"] / result["seconds"], 2),
                   "timed_out": result["checks"] < size})
    print(json.dumps(result), flush=True)
    return result


def run_regime(regime: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    farm, port = start_farm(LATENCY[regime], api_delay=args.api_delay)
    try:
        if args.baselines:
            naive_count = 100 if regime == "latency" else 300
            for outcome in (baseline_naive.run(port, naive_count, 60, args.domains),
                            baseline_asyncio.run(port, args.asyncio_pages, 64, 120, args.domains)):
                outcome["regime"] = regime
                results.append(outcome)
                print(json.dumps(outcome), flush=True)
        empty = f"sqlite:///{workdir / f'{regime}_empty.db'}"
        seed(empty, 0, port, args.domains)
        startup = run_linkwatch(empty, args.domains, [], args.timeout, workdir / f"{regime}_empty.log")
        startup.update({"tool": "linkwatch (nothing due)", "regime": regime})
        results.append(startup)
        print(json.dumps(startup), flush=True)
        with ExitStack() as stack:
            pg: list[TempPostgres] = []
            for backend in args.backends:
                for size in args.sizes:
                    for politeness in args.politeness:
                        tag = f"{regime}_{backend}_{size}_{politeness}"
                        outcome = measure_linkwatch(backend, size, politeness, port, args.domains, stack, pg,
                                                    workdir, args.timeout, tag, args.render, args.order)
                        outcome["regime"] = regime
                        outcome["cpu_seconds_per_page_after_startup"] = round(
                            (outcome["cpu_seconds"] - startup["cpu_seconds"]) / max(outcome["checks"], 1), 5)
                        results.append(outcome)
    finally:
        farm.terminate()
        farm.wait(10)
    return results


def _writes(result: dict[str, Any]) -> str:
    if "db_write_seconds" not in result:
        return ""
    return f"{result['db_write_seconds']} ({result['db_write_cpu_seconds']})"


def markdown(results: list[dict[str, Any]]) -> str:
    head = ("| regime | tool | backend | backlinks | politeness | pages/s | CPU ms/page | CPU ms/page after startup "
            "| rendered | peak RSS MB | peak PSS MB | DB MB | DB write s (CPU s) | wrong | load |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in results:
        cpu = r.get("cpu_seconds_per_page")
        marginal = r.get("cpu_seconds_per_page_after_startup")
        lines.append(
            f"| {r.get('regime', '')} | {r['tool']} | {r.get('backend', '')} "
            f"| {r.get('backlinks', r.get('pages', ''))} "
            f"| {r.get('politeness', '')}{', ids by host' if r.get('order') == 'host' else ''} "
            f"| {r.get('pages_per_second', r.get('pages_per_minute', ''))} "
            f"| {'' if cpu is None else round(cpu * 1000, 2)} "
            f"| {'' if marginal is None else round(marginal * 1000, 2)} "
            f"| {r.get('rendered', '')} | {r.get('peak_rss_mb', '')} | {r.get('peak_pss_mb', '')} "
            f"| {r.get('db_mb', '')} | {_writes(r)} "
            f"| {r.get('wrong_verdicts', '')} | {r.get('load_before', '')} |")
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark `linkwatch run --once --all` on a loopback farm.")
    parser.add_argument("--sizes", default="1000,10000", help="backlink counts, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--politeness", default="relaxed,shipped", help="relaxed and/or shipped")
    parser.add_argument("--regimes", default="cpu,latency", help="cpu and/or latency")
    parser.add_argument("--domains", type=int, default=1000, help="referring domains in the farm")
    parser.add_argument("--asyncio-pages", type=int, default=3000, help="pages for the asyncio reference")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false", help="skip reference points")
    parser.add_argument("--workdir", default=None, help="where databases and logs go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep databases and logs")
    parser.add_argument("--render", default="never", help="linkwatch's --render for the static runs")
    parser.add_argument("--order", choices=("farm", "host"), default="farm",
                        help="backlink ids as the farm numbers pages (hosts round-robin) or grouped by host")
    parser.add_argument("--api-delay", type=float, default=0.0,
                        help="the farm serves each page's link from an API answering this late (bench.farm)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a linkwatch run is killed")
    parser.add_argument("--child-env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment for every linkwatch run, e.g. LINKWATCH_RENDER_CONCURRENCY=4")
    parser.add_argument("--name", default=time.strftime("run-%Y%m%d-%H%M%S"), help="results file name")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    CHILD_ENV.update(item.split("=", 1) for item in args.child_env)
    args.backends, args.politeness = args.backends.split(","), args.politeness.split(",")
    report: dict[str, Any] = {"machine": machine(), "load_average": os.getloadavg(), "results": []}
    tmp = Path(tempfile.mkdtemp(prefix="linkwatch-bench-", dir=args.workdir))
    try:
        if args.baselines:
            report["results"].append(scrapy_bench.run(20))
        for regime in args.regimes.split(","):
            report["results"].extend(run_regime(regime, args, tmp))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(markdown(report["results"]))
    print(markdown(report["results"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
