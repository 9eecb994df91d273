"""`linkwatch check` run as a process against the local test site (tests/fixtures_site.py).

Cases are batched: each module fixture registers many pages and runs one `linkwatch check`
over all of them, and each test asserts on its page's line.
"""

from __future__ import annotations

import functools
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import brotli
import pytest

from tests.support.cli import check_environment, results_by_url, run_check, run_cli
from tests.support.pages import TestSite, document, link

T = "example.com"
MAX_BYTES = 1_000_000


@functools.cache
def _bomb(encoding: str) -> bytes:
    """A small body that decompresses to 30 times MAX_BYTES."""
    data = document(link()).encode() + b" " * (MAX_BYTES * 30)
    return gzip.compress(data) if encoding == "gzip" else brotli.compress(data, quality=4)


# -- the static batch -------------------------------------------------------------------------------
STATIC: dict[str, dict[str, Any]] = {}  # path -> expected subset


def case(path: str, **expected: Any) -> str:
    STATIC[path] = expected
    return path


def _register_static(site: TestSite) -> None:
    site.set_page(case("/rel/plain", state="live", rels=[[]]), document(link()))
    site.set_page(case("/rel/nofollow", state="nofollow", rels=[["nofollow"]]), document(link(rel="nofollow")))
    site.set_page(case("/rel/sponsored", state="nofollow", rels=[["sponsored"]]), document(link(rel="sponsored")))
    site.set_page(case("/rel/ugc", state="nofollow", rels=[["ugc"]]), document(link(rel="UGC")))
    site.set_page(case("/rel/comma", state="nofollow", rels=[["nofollow", "ugc"]]),
                  document(link(rel="NoFollow,ugc  nofollow")))
    site.set_page(case("/rel/noopener", state="live", rels=[["noopener", "noreferrer"]]),
                  document(link(rel="noopener noreferrer")))
    site.set_page(case("/rel/mixed", state="live", rels=[["nofollow"], []]),
                  document(link(rel="nofollow") + link("https://www.example.com/x")))
    site.set_page(case("/rel/none", state="lost", rels=[]), document(link("https://other.org/")))
    site.set_page(case("/rel/subdomain", state="live", rels=[[]]), document(link("https://blog.example.com/p")))
    site.set_page(case("/meta/nofollow", state="nofollow", nofollow=True, noindex=False),
                  document(link(), '<meta name="robots" content="NOFOLLOW">'))
    site.set_page(case("/meta/googlebot", state="live", noindex=True),
                  document(link(), '<meta name="googlebot" content="noindex">'))
    site.set_page(case("/meta/otherbot", state="live", nofollow=False, noindex=False),
                  document(link(), '<meta name="bingbot" content="noindex, nofollow">'))
    site.set_page(case("/meta/none", state="nofollow", nofollow=True, noindex=True),
                  document(link(), '<meta name="robots" content="none">'))
    site.set_page(case("/meta/canonical", state="live", canonical="https://canonical.example.org/page"),
                  document(link(), '<link rel="canonical" href="https://canonical.example.org/page">'))
    site.set_page(case("/xrt/nofollow", state="nofollow", nofollow=True), document(link()),
                  headers=[("X-Robots-Tag", "nofollow")])
    site.set_page(case("/xrt/googlebot", state="live", noindex=True), document(link()),
                  headers=[("X-Robots-Tag", "googlebot: noindex")])
    site.set_page(case("/xrt/otherbot", state="live", nofollow=False), document(link()),
                  headers=[("X-Robots-Tag", "otherbot: nofollow")])
    site.set_page(case("/xrt/two", state="nofollow", nofollow=True, noindex=True), document(link()),
                  headers=[("X-Robots-Tag", "noindex"), ("X-Robots-Tag", "NOFOLLOW")])
    site.set_page(case("/base", state="live", hrefs=["https://example.com/dir/page"]),
                  document(link("page"), '<base href="https://example.com/dir/">'))
    site.set_page(case("/status/404", state="gone", http_status=404), "gone", status=404)
    site.set_page(case("/status/410", state="gone", http_status=410), "gone", status=410)
    site.set_page(case("/status/403", state="blocked", http_status=403), "no", status=403)
    site.set_page(case("/status/401", state="blocked", http_status=401), "no", status=401)
    site.set_page(case("/status/500", state="error", http_status=500), "oops", status=500)
    site.set_page(case("/status/503", state="error", http_status=503), "later", status=503)
    site.set_page(case("/status/429", state="error", http_status=429, error_has="retry-after: 120"), "slow down",
                  status=429, headers=[("Retry-After", "120")])
    site.set_page(case("/slow", state="error", error_has="timeout"), document(link()), delay=8)
    site.set_page("/redirect/target", document(link()))
    site.set_redirect(case("/redirect/once", state="live", final="/redirect/target", http_status=200),
                      "/redirect/target")
    for hop in range(1, 11):  # /redirect/ten/1 -> ... -> /redirect/ten/10 -> target: 10 redirects
        nxt = f"/redirect/ten/{hop + 1}" if hop < 10 else "/redirect/target"
        site.set_redirect(f"/redirect/ten/{hop}", nxt, status=302)
    case("/redirect/ten/1", state="live", final="/redirect/target")
    site.set_redirect(case("/redirect/eleven", state="error", error_has="more than 10 redirects"),
                      "/redirect/ten/1", status=307)
    site.set_redirect(case("/redirect/loop/a", state="error", error_has="redirect loop"), "/redirect/loop/b")
    site.set_redirect("/redirect/loop/b", "/redirect/loop/a")
    site.set_redirect(case("/redirect/gone", state="gone", http_status=404), "/nowhere")
    site.set_page(case("/charset/bom", state="live", anchors=["Café"]),
                  b"\xef\xbb\xbf" + document(link(text="Café")).encode("utf-8"), content_type="text/html")
    site.set_page(case("/charset/header", state="live", anchors=["Café"]),
                  document(link(text="Café")).encode("cp1252"), content_type="text/html; charset=windows-1252")
    site.set_page(case("/charset/meta", state="live", anchors=["Café"]),
                  document(link(text="Café"), '<meta charset="windows-1252">').encode("cp1252"),
                  content_type="text/html")
    site.set_page(case("/charset/latin1", state="live", anchors=["“quoted”"]),
                  document(link(text="“quoted”")).encode("cp1252"), content_type="text/html; charset=iso-8859-1")
    site.set_page(case("/big", state="error", error_has="too large"), document(link() + "x" * (MAX_BYTES * 2)))
    site.set_raw(case("/bomb/gzip", state="error", error_has="too large"), _bomb("gzip"),
                 headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    site.set_raw(case("/bomb/br", state="error", error_has="too large"), _bomb("br"),
                 headers=[("Content-Type", "text/html"), ("Content-Encoding", "br")])
    site.set_page(case("/gzip", state="live"), document(link()), encoding="gzip")
    site.set_page(case("/brotli", state="live"), document(link()), encoding="br")
    site.set_endless(case("/endless", state="error", error_has="too large"))
    site.set_page(case("/nonhtml/json", state="error", error_has="not html"), '{"a": "https://example.com/"}',
                  content_type="application/json")
    site.set_page(case("/nonhtml/png", state="error", error_has="not html"), b"\x89PNG\r\n\x1a\n", content_type=None)
    site.set_page(case("/sniffed", state="live"), document(link()), content_type=None)
    site.set_page(case("/xhtml", state="live"), document(link()), content_type="application/xhtml+xml")
    site.set_page(case("/challenge/cloudflare", state="blocked", error_has="bot challenge"),
                  document("<div id=cf-chl-widget></div>", "<title>Just a moment...</title>").replace(
                      "<title>t</title>", ""), status=403)
    site.set_page(case("/challenge/header", state="blocked", error_has="cloudflare"), document(link()),
                  headers=[("cf-mitigated", "challenge")])
    site.set_page(case("/challenge/200", state="blocked", error_has="bot challenge"),
                  document('<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>'))
    # A 2xx page that holds the link is the real page, whatever challenge wording it also carries
    # (the body is scanned only when no target link is found).
    site.set_page(case("/challenge/200-linked", state="live"),
                  document(link() + '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>'))


@pytest.fixture(scope="module")
def static_results(shared_site: TestSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    _register_static(shared_site)
    urls = [shared_site.url(path) for path in STATIC]
    proc = run_check([*urls, "--target", T, "--render", "never", "--json", "--timeout", "4",
                      "--max-bytes", str(MAX_BYTES)], tmp_path_factory.mktemp("check"))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["url"] for line in lines] == urls, "one line per URL, in the order given"
    return {path: lines[i] for i, path in enumerate(STATIC)}


def _fill_cases() -> list[str]:
    class _Recorder:
        def __getattr__(self, name: str) -> Any:
            return lambda *a, **k: ""

    _register_static(_Recorder())  # type: ignore[arg-type]
    return list(STATIC)


@pytest.mark.parametrize("path", _fill_cases())
def test_static_case(static_results: dict[str, dict[str, Any]], shared_site: TestSite, path: str) -> None:
    result = static_results[path]
    expected = STATIC[path]
    assert result["state"] == expected["state"], result
    assert set(result) == {"url", "final_url", "http_status", "state", "page", "links", "rendered", "error"}
    assert result["rendered"] is False
    if result["state"] in ("live", "nofollow", "lost"):
        assert result["error"] is None
        assert result["http_status"] == 200
    else:
        assert result["error"] and result["links"] == [], "a page not fetched fine has a reason and no links"
    if "rels" in expected:
        assert [entry["rel"] for entry in result["links"]] == expected["rels"]
    if "hrefs" in expected:
        assert [entry["href"] for entry in result["links"]] == expected["hrefs"]
    if "anchors" in expected:
        assert [entry["anchor"] for entry in result["links"]] == expected["anchors"]
    for key in ("noindex", "nofollow", "canonical"):
        if key in expected:
            assert result["page"][key] == expected[key]
    if "http_status" in expected:
        assert result["http_status"] == expected["http_status"]
    if "error_has" in expected:
        assert expected["error_has"] in (result["error"] or "")
    if "final" in expected:
        assert result["final_url"] == shared_site.url(expected["final"])
    for entry in result["links"]:
        assert set(entry) == {"href", "rel", "anchor", "follow", "context", "position"}
        assert entry["follow"] == (not result["page"]["nofollow"] and not
                                   {"nofollow", "sponsored", "ugc"} & set(entry["rel"]))


# -- robots.txt, several targets, the table ---------------------------------------------------------
def test_robots_txt(site: TestSite, tmp_path: Path) -> None:
    site.set_page("/p/open", document(link()))
    site.set_page("/p/closed", document(link()))
    site.set_page("/lw-only", document(link()))
    site.set_robots("User-agent: *\nDisallow: /p\nAllow: /p/open\n\nUser-agent: linkwatch\nDisallow: /lw-only\n"
                    "Disallow: /p\nAllow: /p/open\n", host="rules.test")
    site.set_robots("User-agent: *\nDisallow: /\n", status=404, host="r404.test")
    site.set_robots("User-agent: *\nAllow: /\n", status=503, host="r503.test")
    hosts = ("rules.test", "r404.test", "r503.test")
    urls = {
        "open": site.url("/p/open", "rules.test"), "closed": site.url("/p/closed", "rules.test"),
        "lw": site.url("/lw-only", "rules.test"), "4xx": site.url("/p/closed", "r404.test"),
        "5xx": site.url("/p/open", "r503.test"),
    }
    proc = run_check([*urls.values(), "--target", T, "--render", "never", "--json"], tmp_path,
                     LINKWATCH_RESOLVE=",".join(f"{h}:127.0.0.1" for h in hosts))
    results = results_by_url(proc)
    assert results[urls["open"]]["state"] == "live", "the longest match (Allow: /p/open) wins"
    assert results[urls["closed"]]["state"] == "blocked"
    assert "robots.txt" in results[urls["closed"]]["error"]
    assert results[urls["lw"]]["state"] == "blocked", "the linkwatch group applies"
    assert results[urls["4xx"]]["state"] == "live", "robots.txt 4xx: everything allowed"
    assert results[urls["5xx"]]["state"] == "blocked", "robots.txt 5xx: everything disallowed"
    robots_fetches = [r for r in site.requests if r[1] == "/robots.txt"]
    assert sorted(robots_fetches) == sorted((h, "/robots.txt") for h in hosts), "once per host"
    assert ("rules.test", "/p/closed") not in site.requests, "a disallowed page is never fetched"


def test_several_targets_and_table(site: TestSite, tmp_path: Path) -> None:
    url = site.set_page("/multi", document(link("https://example.com/a") + link("https://example.org/b", "nofollow")))
    proc = run_check([url, "--target", T, "--target", "https://example.org/b", "--render", "never", "--json"],
                     tmp_path)
    (result,) = results_by_url(proc).values()
    assert result["state"] == "live"
    assert [(entry["target"], entry["follow"]) for entry in result["links"]] == [
        (T, True), ("https://example.org/b", False)]
    table = run_check([url, "--target", T, "--render", "never"], tmp_path)
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split()[:2] == ["URL", "STATE"]
    assert "live" in table.stdout.splitlines()[1]


# -- the SSRF guard ---------------------------------------------------------------------------------
def test_ssrf_guard_blocks_private_addresses(site: TestSite, tmp_path: Path) -> None:
    site.set_page("/inside", document(link()))
    urls = [site.url("/inside"), site.url("/inside", "localhost"), site.url("/inside", "named.test"),
            f"http://[::1]:{site.port}/inside"]
    proc = run_check([*urls, "--target", T, "--render", "never", "--json"], tmp_path,
                     LINKWATCH_ALLOW_PRIVATE="0", LINKWATCH_RESOLVE="named.test:127.0.0.1")
    results = results_by_url(proc)
    for url in urls:
        assert results[url]["state"] == "blocked", url
        assert "ssrf guard" in results[url]["error"]
    assert ("127.0.0.1", "/inside") not in site.requests and not site.requests, "nothing reached the server"


# -- bad arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["not a url", "--target", T],
    ["ftp://example.com/", "--target", T],
    ["https://example.com/", "--target", "not a target!"],
    ["https://example.com/", "--target", T, "--timeout", "soon"],
    ["https://example.com/", "--target", T, "--timeout", "-3"],
    ["https://example.com/", "--target", T, "--max-bytes", "lots"],
    ["https://example.com/", "--target", T, "--render", "sometimes"],
    ["https://example.com/"],
])
def test_bad_arguments_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    proc = run_cli("check", *args, env=check_environment(tmp_path))  # refused before any crawl: in-process
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


# -- rendering with Chromium ------------------------------------------------------------------------
JS_LINK = document('<p>static</p><script>var a = document.createElement("a"); a.href = "https://example.com/js";'
               'a.textContent = "from js"; document.body.appendChild(a);</script>')


@pytest.mark.chromium
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_javascript_inserted_link_needs_rendering(site: TestSite, tmp_path: Path) -> None:
    js = site.set_page("/js", JS_LINK)
    static = site.set_page("/static", document(link()))
    auto = results_by_url(run_check([js, static, "--target", T, "--json"], tmp_path))
    assert auto[js]["state"] == "live" and auto[js]["rendered"] is True
    assert auto[js]["links"] == [{"href": "https://example.com/js", "rel": [], "anchor": "from js", "follow": True,
                                  "context": {"before": "static", "after": ""}, "position": "unknown"}]
    assert auto[static]["rendered"] is False, "auto: a page with a followed link is not rendered"
    never = results_by_url(run_check([js, "--target", T, "--render", "never", "--json"], tmp_path))
    assert never[js]["state"] == "lost" and never[js]["rendered"] is False
    always = results_by_url(run_check([static, "--target", T, "--render", "always", "--json"], tmp_path))
    assert always[static]["state"] == "live" and always[static]["rendered"] is True


def test_browser_unavailable(site: TestSite, tmp_path: Path) -> None:
    js = site.set_page("/js", JS_LINK)
    env = {"LINKWATCH_CHROMIUM_PATH": str(tmp_path / "no-such-chromium")}
    always = results_by_url(run_check([js, "--target", T, "--render", "always", "--json"], tmp_path, **env))
    assert always[js]["state"] == "error" and "browser unavailable" in always[js]["error"]
    auto = results_by_url(run_check([js, "--target", T, "--render", "auto", "--json"], tmp_path, **env))
    assert auto[js]["state"] == "error", "auto: a static miss whose rendering failed proves nothing, never lost"
    assert auto[js]["error"] == "link missing from the static HTML (browser unavailable)"
