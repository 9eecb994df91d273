"""Monitored sites: which site a target belongs to, created on first use.

A backlink's site is the monitored site its target points into: a site named in
the config (`[[site]]`, longest match on the target's host) or else the
registrable domain of the target's host.  Whether a site is a competitor's
comes from the config too.

Reads `Settings.sites` (passed in by the caller).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import SiteConfig
from monitor.core.hosts import bare_host, registrable_domain
from monitor.store.models import Site

logger = logging.getLogger(__name__)


def site_domain_for_host(host: str, sites: Sequence[SiteConfig] = ()) -> str:
    """The monitored site a host belongs to: a configured site covering it, else its registrable domain."""
    host = bare_host(host)
    covering = [s.domain for s in sites if host == s.domain or host.endswith("." + s.domain)]
    if covering:
        return max(covering, key=len)
    return registrable_domain(host)


class SiteResolver:
    """Gets or creates `sites` rows by domain within one session, remembering their ids."""

    def __init__(self, session: Session, sites: Sequence[SiteConfig] = ()) -> None:
        self.session = session
        self.sites = tuple(sites)
        self._ids: dict[str, int] = {}
        self._hosts: dict[str, int] = {}  # host -> site id, for the few target hosts of an import

    def domain_for(self, host: str) -> str:
        return site_domain_for_host(host, self.sites)

    def site_id(self, host: str) -> int:
        """The id of the site that `host` belongs to, creating the row when it is new."""
        found = self._hosts.get(host)
        if found is not None:
            return found
        domain = self.domain_for(host)
        if domain not in self._ids:
            self._ids[domain] = self._get_or_create(domain)
        if len(self._hosts) < 10_000:
            self._hosts[host] = self._ids[domain]
        return self._ids[domain]

    def _get_or_create(self, domain: str) -> int:
        competitor = any(s.domain == domain and s.competitor for s in self.sites)
        site = self.session.scalars(select(Site).where(Site.domain == domain)).first()
        if site is None:
            site = Site(domain=domain, competitor=competitor, created_at=datetime.now(UTC))
            self.session.add(site)
            self.session.flush()
            logger.info("new site %s%s", domain, " (a competitor)" if competitor else "")
        elif site.competitor != competitor and any(s.domain == domain for s in self.sites):
            site.competitor = competitor
        return site.id
