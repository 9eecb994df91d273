"""The crawl flags shared by `run`, `serve` and `worker` (--concurrency, --per-domain, --delay, --render).

They override the crawl settings of the same names; `crawl_settings` validates them (one-line errors).
"""

from __future__ import annotations

import argparse

from monitor.cli.common import CliError, settings_from
from monitor.config import Settings
from monitor.core.types import RenderMode


def add_crawl_flags(parser: argparse.ArgumentParser) -> None:
    """The crawl flags shared by `run` and `serve` (they override the settings)."""
    parser.add_argument("--concurrency", type=int, metavar="N", help="requests in flight overall")
    parser.add_argument("--per-domain", type=int, metavar="N", help="requests in flight per referring domain")
    parser.add_argument("--delay", type=float, metavar="SECONDS",
                        help="delay between requests to one referring domain")
    parser.add_argument("--render", choices=[m.value for m in RenderMode],
                        help="render pages in Chromium: auto (when the static HTML lacks a followed link), "
                        "never or always")


def crawl_settings(args: argparse.Namespace) -> Settings:
    """The settings with the crawl flags applied (validated here: one-line errors)."""
    for flag, value, minimum in (("--concurrency", args.concurrency, 1), ("--per-domain", args.per_domain, 1),
                                 ("--limit", getattr(args, "limit", None), 1)):
        if value is not None and value < minimum:
            raise CliError(f"{flag}: must be at least {minimum}")
    if args.delay is not None and args.delay < 0:
        raise CliError("--delay: must not be negative")
    return settings_from(args).with_overrides(
        concurrency=args.concurrency, per_domain=args.per_domain, delay=args.delay,
        render=RenderMode(args.render) if args.render else None)
