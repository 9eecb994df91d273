"""Recognises bot-challenge and bot-block pages (Cloudflare, DataDome, PerimeterX, Imperva, ...).

Such a response says nothing about the links on the real page, so the spider reports
it as `FetchStatus.BLOCKED` ("bot challenge (cloudflare)"), never as a page without
links.  Detection looks at response headers and the start of the HTML.  Strong
signals (a challenge header, a challenge page's script names) count on any status;
weak ones (a vendor's block-page wording) only on statuses that already mean
"refused" (403, 429, 503).  `challenge_header_vendor(headers)` looks at the headers (cheap);
`challenge_body_vendor(status, body)` scans the body, which the spider does on a 2xx page only
when it holds no link to a target (a challenge page never does).

Reads no settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_SCAN_BYTES = 64 * 1024

#: header name -> (value pattern, vendor); matched on any status.
_STRONG_HEADERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("cf-mitigated", re.compile(r"challenge", re.I), "cloudflare"),
    ("x-vercel-mitigated", re.compile(r"challenge|deny", re.I), "vercel"),
    ("x-amzn-waf-action", re.compile(r"challenge|captcha|block", re.I), "aws waf"),
    ("x-datadome", re.compile(r"protected", re.I), "datadome"),
    ("x-sucuri-block", re.compile(r".+"), "sucuri"),
)

#: body pattern -> vendor; matched on any status.
_STRONG_BODY: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"<title>\s*just a moment\.\.\.\s*</title>", re.I), "cloudflare"),
    (re.compile(rb"_cf_chl_opt|cf-chl-|/cdn-cgi/challenge-platform/h/", re.I), "cloudflare"),
    (re.compile(rb"<title>\s*attention required! \| cloudflare", re.I), "cloudflare"),
    (re.compile(rb"captcha-delivery\.com|geo\.captcha-delivery", re.I), "datadome"),
    (re.compile(rb"_pxCaptcha|px-captcha|perimeterx", re.I), "perimeterx"),
    (re.compile(rb"_Incapsula_Resource|Incapsula incident ID", re.I), "imperva"),
    (re.compile(rb"Sucuri WebSite Firewall", re.I), "sucuri"),
    (re.compile(rb"AwsWafIntegration|awswaf\.com|/challenge\.js", re.I), "aws waf"),
    (re.compile(rb"<title>\s*ddos-guard\s*</title>|ddos-guard\.net/", re.I), "ddos-guard"),
    (re.compile(rb"vercel security checkpoint", re.I), "vercel"),
)

#: body pattern -> vendor; matched only on 403/429/503.
_WEAK_BODY: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"challenge-platform|cf-ray", re.I), "cloudflare"),
    (re.compile(rb"Reference #\d+\.[0-9a-f]+", re.I), "akamai"),
    (re.compile(rb"verify you are (a )?human|are you a robot|captcha", re.I), "captcha"),
)

_REFUSING_STATUSES = frozenset({403, 429, 503})

#: Lower-case literals at least one of which every _STRONG_BODY pattern contains. Case-insensitive
#: regexes over 64 KiB cost ~2 ms each; a substring test of the lower-cased head costs microseconds,
#: so the patterns run only on the rare page that holds one of these (same verdicts, ~100x cheaper).
_STRONG_KEYWORDS: tuple[bytes, ...] = (
    b"just a moment", b"_cf_chl_opt", b"cf-chl-", b"challenge-platform", b"attention required",
    b"captcha-delivery", b"_pxcaptcha", b"px-captcha", b"perimeterx", b"incapsula", b"sucuri website firewall",
    b"awswaf", b"/challenge.js", b"ddos-guard", b"vercel security checkpoint",
)


def challenge_header_vendor(headers: Mapping[str, Sequence[str]]) -> str | None:
    """The vendor whose challenge header the response carries; `headers` maps lowercased names to values."""
    for name, pattern, vendor in _STRONG_HEADERS:
        if any(pattern.search(value) for value in headers.get(name, ())):
            return vendor
    return None


def challenge_body_vendor(status: int, body: bytes) -> str | None:
    """The vendor whose challenge or block page the body's first 64 KiB is, or None."""
    head = body[:_SCAN_BYTES]
    lowered = head.lower()
    if any(keyword in lowered for keyword in _STRONG_KEYWORDS):
        for body_pattern, vendor in _STRONG_BODY:
            if body_pattern.search(head):
                return vendor
    if status in _REFUSING_STATUSES:
        for body_pattern, vendor in _WEAK_BODY:
            if body_pattern.search(head):
                return vendor
    return None
