"""Google Search Console links exports (Links > External links > Export).

Only "Latest links" (`Linking page`, `Last crawled`) names referring pages, so only it is
imported; it does not name the target, which comes from `--target-site`.
"Top linking sites" (`Site`, `Linking pages`, `Target pages`) and "Top linked
pages" (`Target page`, `Incoming links`, `Linking sites`) are recognised and
refused with a message saying which export to use instead.

Reads no settings.
"""

from __future__ import annotations

from monitor.importers.base import ExportFormat, ImportOptions, Row, field_value, make_backlink, parse_date
from monitor.store.backlink_input import BacklinkInput

SOURCE = ("linking page",)


def parse(row: Row, options: ImportOptions) -> BacklinkInput:
    return make_backlink(row, SOURCE, (), options, origin="gsc",
                         imported_last_seen=field_value(row, parse_date, "last crawled"))


def _refused(row: Row, options: ImportOptions) -> BacklinkInput:
    raise ValueError("this Search Console export cannot be imported")


_USE_LATEST = ("export \"Latest links\" instead (Search Console > Links > External links > "
               "Top linking sites > More > Export latest links)")

FORMAT = ExportFormat(name="gsc", title="Search Console latest links export", required=(SOURCE,), parse=parse,
                      needs_target_site=True, dates=("last crawled",))
TOP_SITES = ExportFormat(
    name="gsc", title="Search Console top linking sites export",
    required=(("site",), ("linking pages",)), parse=_refused,
    refuse="this is the Search Console \"Top linking sites\" export, which names sites, not pages; " + _USE_LATEST)
TOP_PAGES = ExportFormat(
    name="gsc", title="Search Console top linked pages export",
    required=(("target page",), ("incoming links",)), parse=_refused,
    refuse="this is the Search Console \"Top linked pages\" export, which names your pages, not the pages "
           "linking to them; " + _USE_LATEST)
