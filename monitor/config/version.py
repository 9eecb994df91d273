"""The version, read from the package metadata: pyproject.toml's `version` is the only place it is written."""

from __future__ import annotations

import importlib.metadata


def _installed_version() -> str:
    """The version from the package metadata: pyproject.toml's `version` is the only place it is written."""
    try:
        return importlib.metadata.version("linkwatch")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


VERSION = _installed_version()
PROJECT_URL = "https://github.com/linkwatch/linkwatch"
DEFAULT_USER_AGENT = f"linkwatch/{VERSION} (+{PROJECT_URL})"
