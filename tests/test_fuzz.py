"""Runs every atheris target in fuzz/ for a bounded number of inputs (fixed seed), when atheris is installed.

Longer runs by hand: `python -m fuzz.extract -max_total_time=600` (docs/reliability.md).
A crash makes libFuzzer exit non-zero and write the input under tmp_path; it
becomes a regression test in tests/test_properties.py.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = sorted(p.stem for p in (ROOT / "fuzz").glob("*.py") if p.stem not in ("__init__", "harness"))
RUNS = {"importers": 400}  # each input is written to a file


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
@pytest.mark.slow  # a minute or more of CPU each: the full suite's, not the fast tier's
@pytest.mark.timeout(300)
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_bounded_run(target: str, tmp_path: Path) -> None:
    runs = RUNS.get(target, 2000)
    done = subprocess.run(
        [sys.executable, "-m", f"fuzz.{target}", f"-runs={runs}", "-seed=1", "-max_len=4096",
         f"-artifact_prefix={tmp_path}/"],
        cwd=ROOT, capture_output=True, text=True, timeout=280, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Done {runs} runs" in done.stderr


def test_every_fuzz_target_is_run() -> None:
    assert {"extract", "targets", "directives", "importers"} <= set(TARGETS)
