"""The SSRF guard: linkwatch never connects to a loopback, private or otherwise non-public address.

A backlink list is user input and a page may redirect anywhere, so every connection Scrapy makes
goes through `GuardedResolver` (Scrapy's `TWISTED_DNS_RESOLVER`), which filters the addresses a
name resolves to before Twisted connects.  Invariant: the address checked is the address connected
to, so a DNS answer that changes in between cannot slip through.  IP-literal hosts are checked by
`SsrfMiddleware` before the request is sent.  A refused request fails with `SsrfBlocked`
(`FetchStatus.BLOCKED` with the reason).  `resolve` overrides (curl's `--resolve host:ip`) map
names to fixed addresses, for tests and benchmarks.  For users: docs/check.md, "SSRF guard".

Scrapy settings read: LINKWATCH_ALLOW_PRIVATE (bool), LINKWATCH_RESOLVE (dict host -> ip),
both filled from `Settings.allow_private` and `Settings.resolve` by crawler.settings.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

from crawler.errors import SsrfBlocked

logger = logging.getLogger(__name__)

#: host -> why it was refused, filled by the resolver for the spider's errback (one crawl per process).
BLOCKED_HOSTS: dict[str, str] = {}


def non_public_reason(address: str) -> str | None:
    """Why `address` is not a public unicast address ("loopback", "private", ...), or None if it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unparsable"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("non-public", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def blocked_message(host: str, reason: str) -> str:
    return f"ssrf guard: {host} is a {reason} address"


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted's interface
        pass


def _address(ip: str, port: int) -> IPv4Address | IPv6Address:
    if ipaddress.ip_address(ip).version == 6:
        return IPv6Address("TCP", ip, port)
    return IPv4Address("TCP", ip, port)


@provider(IResolutionReceiver)
class _FilteringReceiver:
    """Passes on only the public addresses a name resolved to; remembers why others were dropped."""

    def __init__(self, receiver: Any, host: str) -> None:
        self.receiver = receiver
        self.host = host
        self.passed = 0
        self.dropped: str | None = None

    def resolutionBegan(self, resolution: Any) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:
        reason = non_public_reason(getattr(address, "host", ""))
        if reason is None:
            self.passed += 1
            self.receiver.addressResolved(address)
        else:
            self.dropped = self.dropped or reason

    def resolutionComplete(self) -> None:
        if not self.passed and self.dropped:
            BLOCKED_HOSTS[self.host] = self.dropped
            logger.warning("refused %s: it resolves to a %s address", self.host, self.dropped)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """Scrapy's DNS resolver for linkwatch: applies `resolve` overrides, then the SSRF guard."""

    def __init__(self, reactor: Any, allow_private: bool, overrides: dict[str, str]) -> None:
        self.reactor = reactor
        self.original = reactor.nameResolver
        self.allow_private = allow_private
        self.overrides = {k.lower(): v for k, v in overrides.items()}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        settings = crawler.settings
        return cls(reactor, settings.getbool("LINKWATCH_ALLOW_PRIVATE"), settings.getdict("LINKWATCH_RESOLVE"))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver: Any, hostName: str | bytes, portNumber: int = 0,
                        addressTypes: Any = None, transportSemantics: str = "TCP") -> Any:
        host = (hostName.decode("ascii") if isinstance(hostName, bytes) else hostName).lower().rstrip(".")
        override = self.overrides.get(host)
        if override is not None:
            return self._answer(resolutionReceiver, host, override, portNumber)
        receiver = resolutionReceiver if self.allow_private else _FilteringReceiver(resolutionReceiver, host)
        return self.original.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)

    def _answer(self, receiver: Any, host: str, ip: str, port: int) -> Any:
        resolution = _Resolution(host)
        receiver.resolutionBegan(resolution)
        reason = None if self.allow_private else non_public_reason(ip)
        if reason is None:
            receiver.addressResolved(_address(ip, port))
        else:
            BLOCKED_HOSTS[host] = reason
        receiver.resolutionComplete()
        return resolution


class SsrfMiddleware:
    """Downloader middleware: refuses IP-literal hosts and `resolve`d hosts that are not public.

    Names are checked by GuardedResolver at connection time; this catches what never
    reaches a resolver, and gives every refusal the same exception.
    """

    def __init__(self, allow_private: bool, overrides: dict[str, str]) -> None:
        self.allow_private = allow_private
        self.overrides = {k.lower(): v for k, v in overrides.items()}

    @classmethod
    def from_crawler(cls, crawler: Any) -> SsrfMiddleware:
        settings = crawler.settings
        return cls(settings.getbool("LINKWATCH_ALLOW_PRIVATE"), settings.getdict("LINKWATCH_RESOLVE"))

    def process_request(self, request: Any) -> None:
        host = host_of(request.url)
        if host in BLOCKED_HOSTS:
            raise SsrfBlocked(blocked_message(host, BLOCKED_HOSTS[host]))
        if self.allow_private:
            return
        address = self.overrides.get(host) or (host.strip("[]") if is_ip_literal(host.strip("[]")) else None)
        if address is None:
            return
        reason = non_public_reason(address)
        if reason is not None:
            BLOCKED_HOSTS[host] = reason
            raise SsrfBlocked(blocked_message(host, reason))
