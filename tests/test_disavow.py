"""The Google disavow file format: building within limits, checking with line numbers."""

from __future__ import annotations

import pytest

from monitor.core.disavow import MAX_BYTES, MAX_LINES, DisavowError, Entry, build_disavow, check_disavow, parse_entry


def test_parse_entry_kinds():
    assert parse_entry("domain:Spam.Example") == Entry("domain", "spam.example")
    assert parse_entry("spam.example.") == Entry("domain", "spam.example")
    assert parse_entry("https://spam.example/a?b=1") == Entry("url", "https://spam.example/a?b=1")
    assert parse_entry("domain:bücher.example").value == "bücher.example"
    for bad in ("domain:spam.example/page", "domain:https://spam.example", "domain:", "ftp://x.example/",
                "https://x.example/a b", "https://x.example/" + "a" * 2040, "not a domain"):
        with pytest.raises(DisavowError):
            parse_entry(bad)


def test_build_orders_domains_first_with_comment_lines():
    text = build_disavow([Entry("url", "https://b.example/p", "paid\nlink"), Entry("domain", "a.example")],
                         header=["for acme.com"])
    assert text == "# for acme.com\ndomain:a.example\n# paid\n# link\nhttps://b.example/p\n"
    assert check_disavow(text.encode()) == []


def test_build_refuses_over_the_line_limit():
    entries = [Entry("domain", f"{n}.io") for n in range(MAX_LINES)]
    build_disavow(entries)  # exactly 100,000 lines is fine
    with pytest.raises(DisavowError, match="100,000"):
        build_disavow(entries, header=["one more line"])


def test_build_refuses_over_two_megabytes():
    url = "https://x.example/" + "p" * 2000
    entries = [Entry("url", f"{url}{n}") for n in range(MAX_BYTES // 2000 + 1)]
    with pytest.raises(DisavowError, match="2 MB"):
        build_disavow(entries)


def test_check_reports_each_problem_with_its_line():
    data = "\n".join(["# comment", "", "domain:ok.example", "domain:bad.example/path", "bare.example",
                      "https://ok.example/p # trailing", "https://" + "a" * 2050 + ".example/"]).encode()
    problems = check_disavow(data)
    assert [p.line for p in problems] == [4, 5, 6, 7]
    assert "without scheme, path or port" in problems[0].message
    assert "domain: prefix" in problems[1].message
    assert "own line" in problems[2].message
    assert "2048" in problems[3].message


def test_check_encoding_and_limits():
    assert [p.line for p in check_disavow(b"domain:a.example\nhttps://x.example/\xff\n")] == [2]
    assert check_disavow(b"\xef\xbb\xbfdomain:a.example\n") == []  # a UTF-8 BOM is fine
    too_many = ("#\n" * (MAX_LINES + 1)).encode()
    assert any("lines" in p.message and p.line == 0 for p in check_disavow(too_many))
    too_big = (("#" + "x" * 1000 + "\n") * 2100).encode()
    assert any("2 MB" in p.message for p in check_disavow(too_big))
