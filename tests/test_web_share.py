"""Read-only share links: one site's overview and report, nothing else, refused once tampered with or revoked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_web import Served
from tests.support.web import call, seeded

pytestmark = pytest.mark.chromium

TOKEN = "share-token-51f2"


def share_url(page: Any, served: Served, site: str) -> str:
    page.goto(f"{served.base}/?site={site}")
    return page.get_by_label("Client link (read-only: this site's overview and report)").input_value()


def test_a_share_link_opens_its_site_overview_and_report_only(tmp_path: Path, web_serve: Callable[..., Served],
                                                              web_page: Any) -> None:
    served, _ = seeded(tmp_path, web_serve, LINKWATCH_API_TOKEN=TOKEN)
    page = web_page
    page.goto(served.base + "/login")
    page.get_by_label("Access token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    acme, other = share_url(page, served, "acme.example"), share_url(page, served, "other.example")
    assert acme.startswith(served.base + "/share/") and acme != other
    key = acme.removeprefix(served.base + "/share/").rstrip("/")

    status, _, text = call(served, f"/share/{key}/")  # no cookie, no token: as a client opens it
    assert status == 200 and "<h1>acme.example</h1>" in text and "other.example" not in text
    assert 'href="/links' not in text and "Sign out" not in text, "nothing to act with or to browse"
    status, _, report = call(served, f"/share/{key}/report")
    assert status == 200 and "acme.example" in report and "other.example" not in report

    site_id, generation, mac = key.split("-")
    other_id = other.removeprefix(served.base + "/share/").split("-")[0]
    for wrong in (f"{other_id}-{generation}-{mac}", f"{site_id}-{int(generation) + 1}-{mac}",
                  f"{site_id}-{generation}-{mac[:-1]}{'0' if mac[-1] != '0' else '1'}", f"{site_id}-{generation}",
                  "x-y-z"):
        assert call(served, f"/share/{wrong}/")[0] == 404, wrong
        assert call(served, f"/share/{wrong}/report")[0] == 404, wrong
    for elsewhere in ("/links", "/events", "/reports", "/alerts", "/links/1"):
        status, _, text = call(served, elsewhere)
        assert "Access token" in text and "blog1.example" not in text, f"{elsewhere}: the sign-in form, no data"
    for beside in (f"/share/{key}/../links", f"/share/{key}/links", f"/share/{key}/report/../../links"):
        assert call(served, beside)[0] == 404, beside
    assert call(served, "/api/v1/links")[0] == 401

    page.goto(acme)
    assert page.locator("h1").inner_text() == "acme.example"
    page.goto(f"{served.base}/?site=acme.example")
    page.get_by_role("button", name="Revoke and make a new link").click()
    assert page.get_by_role("status").inner_text() == "The previous link no longer works."
    fresh = share_url(page, served, "acme.example")
    assert fresh != acme
    assert call(served, f"/share/{key}/")[0] == 404 and call(served, f"/share/{key}/report")[0] == 404
    assert call(served, fresh.removeprefix(served.base))[0] == 200
    assert call(served, other.removeprefix(served.base))[0] == 200, "revoking one site leaves the others"


def test_no_share_links_without_a_token(tmp_path: Path, web_serve: Callable[..., Served], web_page: Any) -> None:
    served, _ = seeded(tmp_path, web_serve)
    web_page.goto(served.base + "/")
    assert web_page.get_by_text("Client link").count() == 0
    assert call(served, "/share/1-0-00000000000000000000000000000000/")[0] == 404
