"""The CPU-bound target, measured as a median: linkwatch's CPU per page against the asyncio loop's.

    python -m bench.ratio --rounds 5 --size 10000 [--backend sqlite] [--name NAME]

One farm (no latency) for the whole measurement; each round runs, back to back, the asyncio
reference (bench.baseline_asyncio: aiohttp with linkwatch's decoding and extract_page), a
`linkwatch run --once --all` with nothing due (the start-up cost) and `linkwatch run --once
--all` on a fresh database of `--size` backlinks with politeness relaxed.  Interleaving the
tools within each round and taking the median of the rounds' ratios keeps the noise of a
shared machine out of the comparison better than one run of each.

The ratio is linkwatch's CPU per page after start-up (its run minus the nothing-due run, per
page) over the asyncio loop's CPU per page.  Results: bench/results/NAME.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import baseline_asyncio
from bench.pg import TempPostgres
from bench.run import RESULTS, machine, measure_linkwatch, run_linkwatch, start_farm
from bench.seed import seed


def one_round(number: int, args: argparse.Namespace, port: int, workdir: Path, stack: ExitStack,
              pg: list[TempPostgres]) -> dict[str, Any]:
    reference = baseline_asyncio.run(port, args.asyncio_pages, 64, 120, args.domains)
    empty = f"sqlite:///{workdir / f'empty{number}.db'}"
    seed(empty, 0, port, args.domains)
    startup = run_linkwatch(empty, args.domains, [], args.timeout, workdir / f"empty{number}.log")
    run = measure_linkwatch(args.backend, args.size, "relaxed", port, args.domains, stack, pg, workdir,
                            args.timeout, f"round{number}")
    after_startup = (run["cpu_seconds"] - startup["cpu_seconds"]) / max(run["checks"], 1)
    outcome = {"round": number, "asyncio_cpu_ms_per_page": round(reference["cpu_seconds_per_page"] * 1000, 3),
               "linkwatch_cpu_ms_per_page": round(run["cpu_seconds_per_page"] * 1000, 3),
               "startup_cpu_seconds": startup["cpu_seconds"],
               "linkwatch_cpu_ms_per_page_after_startup": round(after_startup * 1000, 3),
               "ratio": round(after_startup / reference["cpu_seconds_per_page"], 3),
               "linkwatch_pages_per_second": run["pages_per_second"], "wrong_verdicts": run["wrong_verdicts"],
               "db_write_cpu_seconds": run.get("db_write_cpu_seconds"),
               "load_before": run["load_before"], "load_after": run["load_after"]}
    print(json.dumps(outcome), flush=True)
    return outcome


def markdown(rounds: list[dict[str, Any]], median: dict[str, float]) -> str:
    lines = ["| round | asyncio CPU ms/page | linkwatch CPU ms/page | after start-up | ratio | linkwatch pages/s | "
             "DB write CPU s | wrong | load |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rounds:
        lines.append(f"| {r['round']} | {r['asyncio_cpu_ms_per_page']} | {r['linkwatch_cpu_ms_per_page']} | "
                     f"{r['linkwatch_cpu_ms_per_page_after_startup']} | {r['ratio']} | "
                     f"{r['linkwatch_pages_per_second']} | "
                     f"{r['db_write_cpu_seconds']} | {r['wrong_verdicts']} | {r['load_before']} |")
    lines.append(f"| median | {median['asyncio']} | {median['linkwatch']} | {median['after_startup']} | "
                 f"**{median['ratio']}** | | | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Median CPU-per-page ratio of linkwatch to the asyncio loop.")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (each: asyncio, start-up, linkwatch)")
    parser.add_argument("--size", type=int, default=10000, help="backlinks per linkwatch run")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--domains", type=int, default=1000, help="referring domains in the farm")
    parser.add_argument("--asyncio-pages", type=int, default=3000, help="pages per asyncio reference run")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a linkwatch run is killed")
    parser.add_argument("--name", default=time.strftime("ratio-%Y%m%d-%H%M%S"), help="results file name")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="linkwatch-ratio-"))
    farm, port = start_farm(0.0)
    rounds: list[dict[str, Any]] = []
    try:
        with ExitStack() as stack:
            pg: list[TempPostgres] = []
            for number in range(1, args.rounds + 1):
                rounds.append(one_round(number, args, port, workdir, stack, pg))
    finally:
        farm.terminate()
        farm.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    median = {"asyncio": statistics.median(r["asyncio_cpu_ms_per_page"] for r in rounds),
              "linkwatch": statistics.median(r["linkwatch_cpu_ms_per_page"] for r in rounds),
              "after_startup": statistics.median(r["linkwatch_cpu_ms_per_page_after_startup"] for r in rounds),
              "ratio": statistics.median(r["ratio"] for r in rounds)}
    report = {"machine": machine(), "load_average": os.getloadavg(), "args": vars(args), "rounds": rounds,
              "median": median}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(markdown(rounds, median))
    print(markdown(rounds, median))
    return 0


if __name__ == "__main__":
    sys.exit(main())
