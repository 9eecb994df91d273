"""POSTing JSON over HTTP(S) with urllib, and sorting the failures into the `alerts.errors` tree.

Redirects are not followed (a webhook URL that redirects is a configuration error).
A failure while connecting or sending is retried safely; a timeout while waiting
for the reply is retried too but marked `possibly_delivered`.

Reads no settings: the URL and the timeout are given.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import ssl
import time
import urllib.error
import urllib.request
from typing import Any

from alerts.errors import PermanentDeliveryError, TransientDeliveryError

logger = logging.getLogger(__name__)
USER_AGENT = "linkwatch-alerts"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_NoRedirect)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def _http_error(exc: urllib.error.HTTPError, channel: str) -> Exception:
    body = ""
    try:
        body = exc.read(300).decode("utf-8", "replace").strip()
    except Exception:  # the body is only decoration for the message
        pass
    reason = f"HTTP {exc.code}" + (f": {body}" if body else "")
    if exc.code == 429 or exc.code == 408 or exc.code >= 500:
        return TransientDeliveryError(reason, channel, retry_after=_retry_after(exc.headers.get("Retry-After")))
    if 300 <= exc.code < 400:
        location = exc.headers.get("Location", "")
        return PermanentDeliveryError(f"HTTP {exc.code} redirect to {location[:200]}; configure the final URL",
                                      channel)
    return PermanentDeliveryError(reason, channel)


def _url_error(exc: urllib.error.URLError, channel: str) -> Exception:
    reason = exc.reason
    if isinstance(reason, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(f"TLS certificate does not verify: {reason.verify_message}", channel)
    text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
    if isinstance(reason, TimeoutError):
        text = "timed out connecting"
    return TransientDeliveryError(f"cannot connect: {text}", channel)


def post_json(url: str, payload: Any, timeout: float, channel: str,
              headers: dict[str, str] | None = None) -> str:
    """POST `payload` as JSON; return the reply body. Raises a DeliveryError subclass on failure."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise _http_error(exc, channel) from None
    except urllib.error.URLError as exc:  # connecting or sending: the request did not arrive
        raise _url_error(exc, channel) from None
    except (TimeoutError, http.client.HTTPException, ConnectionError) as exc:  # waiting for the reply
        text = "timed out waiting for the reply" if isinstance(exc, TimeoutError) else f"reply lost: {exc!r}"
        raise TransientDeliveryError(text, channel, possibly_delivered=True) from None
    except ValueError as exc:  # unknown URL type and the like
        raise PermanentDeliveryError(f"bad URL: {exc}", channel) from None
