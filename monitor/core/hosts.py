"""Registrable domains and hosts of URLs, offline.

`registrable_domain("www.blog.example.co.uk")` is `example.co.uk` (tldextract with
its bundled Public Suffix List snapshot: no network, no cache directory).  The
list's private section counts too: `alice.github.io` and `bob.github.io` are two
referring domains, as they have two owners.  IP
addresses, `localhost` and other names without a public suffix are their own
registrable domain.

Reads no settings.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tldextract import TLDExtract


@functools.cache
def _extractor() -> TLDExtract:
    """tldextract, built on first use: importing it imports requests (≈0.1 s), which a command that
    never asks for a registrable domain (`linkwatch links`, the crawl child) need not pay."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def clean_host(host: str) -> str:
    """A host name as compared: trimmed, without IPv6 brackets or a trailing dot, lower case."""
    return host.strip().strip("[]").rstrip(".").lower()


def _is_ip(host: str) -> bool:
    if ":" not in host and not host[-1:].isdigit():
        return False  # neither IPv6 nor IPv4 (which ends in a digit): skip the parser's exception
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def registrable_domain(host: str) -> str:
    """The registrable domain (eTLD+1) of a host; the host itself for IPs and names without a public suffix."""
    host = clean_host(host)
    if not host or _is_ip(host):
        return host
    return _extractor()(host).top_domain_under_public_suffix or host


def host_of(url: str) -> str:
    """The lowercased host of an absolute URL ('' when it has none)."""
    try:
        return clean_host(urlsplit(url.strip()).hostname or "")
    except ValueError:
        return ""


def bare_host(host: str) -> str:
    """A host without a leading `www.`, lowercased (how sites are named in the config)."""
    return clean_host(host).removeprefix("www.")
