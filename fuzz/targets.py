"""Fuzz target: target parsing, URL normalisation and matching, with their invariants as properties."""

from __future__ import annotations

import atheris

with atheris.instrument_imports():
    from monitor.core.targets import normalize_url, parse_target, source_key


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 200))
    href = fdp.ConsumeUnicodeNoSurrogates(200)
    normal = normalize_url(href)
    if normal is not None:
        assert normalize_url(normal) == normal, (href, normal)
        source_key(normal)  # any http(s) URL has a source key
    try:
        target = parse_target(text)
    except ValueError as exc:
        assert "\n" not in str(exc)  # one line for the user
        return
    assert target.matches(href) == (normal is not None and target.matches_serialized(normal)), (text, href)
    is_ip = target.host.startswith("[") or target.host.replace(".", "").isdigit()  # "0" is the IP 0.0.0.0
    if target.kind == "domain" and not is_ip:
        assert target.matches(f"https://{target.host}/"), text
        assert target.matches(f"http://www.{target.host}/x"), text


if __name__ == "__main__":
    from fuzz.harness import run

    run(one_input)
