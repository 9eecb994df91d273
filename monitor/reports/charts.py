"""The charts of the HTML report, drawn without script or external resource.

`bar_chart`: one row per item, its label as HTML text (it wraps like any text, so a long domain name fits
on a phone and is never cut) and its bar as a small inline SVG scaled to the row (SVG attributes, not style
attributes, so the web's Content-Security-Policy keeps it).  `gain_loss_chart`: columns per period in an
SVG with a viewBox, so it shrinks with the page; its labels are short human dates (`3 Nov`).
`section_charts(name, report)` picks the charts of each report; labels are domains, never cut URLs.

Reads no settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from monitor.core.human import human_number
from monitor.reports.common import to_date
from monitor.reports.present import CLASS_WORDS, breakable, reason_words

#: the bars' colours in turn, the first the report's accent (classes, so the accent comes from the style)
COLORS = ("var(--accent)", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#718096", "#c53030")
BAR_STYLE = "".join(f".bar .c{i}{{fill:{colour}}}" for i, colour in enumerate(COLORS))


def bar_chart(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> str:
    """A horizontal bar chart: label, bar, value per row (HTML rows; the bars are inline SVG)."""
    if not items:
        return ""
    top = max((v for _, v in items), default=0) or 1
    rows = []
    for i, (label, value) in enumerate(items):
        width = max(0.5, 100 * value / top) if value else 0
        rows.append(
            f'<div class="bar-label">{breakable(label)}</div>'
            f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect width="{width:.1f}" height="10" class="c{i % len(COLORS)}"/></svg>'
            f'<div class="bar-value">{escape(human_number(value, 0 if float(value).is_integer() else 1))}{unit}</div>')
    return _figure(title, f'<div class="bars" role="img" aria-label="{escape(title)}">{"".join(rows)}</div>')


def _day_label(text: str) -> str:
    day = to_date(text)
    return f"{day.day} {day:%b}"


def gain_loss_chart(title: str, periods: Sequence[tuple[str, int, int]]) -> str:
    """Columns per period: gains up (green), losses down (red), around a zero line; an SVG that scales."""
    if not periods:
        return ""
    width, height, pad = 520, 220, 30
    half = (height - 2 * pad) / 2
    top = max([max(g, lo) for _, g, lo in periods] + [1])
    step = (width - 2 * pad) / len(periods)
    bar = max(2.0, step * 0.6)
    mid = pad + half
    every = 1 if len(periods) <= 7 else -(-len(periods) // 7)
    parts = [f'<svg class="columns" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<line x1="{pad}" y1="{mid}" x2="{width - pad}" y2="{mid}" stroke="#a0aec0"/>']
    for i, (label, gained, lost) in enumerate(periods):
        x = pad + i * step + (step - bar) / 2
        up, down = half * gained / top, half * lost / top
        name = escape(_day_label(label))
        parts.append(f'<rect x="{x:.1f}" y="{mid - up:.1f}" width="{bar:.1f}" height="{up:.1f}" fill="#2f855a">'
                     f'<title>{name}: {gained:,} gained</title></rect>')
        parts.append(f'<rect x="{x:.1f}" y="{mid:.1f}" width="{bar:.1f}" height="{down:.1f}" fill="#c53030">'
                     f'<title>{name}: {lost:,} lost</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" font-size="14" text-anchor="middle">'
                         f'{name}</text>')
    parts.append(f'<text x="{pad}" y="{pad - 10}" font-size="14" fill="#2f855a">gained (most: {top:,})</text>')
    parts.append(f'<text x="{width - pad}" y="{pad - 10}" font-size="14" fill="#c53030" text-anchor="end">'
                 "lost</text></svg>")
    return _figure(title, "".join(parts))


def _figure(caption: str, body: str) -> str:
    return f"<figure>{body}<figcaption>{escape(caption)}</figcaption></figure>"


def _top_domains(rows: Sequence[dict[str, Any]], limit: int = 10) -> list[tuple[str, float]]:
    """Page traffic summed per referring domain over the ranked rows, highest first."""
    totals: dict[str, float] = {}
    for row in rows:
        domain = str(row.get("referring_domain") or "")
        totals[domain] = totals.get(domain, 0.0) + float(row.get("page_traffic") or 0)
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]


def section_charts(name: str, report: Any) -> str:
    """The charts of one report section (empty when it has none)."""
    unit = getattr(report, "period", "week")
    if name == "traffic":
        return bar_chart("Referring domains with the most page traffic", _top_domains(report.rows))
    if name == "ratio":
        return (bar_chart("Referring domains", [("Followed", report.followed_domains),
                                                ("Not followed only", report.nofollow_domains)])
                + bar_chart("Links", [("Followed", report.followed_links),
                                      ("Followed, passing no value", report.no_value_links),
                                      ("Not followed", report.nofollow_links)])
                + bar_chart("Why links are not followed",
                            [(reason_words(k), v) for k, v in report.reasons.items() if v]))
    if name == "velocity":
        return (gain_loss_chart(f"Links gained and lost per {unit}",
                                [(r["period_start"], r["links_gained"], r["links_lost"]) for r in report.rows])
                + gain_loss_chart(f"Referring domains gained and lost per {unit}",
                                  [(r["period_start"], r["domains_gained"], r["domains_lost"]) for r in report.rows]))
    if name == "domains":
        return (bar_chart("Links per referring domain (top 10)",
                          [(r["referring_domain"], r["present_links"]) for r in report.rows[:10]])
                + gain_loss_chart(f"New and lost referring domains per {unit}",
                                  [(p["period_start"], p["new_domains"], p["lost_domains"]) for p in report.periods]))
    if name == "gap":
        return bar_chart("Domains linking to competitors: how many competitors",
                         [(r["referring_domain"], r["competitors"]) for r in report.rows[:10]])
    if name == "anchors":
        return bar_chart("Anchor text types (share of links)",
                         [(CLASS_WORDS.get(k, k), round(v["share"] * 100, 1)) for k, v in report.classes.items()],
                         unit="%")
    if name == "reclaim":
        return bar_chart("Links to reclaim, by what happened",
                         [(reason_words(k), v) for k, v in report.by_reason.items()])
    return ""
