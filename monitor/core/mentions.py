"""Unlinked mentions, the pure text logic: pages that name a brand term without linking to the site.

`page_mentions`, `sentences` and `contact_hints` run in the crawler child on each page's visible
text and links (crawler/mentions_mode.py extracts them); monitor.crawl.mentions drives the crawl
from the parent and monitor.store.mentions keeps the `mentions` rows.  A term matches
case-insensitively on word boundaries ("Acme" matches "acme's" and "ACME," but not "Acmeology");
a page with any link to the site (its domain or a subdomain) is not an unlinked mention; contact
hints are mailto: addresses and links to contact / about / write-for-us pages.

Reads Settings.sites (brand_terms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from monitor.config import Settings, SiteConfig

MAX_SENTENCE = 400
MAX_HINTS = 8
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_CONTACT = re.compile(r"contact|about|write-for-us|write_for_us|impressum|team|kontakt", re.IGNORECASE)


@dataclass(frozen=True)
class PageMentions:
    links_to_site: bool
    mentions: tuple[tuple[str, str], ...] = ()  # (term, sentence), one per term
    contact_hints: tuple[str, ...] = ()


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
