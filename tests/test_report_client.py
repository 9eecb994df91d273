"""The report a client receives (`report --html`, `--pdf`): opened in Chromium at a desktop and a phone width,
every box measured in the page (nothing overflows or is clipped, chart labels inside their charts), the
summary checked against the store, the white label, hostile data shown as text, the period in the title,
and the PDF's text; screenshots for docs/reports.md with UPDATE_UI_SHOTS=1."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.reports.period import report_period
from monitor.store import db
from tests.fixtures_web import shoot
from tests.support.cli import environment, run_cli
from tests.support.client_report import (
    ACCENT,
    AGENCY,
    HOSTILE_ANCHOR,
    LONG_ANCHOR,
    OVERFLOW_JS,
    add_padding_link,
    seeded_store,
    store_figures,
    white_label_config,
)

SECTIONS = ("1. Referring page traffic", "2. Followed and not-followed links", "3. Links gained and lost",
            "4. Referring domains", "5. Domains that link to competitors but not to you", "6. Anchor text",
            "7. Lost links to win back", "8. Promised links")
TITLE = "Backlink report for acme.com, February 2026"


@pytest.fixture
def client_env(tmp_path: Path) -> dict[str, str]:
    url = seeded_store(tmp_path)
    return environment(tmp_path, url, white_label_config(tmp_path, url))


def write_report(env: dict[str, str], path: Path, flag: str = "--html") -> None:
    proc = run_cli("report", flag, str(path), "--since", "2026-02-01", "--period", "month", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "February 2026" in proc.stderr


def summary_figures(page: Any) -> dict[str, str]:
    labels = page.locator("#summary .figure .label").all_inner_texts()
    values = page.locator("#summary .figure .value").all_inner_texts()
    return dict(zip(labels, values, strict=True))


@pytest.mark.chromium
def test_report_fits_reads_and_is_white_labelled(client_env, tmp_path, chromium_browser):
    report = tmp_path / "report.html"
    write_report(client_env, report)
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and "onerror=alert" not in html.replace("&lt;img src=x onerror=alert", "")
    dialogs: list[str] = []
    for width, height in ((1280, 900), (390, 844)):
        page = chromium_browser.new_page(viewport={"width": width, "height": height})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(report.as_uri())
        assert page.evaluate(OVERFLOW_JS) == [], f"at {width}px"
        if width == 390:
            shoot(page.locator("#reclaim"), "report-phone")
        else:
            _check_content(page, client_env)
            shoot(page, "report-top", full=False)
            page.locator("#reclaim").scroll_into_view_if_needed()
            shoot(page.locator("#reclaim"), "report-table")
        assert dialogs == [], "a script from the data or the logo ran"
        page.close()


def _check_content(page: Any, env: dict[str, str]) -> None:
    """What a client reads: the title and period, the summary against the store, sections, words, white label."""
    assert page.locator("h1").inner_text() == TITLE
    assert page.title() == TITLE
    assert [h.split("\n")[0] for h in page.locator("section:not(#summary) h2").all_inner_texts()] == list(SECTIONS)
    engine = db.connect(env["LINKWATCH_DATABASE_URL"])
    store = store_figures(engine)
    engine.dispose()
    figures = summary_figures(page)
    assert figures["Followed live links"] == f"{store['followed']:,}"
    assert figures["Referring domains"] == f"{store['domains']:,}"
    assert figures["Traffic at risk"] == f"{store['at_risk']:,}" == "1,240"
    assert (figures["Links gained"], figures["Links lost"]) == ("8", "3"), "February's events, by hand"
    assert figures["Followed to not-followed domains"] == "2.0 : 1", "6 followed domains to 3 not followed only"
    assert "below the target 3 : 1 or more" in page.locator("#summary .figure.alert").first.inner_text()
    text = page.inner_text("main")
    assert not re.search(r"linkwatch (report|add|import)|docs/|\.md\b|`|\[\[?site|reports\.", text), text
    headers = page.locator("th").all_inner_texts()
    assert headers and not [h for h in headers if "_" in h], headers
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), "dates are written for people"
    assert "1,240" in text and "12,400" in text
    # hostile data is text; only http(s) links
    assert page.get_by_text(HOSTILE_ANCHOR).count() >= 1 and page.locator("img").count() == 1, "the logo only"
    assert page.get_by_text("javascript:alert(3)").count() == 1
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith(("https://", "http://", "#")) for h in hrefs), hrefs
    assert LONG_ANCHOR[:16] in text
    # the white label: name in header and footer, the logo (an SVG as an image), the accent colour
    assert page.locator("header").inner_text().count(AGENCY) == 1
    assert AGENCY in page.locator("footer").inner_text() and "linkwatch" not in text.lower()
    logo = page.locator("header img")
    assert logo.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 120
    accent = tuple(int(ACCENT[i:i + 2], 16) for i in (1, 3, 5))
    assert page.locator("h1").evaluate("e => getComputedStyle(e).color") == "rgb({}, {}, {})".format(*accent)


@pytest.mark.chromium
def test_pdf_has_every_section(client_env, tmp_path):
    from pypdf import PdfReader

    pdf = tmp_path / "report.pdf"
    write_report(client_env, pdf, "--pdf")
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297), "A4"
    text = unicodedata.normalize("NFKC", " ".join(" ".join((page.extract_text() or "").split())
                                                  for page in reader.pages))  # the "ﬃ" of "traffic" too
    for heading in (TITLE, "At a glance", *SECTIONS, f"Prepared by {AGENCY}"):
        assert heading in text, heading
    assert len(reader.pages) >= 3


@pytest.mark.chromium
@pytest.mark.slow
def test_pdf_keeps_each_heading_with_its_section(client_env, tmp_path):
    """One more link at a time moves every later heading down the pages: none may end a page (without the print
    style's break rules, several of these reports had one at the bottom of a page)."""
    from pypdf import PdfReader

    pdf = tmp_path / "report.pdf"
    engine = db.connect(client_env["LINKWATCH_DATABASE_URL"])
    try:
        for step in range(12):
            add_padding_link(engine, step)
            write_report(client_env, pdf, "--pdf")
            pages = PdfReader(io.BytesIO(pdf.read_bytes())).pages
            for number, page in enumerate(pages[:-1], 1):
                lines = [" ".join(line.split()) for line in (page.extract_text() or "").splitlines() if line.strip()]
                ending = unicodedata.normalize("NFKC", " ".join(lines[-3:]))
                assert not any(h in ending for h in SECTIONS), f"{step}: a heading ends page {number}: {ending}"
    finally:
        engine.dispose()


@pytest.mark.parametrize("config, flag, message", [
    ('[report]\nlogo = "{folder}/missing.png"\n', "--html", "[report] logo: cannot read"),
    ('[report]\nlogo = "{folder}/client.db"\n', "--html", "is not a PNG, JPEG or SVG image"),
    ('[report]\naccent = "red; background:url(x)"\n', "--html", "[report] accent: expected a colour"),
    ('[crawl]\nchromium_path = "/nonexistent/chromium"\n', "--pdf", "Chromium not found at /nonexistent/chromium"),
])
def test_bad_white_label_or_chromium_is_one_line(tmp_path, config, flag, message):
    env = environment(tmp_path, seeded_store(tmp_path), config.format(folder=tmp_path))
    proc = run_cli("report", flag, str(tmp_path / "out"), env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


NOW = datetime(2026, 12, 6, 15, 53, tzinfo=UTC)


@pytest.mark.parametrize("since, unit, start, end, label", [
    (None, "month", "2026-11-01", "2026-12-01", "November 2026"),
    ("2026-10-15", "month", "2026-10-01", "2026-11-01", "October 2026"),
    ("2026-12-02", "month", "2026-12-01", None, "December 2026, so far"),
    (None, "week", "2026-11-23", "2026-11-30", "23–29 Nov 2026"),
    ("2026-11-30", "week", "2026-11-30", None, "30 Nov – 6 Dec 2026, so far"),
    (None, "day", "2026-12-05", "2026-12-06", "5 Dec 2026"),
    ("2026-11-01", None, "2026-11-01", None, "since 1 Nov 2026"),
    (None, None, None, None, ""),
])
def test_report_period(since, unit, start, end, label):
    def at(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None

    period = report_period(at(since), unit, NOW)
    assert (period.start, period.end, period.label) == (at(start), at(end), label)


def test_a_closed_period_leaves_out_what_came_after_it(tmp_path):
    from monitor.config import Settings
    from monitor.reports import domains_report, velocity_report

    engine = db.connect(seeded_store(tmp_path))
    feb = datetime(2026, 2, 1, tzinfo=UTC)

    def until(day: int | None) -> dict[str, Any]:
        return {"until": datetime(2026, 2, day, tzinfo=UTC)} if day else {}

    try:
        lost = {day: velocity_report(engine, None, feb, Settings(), "day", **until(day)).links_lost
                for day in (16, 20, None)}
        new_domains = {day: domains_report(engine, None, feb, Settings(), "day", **until(day)).new_domains
                       for day in (4, 11, None)}
    finally:
        engine.dispose()
    assert lost == {16: 0, 20: 2, None: 3}, "losses on 16, 19 and 22 Feb"
    assert new_domains[4] == 1 and new_domains[4] < new_domains[11] < new_domains[None]
