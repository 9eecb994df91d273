"""Crawler mode `mentions`: fetch pages like `check` and report unlinked brand mentions.

Protocol as `check` (crawler/__main__.py).  A job's first target is the monitored site (its brand
terms from that site's `brand_terms` in the Settings the parent sent); a second target, when given,
is the domain being crawled, whose links come back in `links` so the parent can go on breadth
first.  A page fetched fine carries `mentions` (sentences naming a term, only when the page has no
link to the site) and `contact_hints`; a sitemap (`<urlset>` / `<sitemapindex>`) comes back fetched
fine with each `<loc>` as a link whose target is "sitemap".  `visible_text(html)` and
`page_links(html, url)` are pure.  For users: docs/reports.md, "Unlinked mentions".

Reads the crawl settings (timeout, max_bytes, ...) and Settings.sites.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, TextIO
from urllib.parse import urljoin

from scrapy.http import Response
from selectolax.lexbor import LexborHTMLParser

from crawler.encoding import decode_html
from crawler.runner import new_process
from crawler.settings import scrapy_settings
from crawler.spider import LinkSpider
from monitor.config import Settings
from monitor.core.mentions import brand_terms, page_mentions
from monitor.core.types import FetchStatus, ObservedLink, PageObservation
from monitor.core.wire import job_from_json, observation_to_json

HIDDEN = ["script", "style", "template", "noscript"]
#: Elements that end a line of text: a heading is never glued to the paragraph after it.
BLOCKS = ",".join(("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
                   "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
                   "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"))
_LOC = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
MAX_SITEMAP_URLS = 50_000


def visible_text(html: str) -> str:
    """The text a reader sees: body text without script, style, template or noscript contents.

    Block elements (headings, paragraphs, list items, cells...) end with a line break, so that
    a sentence never starts with the heading above it ("News We love Acme").
    """
    tree = LexborHTMLParser(html)
    tree.strip_tags(HIDDEN)
    root = tree.body or tree.root
    if root is not None:
        for node in root.css(BLOCKS):
            node.insert_after("\n")
    return root.text(separator=" ") if root is not None else ""


def page_links(html: str, url: str) -> list[tuple[str, str]]:
    """(absolute href, text) of every <a href> of the page."""
    tree = LexborHTMLParser(html)
    out = []
    for node in tree.css("a[href]"):
        href = (node.attributes.get("href") or "").strip()
        if href:
            out.append((urljoin(url, href), " ".join(node.text().split())))
    return out


def sitemap_links(body: bytes) -> tuple[ObservedLink, ...]:
    if b"<urlset" not in body[:4096] and b"<sitemapindex" not in body[:4096]:
        return ()
    locs = [m.group(1).decode("utf-8", "replace").replace("&amp;", "&") for m in _LOC.finditer(body)]
    return tuple(ObservedLink(href=u, rel=(), anchor="", follow=True, target="sitemap")
                 for u in locs[:MAX_SITEMAP_URLS])


class MentionsSpider(LinkSpider):
    name = "linkwatch-mentions"

    def observe(self, response: Response, rendered: bool = False) -> PageObservation:
        observation = super().observe(response, rendered)
        if observation.fetch is not FetchStatus.OK:
            links = sitemap_links(response.body) if response.status == 200 else ()
            return replace(observation, fetch=FetchStatus.OK, error=None, links=links) if links else observation
        job = response.meta["job"]
        site = job.targets[0]
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        text, _encoding = decode_html(response.body, content_type)
        found = page_mentions(visible_text(text), page_links(text, response.url), site,
                              brand_terms(self.config, site, ()))
        crawled = [link for link in observation.links if link.target != site]
        return replace(observation, links=tuple(crawled), mentions=tuple(s for _, s in found.mentions),
                       contact_hints=found.contact_hints)


def run_mentions(settings: Settings, lines: Iterator[str], out: TextIO) -> int:
    """Fetch the PageJobs on the remaining stdin lines; write observations with mentions to `out`."""
    jobs = [job_from_json(line) for line in lines if line.strip()]

    def sink(observation: PageObservation) -> None:
        out.write(observation_to_json(observation) + "\n")
        out.flush()

    process = new_process(scrapy_settings(settings, render=False), settings)
    crawler_kwargs: dict[str, Any] = {"jobs": jobs, "sink": sink, "config": settings, "can_render": False}
    process.crawl(MentionsSpider, **crawler_kwargs)
    process.start()
    return 0
