"""`linkwatch serve [--metrics-addr HOST:PORT] [--poll SECONDS]`: keep checking, serve /metrics and /healthz.

The loop itself is monitor.service.loop.Service: leader lease, a crawl cycle whenever
backlinks are due, the alert dispatcher after each cycle.  SIGTERM or SIGINT stop
it cleanly (exit 0): the running crawl stops gracefully and what it checked is
kept; the rest stays due.

A non-loopback --metrics-addr needs api_token (or allow_unauthenticated): without
it serve refuses to start, with one line.

Reads settings: metrics_addr (LINKWATCH_METRICS_ADDR), api_token, allow_unauthenticated, database_url,
and what a run reads (the crawl flags override concurrency, per_domain, delay, render).
"""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

from monitor.cli.common import CliError
from monitor.cli.crawl_flags import add_crawl_flags, crawl_settings
from monitor.cli.log_setup import announce
from monitor.cli.store_access import open_store
from monitor.config import ConfigError, parse_host_port
from monitor.service import DEFAULT_POLL

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="keep checking due backlinks; serve /metrics and /healthz",
        description="A long-running service: checks backlinks as they become due (one crawl per cycle, "
        "polling the database), sends alerts after each cycle, and serves Prometheus /metrics and a JSON "
        "/healthz. Only one serve per database schedules at a time (a leader lease); others wait as "
        "standby. SIGTERM or SIGINT stop it cleanly.")
    parser.add_argument("--metrics-addr", metavar="HOST:PORT",
                        help="where to serve /metrics and /healthz (default: $LINKWATCH_METRICS_ADDR or the "
                        "config's [serve] metrics_addr, else 127.0.0.1:9477; port 0 picks a free port). A "
                        "non-loopback address needs LINKWATCH_API_TOKEN (or LINKWATCH_ALLOW_UNAUTHENTICATED=1)")
    parser.add_argument("--poll", type=float, default=DEFAULT_POLL, metavar="SECONDS",
                        help=f"how often to look for due backlinks (default {DEFAULT_POLL:g})")
    add_crawl_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.service.loop import Service  # the store: loaded by the command, not by --help
    from monitor.service.metrics import exposure_error

    settings = crawl_settings(args)
    addr = args.metrics_addr or settings.metrics_addr
    try:
        host, _ = parse_host_port(addr, "--metrics-addr")
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    refused = exposure_error(host, settings)
    if refused:
        raise CliError(f"--metrics-addr {addr}: {refused}")
    if args.poll <= 0:
        raise CliError("--poll: must be greater than zero")
    engine = open_store(args)
    service = Service(engine, settings, poll=args.poll)
    from monitor.web.server import start_http  # the web stack loads only for serve

    try:
        http = start_http(service, addr)
    except OSError as exc:
        raise CliError(f"--metrics-addr {addr}: {exc.strerror or exc}") from None

    def on_signal(signum: int, _frame: Any) -> None:
        logger.info("serve: %s received, stopping", signal.Signals(signum).name)
        service.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    address = f"http://{http.host}:{http.port}"
    announce(settings, __name__, f"linkwatch serve: the web interface, /metrics and /healthz on {address}",
             address=address)
    try:
        return service.run()
    finally:
        http.stop()
        engine.dispose()
