"""Benchmark `linkwatch import` of a generated Ahrefs export (bench/import_file.py) on SQLite and PostgreSQL.

For each size and backend, on a fresh database, as child processes: the file
with its last line invalid (must exit 2 and write nothing: every chunk is written,
then rolled back; the row count is checked), the import itself, and a re-import
of the same file (must change nothing).  Each records wall time, CPU seconds (os.wait4), peak RSS
(psutil, every 100 ms), rows/s, the load average before and after, and a CPU
calibration (`sum(range(10**6))`, ≈12 ms on this machine when idle) so runs on a
busy machine can be compared.  Files and databases go to a temporary directory.

    python -m bench.imports --sizes 100000,1000000 --backends sqlite,postgresql --name imports-1m

Reads no linkwatch settings (the database URL is given to each child).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import timeit
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from bench import import_file
from bench.pg import TempPostgres
from bench.run import PYCACHE, RESULTS, TreeSampler, fresh_database, machine
from monitor.store.models import Backlink


def calibration_ms() -> float:
    return round(min(timeit.repeat("sum(range(10**6))", number=1, repeat=5)) * 1000, 1)


def run_import(url: str, path: Path, home: str, *flags: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(LINKWATCH_DATABASE_URL=url, PYTHONPYCACHEPREFIX=str(PYCACHE), HOME=home, XDG_CONFIG_HOME=home,
               XDG_DATA_HOME=home)
    linkwatch = Path(sys.executable).with_name("linkwatch")
    before, calibration = os.getloadavg()[0], calibration_ms()
    started = time.perf_counter()
    child = subprocess.Popen([str(linkwatch), "import", *flags, str(path)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(child.pid)
    sampler.start()
    out, err = child.communicate()
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    return {"returncode": child.returncode, "seconds": round(seconds, 2), "peak_rss_mb": round(sampler.peak / 2**20, 1),
            "stdout": out.strip()[-300:], "stderr_first_line": (err.strip().splitlines() or [""])[0][:300],
            "load_before": round(before, 2), "load_after": round(os.getloadavg()[0], 2),
            "calibration_ms": calibration}


def count_rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(Backlink)).scalar_one())
    engine.dispose()
    return count


STEPS = {"bad": "bad last line, empty database", "import": "import", "reimport": "re-import"}


def measure(size: int, backend: str, url: str, files: dict[str, Path], home: str,
            steps: list[str]) -> list[dict[str, Any]]:
    results = []
    for key in steps:
        step, path, flags = STEPS[key], files["bad" if key == "bad" else "good"], ()
        cpu_before = os.times()
        outcome = run_import(url, path, home, *flags)
        cpu_after = os.times()
        cpu = (cpu_after.children_user - cpu_before.children_user) + (
            cpu_after.children_system - cpu_before.children_system)
        outcome.update(step=step, backend=backend, rows=size, cpu_seconds=round(cpu, 2),
                       rows_per_second=round(size / outcome["seconds"], 1),
                       cpu_us_per_row=round(cpu / size * 1e6, 1), stored=count_rows(url))
        print(json.dumps(outcome), flush=True)
        results.append(outcome)
    return results


def _export(folder: Path, name: str, size: int, bad_lines: list[int]) -> Path:
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        import_file.write(path.with_suffix(".part"), size, bad_lines=bad_lines).rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark `linkwatch import` of a generated Ahrefs export.")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--steps", default="bad,import,reimport", help="bad, import and/or reimport, in order")
    parser.add_argument("--workdir", default=None, help="where files and databases go (default: a temp dir)")
    parser.add_argument("--files", type=Path, default=None, help="keep the generated exports here and reuse them")
    parser.add_argument("--name", default=time.strftime("imports-%Y%m%d-%H%M%S"), help="results file name")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"machine": machine(), "load_average": os.getloadavg(), "results": []}
    tmp = Path(tempfile.mkdtemp(prefix="linkwatch-bench-imports-", dir=args.workdir))
    try:
        with ExitStack() as stack:
            pg: list[TempPostgres] = []
            for size in (int(s) for s in args.sizes.split(",")):
                files = {"good": _export(args.files or tmp, f"ahrefs-{size}.csv", size, []),
                         "bad": _export(args.files or tmp, f"ahrefs-{size}-bad.csv", size, [-1])}
                for backend in args.backends.split(","):
                    url = fresh_database(backend, f"imports_{size}", tmp, stack, pg)
                    home = str(tmp / "home")
                    report["results"].extend(measure(size, backend, url, files, home, args.steps.split(",")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
