"""Importing backlink exports (Ahrefs, Semrush, Search Console, GA4 referrals, plain CSV) into the store.

`import_file(engine, path, ImportOptions(...)) -> ImportReport`; see monitor.importers.importer.
The names below load on first use, so that `monitor.importers.names` (the `--format` choices) can be
imported without the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.importers.base import ImportOptions
    from monitor.importers.detect import ImportFileError
    from monitor.importers.importer import ImportReport, RowError, import_file
    from monitor.importers.names import FORMAT_NAMES

_HOME = {"ImportOptions": "base", "ImportFileError": "detect", "ImportReport": "importer", "RowError": "importer",
         "import_file": "importer", "FORMAT_NAMES": "names"}

__all__ = ["FORMAT_NAMES", "ImportFileError", "ImportOptions", "ImportReport", "RowError", "import_file"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"monitor.importers.{_HOME[name]}"), name)
