"""Finding unlinked mentions: the crawl that `linkwatch mentions find` drives from the parent.

The pages come from a list of URLs, a sitemap, or a bounded breadth-first crawl of
one domain; the crawler child (monitor.crawl.child, mode `mentions`) fetches them and
applies the text logic of monitor.core.mentions to each.  Passes the crawl settings,
with the brand terms, to the child.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.config import Settings
from monitor.core.mentions import settings_for_terms, terms_in
from monitor.core.types import FetchStatus, PageJob, PageObservation, RenderMode
from monitor.crawl.child import crawl


@dataclass
class CrawlResult:
    pages: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, error)
    found: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)  # url, term, sentence, hints


def _add_found(result: CrawlResult, obs: PageObservation, terms: Sequence[str]) -> None:
    """One mention per page and term (the first sentence naming it), as stored: a sentence naming two
    terms, or a term named in two sentences, must not count twice."""
    url = obs.final_url or obs.url
    known = {(found_url, term) for found_url, term, _, _ in result.found if found_url == url}
    for sentence in obs.mentions:
        for term in terms_in(sentence, terms):
            if (url, term) not in known:
                known.add((url, term))
                result.found.append((url, term, sentence, obs.contact_hints))


def find_mentions(settings: Settings, site: str, terms: Sequence[str], urls: Sequence[str] = (),
                  crawl_domain: str | None = None, max_pages: int = 50) -> CrawlResult:
    """Fetch the pages (the URLs given, breadth first from them within `crawl_domain` when given) with
    the crawler in `mentions` mode and collect the unlinked mentions."""
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
            _add_found(result, obs, terms)
            for link in obs.links:
                if link.target == "sitemap" or (crawl_domain and link.target != site):
                    href = link.href.split("#")[0]
                    if href not in seen and len(seen) < max_pages:
                        seen.add(href)
                        frontier.append(href)
    return result
