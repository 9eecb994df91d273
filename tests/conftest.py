"""Shared pytest configuration. Fixtures live in tests/fixtures_*.py plugin modules, one concern each."""

from pathlib import Path

pytest_plugins = sorted(f"tests.{p.stem}" for p in Path(__file__).parent.glob("fixtures_*.py"))
