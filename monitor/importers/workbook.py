"""Is an import file a text export or an .xlsx workbook?  Told from its bytes, never from its name.

A zip (`PK\\x03\\x04`) whose `[Content_Types].xml` declares an Excel workbook part is an .xlsx; everything
else that is not text is refused with one line saying how to save it as .xlsx or CSV: an old Excel 97-2003
file (.xls, an OLE2 compound file), a password-protected workbook (also OLE2, holding an `EncryptedPackage`),
a macro-enabled (.xlsm) or binary (.xlsb) workbook, an OpenDocument spreadsheet (.ods), another zip, a
damaged zip.  Before openpyxl opens the workbook its parts are checked against zip bombs: their declared
sizes (zipfile never inflates a part past its declared size), their ratio to their compressed size, and the
size of the parts openpyxl reads whole (the shared strings, the styles, the workbook).

Reads no settings; imports no openpyxl.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from monitor.importers.detect import ImportFileError

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")

MAX_SHEET_PART = 2 << 30  # bytes, inflated: a sheet is streamed, this bounds the time (Excel's 1,048,576 rows fit)
MAX_STRINGS_PART = 128 << 20  # the shared strings are held in memory as a list (about 2.5 times this)
MAX_OTHER_PART = 32 << 20  # styles, workbook, theme...: read whole by openpyxl
MAX_TOTAL = 4 << 30
MAX_RATIO = 100  # a large part inflating more than this is a zip bomb (real sheets: 5 to 20 times)
RATIO_FROM = 16 << 20  # parts smaller than this are not checked for their ratio

XLSX_TYPES = (b"spreadsheetml.sheet.main+xml", b"spreadsheetml.template.main+xml")
SAVE_AS = "open it in Excel (or LibreOffice, Google Sheets) and save it as .xlsx (Excel Workbook) or CSV"


def is_workbook(path: Path) -> bool:
    """True for a zip (an .xlsx to open with monitor.importers.xlsx); raises ImportFileError for a binary
    spreadsheet linkwatch does not read; False for anything else (read as text by monitor.importers.detect)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(OLE2):
        if _holds(path, ENCRYPTED):
            raise ImportFileError("a password-protected workbook, which linkwatch cannot open: open it, remove "
                                  f"the password (File > Info > Protect Workbook), or {SAVE_AS}")
        raise ImportFileError(f"an Excel 97-2003 workbook (.xls), which linkwatch does not read: {SAVE_AS}")
    return head.startswith(ZIP)


def check_workbook(path: Path) -> None:
    """Refuse a zip that is not an .xlsx, is damaged, encrypted, or inflates out of bounds. One line."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if any(m.flag_bits & 0x1 for m in members):
                raise ImportFileError(f"a password-protected zip: {SAVE_AS} without a password")
            if "mimetype" in names:
                kind = archive.read("mimetype")[:100]
                if b"opendocument.spreadsheet" in kind:
                    raise ImportFileError(f"an OpenDocument spreadsheet (.ods), which linkwatch does not read: "
                                          f"{SAVE_AS}")
            if "[Content_Types].xml" not in names:
                raise ImportFileError("a zip archive, not an Excel workbook: unzip it and import the export "
                                      "inside (Search Console's CSV download is such a zip)")
            _check_type(_read_small(archive, "[Content_Types].xml"))
            _check_sizes(members)
    except zipfile.BadZipFile as exc:
        raise ImportFileError(f"a damaged .xlsx (the zip cannot be read: {exc}): download it again, or "
                              f"{SAVE_AS}") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def _check_type(content_types: bytes) -> None:
    if any(kind in content_types for kind in XLSX_TYPES):
        return
    if b"macroEnabled.main+xml" in content_types:
        raise ImportFileError(f"a macro-enabled workbook (.xlsm), refused because of its macros: {SAVE_AS}")
    if b"sheet.binary.macroEnabled.main" in content_types:
        raise ImportFileError(f"a binary Excel workbook (.xlsb), which linkwatch does not read: {SAVE_AS}")
    raise ImportFileError("a zip (an Office document?) without an Excel workbook in it: expected an .xlsx or "
                          "a CSV export")


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    total = 0
    for member in members:
        size, name = member.file_size, member.filename
        total += size
        if name.startswith("xl/worksheets/"):
            limit = MAX_SHEET_PART
        elif name == "xl/sharedStrings.xml":
            limit = MAX_STRINGS_PART
        else:
            limit = MAX_OTHER_PART
        if size > limit:
            raise ImportFileError(f"part {name} of the workbook unpacks to {size:,} bytes (at most {limit:,}): "
                                  "too large to import as .xlsx; save it as CSV")
        if size > RATIO_FROM and size > MAX_RATIO * max(member.compress_size, 1):
            raise ImportFileError(f"part {name} of the workbook unpacks from {member.compress_size:,} to "
                                  f"{size:,} bytes: a zip bomb, not an export")
    if total > MAX_TOTAL:
        raise ImportFileError(f"the workbook unpacks to {total:,} bytes (at most {MAX_TOTAL:,}): save it as CSV")


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 1 << 20) -> bytes:
    with archive.open(name) as part:
        return part.read(limit)


def _holds(path: Path, needle: bytes, chunk: int = 1 << 20) -> bool:
    """Whether the file holds `needle` anywhere (read in chunks that overlap by its length)."""
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False
