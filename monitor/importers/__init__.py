"""Importing backlink exports (Ahrefs, Semrush, Search Console, GA4 referrals, plain CSV) into the store.

`import_file(engine, path, ImportOptions(...)) -> ImportReport`; see monitor.importers.importer.
"""

from monitor.importers.base import ImportOptions
from monitor.importers.detect import ImportFileError
from monitor.importers.importer import FORMAT_NAMES, ImportReport, RowError, import_file

__all__ = ["FORMAT_NAMES", "ImportFileError", "ImportOptions", "ImportReport", "RowError", "import_file"]
