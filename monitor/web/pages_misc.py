"""The Events, Add / import, Reports and Alerts pages."""

from __future__ import annotations

import base64
import hashlib
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from monitor.core.human import event_words, quoted
from monitor.core.types import EventType
from monitor.store.listing import iter_events
from monitor.store.sites import NotASiteError
from monitor.web import access
from monitor.web.actions import add_backlink
from monitor.web.app import state_of
from monitor.web.format import with_evidence
from monitor.web.forms import FieldError, link_input
from monitor.web.pages_links import csv_lines
from monitor.web.pages_overview import flagged_events, site_names

router = APIRouter(dependencies=[Depends(access.csrf_guard)], include_in_schema=False)

EVENTS_PER_PAGE = 100
MAX_UPLOAD = 200 * 1024 * 1024
NEW_SITE_BOX = "This is a new site of mine"  # the Add form's checkbox: `add --new-site`
NEW_SITES_BOX = "These are new sites of mine"  # the upload's: `import --new-site`
PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "365": "Last 12 months", "": "Everything"}


def parse_day(text: str, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text[:10]).replace(tzinfo=UTC)
    except ValueError:
        raise HTTPException(400, f"{name}: a date such as 2026-09-15") from None


@router.get("/events")
def events_page(request: Request, type: str = "", site: str = "", since: str = "", until: str = "",
                after: str = "") -> Response:
    if type and type not in {t.value for t in EventType}:
        raise HTTPException(400, "type: not an event type")
    start, end = parse_day(since, "since"), parse_day(until, "until")
    cursor = None
    if after:
        at, _, last_id = after.rpartition("~")
        try:
            cursor = (datetime.fromisoformat(at), int(last_id))
        except ValueError:
            raise HTTPException(400, "after: not a cursor of this page") from None
    web = state_of(request)
    events = list(iter_events(web.engine, since=start, event_type=type or None, site=site or None,
                              limit=EVENTS_PER_PAGE + 1, until=end + timedelta(days=1) if end else None,
                              after=cursor))
    more = len(events) > EVENTS_PER_PAGE
    events = events[:EVENTS_PER_PAGE]
    next_cursor = f"{events[-1].at.isoformat()}~{events[-1].id}" if more else None
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    return web.render(request, "events.html", {
        "events": [with_evidence(e) for e in flagged_events(web.engine, events)], "next": next_cursor,
        "query": query, "types": [t.value for t in EventType], "type": type, "site": site, "since": since,
        "until": until, "sites": site_names(request), "event_words": event_words, "first_page": not after})


def _new_page(request: Request, **context: Any) -> Response:
    base: dict[str, Any] = {"values": {}, "error": None, "site_error": None, "added": None, "import_errors": [],
                            "import_summary": None, "import_new_site": False, "sites": site_names(request),
                            "new_site_box": NEW_SITE_BOX, "new_sites_box": NEW_SITES_BOX}
    status = context.pop("status_code", 200)
    return state_of(request).render(request, "new.html", base | context, status_code=status)


@router.get("/links/new")
def new_page(request: Request, added: str = "") -> Response:
    return _new_page(request, added=added or None)


@router.post("/links/new")
def add_link(request: Request, source_url: Annotated[str, Form()] = "", target: Annotated[str, Form()] = "",
             anchor: Annotated[str, Form()] = "", tags: Annotated[str, Form()] = "",
             status: Annotated[str, Form()] = "", notes: Annotated[str, Form()] = "",
             new_site: Annotated[str, Form()] = "") -> Response:
    """Add one backlink with `linkwatch add`'s rules: a target outside your sites is refused next to its field,
    with the site it most likely misspells, until "This is a new site of mine" is ticked (`--new-site`)."""
    values = {"source_url": source_url, "target": target, "anchor": anchor, "tags": tags, "status": status,
              "notes": notes, "new_site": new_site}
    try:
        item = link_input(values, "manual")
    except FieldError as exc:
        return _new_page(request, values=values, error=str(exc), status_code=400)
    web = state_of(request)
    try:
        link_id, verb = add_backlink(web.engine, web.settings, item, datetime.now(UTC), bool(new_site))
    except NotASiteError as exc:
        return _new_page(request, values=values, site_error=exc.words(f"tick “{NEW_SITE_BOX}”"), status_code=400)
    return RedirectResponse(f"/links/{link_id}?saved={verb}", status_code=303)


@router.post("/links/import")
async def import_links(request: Request, file: UploadFile, format: Annotated[str, Form()] = "auto",
                       target_site: Annotated[str, Form()] = "", sheet: Annotated[str, Form()] = "",
                       new_site: Annotated[str, Form()] = "") -> Response:
    """Import an uploaded export with `linkwatch import`'s rules (all or nothing; targets outside your sites
    refused until "These are new sites of mine" is ticked, `--new-site`)."""
    from anyio import to_thread

    from monitor.importers import ImportFileError, ImportOptions, import_file
    from monitor.importers.importer import NewSitesError

    web = state_of(request)
    options = ImportOptions(format=format, target_site=target_site.strip() or None, skip_invalid=False, tags=(),
                            sites=web.settings.sites, sheet=sheet.strip() or None, new_sites=bool(new_site))
    name = Path(file.filename or "upload.csv").name
    with tempfile.TemporaryDirectory(prefix="linkwatch-import-") as folder:
        path = Path(folder) / "upload"
        size = 0
        with path.open("wb") as out:
            while chunk := await file.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_UPLOAD:
                    return _new_page(request, import_errors=[f"{name}: larger than 200 MB"], status_code=413)
                out.write(chunk)
        try:
            report = await to_thread.run_sync(import_file, web.engine, path, options)
        except NewSitesError as exc:
            allow = f"tick “{NEW_SITES_BOX}” and upload the file again"
            return _new_page(request, import_errors=[f"{name}: {exc.words(allow)}"], import_new_site=True,
                             status_code=400)
        except ImportFileError as exc:
            return _new_page(request, import_errors=[f"{name}: {exc}"], status_code=400)
    if not report.written:
        errors = [str(e) for e in report.errors]  # a workbook's: `sheet 'Backlinks', row 14, column C (...): ...`
        hidden = report.error_count - len(errors)
        if hidden > 0:
            errors.append(f"... and {hidden} more invalid rows")
        return _new_page(request, import_errors=errors, status_code=400,
                         import_summary=f"{name}: nothing imported, fix these rows and upload it again.")
    if report.sheet is not None:
        name = f"{name}, sheet {quoted(report.sheet, 40)}"
    return _new_page(request, import_summary=f"{name} ({report.title}): {report.summary()}")


def _report_args(site: str, period: str) -> tuple[str | None, datetime | None]:
    if period and period not in PERIODS:
        raise HTTPException(400, "period: 30, 90, 365 or empty")
    since = datetime.now(UTC) - timedelta(days=int(period)) if period else None
    return site or None, since


def build_reports(request: Request, site: str | None, since: datetime | None,
                  names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The reports of a site (all of them, or `names`); 400 with the report's own words when it cannot."""
    from monitor.reports import REPORTS
    from monitor.reports.common import ReportError

    web = state_of(request)
    try:
        return {name: REPORTS[name](web.engine, site, since, web.settings) for name in (names or tuple(REPORTS))}
    except ReportError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/reports")
def reports_page(request: Request, site: str = "", period: str = "30") -> Response:
    from monitor.reports import REPORTS

    sites = site_names(request)
    _report_args(site, period)
    return state_of(request).render(request, "reports.html", {
        "sites": sites, "site": site or (sites[0] if sites else ""), "period": period, "periods": PERIODS,
        "kinds": list(REPORTS)})


@router.get("/reports/view")
def report_view(request: Request, site: str = "", period: str = "30") -> Response:
    """The HTML report alone, for the frame of the Reports page: its one inline style allowed by hash."""
    from monitor.config import ConfigError
    from monitor.reports.client import client_reports
    from monitor.reports.common import ReportError
    from monitor.reports.html import brand_of, document_style, render_html
    from monitor.reports.period import ReportPeriod

    name, since = _report_args(site, period)
    web = state_of(request)
    window = ReportPeriod(since, None, f"last {period} days" if period else "")
    try:
        reports = client_reports(web.engine, name, window, web.settings)
        brand = brand_of(web.settings)
    except (ReportError, ConfigError) as exc:
        raise HTTPException(400, str(exc)) from None
    document = render_html(reports, datetime.now(UTC), next(iter(reports.values())).site, window, brand)
    style = document_style(brand.accent)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; frame-ancestors 'self'; base-uri 'none'"
    return HTMLResponse(document, headers={"Content-Security-Policy": csp})


@router.get("/reports/{kind}.csv")
def report_csv(request: Request, kind: str, site: str = "", period: str = "30") -> Response:
    from monitor.reports import REPORTS

    if kind not in REPORTS:
        raise HTTPException(404, "no such report")
    name, since = _report_args(site, period)
    report = build_reports(request, name, since, (kind,))[kind]
    return StreamingResponse(csv_lines(report.rows, report.COLUMNS), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="linkwatch-{kind}.csv"'})


@router.get("/alerts")
def alerts_page(request: Request, done: str = "") -> Response:
    from monitor.notify.channels import named_channels
    from monitor.notify.outbox import waiting_overview

    web = state_of(request)
    waiting = waiting_overview(web.engine, web.settings, datetime.now(UTC))
    return web.render(request, "alerts.html", {"overview": waiting, "configured": named_channels(web.settings),
                                               "done": done, "event_words": event_words})


@router.post("/alerts/retry")
def alerts_retry(request: Request, channel: Annotated[str, Form()] = "") -> Response:
    from monitor.notify.outbox import requeue

    count = requeue(state_of(request).engine, ("dead", "unconfirmed"), datetime.now(UTC), channel or None)
    return RedirectResponse(f"/alerts?done={_q(f'{count:,} deliveries queued again')}", status_code=303)


@router.post("/alerts/test")
def alerts_test(request: Request, channel: Annotated[str, Form()] = "") -> Response:
    from alerts.errors import DeliveryError
    from alerts.message import probe_message
    from monitor.notify.channels import build_channel, channel_problem, named_channels

    settings = state_of(request).settings
    if channel not in named_channels(settings):
        raise HTTPException(400, "channel: not a configured channel")
    try:
        problem = channel_problem(settings, channel)
        if problem:
            raise DeliveryError(problem, channel)
        build_channel(settings, channel).send(probe_message(channel), "linkwatch-test")
    except DeliveryError as exc:
        return RedirectResponse(f"/alerts?done={_q(f'{channel}: the test failed: {exc}')}", status_code=303)
    return RedirectResponse(f"/alerts?done={_q(f'{channel}: test message sent')}", status_code=303)


def _q(text: str) -> str:
    return quote(text[:300], safe="")
