"""`linkwatch check`: fetch referring pages now and say which links on them point at the targets.

    linkwatch check URL [URL ...] --target TARGET [--target TARGET ...]
                    [--render auto|never|always] [--timeout SECONDS] [--max-bytes N] [--json]

The pages are fetched by the crawler in a child process (monitor.crawl.child); the
verdict per page is monitor.core.verdict's.  With `--json`, one JSON object per URL per
line, in the order the URLs were given (docs/check.md is the contract); otherwise a
table.  Exit status 0 whenever verdicts were produced, whatever their states; 2 with
a one-line message on bad arguments.

Settings read: through monitor.config (timeout, max_bytes, render, the crawl settings,
allow_private, resolve); the flags override them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

import ada_url

from monitor.cli.common import CliError, positive_int, print_table, settings_from
from monitor.core.targets import Target, parse_target
from monitor.core.types import CheckState, FetchStatus, PageJob, PageObservation, RenderMode, Verdict
from monitor.core.verdict import unverified_static_miss, verdict_for
from monitor.crawl.child import crawl

logger = logging.getLogger(__name__)

TABLE_COLUMNS = ("url", "state", "http", "links", "followed", "rendered", "detail")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="check referring pages now for links to your targets",
        description="Fetch each URL (robots.txt obeyed, SSRF-guarded) and report the links on it that point "
        "at the targets: rel, anchor text, whether they are followed, and the page's state "
        "(live, nofollow, lost, gone, blocked, error). Exit status 0 whenever verdicts were produced.")
    parser.add_argument("urls", nargs="+", metavar="URL", help="referring page (absolute http or https URL)")
    parser.add_argument("--target", action="append", required=True, metavar="TARGET",
                        help="a bare domain (example.com: any page of it or its subdomains) or an absolute URL "
                        "(one page); repeat for several")
    parser.add_argument("--render", choices=[m.value for m in RenderMode], default=None,
                        help="auto (default): render with Chromium only pages fetched fine whose HTML has no "
                        "followed link to a target; never; always")
    parser.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                        help="time allowed per page for robots.txt, redirects and body together (default 30)")
    parser.add_argument("--max-bytes", type=positive_int, metavar="N",
                        help="largest page accepted, counted after decompression (default 10485760)")
    parser.add_argument("--json", action="store_true", help="one JSON object per URL per line")
    parser.set_defaults(func=run)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def checked_url(text: str) -> str:
    """The URL as given, if it is an absolute http(s) URL with a host; else CliError."""
    try:
        url = ada_url.URL(text)
    except ValueError:
        raise CliError(f"bad URL {text!r}: not an absolute URL") from None
    if url.protocol not in ("http:", "https:") or not url.hostname:
        raise CliError(f"bad URL {text!r}: only http and https URLs with a host can be checked")
    return text


def checked_targets(texts: Sequence[str]) -> list[Target]:
    targets = []
    for text in texts:
        try:
            targets.append(parse_target(text))
        except ValueError as exc:
            raise CliError(f"bad target {text!r}: {exc}") from None
    return targets


def page_verdict(observation: PageObservation, targets: Sequence[Target]) -> Verdict:
    """One verdict for a page over all targets: live if any link to any target is followed."""
    first = verdict_for(observation, targets[0])
    if observation.fetch is not FetchStatus.OK or len(targets) == 1:
        return first
    raws = {t.raw for t in targets}
    links = tuple(link for link in observation.links if link.target in raws)
    state = CheckState.NOFOLLOW if links else CheckState.LOST
    if any(link.follow for link in links):
        state = CheckState.LIVE
    return Verdict(first.url, first.final_url, first.http_status, state, first.directives, links,
                   first.rendered, None)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    urls = [checked_url(u) for u in args.urls]
    targets = checked_targets(args.target)
    settings = settings.with_overrides(timeout=args.timeout, max_bytes=args.max_bytes)
    render = RenderMode(args.render) if args.render else settings.render
    jobs = [PageJob(url=u, targets=tuple(t.raw for t in targets), render=render) for u in urls]
    with_target = len(targets) > 1
    slots: dict[str, list[int]] = {}
    for index, url in enumerate(urls):
        slots.setdefault(url, []).append(index)
    ready: dict[int, Verdict] = {}
    done = 0
    rows: list[dict[str, Any]] = []
    for observation in crawl(settings, jobs):
        if not slots.get(observation.url):
            logger.warning("unexpected observation for %s", observation.url)
            continue
        verdict = unverified_static_miss(page_verdict(observation, targets), observation, render)
        ready[slots[observation.url].pop(0)] = verdict
        while done in ready:
            verdict = ready.pop(done)
            done += 1
            if args.json:
                sys.stdout.write(json.dumps(verdict.to_json(with_target), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                rows.append(_row(verdict))
    if not args.json:
        print_table(rows, TABLE_COLUMNS, max_width=70)
    return 0


def _row(verdict: Verdict) -> dict[str, Any]:
    followed = sum(1 for link in verdict.links if link.follow)
    detail = verdict.error or ""
    if not detail and verdict.final_url != verdict.url:
        detail = f"-> {verdict.final_url}"
    flags = [name for name, on in (("noindex", verdict.directives.noindex),
                                   ("page-nofollow", verdict.directives.nofollow),
                                   ("blocked for Google", verdict.googlebot_allowed is False)) if on]
    if flags:
        detail = " ".join([*flags, detail]).strip()
    return {"url": verdict.url, "state": str(verdict.state), "http": verdict.http_status,
            "links": len(verdict.links), "followed": followed, "rendered": "yes" if verdict.rendered else "",
            "detail": detail}
