"""The web interface follows the CLI's rules: a target outside your sites is refused by the Add form, the
upload and `POST /api/v1/links` (with the site it most likely misspells) until it is declared a new site, while
`POST /api/pending` creates sites as before; and a live followed link on a page that passes no value (noindex,
canonical elsewhere) shows that flag next to its state in the Links table, the lists of changes (overview, events)
and the link page's verdict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_web import Served, linkwatch, shoot
from tests.support.pages import TestSite
from tests.support.waiting import wait_for
from tests.support.web import api, call

pytestmark = pytest.mark.chromium

LINK = '<a href="https://acmeshoes.com/">Acme shoes</a>'
REFUSED = "acmeshoes.con is not one of your sites (did you mean acmeshoes.com?)"


def head_page(head: str) -> str:
    return f"<!doctype html><html><head><title>t</title>{head}</head><body><p>Hello</p>{LINK}</body></html>"


def one_site(web_serve: Callable[..., Served], **extra: str) -> Served:
    """A serve whose store holds one site of yours, acmeshoes.com (made by a first `add`)."""
    served = web_serve(**extra)
    linkwatch(served.env, "add", "https://blog.example/first", "--target", "acmeshoes.com")
    return served


def sites_of(served: Served) -> list[str]:
    return sorted(line.split()[0] for line in linkwatch(served.env, "sites").stdout.splitlines()[1:] if line)


def test_the_add_form_refuses_a_likely_typo_until_it_is_declared_a_new_site(
        web_serve: Callable[..., Served], web_page: Any) -> None:
    served = one_site(web_serve)
    page = web_page
    page.goto(served.base + "/links/new")
    page.get_by_label("Referring page").fill("https://blog.example/second")
    page.get_by_label("Your site or page").fill("acmeshoes.con")
    page.get_by_role("button", name="Add backlink").click()
    error = page.locator("#target-error")
    assert REFUSED in error.inner_text() and "This is a new site of mine" in error.inner_text()
    assert page.get_by_label("Your site or page").get_attribute("aria-describedby") == "target-error"
    assert page.get_by_label("Your site or page").input_value() == "acmeshoes.con", "what was typed is kept"
    assert len(api(served, "/api/v1/links")[1]["items"]) == 1 and "acmeshoes.con" not in sites_of(served)
    shoot(page, "add-new-site")

    page.get_by_label("This is a new site of mine").check()
    page.get_by_role("button", name="Add backlink").click()
    assert page.locator("h1").inner_text().startswith("Backlink from")
    assert sites_of(served) == ["acmeshoes.com", "acmeshoes.con"]


def test_the_upload_refuses_new_sites_until_the_box_is_ticked(web_serve: Callable[..., Served], web_page: Any,
                                                               tmp_path: Path) -> None:
    served = one_site(web_serve)
    export = tmp_path / "links.csv"
    export.write_text("source_url,target\nhttps://news.example/a,acmeshoes.com\nhttps://news.example/b,acmeshoes.con\n")
    page = web_page
    page.goto(served.base + "/links/new")
    assert page.get_by_label("These are new sites of mine").count() == 0, "offered only when it is needed"
    page.get_by_label("Export file").set_input_files(str(export))
    page.get_by_role("button", name="Import").click()
    errors = page.locator("[role=alert]").inner_text()
    assert REFUSED.replace(" is not one of your sites", "") in errors and "nothing imported" in errors, errors
    assert len(api(served, "/api/v1/links")[1]["items"]) == 1, "all or nothing"

    page.get_by_label("Export file").set_input_files(str(export))
    page.get_by_label("These are new sites of mine").check()
    page.get_by_role("button", name="Import").click()
    assert page.locator(".ok").count() == 1
    assert len(api(served, "/api/v1/links")[1]["items"]) == 3 and "acmeshoes.con" in sites_of(served)


def test_the_api_answers_422_without_new_site_and_pending_creates_sites_as_before(
        web_serve: Callable[..., Served]) -> None:
    token = "rules-token-51ab"
    served = one_site(web_serve, LINKWATCH_API_TOKEN=token)
    typo = {"source_url": "https://blog.example/second", "target": "acmeshoes.con"}
    status, body, text = call(served, "/api/v1/links", "POST", typo, token=token)
    assert status == 422 and REFUSED in body["error"] and '"new_site": true' in body["error"], text
    assert "acmeshoes.con" not in sites_of(served), "nothing stored"
    status, body, text = call(served, "/api/v1/links", "POST", typo | {"new_site": True}, token=token)
    assert status == 201 and body["site"] == "acmeshoes.con", text
    schema = call(served, "/api/v1/openapi.json", token=token)[1]
    assert schema["components"]["schemas"]["NewLink"]["properties"]["new_site"]["type"] == "boolean"
    assert "422" in schema["paths"]["/api/v1/links"]["post"]["responses"]

    promised = {"source_url": "https://blog.example/third", "target": "brandnew.example"}
    status, body, text = call(served, "/api/pending", "POST", promised, token=token)
    assert status == 201 and body["state"] == "pending", text
    assert "brandnew.example" in sites_of(served), "/api/pending creates sites as before"


def test_links_on_pages_that_pass_no_value_show_their_flag(site: TestSite, web_serve: Callable[..., Served],
                                                           web_page: Any, tmp_path: Path) -> None:
    site.set_page("/guide", head_page('<meta name="robots" content="noindex">'))
    site.set_page("/copy", head_page(f'<link rel="canonical" href="{site.url("/original")}">'))
    site.set_page("/plain", head_page(""))
    served = web_serve()
    export = tmp_path / "links.csv"
    export.write_text("source_url,target\n" + "".join(f"{site.url(p)},acmeshoes.com\n"
                                                      for p in ("/guide", "/copy", "/plain")))
    linkwatch(served.env, "import", str(export))
    wait_for(lambda: all(i["last_checked"] for i in api(served, "/api/v1/links")[1]["items"]), "every link checked")
    page = web_page
    page.goto(served.base + "/links")
    states = {row.locator("td").nth(1).inner_text().split("\n")[0]: row.locator("td").first.inner_text()
              for row in page.locator("tbody tr").all()}
    assert states == {site.url("/guide"): "Live (followed) · page noindex",
                      site.url("/copy"): "Live (followed) · page canonical elsewhere",
                      site.url("/plain"): "Live (followed)"}, states
    shoot(page, "links-flags")

    page.goto(served.base + "/")
    changes = page.locator("#events-h + .table-wrap tbody tr").all_inner_texts()
    flagged = sorted(row.split("\t")[1:3] for row in changes if "· page" in row)
    assert flagged == [["New link found · page canonical elsewhere", site.url("/copy")],
                       ["New link found · page noindex", site.url("/guide")]], changes
    page.goto(served.base + "/events")
    assert "→ Live (followed) · page canonical elsewhere" in page.locator("tbody").inner_text()

    page.goto(served.base + "/links")
    page.get_by_role("link", name="Live (followed) · page noindex").click()
    assert page.locator("#current-state").inner_text() == "Live (followed) · page noindex"
    assert "page-flagged" in (page.locator("#current-state").get_attribute("class") or ""), "not shown as plain live"
    assert page.locator("#current-reason").inner_text() == (
        "The page links to acmeshoes.com with a followed link, but the page is noindex, so the link passes no value.")
    shoot(page.locator("section").first, "link-flags")
    page.go_back()
    page.get_by_role("link", name="Live (followed) · page canonical elsewhere").click()
    assert "but the page names another page as its canonical, so the link passes no value" in \
        page.locator("#current-reason").inner_text()
