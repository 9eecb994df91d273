"""Turns a failed download into data: the FetchStatus and the short `error` reason.

Every exception the Scrapy side can raise for a request ends here, so a failure is
never lost and never called "lost".

Reads no settings.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import defer
from twisted.internet import error as net_error
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler.errors import DeadlineExceeded, RedirectLoop, RobotsBlocked, SsrfBlocked, TooManyRedirects
from crawler.ssrf import BLOCKED_HOSTS, blocked_message, host_of
from monitor.core.types import FetchStatus

logger = logging.getLogger(__name__)

_TIMEOUTS = (DeadlineExceeded, DownloadTimeoutError, net_error.TimeoutError, net_error.TCPTimedOutError)
_TOO_LARGE = (DownloadCancelledError, defer.CancelledError)


def failure_outcome(exc: BaseException, url: str, max_bytes: int) -> tuple[FetchStatus, str]:
    """(status, reason) for an exception that ended the download of `url`."""
    host = host_of(url)
    if isinstance(exc, RobotsBlocked):
        return exc.fetch, str(exc)
    if isinstance(exc, SsrfBlocked):
        return FetchStatus.BLOCKED, str(exc)
    if host in BLOCKED_HOSTS:
        return FetchStatus.BLOCKED, blocked_message(host, BLOCKED_HOSTS[host])
    if isinstance(exc, _TIMEOUTS):
        return FetchStatus.ERROR, "timeout"
    if isinstance(exc, RedirectLoop | TooManyRedirects):
        return FetchStatus.ERROR, str(exc)
    if isinstance(exc, _TOO_LARGE) or (isinstance(exc, IgnoreRequest) and "MAXSIZE" in str(exc)):
        return FetchStatus.ERROR, f"too large (more than {max_bytes} bytes)"
    if isinstance(exc, CannotResolveHostError | net_error.DNSLookupError):
        return FetchStatus.ERROR, f"dns failure: cannot resolve {host}"
    if isinstance(exc, DownloadConnectionRefusedError | net_error.ConnectionRefusedError):
        return FetchStatus.ERROR, "connection refused"
    if isinstance(exc, ResponseNeverReceived | ResponseFailed | ResponseDataLossError | net_error.ConnectionLost):
        return FetchStatus.ERROR, _wrapped_reason(exc)
    if isinstance(exc, net_error.ConnectError):
        return FetchStatus.ERROR, f"connection failed: {exc.__class__.__name__}"
    if isinstance(exc, IgnoreRequest):
        return FetchStatus.ERROR, str(exc) or "request refused"
    logger.debug("unclassified failure for %s: %r", url, exc)
    return FetchStatus.ERROR, f"{exc.__class__.__name__}: {str(exc)[:120]}".rstrip(": ")


def _wrapped_reason(exc: BaseException) -> str:
    reasons = getattr(exc, "reasons", None) or []
    for failure in reasons:
        inner = getattr(failure, "value", None)
        if isinstance(inner, defer.CancelledError | net_error.TimeoutError):
            return "timeout"
        if inner is not None and "SSL" in inner.__class__.__name__ + str(inner):
            return "tls error"
    if isinstance(exc, ResponseNeverReceived):
        return "connection closed before a response"
    return "connection lost while reading the response"
