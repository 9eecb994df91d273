"""All the reports in one self-contained HTML file: tables, warnings and inline SVG charts.

`render_html(reports, generated_at)` takes the report dataclasses (keyed by name,
as `monitor.reports.REPORTS`) and returns one HTML document with no external
resource at all: the styles are inline, the charts are SVG drawn here, a
Content-Security-Policy forbids every fetch, and every piece of data is escaped.
It works offline and can be mailed as an attachment.

Reads no settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#718096", "#c53030")
TITLES = {
    "traffic": "1. Referring page traffic", "ratio": "2. Followed vs nofollow", "velocity": "3. Link velocity",
    "domains": "4. Referring domains", "gap": "5. Backlink gaps", "anchors": "6. Anchor text distribution",
    "reclaim": "7. Lost links to reclaim", "outreach": "10. Promised links (outreach)",
}
STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a202c;background:#f7fafc}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 12px;border-bottom:2px solid #e2e8f0;padding-bottom:6px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:18px 20px;margin:18px 0}
.muted{color:#718096}.warn{background:#fffaf0;border-left:4px solid #dd6b20;padding:8px 12px;margin:8px 0}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 18px;margin:0 0 12px}
dt{color:#4a5568}dd{margin:0;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #edf2f7;vertical-align:top;overflow-wrap:anywhere}
th{background:#edf2f7}.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:13px;color:#4a5568}
nav a{margin-right:12px;color:#2b6cb0}
"""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def bar_chart(title: str, items: Sequence[tuple[str, float]], width: int = 520, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG: one labelled bar per item."""
    if not items:
        return ""
    row, label_w = 24, 170
    height = row * len(items) + 10
    top = max((v for _, v in items), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}">']
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = max(1.0, (width - label_w - 70) * (value / top)) if value else 0
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(short)}'
                     f'<title>{escape(label)}</title></text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                     f'fill="{COLORS[i % len(COLORS)]}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">{escape(_text(value))}{unit}</text>')
    parts.append("</svg>")
    return _figure(title, "".join(parts))


def gain_loss_chart(title: str, periods: Sequence[tuple[str, int, int]], width: int = 520) -> str:
    """Columns per period: gains up (green), losses down (red), around a zero line."""
    if not periods:
        return ""
    height, pad = 220, 30
    half = (height - 2 * pad) / 2
    top = max([max(g, lo) for _, g, lo in periods] + [1])
    step = (width - 2 * pad) / len(periods)
    bar = max(2.0, step * 0.6)
    mid = pad + half
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}">',
             f'<line x1="{pad}" y1="{mid}" x2="{width - pad}" y2="{mid}" stroke="#a0aec0"/>']
    for i, (label, gained, lost) in enumerate(periods):
        x = pad + i * step + (step - bar) / 2
        up, down = half * gained / top, half * lost / top
        parts.append(f'<rect x="{x:.1f}" y="{mid - up:.1f}" width="{bar:.1f}" height="{up:.1f}" fill="#2f855a">'
                     f'<title>{escape(label)}: +{gained}</title></rect>')
        parts.append(f'<rect x="{x:.1f}" y="{mid:.1f}" width="{bar:.1f}" height="{down:.1f}" fill="#c53030">'
                     f'<title>{escape(label)}: -{lost}</title></rect>')
        if len(periods) <= 16 or i % max(1, len(periods) // 8) == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
                         f'{escape(label[5:])}</text>')
    parts.append(f'<text x="{pad}" y="{pad - 10}" font-size="11" fill="#2f855a">gained (max {top})</text>')
    parts.append(f'<text x="{pad + 130}" y="{pad - 10}" font-size="11" fill="#c53030">lost</text></svg>')
    return _figure(title, "".join(parts))


def _figure(caption: str, svg: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str], limit: int = 25) -> str:
    if not rows:
        return '<p class="muted">Nothing to list.</p>'
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_text(r.get(c)))}</td>" for c in columns) + "</tr>"
                   for r in rows[:limit])
    more = f'<p class="muted">{len(rows) - limit} more rows in the CSV export.</p>' if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _charts(name: str, report: Any) -> str:
    if name == "traffic":
        return bar_chart("Top referring pages by page traffic",
                         [(r["source_url"], r["page_traffic"] or 0) for r in report.rows[:10]])
    if name == "ratio":
        return (bar_chart("Referring domains", [("followed", report.followed_domains),
                                                ("nofollow only", report.nofollow_domains)])
                + bar_chart("Links", [("followed", report.followed_links), ("nofollow", report.nofollow_links)])
                + bar_chart("Why links are not followed", list(report.reasons.items())))
    if name == "velocity":
        return (gain_loss_chart(f"Links gained and lost per {report.period}",
                                [(r["period_start"], r["links_gained"], r["links_lost"]) for r in report.rows])
                + gain_loss_chart(f"Referring domains gained and lost per {report.period}",
                                  [(r["period_start"], r["domains_gained"], r["domains_lost"]) for r in report.rows]))
    if name == "domains":
        return (bar_chart("Links per referring domain (top 10)",
                          [(r["referring_domain"], r["present_links"]) for r in report.rows[:10]])
                + gain_loss_chart(f"New and lost referring domains per {report.period}",
                                  [(p["period_start"], p["new_domains"], p["lost_domains"]) for p in report.periods]))
    if name == "gap":
        return bar_chart("Gap domains by number of competitors",
                         [(r["referring_domain"], r["competitors"]) for r in report.rows[:10]])
    if name == "anchors":
        return bar_chart("Anchor classes (% of present links)",
                         [(k, round(v["share"] * 100, 1)) for k, v in report.classes.items()], unit="%")
    if name == "reclaim":
        return bar_chart("Lost links by reason", list(report.by_reason.items()))
    return ""


def _section(name: str, report: Any) -> str:
    summary = "".join(f"<dt>{escape(str(k))}</dt><dd>{escape(_text(v))}</dd>" for k, v in report.summary())
    warnings = "".join(f'<p class="warn">{escape(w)}</p>' for w in report.warnings)
    columns = list(report.COLUMNS)
    charts = _charts(name, report)
    return (f'<section id="{escape(name)}"><h2>{escape(TITLES.get(name, name))}</h2>{warnings}'
            f"<dl>{summary}</dl>" + (f'<div class="charts">{charts}</div>' if charts else "")
            + _table(report.rows, columns) + "</section>")


def render_html(reports: dict[str, Any], generated_at: datetime, site: str) -> str:
    """One HTML document with every report given, in routine order."""
    nav = "".join(f'<a href="#{escape(n)}">{escape(TITLES.get(n, n))}</a>' for n in reports)
    sections = "".join(_section(n, r) for n, r in reports.items())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>linkwatch report: {escape(site)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>Backlink report: {escape(site)}</h1>"
        f'<p class="muted">Generated by linkwatch on {escape(generated_at.strftime("%Y-%m-%d %H:%M UTC"))}; '
        f"{len(reports)} reports. Every figure is defined in docs/reports.md.</p><nav>{nav}</nav>{sections}"
        "</main></body></html>\n"
    )
