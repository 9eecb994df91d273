"""The web interface in a real `serve` over a real store with crawled local pages, driven by Debian's Chromium."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_web import Served, shoot
from tests.support.pages import TestSite
from tests.support.web import HOSTILE, PAGE, api, crawled_store

pytestmark = pytest.mark.chromium

def test_pages_render_filter_page_and_show_hostile_text_as_text(site: TestSite, web_serve: Callable[..., Served],
                                                                web_page: Any) -> None:
    served = crawled_store(site, web_serve, 61)
    page = web_page
    for path, title, shot in [("/", "Overview", "overview"), ("/links", "Links", "links"),
                              ("/events", "Changes", "events"), ("/links/new", "Add or import backlinks", "add"),
                              ("/reports", "Reports", "reports"), ("/alerts", "Alerts", "alerts")]:
        answer = page.goto(served.base + path)
        assert answer.status == 200, path
        assert page.locator("h1").inner_text() == title
        assert "unsafe-inline" not in answer.headers["content-security-policy"]
        assert page.locator('a[href^="javascript:"]').count() == 0, path
        shoot(page, shot)

    page.goto(served.base + "/links")
    assert page.locator("tbody tr").count() == 50
    page.get_by_role("link", name="Next page").click()
    assert page.locator("tbody tr").count() == 11
    assert page.get_by_role("link", name="Next page").count() == 0

    page.goto(served.base + "/links")
    page.get_by_label("Not seen yet").check()
    page.get_by_role("button", name="Apply").click()
    unseen = page.locator("tbody tr")
    assert unseen.count() == 20
    assert set(unseen.locator("td:first-child").all_inner_texts()) == {"Not seen yet"}
    page.get_by_label("Sort by").select_option(label="Last change")
    page.get_by_role("button", name="Apply").click()
    assert "sort=changed" in page.url and page.locator("tbody tr").count() == 20
    assert page.get_by_label("Sort by").input_value() == "changed", "the page keeps the chosen sort"

    page.goto(served.base + "/links?q=st")  # a 2-character search works, and says it reads every link
    assert page.locator("#short-search").is_visible() and page.locator("tbody tr", has_text="hostile").count() == 1
    page.goto(served.base + "/links?q=hostile")
    assert page.locator("#short-search").count() == 0 and page.locator("tbody tr").count() == 1
    page.locator("tbody tr a", has_text="Live").first.click()
    assert page.get_by_text(HOSTILE).count() >= 1, "the anchor shows as text"
    assert page.locator("img").count() == 0
    shoot(page, "link")
    assert page.dialogs == [], "a script from a crawled page ran"

    page.get_by_role("button", name="Check now").click()
    page.wait_for_selector("#recheck-status.ok", timeout=90_000)
    assert page.locator("#current-state").inner_text() == "Live (followed)"
    link_id = int(page.url.split("/links/")[1].split("?")[0])
    assert len(api(served, f"/api/v1/links/{link_id}")[1]["checks"]) == 2, "Check now made a second check"
    assert page.dialogs == []


def test_add_and_import_report_bad_rows(site: TestSite, web_serve: Callable[..., Served], web_page: Any,
                                        tmp_path: Path) -> None:
    served = web_serve()
    page = web_page
    page.goto(served.base + "/links/new")
    page.get_by_label("Referring page").fill("ftp://example.com/x")
    page.get_by_label("Your site or page").fill("mysite.com")
    page.get_by_role("button", name="Add backlink").click()
    assert "source_url" in page.locator(".error").inner_text()
    page.get_by_label("Referring page").fill(site.url("/a"))
    page.get_by_role("button", name="Add backlink").click()
    assert page.locator("h1").inner_text().startswith("Backlink from")

    bad = tmp_path / "bad.csv"
    bad.write_text(f"source_url,target\n{site.url('/b')},mysite.com\nnot a url,mysite.com\n")
    page.goto(served.base + "/links/new")
    page.get_by_label("Export file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    errors = page.locator("[role=alert]").inner_text()
    assert "line 3" in errors and "nothing imported" in page.content()
    assert len(api(served, "/api/v1/links")[1]["items"]) == 1, "all or nothing"
    good = tmp_path / "good.csv"
    good.write_text(f"source_url,target\n{site.url('/b')},mysite.com\n")
    page.get_by_label("Export file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    assert page.locator(".ok").count() == 1
    assert len(api(served, "/api/v1/links")[1]["items"]) == 2


def test_token_login_and_csrf(site: TestSite, web_serve: Callable[..., Served], web_page: Any) -> None:
    token = "web-token-0c4e"
    site.set_page("/one", PAGE.format(anchor="one"))
    served = web_serve(LINKWATCH_API_TOKEN=token)
    assert api(served, "/api/v1/links")[0] == 401
    status, created = 0, None
    request = urllib.request.Request(served.base + "/api/v1/links", method="POST",
                                     data=json.dumps({"source_url": site.url("/one"), "target": "mysite.com"}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        status, created = answer.status, json.loads(answer.read())
    assert status == 201 and created["id"]
    page = web_page
    page.goto(served.base + "/links")
    assert "/login" in page.url
    page.get_by_label("Access token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("[role=alert]").inner_text() == "That token is not right."
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/links")
    cookie = next(c for c in page.context.cookies() if c["name"] == "lw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    shoot(page, "login-links")

    due_before = api(served, f"/api/v1/links/{created['id']}", token)[1]["next_due_at"]
    # a form on another site posting to serve: the browser sends no cookie (SameSite=Strict) and the Origin differs
    action = f"{served.base}/links/{created['id']}/recheck"
    site.set_page("/attack", f'<html><body><form id=f method=post action="{action}"><input name=csrf value=guess>'
                             '</form><script>document.getElementById("f").submit()</script></body></html>')
    page.goto(site.url("/attack"))
    page.wait_for_load_state()
    # a same-site form post without the CSRF token is refused too
    answer = page.request.post(served.base + f"/links/{created['id']}/recheck", form={"csrf": "guess"})
    assert answer.status == 403
    assert api(served, f"/api/v1/links/{created['id']}", token)[1]["next_due_at"] == due_before
