"""Google Analytics 4 referral traffic (Reports > Acquisition > Traffic acquisition > Share > Download CSV).

Columns: `Session source` (or `Session source / medium`, `Source`) and `Sessions`.
With a medium, only `referral` rows count; `(direct)`, `(not set)` and totals are
skipped.  Sessions of the same source are added up over the file and stored per
`--target-site` in `referral_traffic` (replacing the previous numbers), for the
traffic report.

Reads no settings.
"""

from __future__ import annotations

from monitor.core.hosts import bare_host
from monitor.importers.base import ExportFormat, ImportOptions, ReferralInput, Row, field_value, parse_count

SOURCE = ("session source", "session source / medium", "session source/medium", "source",
          "first user source", "source / medium")
SKIPPED_SOURCES = {"(direct)", "(not set)", "(none)", "grand total", "total", "(other)"}


def parse(row: Row, options: ImportOptions) -> ReferralInput | None:
    text = row.require(*SOURCE)
    medium = None
    if "/" in (row.column(*SOURCE) or "") and " / " in text:
        text, medium = (part.strip() for part in text.rsplit(" / ", 1))
    if text.lower() in SKIPPED_SOURCES or (medium is not None and medium.lower() != "referral"):
        return None
    sessions = field_value(row, parse_count, "sessions") or 0.0
    return ReferralInput(source=bare_host(text), sessions=sessions)


FORMAT = ExportFormat(name="ga4", title="Google Analytics referral traffic export",
                      required=(SOURCE, ("sessions",)), parse=parse,
                      needs_target_site=True)
