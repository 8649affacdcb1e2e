"""Errors (the spec's ErrorList): the list with filters, sorts and keyset pages in the query string,
bulk resolve/ignore, and an error's status actions (its page: pages_error_detail.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import (
    after_cursor,
    checked_form,
    organization_choices,
    organization_filter,
    page,
    page_cursor,
    project_choices,
    query_filters,
    render,
    see_other,
    signed_in,
)
from workers.web.ui.refusals import invalid, not_found, refusal

PAGE_SIZE = 50
SORTS = {"last_seen": ("Last seen", "last_seen_at"), "first_seen": ("First seen", "first_seen_at"),
         "events": ("Events", "occurrence_count"), "users": ("Users", "users_affected")}
# Status tabs are links; "open" is every status still being worked on.
OPEN_STATUSES = ["new", "investigating", "identified", "fixing", "recurring"]
TABS = {"open": "Open", "new": "New", "recurring": "Regressed", "resolved": "Resolved", "ignored": "Ignored",
        "all": "All"}
FILTERS = ("status", "severity", "type", "project", "environment", "release", "org", "q", "assigned", "sort")
BULK_ACTIONS = {"resolve": "resolved", "ignore": "ignored", "reopen": "new"}
RESOLVED_IN_NEXT_RELEASE = "resolved_in_next_release"  # the detail page's button, not a status


@page
async def error_list(request: Request) -> Response:
    filters = query_filters(request, FILTERS)
    sort = filters.get("sort", "last_seen")
    if sort not in SORTS:
        raise invalid(f"Unknown sort {sort!r}.", "Field: sort.", f"Sort by one of: {', '.join(SORTS)}.")
    tab = filters.get("status", "open")
    statuses = OPEN_STATUSES if tab == "open" else None if tab == "all" else [tab]
    after_value, after_id = after_cursor(request)
    params = {"statuses": statuses, "severity": filters.get("severity"), "error_type": filters.get("type"),
              "q": filters.get("q"), "project_id": filters.get("project"),
              "environment": filters.get("environment"), "release": filters.get("release"),
              "assigned": filters.get("assigned"),  # me, nobody or a person's id: app.error_list_filter decides
              "after_value": after_value, "after_id": after_id, "limit": PAGE_SIZE + 1}
    # filters by what events hold (project, environment, release): the groups seen there, per sort
    by_events = any(params[name] for name in ("project_id", "environment", "release"))
    async with signed_in(request) as person:
        params["organization_id"] = await organization_filter(person, filters.get("org"))
        statement = sql.UI_ERROR_PAGES_SEEN_IN[sort] if by_events else sql.UI_ERROR_PAGE
        rows = await person.rows(statement, params | {"sort": sort})
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        sparks = await _sparklines(person, rows)
        for row in rows:
            row["spark"] = sparks.get((str(row["organization_id"]), row["error_hash"]), [0] * 24)
        next_url = None
        if more:
            next_url = "/errors?" + urlencode({**filters, "after": page_cursor(rows[-1], SORTS[sort][1])})
        context = {"rows": rows, "filters": filters, "tab": tab, "tabs": TABS, "sort": sort, "sorts": SORTS,
                   "next_url": next_url, "first_url": "/errors?" + urlencode(filters) if after_id else None,
                   "projects": await project_choices(person, params["organization_id"]),
                   "people": await person.rows(sql.UI_ERROR_PEOPLE),
                   "organizations": await organization_choices(person, params["organization_id"]),
                   "done": request.query_params.get("done"), "failed": request.query_params.getlist("failed"),
                   "here": str(request.url.path) + ("?" + request.url.query if request.url.query else "")}
        return render(request, "errors.html", context, person=person)


async def _sparklines(person, rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[int]]:
    """Events per UTC hour of the last 24 (the current one last) of each row's group."""
    if not rows:
        return {}
    found = await person.rows(sql.UI_ERROR_SPARKLINES, [[row["organization_id"] for row in rows],
                                                        [row["error_hash"] for row in rows]])
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    sparks: dict[tuple[str, str], list[int]] = {}
    for point in found:
        hours = sparks.setdefault((str(point["organization_id"]), point["error_hash"]), [0] * 24)
        index = 23 - int((this_hour - point["bucket"]).total_seconds() // 3600)
        if 0 <= index < 24:
            hours[index] += point["events"]
    return sparks


@page
async def bulk_status(request: Request) -> Response:
    """Resolve, ignore or reopen the checked errors, each on its own (one refusal keeps the rest)."""
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        status = BULK_ACTIONS.get(str(form.get("action")))
        if status is None:
            raise invalid("Choose resolve, ignore or reopen.", "Field: action.")
        failed = []
        for error_id in form.getlist("ids"):
            try:
                async with person.conn.transaction():  # a savepoint per error
                    await person.conn.execute(sql.UI_ERROR_SET_STATUS,
                                              [str(uuid.UUID(str(error_id))), status, None, False])
            except (ValueError, psycopg.Error) as exc:
                if isinstance(exc, psycopg.Error) and refusal(exc) is None:
                    raise
                failed.append(str(error_id))
    back = str(form.get("back") or "/errors")
    back = back if back.startswith("/errors") else "/errors"
    changed = len(form.getlist("ids")) - len(failed)
    query = urlencode([("done", f"{status}:{changed}"), *[("failed", error_id) for error_id in failed]])
    return see_other(back + ("&" if "?" in back else "?") + query)


@page
async def error_set_status(request: Request) -> Response:
    error_id = request.path_params["error_id"]
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        try:
            uuid.UUID(error_id)
        except ValueError:
            raise not_found("error") from None
        status = str(form.get("status") or "")
        # "Resolve in next release" is the resolve button with a flag; the database decides whether
        # a release is known (QSR01) and which events keep it resolved.
        in_next_release = status == RESOLVED_IN_NEXT_RELEASE
        note = str(form.get("note") or "").strip()[:2000] or None
        await person.conn.execute(sql.UI_ERROR_SET_STATUS,
                                  [error_id, "resolved" if in_next_release else status, note, in_next_release])
    return see_other(f"/errors/{error_id}?done={status}")
