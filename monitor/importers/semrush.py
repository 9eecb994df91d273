"""Semrush Backlink Analytics exports (Backlinks > Export, CSV).

Columns: `Page ascore`, `Source title`, `Source url`, `Target url`, `Anchor`,
`External links`, `Internal links`, `Nofollow`, `Sponsored`, `Ugc`, `Text`,
`Frame`, `Form`, `Image`, `Sitewide`, `First seen`, `Last seen`, `New link`,
`Lost link`.  Other columns are ignored unless listed in EXTRA.

Reads no settings.
"""

from __future__ import annotations

from monitor.importers.base import (
    ExportFormat,
    ImportOptions,
    Row,
    extras,
    field_value,
    follow_from_flags,
    make_backlink,
    parse_bool,
    parse_date,
)
from monitor.store.backlink_input import BacklinkInput

SOURCE = ("source url",)
TARGET = ("target url",)
EXTRA = {
    "page ascore": "page_ascore",
    "source title": "title",
    "external links": "external_links",
    "internal links": "internal_links",
    "text": "text",
    "frame": "frame",
    "form": "form",
    "image": "image",
    "sitewide": "sitewide",
    "new link": "new_link",
    "lost link": "lost_link",
}


def parse(row: Row, options: ImportOptions) -> BacklinkInput:
    nofollow = field_value(row, parse_bool, "nofollow")
    sponsored = field_value(row, parse_bool, "sponsored")
    ugc = field_value(row, parse_bool, "ugc")
    return make_backlink(
        row, SOURCE, TARGET, options, origin="semrush",
        anchor=row.get("anchor"),
        imported_first_seen=field_value(row, parse_date, "first seen"),
        imported_last_seen=field_value(row, parse_date, "last seen"),
        imported_follow=follow_from_flags(nofollow, ugc, sponsored),
        extra=extras(row, EXTRA),
    )


FORMAT = ExportFormat(name="semrush", title="Semrush backlinks export", required=(SOURCE, TARGET), parse=parse,
                      dates=("first seen", "last seen"))
