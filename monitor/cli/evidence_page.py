"""What `linkwatch evidence` shows: the before/after of a change as plain text, and as a self-contained HTML page.

The HTML page is meant to be sent to a publisher: everything in it came from a crawled page, so all of it is
escaped, it holds no script (and a Content-Security-Policy that forbids any), the only clickable link is the
page's own URL when it is http(s), and a screenshot is an inline JPEG.  Dates and numbers are human
(monitor.core.human).  The link's sentence is highlighted before, the closest passage shown after.
"""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING

from monitor.core.human import event_words, human_time, lost_how_words, percent, safe_href
from monitor.core.loss import split_sentence

if TYPE_CHECKING:  # the command's modules import no database at start (tests/test_startup_imports.py)
    from monitor.store.evidence_view import Evidence

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _what_happened(evidence: Evidence) -> list[str]:
    """The plain-words summary, most important first."""
    lines = [f"{event_words(evidence.event)}: {evidence.source_url} (to {evidence.target})",
             f"Seen on {human_time(evidence.at)}"
             + (f"; last seen with the link on {human_time(evidence.last_live)}." if evidence.last_live else ".")]
    how = evidence.detail.get("how")
    if how:
        lines.append(lost_how_words(how, action=True))
    moved_to = evidence.detail.get("moved_to")
    if moved_to:
        rival = evidence.detail.get("moved_to_competitor")
        lines.append(f"It now links to {moved_to}" + (f", a competitor ({rival})." if rival else "."))
    share = evidence.detail.get("changed_share")
    if share is not None:
        lines.append(f"{percent(share)} of the page's main text changed.")
    return lines


def render_text(evidence: Evidence) -> str:
    """The evidence for a terminal or an email: the link's sentence between « », its anchor in [ ]."""
    lines = _what_happened(evidence)
    lead, start, anchor, rest, tail = split_sentence(evidence.sentence_before, evidence.anchor)
    seen = human_time(evidence.before.taken_at) if evidence.before else human_time(evidence.last_live)
    lines += ["", f"Before{f' ({seen})' if seen else ''}:",
              f"  {lead}«{start}[{anchor}]{rest}»{tail}" if anchor else f"  «{start}»"]
    lines += ["", f"Now ({human_time(evidence.after.taken_at if evidence.after else evidence.at)}):"]
    lines.append(f"  {evidence.passage_after}" if evidence.passage_after
                 else "  Nothing like this passage is on the page any more.")
    return "\n".join(lines) + "\n"


STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
main{max-width:760px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 8px} h2{font-size:17px;margin:24px 0 6px}
.when{color:#555;font-size:14px} .box{background:#fff;border:1px solid #ddd;border-radius:6px;padding:14px 16px}
mark{background:#ffe58a;padding:1px 0} mark strong{text-decoration:underline}
.none{color:#777;font-style:italic} .summary p{margin:4px 0}
img{max-width:100%;border:1px solid #ddd;margin-top:8px}
footer{color:#777;font-size:13px;margin-top:32px}
"""


def render_html(evidence: Evidence) -> str:
    """The self-contained page (see the module docstring)."""
    href = safe_href(evidence.source_url)
    page = (f'<a href="{escape(href)}" rel="noopener noreferrer nofollow">{escape(evidence.source_url)}</a>'
            if href else escape(evidence.source_url))
    summary = "".join(f"<p>{escape(line)}</p>" for line in _what_happened(evidence)[1:])
    lead, start, anchor, rest, tail = split_sentence(evidence.sentence_before, evidence.anchor)
    before_seen = evidence.before.taken_at if evidence.before else evidence.last_live
    before = (f"{escape(lead)}<mark>{escape(start)}<strong>{escape(anchor)}</strong>{escape(rest)}</mark>"
              f"{escape(tail)}") if anchor else f"<mark>{escape(start)}</mark>"
    after = (escape(evidence.passage_after) if evidence.passage_after
             else '<span class="none">Nothing like this passage is on the page any more.</span>')
    after_seen = evidence.after.taken_at if evidence.after else evidence.at
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(event_words(evidence.event))}: {escape(evidence.source_url)}</title>"
        f"<style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(event_words(evidence.event))}</h1><p>On the page {page}, linking to "
        f"{escape(evidence.target)}.</p><div class=\"summary\">{summary}</div>"
        f"<h2>Before</h2><p class=\"when\">Seen {escape(human_time(before_seen))}</p>"
        f"<div class=\"box before\">{before}</div>"
        f"<h2>Now</h2><p class=\"when\">Seen {escape(human_time(after_seen))}</p>"
        f"<div class=\"box after\">{after}</div>"
        f"{_screenshots(evidence)}"
        "<footer>Recorded by linkwatch, a backlink monitor, from the page as it was served at those times."
        "</footer></main></body></html>\n")


def _screenshots(evidence: Evidence) -> str:
    parts = []
    for title, copy in (("Before", evidence.before), ("Now", evidence.after)):
        if copy is not None and copy.screenshot:
            data = base64.b64encode(copy.screenshot).decode("ascii")
            parts.append(f"<h2>The page {title.lower()}</h2><p class=\"when\">Seen {escape(human_time(copy.taken_at))}"
                         f"</p><img alt=\"The page {title.lower()}\" src=\"data:image/jpeg;base64,{data}\">")
    return "".join(parts)
