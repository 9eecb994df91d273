"""The client report's scenario and measures: the hand-computed profile of tests/fixtures_reports.py (acme.com,
February 2026) plus what a real profile brings (very long URLs, hostile and overlong anchors, a hostile
contact hint, a competitor domain with a long name), a white label with a logo holding a script, and the
JavaScript that measures, in the page, every box whose content does not fit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from monitor.core.changes import no_value_reason
from monitor.store import db
from monitor.store.models import Backlink, Site
from tests.fixtures_reports import add_link, event, seed_profile

HOSTILE_ANCHOR = '<img src=x onerror=alert(1)><script>alert(2)</script>'
LONG_ANCHOR = "Supercalifragilisticexpialidocious" * 8  # 272 characters, no space
LONG_URL = ("https://www.the-very-long-subdomain-of-a-publisher.running-and-trail-magazine.example/2026/02/"
            "an-extremely-long-article-slug-about-running-shoes-and-trail-gear-reviewed-by-our-experts"
            "?utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale-2026")
LONG_DOMAIN_URL = "https://reviews.the-longest-competitor-referring-domain-name-in-the-world.example/best"
AGENCY = "Northwind <SEO> & Partners"
ACCENT = "#8a2be2"
LOGO_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
            '<script>alert("logo")</script><rect width="120" height="40" fill="#8a2be2"/>'
            '<text x="10" y="26" fill="#fff" font-size="16">Northwind</text></svg>')


def seed_client_profile(engine: Engine) -> None:
    """seed_profile, then the long, hostile and competitor rows (all first seen in February 2026)."""
    seed_profile(engine)
    with db.session(engine) as s:
        acme = s.scalars(select(Site).where(Site.domain == "acme.com")).one()
        rival = s.scalars(select(Site).where(Site.domain == "rival.com")).one()
        long_live = add_link(s, acme, LONG_URL, "live", anchor=LONG_ANCHOR, traffic=12400, first_seen="2026-02-03")
        hostile = add_link(s, acme, "https://x.example/hostile", "lost", anchor=HOSTILE_ANCHOR, traffic=900,
                           first_seen="2026-02-04", last_live="2026-02-18",
                           contact_hints=["javascript:alert(3)", "mailto:editor@x.example",
                                          "https://x.example/contact-the-editorial-team-of-x-example"])
        add_link(s, rival, LONG_DOMAIN_URL, "live", anchor="rival", traffic=300)
        s.flush()
        event(s, long_live, "new", "2026-02-03", "unchecked", "live")
        event(s, hostile, "new", "2026-02-04", "unchecked", "live")
        event(s, hostile, "lost", "2026-02-19", "live", "lost")


def seeded_store(folder: Path) -> str:
    """The URL of a new SQLite store in `folder` holding the client profile (seed_client_profile)."""
    url = f"sqlite:///{folder / 'client.db'}"
    engine = db.connect(url)
    seed_client_profile(engine)
    engine.dispose()
    return url


def add_padding_link(engine: Engine, number: int) -> None:
    """One more live link of acme.com (one more row in several tables: every later section moves down)."""
    with db.session(engine) as s:
        acme = s.scalars(select(Site).where(Site.domain == "acme.com")).one()
        add_link(s, acme, f"https://pad{number}.example/page-{number}", "live", anchor=f"padding {number}",
                 traffic=1, first_seen="2026-02-05")


def store_figures(engine: Engine, domain: str = "acme.com") -> dict[str, int]:
    """The summary's figures counted from the backlinks themselves: followed live links passing value, links on
    their pages, referring domains with a link on a page, and the page traffic of the lost or not-followed links
    and of the live links on pages that pass no value (monitor.core.changes.no_value_reason)."""
    with db.session(engine) as s:
        site = s.scalars(select(Site.id).where(Site.domain == domain)).one()
        mine = Backlink.site_id == site
        live = s.execute(select(Backlink.noindex, Backlink.googlebot_allowed, Backlink.canonical,
                                Backlink.source_url, Backlink.final_url, Backlink.page_traffic)
                         .where(mine, Backlink.state == "live")).all()
        no_value = [r for r in live if no_value_reason(r.noindex, r.googlebot_allowed, r.canonical, r.source_url,
                                                       r.final_url)]
        return {
            "followed": len(live) - len(no_value),
            "present": s.scalar(select(func.count()).where(mine, Backlink.state.in_(("live", "nofollow")))) or 0,
            "domains": s.scalar(select(func.count(func.distinct(Backlink.referring_domain)))
                                .where(mine, Backlink.state.in_(("live", "nofollow")))) or 0,
            "at_risk": round((s.scalar(select(func.sum(Backlink.page_traffic))
                                       .where(mine, Backlink.state.in_(("lost", "gone", "nofollow")))) or 0)
                             + sum(r.page_traffic or 0 for r in no_value)),
        }


def white_label_config(folder: Path, database_url: str) -> str:
    """A config file's text: the store, the site's keywords and the agency's white label (logo written here)."""
    logo = folder / "logo.svg"
    logo.write_text(LOGO_SVG)
    agency = AGENCY.replace('"', '\\"')
    return (f'[database]\nurl = "{database_url}"\n[[site]]\ndomain = "acme.com"\nbrand_terms = ["Acme"]\n'
            f'keywords = ["backlink monitor", "link checker"]\n'
            f'[report]\nagency = "{agency}"\nlogo = "{logo}"\naccent = "{ACCENT}"\n')


#: Every box in <main> whose content is wider than the box (and is not meant to scroll), every element drawn
#: beyond the right edge of its section, every SVG text outside its chart's viewBox, and the page's own width.
OVERFLOW_JS = """() => {
  const out = [];
  const name = (e) => e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined ?
      '.' + e.className : '') + ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
  const main = document.querySelector('main');
  for (const e of main.querySelectorAll('*')) {
    if (e instanceof SVGElement || getComputedStyle(e).display === 'inline') continue;
    if (e.scrollWidth > e.clientWidth + 1) {
      out.push('overflows: ' + name(e) + ' ' + e.scrollWidth + '>' + e.clientWidth);
    }
    const box = e.closest('section') || main;
    const r = e.getBoundingClientRect(), b = box.getBoundingClientRect();
    if (r.width > 0 && (r.right > b.right + 1 || r.left < b.left - 1)) out.push('outside its section: ' + name(e));
  }
  for (const t of main.querySelectorAll('svg text')) {
    const svg = t.ownerSVGElement, vb = svg.viewBox.baseVal, bb = t.getBBox();
    if (vb && vb.width && (bb.x < -0.5 || bb.y < -0.5 || bb.x + bb.width > vb.width + 0.5 ||
        bb.y + bb.height > vb.height + 0.5)) out.push('chart label outside its chart: ' + t.textContent);
  }
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('page wider than the window');
  return out;
}"""
