"""Shared pytest configuration. Fixtures live in tests/fixtures_*.py plugin modules, one concern each."""

pytest_plugins: list[str] = []
