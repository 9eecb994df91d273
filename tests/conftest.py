"""Shared pytest configuration. Fixtures live in tests/fixtures_*.py plugin modules, one concern each.

In CI (CI=true) property tests draw the same examples every run, so a failure there is reproducible;
run them by hand without CI to explore new examples.
"""

import os
from pathlib import Path

from hypothesis import settings

pytest_plugins = sorted(f"tests.{p.stem}" for p in Path(__file__).parent.glob("fixtures_*.py"))

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
