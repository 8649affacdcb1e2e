"""One error's page (the spec's ErrorDetailPanel and AIAnalysisPanel): its detail, who it is
assigned to, its AI analysis with the latest runs and a way to ask again (main's AI api: a
provider's answer arrives through a worker, the heuristic's at once), the user reports linked to
it, and related errors: the groups its analysis names, and the groups like it (api.related_errors,
loaded after the page by htmx, or as a page of their own without JavaScript). Everything as the
signed-in person: another organization's error is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import Person, checked_form, page, render, see_other, signed_in
from workers.web.ui.refusals import not_found

RELATED_SHOWN = 5
SIMILAR_SHOWN = 5


def _error_id(request: Request) -> str:
    try:
        return str(uuid.UUID(request.path_params["error_id"]))
    except ValueError:
        raise not_found("error") from None


@page
async def error_detail(request: Request) -> Response:
    error_id = _error_id(request)
    async with signed_in(request) as person:
        detail = await person.value(sql.UI_ERROR_DETAIL, [error_id])
        analysis = await person.row(sql.UI_ERROR_ANALYSIS, [error_id])
        return render(request, "error_detail.html", {
            "e": detail, "ai": analysis, "runs": await person.rows(sql.UI_AI_RUNS, [error_id]),
            "providers": await person.rows(sql.UI_AI_PROVIDERS),
            "related": await _related(person, (analysis or {}).get("analysis")),
            "reports": await person.rows(sql.UI_ERROR_REPORTS, [error_id]),
            "people": await person.rows(sql.UI_REPORT_PEOPLE, [detail["organization_id"]]),
            "may_report": person.role in ("org_owner", "staff"),
            "done": request.query_params.get("done")}, person=person)


@page
async def error_similar(request: Request) -> Response:
    """GET /errors/{error_id}/related: the groups like this one. htmx asks for it once the error's
    page has loaded (the page does not wait for the similarity search); without JavaScript it is a
    page of its own."""
    error_id = _error_id(request)
    async with signed_in(request) as person:
        similar = await person.rows(sql.UI_RELATED_ERRORS, [error_id, SIMILAR_SHOWN])
        if "hx-request" in request.headers:
            return render(request, "_similar_errors.html", {"similar": similar, "error_id": error_id}, person=person)
        detail = await person.value(sql.UI_ERROR_DETAIL, [error_id])
        return render(request, "error_similar.html", {"similar": similar, "error_id": error_id, "e": detail},
                      person=person)


@page
async def error_assign(request: Request) -> Response:
    """POST /errors/{error_id}/assignee: assign the error to a person of its organization (empty: nobody)."""
    error_id = _error_id(request)
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        user_id = str(form.get("user_id") or "").strip() or None
        if user_id is not None:
            try:
                user_id = str(uuid.UUID(user_id))
            except ValueError:
                raise not_found("user") from None
        await person.value(sql.UI_ERROR_ASSIGN, [error_id, user_id])
    return see_other(f"/errors/{error_id}?done=assigned#assign-h")


async def _related(person: Person, analysis: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The groups the analysis names as related that this person may see (a provider may name
    something that is not a group id: it is left out)."""
    ids = []
    for value in (analysis or {}).get("relatedErrors") or []:
        try:
            ids.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return await person.rows(sql.UI_ERRORS_BY_ID, [ids[:RELATED_SHOWN]]) if ids else []


@page
async def error_analyse(request: Request) -> Response:
    """POST /errors/{error_id}/analysis: ask for an analysis (a provider, or the default one)."""
    error_id = _error_id(request)
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        await person.value(sql.UI_AI_REQUEST, [error_id, str(form.get("provider") or "") or None,
                                               form.get("fresh") == "on"])
    return see_other(f"/errors/{error_id}?done=analysis#ai-h")
