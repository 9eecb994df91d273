"""Page-level robots directives: `<meta name="robots|googlebot">` and the `X-Robots-Tag` header.

Rules (Google Search Central, issue 2): values are comma-separated and
case-insensitive, several tags and headers add up, `none` means
`noindex, nofollow`, meta tags naming other crawlers are ignored, and a header
value `NAME: rules` applies only when NAME is `googlebot`.  `unavailable_after:
<date>` is a rule, not a crawler name.  Only noindex and nofollow matter here.

Reads no settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from monitor.core.types import PageDirectives

logger = logging.getLogger(__name__)

__all__ = ["META_NAMES", "RobotsRules", "parse_header_values", "parse_meta_contents", "robots_directives"]

#: `<meta name>` values (lower case) whose robots rules linkwatch obeys, as Googlebot does.
META_NAMES = frozenset({"robots", "googlebot"})
_OUR_BOT = "googlebot"
# rule names that may be followed by ":" without being a crawler name
_RULES_WITH_VALUE = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})


class RobotsRules:
    """noindex / nofollow found in a list of rule strings."""

    __slots__ = ("nofollow", "noindex")

    def __init__(self) -> None:
        self.noindex = False
        self.nofollow = False

    def add(self, rules: str) -> None:
        for token in rules.split(","):
            rule = token.strip().lower()
            if rule in ("noindex", "none"):
                self.noindex = True
            if rule in ("nofollow", "none"):
                self.nofollow = True


def parse_meta_contents(contents: Iterable[str]) -> RobotsRules:
    """Rules from the `content` values of the page's robots/googlebot meta tags."""
    rules = RobotsRules()
    for content in contents:
        rules.add(content)
    return rules


def _crawler_prefix(token: str) -> tuple[str | None, str]:
    """Split `googlebot: nofollow` into ("googlebot", "nofollow"); (None, token) when no crawler is named."""
    head, sep, rest = token.partition(":")
    name = head.strip().lower()
    if not sep or not name or name in _RULES_WITH_VALUE or any(ch.isspace() for ch in name):
        return None, token
    return name, rest


def parse_header_values(values: Iterable[str]) -> RobotsRules:
    """Rules from every X-Robots-Tag header value that applies to us.

    Each value is a comma list; a `NAME:` prefix addresses the rules after it,
    up to the next prefix, to that crawler (HTTP stacks may join several headers
    with commas).  Rules with no crawler named apply to every crawler.
    """
    rules = RobotsRules()
    for value in values:
        crawler: str | None = None
        for token in value.split(","):
            named, rule = _crawler_prefix(token)
            if named is not None:
                crawler = named
            if crawler is None or crawler == _OUR_BOT:
                rules.add(rule)
    return rules


def robots_directives(
    meta_contents: Iterable[str], x_robots_tag: Sequence[str], canonical: str | None = None
) -> PageDirectives:
    """Combine meta and header rules into PageDirectives, recording where each came from."""
    meta = parse_meta_contents(meta_contents)
    header = parse_header_values(x_robots_tag)
    noindex_sources = tuple(src for src, on in (("meta", meta.noindex), ("header", header.noindex)) if on)
    nofollow_sources = tuple(src for src, on in (("meta", meta.nofollow), ("header", header.nofollow)) if on)
    return PageDirectives(
        noindex=bool(noindex_sources),
        nofollow=bool(nofollow_sources),
        canonical=canonical,
        noindex_sources=noindex_sources,
        nofollow_sources=nofollow_sources,
    )
