"""Unlinked mentions: pages that name a brand term without linking to the site.

The pure text logic (`page_mentions`, `sentences`, `contact_hints`) runs in the
crawler child on each page's visible text and links (crawler/mentions_mode.py
extracts them); `find_mentions` drives the crawl from the parent through
monitor.crawl.child (mode `mentions`): a list of URLs, a sitemap, or a bounded
crawl of one domain, breadth first; `store_mentions` / `list_mentions` keep and
read the `mentions` rows.

A term matches case-insensitively on word boundaries ("Acme" matches "acme's" and
"ACME," but not "Acmeology").  A page with any link to the site (its domain or a
subdomain) is not an unlinked mention.  Contact hints: mailto: addresses and links
to contact / about / write-for-us pages.

Reads Settings.sites (brand_terms) and passes the crawl settings to the child.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, select

from monitor.config import Settings, SiteConfig
from monitor.core.types import FetchStatus, PageJob, RenderMode
from monitor.store import db
from monitor.store.models import Mention, Site

logger = logging.getLogger(__name__)

MAX_SENTENCE = 400
MAX_HINTS = 8
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_CONTACT = re.compile(r"contact|about|write-for-us|write_for_us|impressum|team|kontakt", re.IGNORECASE)


@dataclass(frozen=True)
class PageMentions:
    links_to_site: bool
    mentions: tuple[tuple[str, str], ...] = ()  # (term, sentence), one per term
    contact_hints: tuple[str, ...] = ()


@dataclass
class CrawlResult:
    pages: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, error)
    found: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)  # url, term, sentence, hints


def term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term.strip())}(?!\w)", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """The sentences of a visible text: split after . ! ? … and at line breaks, whitespace collapsed."""
    out = []
    for part in _SENTENCE_END.split(text):
        sentence = " ".join(part.split())
        if sentence:
            out.append(sentence if len(sentence) <= MAX_SENTENCE else sentence[: MAX_SENTENCE - 1] + "…")
    return out


def host_links_to(href: str, site_domain: str) -> bool:
    try:
        host = (urlsplit(href).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    return host == site_domain or host.endswith("." + site_domain)


def contact_hints(links: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """mailto: addresses (without query) and contact/about pages among (absolute href, text) links."""
    hints: list[str] = []
    for href, text in links:
        lowered = href.lower()
        if lowered.startswith("mailto:"):
            hint = "mailto:" + href[7:].split("?")[0].strip()
        elif lowered.startswith(("http://", "https://")) and (_CONTACT.search(urlsplit(href).path)
                                                                or _CONTACT.search(text or "")):
            hint = href.split("#")[0]
        else:
            continue
        if hint not in hints and hint != "mailto:":
            hints.append(hint)
    return tuple(hints[:MAX_HINTS])


def page_mentions(text: str, links: Sequence[tuple[str, str]], site_domain: str,
                  terms: Sequence[str]) -> PageMentions:
    """What one page says: whether it links to the site, the first sentence naming each term, contact hints."""
    site_domain = site_domain.lower().removeprefix("www.")
    if any(host_links_to(href, site_domain) for href, _ in links):
        return PageMentions(links_to_site=True)
    found: list[tuple[str, str]] = []
    patterns = [(t.strip(), term_pattern(t)) for t in terms if t.strip()]
    for sentence in sentences(text):
        for term, pattern in patterns:
            if term not in (f[0] for f in found) and pattern.search(sentence):
                found.append((term, sentence))
    return PageMentions(False, tuple(found), contact_hints(links) if found else ())


def terms_in(sentence: str, terms: Sequence[str]) -> list[str]:
    return [t for t in terms if t.strip() and term_pattern(t).search(sentence)]


def brand_terms(settings: Settings, site: str, given: Sequence[str]) -> tuple[str, ...]:
    """--term values, else the site's configured brand_terms, else its domain name without the suffix."""
    if given:
        return tuple(t.strip() for t in given if t.strip())
    config = settings.site(site)
    if config and config.brand_terms:
        return config.brand_terms
    return (site.split(".")[0],)


def settings_for_terms(settings: Settings, site: str, terms: Sequence[str]) -> Settings:
    """Settings whose entry for `site` carries `terms`: that is how the crawler child learns them."""
    others = tuple(s for s in settings.sites if s.domain != site)
    config = settings.site(site) or SiteConfig(site)
    return replace(settings, sites=(*others, replace(config, brand_terms=tuple(terms))))


def find_mentions(settings: Settings, site: str, terms: Sequence[str], urls: Sequence[str] = (),
                  crawl_domain: str | None = None, max_pages: int = 50) -> CrawlResult:
    """Fetch the pages (the URLs given, breadth first from them within `crawl_domain` when given) with
    the crawler in `mentions` mode and collect the unlinked mentions."""
    from monitor.crawl.child import crawl

    child_settings = settings_for_terms(settings, site, terms)
    result = CrawlResult()
    seen = set(urls)
    frontier = list(dict.fromkeys(urls))[:max_pages]
    targets = (site, crawl_domain) if crawl_domain else (site,)
    while frontier and result.pages < max_pages:
        jobs = [PageJob(url=u, targets=targets, render=RenderMode.NEVER) for u in frontier]
        frontier = []
        for obs in crawl(child_settings, jobs, mode="mentions"):
            result.pages += 1
            if obs.fetch is not FetchStatus.OK:
                result.failed.append((obs.url, obs.error or str(obs.fetch)))
                continue
            for sentence in obs.mentions:
                for term in terms_in(sentence, terms):
                    result.found.append((obs.final_url or obs.url, term, sentence, obs.contact_hints))
            for link in obs.links:
                if link.target == "sitemap" or (crawl_domain and link.target != site):
                    href = link.href.split("#")[0]
                    if href not in seen and len(seen) < max_pages:
                        seen.add(href)
                        frontier.append(href)
    return result


def store_mentions(engine: Engine, site: str, found: Iterable[tuple[str, str, str, Sequence[str]]]) -> int:
    """Insert or refresh the mentions of one site (unique by page and term). Returns how many were new."""
    now, added = datetime.now(UTC), 0
    with db.session(engine) as session:
        site_row = session.scalars(select(Site).where(Site.domain == site)).first()
        if site_row is None:
            site_row = Site(domain=site, competitor=False, created_at=now)
            session.add(site_row)
            session.flush()
        for url, term, sentence, hints in found:
            row = session.scalars(select(Mention).where(Mention.site_id == site_row.id, Mention.page_url == url,
                                                        Mention.term == term)).first()
            if row is None:
                session.add(Mention(site_id=site_row.id, page_url=url, term=term, sentence=sentence,
                                    contact_hints=list(hints), found_at=now))
                added += 1
            else:
                row.sentence, row.contact_hints, row.found_at = sentence, list(hints), now
    return added


def list_mentions(engine: Engine, site: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Mention.page_url, Mention.term, Mention.sentence, Mention.contact_hints,
                                   Mention.found_at).join(Site, Site.id == Mention.site_id)
                            .where(Site.domain == site).order_by(Mention.found_at.desc(), Mention.page_url)).all()
    return [{"page_url": r.page_url, "term": r.term, "sentence": r.sentence,
             "contact_hints": list(r.contact_hints or []), "found_at": r.found_at} for r in rows]
