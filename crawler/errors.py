"""Every exception of the crawler, in one place.

Each one refuses or stops a request, so each is a Scrapy `IgnoreRequest`: the spider's errback
turns it into data (crawler.outcome.failure_outcome: a FetchStatus and a one-line reason; a
failure is never a lost link).

    scrapy.exceptions.IgnoreRequest
     └── RequestRefused           linkwatch refused or stopped the request
          ├── SsrfBlocked         a non-public address (crawler.ssrf)                -> blocked
          ├── RobotsBlocked       robots.txt disallows, or is unreadable (crawler.robots)
          │                                                 -> blocked, or error when unreachable
          ├── DeadlineExceeded    the page's --timeout ran out (crawler.limits, crawler.polite)
          │                                                                      -> error "timeout"
          ├── RedirectLoop        a redirect back to a visited URL                   -> error
          └── TooManyRedirects    more than LINKWATCH_MAX_REDIRECTS hops              -> error
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from monitor.core.types import FetchStatus


class RequestRefused(IgnoreRequest):
    """linkwatch itself refused to send a request, or stopped it: the base of the crawler's exceptions."""


class SsrfBlocked(RequestRefused):
    """The request's host is a non-public address and private addresses are not allowed."""


class RobotsBlocked(RequestRefused):
    """robots.txt disallows the page, or could not be read (5xx, unreachable).

    `fetch` is BLOCKED, or ERROR when robots.txt was unreachable at the network level
    (DNS, refused, timeout): the page cannot be fetched either, and that is an error.
    """

    def __init__(self, reason: str, fetch: FetchStatus = FetchStatus.BLOCKED) -> None:
        super().__init__(reason)
        self.fetch = fetch


class DeadlineExceeded(RequestRefused):
    """The page's time budget ran out before this request could be sent."""


class RedirectLoop(RequestRefused):
    """A redirect led back to a URL already visited."""


class TooManyRedirects(RequestRefused):
    """More redirects than allowed."""
