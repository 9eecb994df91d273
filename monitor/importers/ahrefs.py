"""Ahrefs backlink exports (Site Explorer > Backlinks > Export), current and older column names.

Usually UTF-16 LE with a BOM and tabs.  Current columns: `Referring page URL`,
`Target URL`, `Anchor`, `Nofollow`, `UGC`, `Sponsored`, `Page traffic`,
`First seen`, `Last seen`, `Lost status`, ...; older exports: `Referring Page URL`,
`Link URL`, `Link Anchor`, `TextPre`, `TextPost`, `Backlink Status`.  Other
columns are ignored unless listed in EXTRA.  The left/right context (`Left context`/`TextPre`,
`Right context`/`TextPost`) is also the backlink's first known context (`backlinks.context`).

Reads no settings.
"""

from __future__ import annotations

from monitor.core.context import cut_after, cut_before
from monitor.importers.base import (
    ExportFormat,
    ImportOptions,
    Row,
    extras,
    field_value,
    follow_from_flags,
    make_backlink,
    parse_bool,
    parse_count,
    parse_date,
)
from monitor.store.backlink_input import BacklinkInput

SOURCE = ("referring page url",)
TARGET = ("target url", "link url")
ANCHOR = ("anchor", "link anchor")
EXTRA = {
    "referring page title": "title",
    "referring page http code": "http_code",
    "domain rating": "domain_rating",
    "dr": "domain_rating",
    "ur": "url_rating",
    "domain traffic": "domain_traffic",
    "referring domains": "referring_domains",
    "external links": "external_links",
    "keywords": "keywords",
    "type": "link_type",
    "is spam": "is_spam",
    "content": "content",
    "rendered": "rendered",
    "raw": "raw",
    "lost status": "lost_status",
    "drop reason": "drop_reason",
    "discovered status": "discovered_status",
    "lost": "lost",
    "backlink status": "backlink_status",
    "left context": "left_context",
    "right context": "right_context",
    "textpre": "left_context",
    "textpost": "right_context",
}


def parse(row: Row, options: ImportOptions) -> BacklinkInput:
    nofollow = field_value(row, parse_bool, "nofollow")
    ugc = field_value(row, parse_bool, "ugc")
    sponsored = field_value(row, parse_bool, "sponsored")
    return make_backlink(
        row, SOURCE, TARGET, options, origin="ahrefs",
        anchor=row.get(*ANCHOR),
        page_traffic=field_value(row, parse_count, "page traffic"),
        imported_first_seen=field_value(row, parse_date, "first seen"),
        imported_last_seen=field_value(row, parse_date, "last seen"),
        imported_follow=follow_from_flags(nofollow, ugc, sponsored),
        extra=extras(row, EXTRA),
        context=_context(row),
    )


def _context(row: Row) -> tuple[str, str] | None:
    """The link's left and right context (cut as linkwatch cuts its own, docs/check.md), or None without them."""
    left, right = row.get("left context", "textpre"), row.get("right context", "textpost")
    if left is None and right is None:
        return None
    return cut_before(left or ""), cut_after(right or "")


FORMAT = ExportFormat(name="ahrefs", title="Ahrefs backlinks export", required=(SOURCE, TARGET), parse=parse,
                      dates=("first seen", "last seen"))
