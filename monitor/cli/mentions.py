"""`linkwatch mentions`: find pages that name your brand without linking to you (unlinked mentions).

    linkwatch mentions --site D [--term T ...] (URL ... | --urls-file F | --sitemap URL |
                        --crawl DOMAIN [--max-pages N]) [--json|--csv]
    linkwatch mentions --site D --list [--json|--csv]

Pages are fetched by the same crawler as `check` (a child process, mode `mentions`:
robots.txt, the SSRF guard, timeouts and limits apply).  Each page whose visible text
names a term without any link to the site is stored (table `mentions`) with the
sentence and the contact hints found on it, and listed.  Terms: `--term`, else the
site's `brand_terms`, else its domain name without the suffix.

Reads Settings.database_url, sites, and the crawl settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.cli.common import CliError, print_table, settings_from, write_csv
from monitor.cli.store_access import open_store
from monitor.core.human import human_number, plural
from monitor.core.mentions import brand_terms

COLUMNS = ("page_url", "term", "sentence", "contact_hints", "found_at")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mentions", help="find pages that mention your brand without linking to you",
        description="Crawl the pages you give (URLs, a file of URLs, a sitemap, or a bounded crawl of one domain) "
        "and store the pages whose visible text names a brand term without linking to the site, with the "
        "sentence and contact hints (mailto: links, contact pages).")
    parser.add_argument("urls", nargs="*", metavar="URL", help="pages to check")
    parser.add_argument("--site", metavar="DOMAIN", required=True, help="your site (links to it cancel a mention)")
    parser.add_argument("--term", action="append", default=[], metavar="T",
                        help="a brand term (repeatable; default: the site's brand_terms)")
    parser.add_argument("--urls-file", metavar="F", help="a file with one URL per line")
    parser.add_argument("--sitemap", metavar="URL", help="check the pages listed in this sitemap")
    parser.add_argument("--crawl", metavar="DOMAIN_OR_URL",
                        help="crawl this domain breadth first from its home page (https://DOMAIN/), or from the "
                        "start URL given, staying within its host's domain")
    parser.add_argument("--max-pages", type=int, default=50, metavar="N",
                        help="at most N pages for --crawl and --sitemap (default: 50)")
    parser.add_argument("--list", action="store_true", help="list the stored mentions without crawling")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per line")
    out.add_argument("--csv", action="store_true", help="CSV (spreadsheet-safe)")
    parser.set_defaults(func=run)


def _start_urls(args: argparse.Namespace) -> tuple[list[str], str | None]:
    sources = sum(bool(x) for x in (args.urls, args.urls_file, args.sitemap, args.crawl))
    if sources != 1:
        raise CliError("give exactly one of: URL ..., --urls-file F, --sitemap URL, --crawl DOMAIN (or --list)")
    if args.max_pages < 1:
        raise CliError("--max-pages: must be at least 1")
    if args.urls_file:
        try:
            lines = Path(args.urls_file).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {args.urls_file}: {getattr(exc, 'strerror', None) or exc}") from None
        urls = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    elif args.sitemap:
        urls = [args.sitemap]
    elif args.crawl:
        return _crawl_start(args.crawl.strip())
    else:
        urls = list(args.urls)
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise CliError(f"not an http(s) URL: {bad[0][:200]!r}")
    return urls, None


def _crawl_start(value: str) -> tuple[list[str], str]:
    """`--crawl blog.example.com` starts at https://blog.example.com/; `--crawl http://host:8080/path`
    starts at that URL. Either way the crawl stays within the host's domain."""
    if value.lower().startswith(("http://", "https://")):
        host = (urlsplit(value).hostname or "").lower()
        if not host:
            raise CliError(f"--crawl: no host in {value!r}")
        return [value], host
    domain = value.lower().strip("/")
    if not domain or "/" in domain or ":" in domain:
        raise CliError(f"--crawl: expected a domain such as blog.example.com or a start URL, got {value!r}")
    return [f"https://{domain}/"], domain


def _summary(result: Any, terms: tuple[str, ...], added: int, stored: int, site: str) -> str:
    """'checked 3 pages for Acme: 2 unlinked mentions on 1 page (2 new)', and how many are listed when
    mentions found by earlier crawls are listed too (the count is of this crawl's page and term pairs)."""
    found = len(result.found)
    pages = len({url for url, _, _, _ in result.found})
    checked = "page" if result.pages == 1 else "pages"
    line = (f"checked {human_number(result.pages)} {checked} for {', '.join(terms)}: "
            f"{plural(found, 'unlinked mention')} on {plural(pages, 'page')} ({human_number(added)} new)")
    if stored != found:
        line += f"; listing all {human_number(stored)} stored for {site}, earlier crawls' included"
    return line + "\n"


def run(args: argparse.Namespace) -> int:
    from monitor.crawl.mentions import find_mentions  # the store: loaded by the command, not by --help
    from monitor.store.mentions import list_mentions, store_mentions

    settings = settings_from(args)
    site = args.site.strip().lower().removeprefix("www.")
    if not site or "/" in site:
        raise CliError(f"--site: expected a domain such as example.com, got {args.site!r}")
    if not args.list:  # bad input stops before the database is opened (or created)
        urls, crawl_domain = _start_urls(args)
        terms = brand_terms(settings, site, args.term)
    engine = open_store(args, create=not args.list)  # --list only reads
    try:
        if not args.list:
            result = find_mentions(settings, site, terms, urls, crawl_domain, args.max_pages)
            added = store_mentions(engine, site, result.found)
            for url, error in result.failed:
                sys.stderr.write(f"could not check {url}: {error}\n")
        rows = list_mentions(engine, site)
        if not args.list:
            sys.stderr.write(_summary(result, terms, added, len(rows), site))
    finally:
        engine.dispose()
    if args.json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif args.csv:
        write_csv(rows, COLUMNS)
    elif rows:
        print_table(rows, COLUMNS)
    else:
        sys.stdout.write("(no unlinked mentions stored)\n")
    return 0
