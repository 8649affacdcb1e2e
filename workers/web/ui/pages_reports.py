"""Reports (the spec's UserReportsQueue and ErrorReportForm) on main's reports api, as the signed-in
person: the queue with filters and keyset pages, one report with its screenshots (served by
/reports/screenshots/<id>, which takes the session too), linked error, duplicates and history; its
workflow (status with notes, assignee, duplicate of); and a report filed from the app by org
owners and staff. SQL validates, scrubs and decides who sees what."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from psycopg.types.json import Jsonb
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.errors import WireError
from workers.web.routes_reports import form_with_file, store_screenshot
from workers.web.screenshots import check_screenshot_async
from workers.web.ui.pages import (
    Person,
    after_cursor,
    anonymous,
    checked_form,
    csrf_ok,
    organization_choices,
    organization_filter,
    page,
    page_cursor,
    query_filters,
    refused_answer,
    render,
    see_other,
    signed_in,
)
from workers.web.ui.refusals import Refused, form_not_ours, invalid, not_found

PAGE_SIZE = 50
# Status tabs; "queue" is every status still waiting for work.
TABS = {"queue": ("In the queue", ["open", "in_progress", "pending_info"]), "open": ("Open", ["open"]),
        "in_progress": ("In progress", ["in_progress"]), "pending_info": ("Pending info", ["pending_info"]),
        "resolved": ("Resolved", ["resolved"]), "closed": ("Closed", ["closed"]),
        "duplicate": ("Duplicates", ["duplicate"]), "all": ("All", None)}
FILTERS = ("status", "priority", "type", "assigned", "org")
REPORT_TYPES = ("bug", "feature_request", "performance", "ui_issue", "data_issue", "other")
PRIORITIES = ("low", "medium", "high", "critical")
STATUSES = ("open", "in_progress", "pending_info", "resolved", "closed")
FORM_FIELDS = ("title", "description", "report_type", "priority", "steps_to_reproduce", "expected_behavior",
               "actual_behavior", "url", "event_id")


def _report_id(request: Request) -> str:
    try:
        return str(uuid.UUID(request.path_params["report_id"]))
    except ValueError:
        raise not_found("report") from None


@page
async def report_queue(request: Request) -> Response:
    filters = query_filters(request, FILTERS)
    tab = filters.get("status", "queue")
    if tab not in TABS:
        raise invalid(f"Unknown status tab {tab!r}.", "Field: status.", f"One of: {', '.join(TABS)}.")
    after_created_at, after_id = after_cursor(request)
    async with signed_in(request) as person:
        organization_id = await organization_filter(person, filters.get("org"))
        rows = await person.rows(sql.UI_REPORT_QUEUE, {
            "statuses": TABS[tab][1], "priority": filters.get("priority"), "report_type": filters.get("type"),
            "assigned": filters.get("assigned"), "me": person.claims.get("sub"),
            "organization_id": organization_id,
            "after_created_at": after_created_at, "after_id": after_id, "limit": PAGE_SIZE + 1})
        next_url = None
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            next_url = "/reports?" + urlencode({**filters, "after": page_cursor(rows[-1], "created_at")})
        return render(request, "reports.html", {
            "rows": rows, "filters": filters, "tab": tab, "tabs": TABS, "next_url": next_url,
            "first_url": "/reports?" + urlencode(filters) if after_id else None,
            "report_types": REPORT_TYPES, "priorities": PRIORITIES,
            "organizations": await organization_choices(person, organization_id),
            "may_report": person.role in ("org_owner", "staff")}, person=person)


async def _report_page(request: Request, person: Person, report_id: str, refused: Refused | None = None) -> Response:
    async def report_page() -> Response:
        report = await person.value(sql.UI_REPORT_DETAIL, [report_id])
        people = await person.rows(sql.UI_REPORT_PEOPLE, [report["organization_id"]]) \
            if report["organization_id"] and person.role != "staff" else []
        return render(request, "report.html", {
            "r": report, "people": people, "statuses": STATUSES, "refused": refused,
            "may_work": person.role in ("org_owner", "system_admin"), "done": request.query_params.get("done")},
            person=person)

    return await refused_answer(request, refused, report_page)


@page
async def report_detail(request: Request) -> Response:
    report_id = _report_id(request)
    async with signed_in(request) as person:
        return await _report_page(request, person, report_id)


@page
async def report_action(request: Request) -> Response:
    """POST /reports/{report_id}/{action}: status (with notes), assign, duplicate."""
    report_id, action = _report_id(request), request.path_params["action"]
    if action not in ("status", "assign", "duplicate"):
        raise not_found("action")
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        notes = str(form.get("notes") or "").strip() or None
        if action == "status":
            status = str(form.get("status") or "")
            _, refused = await person.attempt(sql.UI_REPORT_SET_STATUS, [report_id, status, notes])
        elif action == "assign":
            _, refused = await person.attempt(sql.UI_REPORT_ASSIGN, [report_id, _uuid_or_none(form.get("user_id"))])
        else:
            original = _uuid_or_none(form.get("duplicate_of"))
            if original is None:
                raise invalid("Give the id of the report this one repeats.", "Field: duplicate_of.")
            _, refused = await person.attempt(sql.UI_REPORT_DUPLICATE, [report_id, original, notes])
        if refused:
            return await _report_page(request, person, report_id, refused)
    return see_other(f"/reports/{report_id}?done={action}")


def _uuid_or_none(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise invalid("That is not a report or user id.", "An id looks like 3f2b8c1e-….") from None


@page
async def report_new(request: Request) -> Response:
    """The ErrorReportForm: an org owner or staff member files a report for their organization; an
    event id (the error page's latest event) links it to that error."""
    async with signed_in(request) as person:
        if request.method == "GET":
            values = {name: request.query_params.get(name, "") for name in FORM_FIELDS}
            return await _report_form(request, person, values)
        form, image = await _report_form_sent(request, person)
        values = {name: str(form.get(name) or "").strip() for name in FORM_FIELDS}
        fields: dict[str, Any] = {name: value for name, value in values.items() if value}
        if image is not None:
            fields["screenshot_urls"] = [await _stored_screenshot(request, person, image)]
        created, refused = await person.attempt(sql.UI_REPORT_SUBMIT, [Jsonb(fields)])
        if refused:
            return await _report_form(request, person, values, refused)
    return see_other(f"/reports/{created['id']}?done=filed")


async def _report_form_sent(request: Request, person: Person) -> tuple[Any, bytes | None]:
    """The report form as sent: its fields, and the screenshot file when it came as multipart (the
    page's form does: it has a file input) within a screenshot's size."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await checked_form(request, person), None
    try:
        form, image = await form_with_file(request)
    except WireError as exc:
        raise Refused(exc.status, exc.code, exc.detail, "Field: screenshot.",
                      "Attach one PNG, JPEG or WebP image of at most 2 MB.") from None
    if not csrf_ok(request, form):
        raise form_not_ours()
    if any("\x00" in value for value in form.values()):
        raise invalid("A field holds a NUL character.", "Send text fields only.")
    return form, image


async def _stored_screenshot(request: Request, person: Person, image: bytes) -> str:
    """The form's screenshot judged as an image and stored for the person's organization: its URL."""
    try:
        outcome = await store_screenshot(request, None, person.claims, await check_screenshot_async(image))
    except WireError as exc:
        raise Refused(exc.status, exc.code, exc.detail, "Field: screenshot.",
                      "Attach a PNG, JPEG or WebP image of at most 2 MB.") from None
    error = outcome.get("error")
    if error:
        raise Refused(int(error.get("http_status") or 400), error["code"], error["message"], error.get("details"),
                      error.get("hint"))
    return outcome["url"]


async def _report_form(request: Request, person: Person, values: dict[str, str],
                       refused: Refused | None = None) -> Response:
    async def form_page() -> Response:
        return render(request, "report_form.html", {"values": values, "refused": refused, "report_types": REPORT_TYPES,
                                                    "priorities": PRIORITIES}, person=person)

    return await refused_answer(request, refused, form_page)


@page
async def report_status_page(request: Request) -> Response:
    """The status link the widget hands a reporter: their report's status, without signing in (the
    token it names is the one secret; api.report_status answers 404 for any other)."""
    async with anonymous(request) as conn:
        (status,) = await (await conn.execute(sql.UI_REPORT_STATUS, [request.path_params["token"]])).fetchone()
    response = render(request, "report_status.html", {"s": status})
    # the token is in the URL: not cached, not sent on as a referrer, not indexed
    response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"})
    return response
