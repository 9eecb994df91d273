"""linkwatch's own plain CSV: `source_url,target[,anchor,tags,notes,campaign,cost,placed,status]`.

`tags` holds several tags separated by `;` or `|`; `placed` is a date; `status`
is empty or `pending`.  A row without a target takes `--target-site`.  Since
this is our own format, a column not listed here is an error (a typo would
otherwise lose data silently).

Reads no settings.
"""

from __future__ import annotations

from monitor.importers.base import (
    ExportFormat,
    ImportOptions,
    Row,
    field_value,
    make_backlink,
    parse_count,
    parse_date,
    split_tags,
)
from monitor.store.backlink_input import BacklinkInput

COLUMNS = frozenset({"source_url", "target", "anchor", "tags", "notes", "campaign", "cost", "placed", "status"})


def _pending(row: Row) -> bool:
    status = (row.get("status") or "").lower()
    if status not in ("", "pending", "unchecked"):
        raise row.error(("status",), f"expected pending or nothing, got {status!r}")
    return status == "pending"


def parse(row: Row, options: ImportOptions) -> BacklinkInput:
    return make_backlink(
        row, ("source_url",), ("target",), options, origin="csv",
        tags=split_tags(row.get("tags")),
        anchor=row.get("anchor"),
        notes=row.get("notes"),
        campaign=row.get("campaign"),
        cost=field_value(row, parse_count, "cost"),
        placed_on=field_value(row, parse_date, "placed"),
        pending=_pending(row),
    )


FORMAT = ExportFormat(name="csv", title="plain CSV", required=(("source_url",),), parse=parse, known=COLUMNS,
                        dates=("placed",))
