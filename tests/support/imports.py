"""Import files made by hand: an Ahrefs export (`AHREFS_COLUMNS`, `ahrefs_row`) written as Ahrefs writes it
(`write_tsv_utf16le`: UTF-16LE with a BOM, tab-separated), and `run_import`, monitor.importers.import_file with
keyword options."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from monitor.importers import ImportOptions, ImportReport, import_file

AHREFS_COLUMNS = [
    "Referring page title", "Referring page URL", "Referring page HTTP code", "Domain rating", "UR",
    "Domain traffic", "Referring domains", "Linked domains", "External links", "Page traffic", "Keywords",
    "Target URL", "Left context", "Anchor", "Right context", "Type", "Content", "Nofollow", "UGC", "Sponsored",
    "Rendered", "Raw", "Lost status", "Drop reason", "Discovered status", "First seen", "Last seen", "Lost",
]


def ahrefs_row(title: str, url: str, target: str, anchor: str, nofollow: str, traffic: str, first: str,
               lost_status: str = "") -> list[str]:
    values = {
        "Referring page title": title, "Referring page URL": url, "Referring page HTTP code": "200",
        "Domain rating": "54", "UR": "12", "Domain traffic": "18,300", "Referring domains": "1,024",
        "Linked domains": "310", "External links": "41", "Page traffic": traffic, "Keywords": "87",
        "Target URL": target, "Left context": "we recommend", "Anchor": anchor, "Right context": "for audits",
        "Type": "text", "Content": "true", "Nofollow": nofollow, "UGC": "false", "Sponsored": "false",
        "Rendered": "false", "Raw": "true", "Lost status": lost_status, "Drop reason": "",
        "Discovered status": "", "First seen": first, "Last seen": "2026-09-14 03:12:44", "Lost": "",
    }
    return [values[c] for c in AHREFS_COLUMNS]


def write_tsv_utf16le(path: Path, rows: list[list[str]]) -> Path:
    text = "".join("\t".join(row) + "\r\n" for row in rows)
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    return path


def run_import(engine: Engine, path: Path, **options: Any) -> ImportReport:
    return import_file(engine, path, ImportOptions(**options))
