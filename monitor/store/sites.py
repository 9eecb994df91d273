"""Monitored sites: which site a target belongs to, the list of sites with their counts, adding and removing.

A backlink's site is the monitored site its target points into: a site named in the config (`[[site]]`)
or stored (`linkwatch sites add`), longest match on the target's host, else the registrable domain of the
target's host.  A configured site's role (own or competitor) comes from the config and wins over the
stored one whenever the site is used.

Your first `add` or `import` creates your sites (no site of your own is stored or configured yet).  After that a
target outside your sites is most often a typo (`acmeshoes.con`): the resolver still creates its site
in the transaction, remembers it in `new_domains`, and the command rolls back unless it was allowed
(`--new-site`).

Reads `Settings.sites` (passed in by the caller).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from monitor.config import SiteConfig
from monitor.core.hosts import bare_host, registrable_domain
from monitor.store.models import Backlink, LinkRollup, Mention, ReferralTraffic, Site

logger = logging.getLogger(__name__)


def site_domain_for_host(host: str, sites: Sequence[SiteConfig] = (), stored: Sequence[str] = ()) -> str:
    """The monitored site a host belongs to: a configured or stored site covering it, else its registrable
    domain."""
    host = bare_host(host)
    domains = [s.domain for s in sites] + list(stored)
    covering = [d for d in domains if host == d or host.endswith("." + d)]
    if covering:
        return max(covering, key=len)
    return registrable_domain(host)


def closest_site(domain: str, known: Sequence[str]) -> str | None:
    """The known site `domain` most likely misspells (`acmeshoes.con` -> `acmeshoes.com`), if any."""
    found = difflib.get_close_matches(domain, list(known), n=1, cutoff=0.75)
    return found[0] if found else None


def not_a_site(domain: str, known: Sequence[str], allow: str = "add --new-site") -> str:
    """The refusal of a target outside your sites, with the site it most likely misspells; `allow` says how
    to start monitoring it anyway (the CLI's flag, the web's checkbox, the API's field)."""
    guess = closest_site(domain, known)
    hint = f" (did you mean {guess}?)" if guess else ""
    return f"{domain} is not one of your sites{hint}: check the spelling, or {allow} to start monitoring it"


class NotASiteError(ValueError):
    """A target outside your sites, refused inside the transaction (nothing stored): `domain` and the
    known sites, for `not_a_site`'s words."""

    def __init__(self, domain: str, known: Sequence[str]) -> None:
        super().__init__(not_a_site(domain, known))
        self.domain, self.known = domain, list(known)

    def words(self, allow: str) -> str:
        return not_a_site(self.domain, self.known, allow)


class SiteResolver:
    """Gets or creates `sites` rows by domain within one session, remembering their ids and the sites it
    created (`new_domains`)."""

    def __init__(self, session: Session, sites: Sequence[SiteConfig] = ()) -> None:
        self.session = session
        self.sites = tuple(sites)
        rows = session.execute(select(Site.domain, Site.competitor)).all()
        self.stored = tuple(domain for domain, _ in rows)
        #: no site of your own stored or configured yet: the first add or import creates your sites
        self.first_use = all(competitor for _, competitor in rows) and all(s.competitor for s in self.sites)
        self.new_domains: list[str] = []  # sites created that were neither stored nor configured
        self._ids: dict[str, int] = {}
        self._hosts: dict[str, int] = {}  # host -> site id, for the few target hosts of an import

    def domain_for(self, host: str) -> str:
        return site_domain_for_host(host, self.sites, self.stored)

    def known(self) -> list[str]:
        """Every site's domain, stored or configured."""
        return sorted({*self.stored, *(s.domain for s in self.sites)})

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
            if not any(s.domain == domain for s in self.sites):
                self.new_domains.append(domain)
            logger.info("new site %s%s", domain, " (a competitor)" if competitor else "")
        elif site.competitor != competitor and any(s.domain == domain for s in self.sites):
            site.competitor = competitor
        return site.id

    def unexpected_new_sites(self) -> list[str]:
        """The sites created that need `--new-site`: none on first use."""
        return [] if self.first_use else list(self.new_domains)

    def refuse_new_sites(self, allowed: bool) -> None:
        """Raise NotASiteError, inside the transaction so that nothing is stored, when a site was created that
        was not `allowed` (the `add` rule: `--new-site`, the web's checkbox, the API's `new_site`)."""
        new = self.unexpected_new_sites()
        if new and not allowed:
            raise NotASiteError(new[0], self.known())


def site_domains(engine: Engine) -> list[str]:
    """Every stored site's domain, yours first (the web's site selectors)."""
    with Session(engine) as session:
        return list(session.scalars(select(Site.domain).order_by(Site.competitor, Site.domain)))


@dataclass(frozen=True, slots=True)
class SiteSummary:
    """A site as `linkwatch sites` lists it."""

    domain: str
    competitor: bool
    configured: bool  # named by a `[[site]]` of the config file
    stored: bool  # has a row in the database
    backlinks: int = 0
    live_followed: int = 0
    lost: int = 0
    created_at: datetime | None = None

    @property
    def role(self) -> str:
        return "competitor" if self.competitor else "own"

    def to_json(self) -> dict[str, object]:
        return {"domain": self.domain, "role": self.role, "backlinks": self.backlinks,
                "live_followed": self.live_followed, "lost": self.lost, "configured": self.configured,
                "stored": self.stored, "created_at": self.created_at.isoformat() if self.created_at else None}


def site_summaries(engine: Engine, configured: Sequence[SiteConfig] = ()) -> list[SiteSummary]:
    """Every stored or configured site with its counts (from the rollups), yours first, then by domain."""
    with Session(engine) as session:
        rows = session.execute(select(Site.id, Site.domain, Site.competitor, Site.created_at)).all()
        counts: dict[tuple[int, str], int] = {
            (site_id, state): int(links or 0) for site_id, state, links in session.execute(
                select(LinkRollup.site_id, LinkRollup.state, func.sum(LinkRollup.links))
                .group_by(LinkRollup.site_id, LinkRollup.state))}
    config = {s.domain: s for s in configured}
    out = []
    for site_id, domain, competitor, created_at in rows:
        mine = {state: n for (sid, state), n in counts.items() if sid == site_id}
        role = config[domain].competitor if domain in config else bool(competitor)
        out.append(SiteSummary(domain, role, domain in config, True, sum(mine.values()), mine.get("live", 0),
                               mine.get("lost", 0), created_at))
    stored = {row.domain for row in rows}
    out += [SiteSummary(s.domain, s.competitor, True, False) for s in configured if s.domain not in stored]
    return sorted(out, key=lambda s: (s.competitor, s.domain))


class SiteError(ValueError):
    """A site that cannot be added or removed as asked (the message says why, in one line)."""


def normalize_site(text: str) -> str:
    """A site's domain as stored: lower case, without `www.`, a scheme or a path. Raises SiteError."""
    from monitor.store.backlink_input import normalize_target

    value = text.strip()
    try:
        _, host = normalize_target(value)
    except ValueError as exc:
        raise SiteError(str(exc)) from None
    if "/" in value.split("://", 1)[-1].rstrip("/"):
        raise SiteError(f"expected a domain such as example.com, got {text!r}")
    return bare_host(host)


def add_site(session: Session, domain: str, competitor: bool, configured: Sequence[SiteConfig] = ()) -> str:
    """Store a site (or change a stored site's role). Returns `added`, `changed` or `unchanged`."""
    config = next((s for s in configured if s.domain == domain), None)
    if config is not None and config.competitor != competitor:
        role = "a competitor's site" if config.competitor else "your own site"
        raise SiteError(f"{domain} is {role} in the config file ([[site]]): change its role there")
    site = session.scalars(select(Site).where(Site.domain == domain)).first()
    if site is None:
        session.add(Site(domain=domain, competitor=competitor, created_at=datetime.now(UTC)))
        return "added"
    if site.competitor == competitor:
        return "unchanged"
    site.competitor = competitor
    return "changed"


@dataclass(frozen=True, slots=True)
class Removed:
    backlinks: int
    mentions: int
    referrals: int


def stored_of_site(session: Session, domain: str) -> Removed | None:
    """What is stored for a site (None: no such site stored)."""
    site_id = session.scalar(select(Site.id).where(Site.domain == domain))
    if site_id is None:
        return None
    def count(model: type[Backlink] | type[Mention] | type[ReferralTraffic]) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(model.site_id == site_id)) or 0)
    return Removed(count(Backlink), count(Mention), count(ReferralTraffic))


def remove_site(session: Session, domain: str) -> None:
    """Delete a site with everything stored for it (backlinks, their checks and events, rollups, mentions,
    referral traffic, disavow entries: the foreign keys cascade)."""
    session.execute(delete(Site).where(Site.domain == domain))
