"""Target parsing and matching, source_key and normalize_url (monitor.core.targets): tables and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.targets import Target, normalize_url, parse_target, source_key
from monitor.core.types import TargetKind

PARSE_CASES = [
    # text, kind, host
    ("example.com", TargetKind.DOMAIN, "example.com"),
    ("  Example.COM  ", TargetKind.DOMAIN, "example.com"),
    ("www.example.com", TargetKind.DOMAIN, "example.com"),
    ("WWW.shop.example.com", TargetKind.DOMAIN, "shop.example.com"),
    ("example.com/", TargetKind.DOMAIN, "example.com"),
    ("example.com.", TargetKind.DOMAIN, "example.com"),
    ("Bücher.example", TargetKind.DOMAIN, "xn--bcher-kva.example"),
    ("xn--bcher-kva.example", TargetKind.DOMAIN, "xn--bcher-kva.example"),
    ("ＥＸＡＭＰＬＥ.com", TargetKind.DOMAIN, "example.com"),  # fullwidth letters map under IDNA
    ("127.0.0.1", TargetKind.DOMAIN, "127.0.0.1"),
    ("localhost", TargetKind.DOMAIN, "localhost"),
    ("https://example.com/pricing", TargetKind.URL, "example.com"),
    ("HTTP://WWW.Example.com/Pricing?x=1", TargetKind.URL, "example.com"),
    ("https://example.com", TargetKind.URL, "example.com"),
    ("example.com/pricing", TargetKind.URL, "example.com"),
    ("example.com?ref=1", TargetKind.URL, "example.com"),
    ("https://bücher.example/x", TargetKind.URL, "xn--bcher-kva.example"),
]


@pytest.mark.parametrize(("text", "kind", "host"), PARSE_CASES)
def test_parse_target(text: str, kind: TargetKind, host: str) -> None:
    target = parse_target(text)
    assert (target.raw, target.kind, target.host) == (text, kind, host)


BAD_TARGETS = [
    "",
    "   ",
    "foo",
    "a b.com",
    "ftp://example.com/",
    "mailto:me@example.com",
    "javascript:alert(1)",
    "data:text/html,hi",
    "http://[",
    "http://",
    "https://user:pw@example.com/",
    "example.com:8080",
    "..com",
    "exa mple.com",
]


@pytest.mark.parametrize("text", BAD_TARGETS)
def test_parse_target_rejects_with_one_line_message(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_target(text)
    message = str(raised.value)
    assert message and "\n" not in message


DOMAIN_CASES = [
    # target, href, matches
    ("example.com", "http://example.com/", True),
    ("example.com", "https://example.com/a?b#c", True),
    ("example.com", "https://www.example.com/", True),
    ("example.com", "https://blog.shop.example.com/x", True),
    ("example.com", "HTTPS://EXAMPLE.COM/", True),
    ("example.com", "https://example.com.:8443/", True),
    ("www.example.com", "https://example.com/", True),
    ("www.example.com", "https://sub.example.com/", True),
    ("example.com", "https://notexample.com/", False),
    ("example.com", "https://example.com.evil.net/", False),
    ("example.com", "https://evil.net/?u=example.com", False),
    ("example.com", "https://example.co/", False),
    ("example.com", "ftp://example.com/", False),
    ("example.com", "mailto:me@example.com", False),
    ("example.com", "javascript:'example.com'", False),
    ("sub.example.com", "https://example.com/", False),
    ("sub.example.com", "https://a.sub.example.com/", True),
    ("bücher.example", "https://BÜCHER.example/", True),
    ("bücher.example", "https://xn--bcher-kva.example/", True),
    ("bücher.example", "https://shop.bücher.example/", True),
    ("xn--bcher-kva.example", "http://bücher.example", True),
    ("example.com", "http://ex%61mple.com/", True),  # the URL parser decodes %-escapes in hosts
    ("example.com", "http://[", False),
    ("127.0.0.1", "http://127.0.0.1:8000/x", True),
    ("127.0.0.1", "http://2130706433/", True),  # IPv4 number form
]


@pytest.mark.parametrize(("target", "href", "expected"), DOMAIN_CASES)
def test_domain_target_matching(target: str, href: str, expected: bool) -> None:
    assert parse_target(target).matches(href) is expected


URL_CASES = [
    ("https://example.com/pricing", "https://example.com/pricing", True),
    ("https://example.com/pricing", "http://example.com/pricing", True),  # scheme does not matter
    ("https://example.com/pricing", "https://www.example.com/pricing", True),
    ("https://www.example.com/pricing", "https://example.com/pricing", True),
    ("https://example.com/pricing", "https://example.com/pricing/", True),  # trailing slash
    ("https://example.com/pricing/", "https://example.com/pricing", True),
    ("https://example.com/pricing", "https://example.com/pricing#plans", True),  # fragment
    ("https://example.com/pricing", "https://example.com/pricing?utm_source=x&UTM_Medium=y", True),
    ("https://example.com/pricing?utm_campaign=a", "https://example.com/pricing", True),
    ("https://example.com/pricing", "https://example.com:443/pricing", True),  # default port
    ("https://example.com/pricing", "https://EXAMPLE.com/pricing", True),
    ("https://example.com/pricing", "https://example.com/Pricing", False),  # path is case-sensitive
    ("https://example.com/pricing", "https://example.com/pricing/annual", False),
    ("https://example.com/pricing", "https://shop.example.com/pricing", False),  # not subdomains
    ("https://example.com/pricing", "https://example.com/pricing?plan=pro", False),  # query matters
    ("https://example.com/p?plan=pro", "https://example.com/p", False),
    ("https://example.com/p?plan=pro", "https://example.com/p?plan=team", False),
    ("https://example.com/p?plan=pro", "https://example.com/p?plan=pro&utm_source=n", True),
    ("https://example.com/p?a=1&b=2", "https://example.com/p?b=2&a=1", True),  # order does not matter
    ("https://example.com/p?a=1&a=2", "https://example.com/p?a=2&a=1", True),
    ("https://example.com/p?a=1&a=2", "https://example.com/p?a=1", False),
    ("https://example.com/p?q=a%20b", "https://example.com/p?q=a+b", True),  # form-decoded values
    ("https://example.com/caf%C3%A9", "https://example.com/café", True),
    ("https://example.com/%7Euser", "https://example.com/~user", True),  # unreserved %-escapes
    ("https://example.com/a%2fb", "https://example.com/a%2Fb", True),
    ("https://example.com/a%2Fb", "https://example.com/a/b", False),
    ("https://example.com/", "https://example.com", True),
    ("https://example.com/", "https://example.com/index.html", False),
    ("https://example.com/pricing", "https://example.com:8443/pricing", False),
    ("http://example.com:8080/x", "http://example.com:8080/x/", True),
    ("example.com/pricing", "https://www.example.com/pricing/", True),
]


@pytest.mark.parametrize(("target", "href", "expected"), URL_CASES)
def test_url_target_matching(target: str, href: str, expected: bool) -> None:
    assert parse_target(target).matches(href) is expected


def test_matches_serialized_agrees_with_matches_on_parser_output() -> None:
    target = parse_target("bücher.example")
    assert target.matches_serialized("https://shop.xn--bcher-kva.example/")
    assert not target.matches_serialized("https://example.org/")


SOURCE_KEYS = [
    ("https://www.example.com/a/b/?q=1#frag", "example.com/a/b?q=1"),
    ("http://example.com/a/b?q=1", "example.com/a/b?q=1"),
    ("http://example.com:80/", "example.com"),
    ("https://example.com:443", "example.com"),
    ("https://example.com:80/", "example.com:80"),
    ("HTTP://WWW.EXAMPLE.COM/Path/", "example.com/Path"),
    ("https://www.bücher.example/x", "xn--bcher-kva.example/x"),
    ("https://blog.example.com/", "blog.example.com"),
]


@pytest.mark.parametrize(("url", "key"), SOURCE_KEYS)
def test_source_key(url: str, key: str) -> None:
    assert source_key(url) == key


@pytest.mark.parametrize("url", ["", "/relative", "ftp://example.com/", "http://["])
def test_source_key_refuses_non_http_urls(url: str) -> None:
    with pytest.raises(ValueError):
        source_key(url)


NORMALIZE = [
    ("HTTP://Example.COM", "http://example.com/"),
    ("https://example.com/a b?c d#e f", "https://example.com/a%20b?c%20d#e%20f"),
    ("https://example.com/a/../b/./c", "https://example.com/b/c"),
    ("  https://example.com/\t\n ", "https://example.com/"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("https://example.com:443/", "https://example.com/"),
    ("http://[", None),
    ("/relative", None),
    ("ftp://example.com/", None),
    ("mailto:a@example.com", None),
    ("", None),
]


@pytest.mark.parametrize(("url", "expected"), NORMALIZE)
def test_normalize_url(url: str, expected: str | None) -> None:
    assert normalize_url(url) == expected


# --- properties -------------------------------------------------------------------------------------------------

_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10).filter(
    lambda label: not label.isdigit() and label != "www"
)
_domain = st.lists(_label, min_size=2, max_size=4).map(".".join)
_segment = st.text(alphabet="abcdefghijABCDEFGHIJ0123456789-_.~", min_size=1, max_size=8).filter(
    lambda seg: seg not in (".", "..")
)
_path = st.lists(_segment, max_size=4).map(lambda segs: "/" + "/".join(segs))
_param = st.tuples(
    st.text(alphabet="abcdefxyz", min_size=1, max_size=5).filter(lambda n: not n.startswith("utm_")),
    st.text(alphabet="abc123", max_size=5),
)
_params = st.lists(_param, max_size=4, unique_by=lambda p: p[0])
FAST = settings(max_examples=60, deadline=None)


def _query(params: list[tuple[str, str]]) -> str:
    return "&".join(f"{name}={value}" for name, value in params)


@FAST
@given(domain=_domain, sub=st.sampled_from(["", "www.", "a.", "x.y."]), scheme=st.sampled_from(["http", "https"]))
def test_domain_target_matches_its_subdomains_only(domain: str, sub: str, scheme: str) -> None:
    target = parse_target(domain)
    assert target.matches(f"{scheme}://{sub}{domain.upper()}/page")
    assert not target.matches(f"{scheme}://x{domain}/")
    assert not target.matches(f"{scheme}://{domain}.x{domain}/")


@FAST
@given(
    domain=_domain,
    path=_path,
    params=_params,
    www=st.booleans(),
    slash=st.booleans(),
    fragment=st.booleans(),
    utm=st.booleans(),
    reverse=st.booleans(),
    scheme=st.sampled_from(["http", "https"]),
)
def test_url_target_ignores_what_does_not_matter(
    domain: str,
    path: str,
    params: list[tuple[str, str]],
    www: bool,
    slash: bool,
    fragment: bool,
    utm: bool,
    reverse: bool,
    scheme: str,
) -> None:
    target = parse_target(f"https://{domain}{path}" + (f"?{_query(params)}" if params else ""))
    link_params = list(reversed(params)) if reverse else list(params)
    if utm:
        link_params.insert(len(link_params) // 2, ("utm_source", "news"))
    link_path = path + "/" if slash and not path.endswith("/") else path
    href = f"{scheme}://{'www.' if www else ''}{domain}{link_path}"
    href += f"?{_query(link_params)}" if link_params else ""
    href += "#section" if fragment else ""
    assert target.matches(href), (target, href)


@FAST
@given(domain=_domain, path=_path.filter(lambda p: p.lower() != p.upper()), params=_params)
def test_url_target_path_case_and_query_matter(domain: str, path: str, params: list[tuple[str, str]]) -> None:
    query = f"?{_query(params)}" if params else ""
    target = parse_target(f"https://{domain}{path}{query}")
    assert not target.matches(f"https://{domain}{path.swapcase()}{query}")
    extra = "&" if params else "?"
    assert not target.matches(f"https://{domain}{path}{query}{extra}zz=1")


@FAST
@given(url=st.text(max_size=40).map(lambda tail: "http://example.com/" + tail))
def test_normalize_url_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    if once is not None:
        assert normalize_url(once) == once


@FAST
@given(domain=_domain, path=_path, www=st.booleans(), scheme=st.sampled_from(["http", "https"]), slash=st.booleans())
def test_source_key_is_the_same_across_scheme_www_and_slash(
    domain: str, path: str, www: bool, scheme: str, slash: bool
) -> None:
    base = source_key(f"https://{domain}{path}")
    variant = f"{scheme}://{'www.' if www else ''}{domain}{path}{'/' if slash else ''}#frag"
    assert source_key(variant) == base


def test_target_is_hashable_and_frozen() -> None:
    target = parse_target("example.com")
    assert target == parse_target("example.com")
    assert {target: 1}[parse_target("example.com")] == 1
    with pytest.raises(AttributeError):
        target.raw = "x"  # type: ignore[misc]
    assert isinstance(target, Target)
