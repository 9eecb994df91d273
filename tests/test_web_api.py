"""The JSON API v1 and the downloads of a real `serve`, over a store written straight through the models.

The backlinks are made not due (next check in 30 days) before serve starts, so what a test reads is what it
wrote: states, sites, tags, anchors and event dates that a crawl of local pages could not give.
"""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.reports import NAMES
from tests.fixtures_web import Served
from tests.support.spreadsheet import assert_spreadsheet_safe
from tests.support.web import FORMULA, call, seeded


@pytest.fixture
def api_serve(tmp_path: Path, web_serve: Callable[..., Served]) -> tuple[Served, dict[str, list[int]]]:
    return seeded(tmp_path, web_serve)


def ids(served: Served, query: str) -> list[int]:
    status, body, text = call(served, "/api/v1/links?" + query)
    assert status == 200, text
    return [item["id"] for item in body["items"]]


def test_link_filters_cursor_and_sorts(api_serve: tuple[Served, dict[str, list[int]]]) -> None:
    served, made = api_serve
    everything = ids(served, "")
    assert sorted(everything, reverse=True) == everything and len(everything) == 9
    assert sorted(ids(served, "state=lost")) == sorted(made["lost"])
    assert sorted(ids(served, "state=lost&state=gone")) == sorted(made["lost"] + made["page_gone"])
    assert sorted(ids(served, "site=other.example")) == sorted(made["page_gone"])
    assert sorted(ids(served, "tag=%2Btag")) == sorted(made["new"])
    assert sorted(ids(served, "q=GONE+PAGE")) == sorted(made["page_gone"]), "text search ignores case"
    assert ids(served, "q=%25") == [], "a % is searched for, not a wildcard"
    assert ids(served, "sort=state")[:3] == sorted(made["lost"], reverse=True), "most urgent first"
    traffic = call(served, "/api/v1/links?sort=traffic&site=acme.example&limit=3")[1]
    assert [i["page_traffic"] for i in traffic["items"]] == [500.0, 20.0, 10.0]

    changed = sorted(made["new"], reverse=True) + sorted(made["lost"], reverse=True) + \
        sorted(made["page_gone"], reverse=True)
    assert ids(served, "sort=changed&limit=100") == changed, "last change first, never changed last"
    assert ids(served, "sort=changed&site=other.example") == sorted(made["page_gone"], reverse=True)

    for sort in ("newest", "traffic", "state", "changed"):
        seen, after = [], ""
        while True:
            status, body, text = call(served, f"/api/v1/links?sort={sort}&limit=2&after={after}")
            assert status == 200, text
            seen += [i["id"] for i in body["items"]]
            if body["next"] is None:
                break
            after = urllib.request.quote(body["next"], safe="")
        assert sorted(seen) == sorted(everything), f"{sort}: every link once over the pages"
        assert sort != "changed" or seen == changed, "the changed cursor walks the order"
        assert len(seen) == len(set(seen))
    for bad in ("state=dead", "flag=shiny", "sort=random", "after=x~y", "limit=0", "sort=changed&after=x~5",
                "sort=changed&after=2026-01-01T00%3A00%3A00~5", "sort=changed&after=%7E5"):
        status, body, _ = call(served, "/api/v1/links?" + bad)
        assert status in (400, 422) and set(body) == {"error"}, bad


def test_create_and_delete_a_link(api_serve: tuple[Served, dict[str, list[int]]]) -> None:
    served, made = api_serve
    new = {"source_url": "https://blog.example/post", "target": "acme.example", "anchor": "acme", "tags": ["pr"]}
    status, body, text = call(served, "/api/v1/links", "POST", new)
    assert status == 201, text
    assert body["result"] == "added" and body["source_url"] == new["source_url"] and body["tags"] == ["pr"]
    status, again, _ = call(served, "/api/v1/links", "POST", new | {"anchor": "acme tools"})
    assert status == 200 and again["id"] == body["id"] and again["expected_anchor"] == "acme tools"
    status, refused, _ = call(served, "/api/v1/links", "POST", {"source_url": "ftp://x.example/", "target": "a.b"})
    assert status == 422 and "source_url" in refused["error"]
    assert call(served, "/api/v1/links", "POST", {"target": "acme.example"})[0] == 422

    victim = made["lost"][0]
    before = call(served, f"/api/v1/links/{victim}")[1]
    assert before["events"], "the link has its event"
    assert call(served, f"/api/v1/links/{victim}", "DELETE")[1] == {"id": victim, "deleted": True}
    assert call(served, f"/api/v1/links/{victim}")[0] == 404
    assert call(served, f"/api/v1/links/{victim}", "DELETE")[0] == 404
    sources = [e["source_url"] for e in call(served, "/api/v1/events?limit=1000")[1]["items"]]
    assert len(sources) == 8 and before["source_url"] not in sources, "its events went with it"
    assert victim not in ids(served, "")


def test_links_csv_of_a_filter_neutralises_formulas(api_serve: tuple[Served, dict[str, list[int]]]) -> None:
    served, made = api_serve
    status, _, text = call(served, "/links.csv?site=acme.example&state=live")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(int(r["id"]) for r in rows) == sorted(made["new"]), "the CSV is the filter's links"
    assert_spreadsheet_safe(text, "/links.csv")
    assert {r["anchor"] for r in rows} == {"'" + FORMULA} and {r["tags"] for r in rows} == {"'+tag"}
    everything = list(csv.DictReader(io.StringIO(call(served, "/links.csv")[2])))
    assert len(everything) == 9


def test_report_downloads(api_serve: tuple[Served, dict[str, list[int]]]) -> None:
    served, _ = api_serve
    compared: list[str] = []
    for kind in NAMES:
        status, _, text = call(served, f"/reports/{kind}.csv?site=acme.example&period=90")
        assert status == 200, f"{kind}: {text[:300]}"
        rows = list(csv.reader(io.StringIO(text)))
        status, data, _ = call(served, f"/api/v1/reports/{kind}?site=acme.example&period=90")
        assert status == 200 and data["report"] == kind
        assert rows and rows[0], f"{kind}: a header"
        if "rows" in data:
            assert len(rows) - 1 == len(data["rows"]), f"{kind}: the CSV and the JSON have the same rows"
            compared.append(kind)
        if len(rows) > 1:
            assert_spreadsheet_safe(text, f"/reports/{kind}.csv")
    assert {"traffic", "anchors"} <= set(compared)
    anchors = list(csv.DictReader(io.StringIO(call(served, "/reports/anchors.csv?site=acme.example")[2])))
    assert [r["anchor"] for r in anchors] == ["'" + FORMULA.lower()], "the formula anchor is there, neutralised"
    assert call(served, "/reports/nothing.csv")[0] == 404
    assert call(served, "/api/v1/reports/nothing")[0] == 404
    assert call(served, "/reports/anchors.csv?period=7")[0] == 400


def test_the_openapi_document_lists_every_v1_path(api_serve: tuple[Served, dict[str, list[int]]]) -> None:
    served, _ = api_serve
    status, document, _ = call(served, "/api/v1/openapi.json")
    assert status == 200
    paths = {path: set(methods) for path, methods in document["paths"].items()}
    assert paths == {"/api/v1/links": {"get", "post"}, "/api/v1/links/{link_id}": {"get", "delete"},
                     "/api/v1/links/{link_id}/recheck": {"post"}, "/api/v1/events": {"get"},
                     "/api/v1/reports/{kind}": {"get"}}
    for path in paths:  # and each documented path answers (not a 404 of the router)
        status, body, _ = call(served, path.replace("{link_id}", "1").replace("{kind}", "ratio?site=acme.example"),
                               "POST" if path.endswith("recheck") else "GET")
        assert status in (200, 202), (path, body)
