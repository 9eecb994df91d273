"""The report a client receives, as one self-contained HTML file: a summary, then numbered sections.

`render_html(reports, generated_at, site, period, brand)` takes the report dataclasses (keyed by name, as
`monitor.reports.client.client_reports` makes them) and returns one HTML document with no external resource:
the style is inline (`document_style(accent)`, which the web hashes for its Content-Security-Policy), the
charts are drawn by monitor.reports.charts, the logo is a data: URI in an <img> (an SVG logo cannot run
script there), a Content-Security-Policy forbids every fetch, and every value is escaped
(monitor.reports.present).  It reads well on a phone (tables become cards) and prints to A4 (`report
--pdf`, monitor.reports.pdf): headings stay with what follows them, table headers repeat, colours print.

Reads no settings: the branding comes in as a `Brand` (`brand_of(settings)`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from monitor.config import Settings
from monitor.config.values import read_image
from monitor.core.human import human_date, human_number, human_time
from monitor.reports.charts import BAR_STYLE, section_charts
from monitor.reports.client import Figure, client_summary
from monitor.reports.period import ReportPeriod
from monitor.reports.present import CLASS_WORDS, DATES, SHOWN, breakable, cell_html, header, reason_words

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
TITLES = {
    "traffic": "Referring page traffic", "ratio": "Followed and not-followed links",
    "velocity": "Links gained and lost",
    "domains": "Referring domains", "gap": "Domains that link to competitors but not to you",
    "anchors": "Anchor text", "reclaim": "Lost links to win back", "outreach": "Promised links",
}
INTROS = {
    "traffic": "The pages linking to you, by the monthly visits they get.",
    "ratio": "Only followed links pass ranking value; this compares them with the links that do not.",
    "velocity": "How many links and referring domains were gained and lost.",
    "domains": "The websites linking to you, most links first.",
    "gap": "Websites that link to a competitor and not to you: the first places to ask for a link.",
    "anchors": "The clickable words of the links to you, by type.",
    "reclaim": "Links that were removed, whose page went away, or that stopped passing value: "
               "the site owners to contact first.",
    "outreach": "Links a publisher agreed to place that are not on the page yet.",
}
STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a202c;background:#f7fafc}
main{max-width:1100px;margin:0 auto;padding:24px}
.top{display:flex;align-items:center;gap:16px;flex-wrap:wrap}.top img{max-height:56px;max-width:220px}
h1{font-size:26px;margin:0 0 4px;color:var(--accent)}
h2{font-size:20px;margin:0 0 6px;border-bottom:2px solid var(--accent);padding-bottom:6px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:18px 20px;margin:18px 0}
a{color:var(--accent)}.muted,.intro{color:#4a5568}.intro{margin:0 0 12px}
.warn{background:#fffaf0;border-left:4px solid #dd6b20;padding:8px 12px;margin:8px 0}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.figure{border:1px solid #e2e8f0;border-left:5px solid var(--accent);border-radius:6px;padding:10px 12px}
.figure.alert{border-left-color:#c53030}.figure .value{display:block;font-size:26px;font-weight:700}
.figure .label{display:block;font-weight:600}.figure .note{display:block;color:#4a5568;font-size:13px}
dl{display:grid;grid-template-columns:fit-content(60%) minmax(0,1fr);gap:4px 18px;margin:0 0 12px}
dt{color:#4a5568}dd{margin:0;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #edf2f7;vertical-align:top}
th{background:#edf2f7}td.num,th.num{text-align:right}td.date{white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:20px}figure{margin:0;flex:1 1 320px;max-width:540px;min-width:0}
figcaption{font-size:13px;color:#4a5568;margin-top:4px}
.bars{display:grid;grid-template-columns:minmax(0,40%) minmax(0,1fr) max-content;gap:4px 8px;align-items:center;
font-size:13px}.bar-label{text-align:right}.bar{width:100%;height:14px;display:block}
svg.columns{width:100%;height:auto;display:block}
nav a{margin-right:12px;display:inline-block}footer{color:#4a5568;font-size:13px;margin:24px 0}
@media screen and (max-width:700px){main{padding:10px}section{padding:12px}
dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:6px}
table,tbody,tr,th,td{display:block}thead{display:none}
tr{border:1px solid #e2e8f0;border-radius:6px;margin:8px 0;padding:4px 0}td.num{text-align:left}
td{border:0;display:grid;grid-template-columns:minmax(0,42%) minmax(0,1fr);gap:10px}
td::before{content:attr(data-label);font-weight:600;color:#4a5568}td:empty{display:none}}
@page{size:A4;margin:14mm 12mm}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}nav{display:none}
section{border:0;border-radius:0;padding:0;margin:0 0 16px}.head{break-inside:avoid;break-after:avoid}
figure,tr,.figure,.bars{break-inside:avoid}thead{display:table-header-group}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""
NUMERIC = ("rank", "page_traffic", "referral_sessions", "followed", "nofollow", "links_gained", "links_lost",
           "net_links", "domains_gained", "domains_lost", "net_domains", "present_links", "followed_links", "links",
           "share", "days_pending")
_ISO_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


@dataclass(frozen=True)
class Brand:
    """Who the report is from: the agency's name, its logo as a data: URI, the accent colour."""

    agency: str | None = None
    logo_uri: str | None = None
    accent: str = "#2b6cb0"


def brand_of(settings: Settings) -> Brand:
    """The white label of `[report]`; the logo file is read again here (ConfigError when it went away)."""
    logo = None
    if settings.report_logo:
        mime, data = read_image(settings.report_logo, "[report] logo")
        logo = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return Brand(settings.report_agency, logo, settings.report_accent)


def document_style(accent: str) -> str:
    """The one inline style of the document (the accent is a validated #rrggbb)."""
    return f":root{{--accent:{accent}}}{STYLE}{BAR_STYLE}"


def _summary_value(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return human_number(value, 0 if float(value).is_integer() else 1)
    return _ISO_DAY.sub(lambda m: human_date(m.group(1)), str(value))


def _summary_key(key: str) -> str:
    if key.startswith("reason: "):
        return reason_words(key.removeprefix("reason: "))
    words = CLASS_WORDS.get(key, _ISO_DAY.sub(lambda m: human_date(m.group(1)), key))
    return words[:1].upper() + words[1:]


def _cell(column: str, value: Any) -> str:
    """A cell's content in one box (on a phone the cell is a grid of its label and this box); empty stays empty."""
    content = cell_html(column, value)
    return f"<span>{content}</span>" if content else ""


def _table(name: str, rows: Sequence[dict[str, Any]], limit: int = 25) -> str:
    if not rows:
        return '<p class="muted">Nothing to list.</p>'
    columns = SHOWN.get(name, ())
    css = {c: ' class="num"' if c in NUMERIC else ' class="date"' if c in DATES else "" for c in columns}
    head = "".join(f"<th{css[c]}>{escape(header(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f'<td{css[c]} data-label="{escape(header(c))}">{_cell(c, r.get(c))}</td>'
                                    for c in columns) + "</tr>" for r in rows[:limit])
    more = (f'<p class="muted">And {human_number(len(rows) - limit)} more not listed here.</p>'
            if len(rows) > limit else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _section(number: int, name: str, report: Any) -> str:
    summary = "".join(f"<dt>{breakable(_summary_key(str(k)))}</dt><dd>{breakable(_summary_value(v))}</dd>"
                      for k, v in report.summary())
    warnings = "".join(f'<p class="warn">{breakable(w)}</p>' for w in report.warnings)
    charts = section_charts(name, report)
    return (f'<section id="{escape(name)}"><div class="head"><h2>{number}. {escape(TITLES.get(name, name))}</h2>'
            f'<p class="intro">{escape(INTROS.get(name, ""))}</p>{warnings}<dl>{summary}</dl></div>'
            + (f'<div class="charts">{charts}</div>' if charts else "") + _table(name, report.rows) + "</section>")


def _figures(figures: Sequence[Figure]) -> str:
    return "".join(f'<div class="figure{" alert" if f.alert else ""}"><span class="value">{escape(f.value)}</span>'
                   f'<span class="label">{escape(f.label)}</span><span class="note">{escape(f.note)}</span></div>'
                   for f in figures)


def report_title(site: str, period: ReportPeriod | None) -> str:
    """`Backlink report for acmeshoes.com, November 2026`."""
    return f"Backlink report for {site}" + (f", {period.label}" if period and period.label else "")


def render_html(reports: dict[str, Any], generated_at: datetime, site: str, period: ReportPeriod | None = None,
                brand: Brand | None = None) -> str:
    """One HTML document: the summary, then every report given, numbered in order."""
    period = period or ReportPeriod(None, None, "")
    brand = brand or Brand()
    title = report_title(site, period)
    by = f"Prepared by {brand.agency}" if brand.agency else "Prepared with linkwatch"
    logo = (f'<img src="{escape(brand.logo_uri, quote=True)}" alt="{escape(brand.agency or "")}">'
            if brand.logo_uri else "")
    nav = "".join(f'<a href="#{escape(n)}">{i}. {escape(TITLES.get(n, n))}</a>' for i, n in enumerate(reports, 1))
    sections = "".join(_section(i, n, r) for i, (n, r) in enumerate(reports.items(), 1))
    glance = ""
    if {"ratio", "velocity", "traffic"} <= set(reports):
        glance = (f'<section id="summary"><div class="head"><h2>At a glance</h2></div>'
                  f'<div class="figures">{_figures(client_summary(reports, period))}</div></section>')
    when = escape(human_time(generated_at))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{document_style(brand.accent)}</style></head><body><main>"
        f'<header class="top">{logo}<div><h1>{breakable(title)}</h1>'
        f'<p class="muted">{escape(by)} on {when}.</p></div></header>'
        f"<nav>{nav}</nav>{glance}{sections}"
        f"<footer>{escape(by)} on {when}. {escape(title)}.</footer></main></body></html>\n"
    )
