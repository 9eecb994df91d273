"""`report --pdf`: the HTML report printed to A4 by Chromium, run as a child process.

`print_pdf(document, target, chromium, timeout)` writes the document to a temporary folder and runs
Debian's Chromium headless on it (`--print-to-pdf`, no header or footer lines, a throwaway profile);
the A4 page, its margins and page breaks come from the report's print style (monitor.reports.html).
linkwatch never imports Playwright outside the crawl child: this is a plain subprocess with a timeout.
Errors are PdfError, one line for the user (no Chromium, a timeout, no PDF written).

Reads no settings (the Chromium path comes from [crawl] chromium_path).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

DEFAULT_TIMEOUT = 120.0


class PdfError(RuntimeError):
    """The PDF could not be printed. One line for the user."""


def chromium_command(chromium: str) -> str:
    """The Chromium executable: the configured path, or a name found on PATH."""
    found = shutil.which(chromium)
    if found is None:
        raise PdfError(f"Chromium not found at {chromium}: install Debian's chromium package or set "
                       "[crawl] chromium_path")
    return found


def print_pdf(document: str, target: Path, chromium: str, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Print `document` (a self-contained HTML page) to the PDF file `target`."""
    executable = chromium_command(chromium)
    with tempfile.TemporaryDirectory(prefix="linkwatch-pdf-") as folder:
        page = Path(folder) / "report.html"
        page.write_text(document, encoding="utf-8")
        printed = Path(folder) / "report.pdf"
        command = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--no-pdf-header-footer", "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", f"--user-data-dir={Path(folder) / 'profile'}",
                   f"--print-to-pdf={printed}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not print the report within {timeout:g} seconds") from None
        except OSError as exc:
            raise PdfError(f"cannot start Chromium ({executable}): {exc.strerror or exc}") from None
        if not printed.exists() or printed.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PdfError(f"Chromium printed no PDF (exit {done.returncode}): {last}")
        try:
            shutil.copyfile(printed, target)
        except OSError as exc:
            raise PdfError(f"cannot write {target}: {exc.strerror or exc}") from None
