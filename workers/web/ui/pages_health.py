"""Health (the spec's HealthStatusGrid and UptimeChart): the grid of monitors, one monitor's page,
and adding, editing, pausing and deleting monitors through the api functions the CLI uses too."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import Person, checked_form, page, refused_answer, render, see_other, signed_in
from workers.web.ui.refusals import Refused, invalid, not_found

CHECK_TYPES = ("api", "webhook", "database", "stripe", "embed", "email", "sms", "external")


def _monitor_id(request: Request) -> int:
    try:
        return int(request.path_params["monitor_id"])
    except ValueError:
        raise not_found("monitor") from None


@page
async def health_grid(request: Request) -> Response:
    async with signed_in(request) as person:
        summary = await person.value(sql.UI_HEALTH_SUMMARY)
        return render(request, "health.html", {"summary": summary, "done": request.query_params.get("done")},
                      person=person)


@page
async def monitor_page(request: Request) -> Response:
    monitor_id = _monitor_id(request)
    async with signed_in(request) as person:
        found = await person.value(sql.UI_HEALTH_MONITOR, [monitor_id])
        return render(request, "monitor.html", {"m": found, "done": request.query_params.get("done")}, person=person)


def _status_codes(text: str) -> list[int | str]:
    """'200-299, 301' as the expected status_codes list (SQL validates the values)."""
    return [int(part) if part.isdigit() else part for part in (p.strip() for p in text.split(",")) if part]


def _settings(form: FormData, target: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the monitor settings api.create/update_health_monitor take."""
    fields: dict[str, Any] = {}
    for name in ("display_name", "interval_seconds", "timeout_seconds", "failure_threshold", "success_threshold"):
        value = str(form.get(name) or "").strip()
        if value:
            fields[name] = value
    url = str(form.get("url") or "").strip()
    if url:
        fields["target"] = {**target, "url": url}
    codes = str(form.get("status_codes") or "").strip()
    if codes:
        fields["expected"] = {"status_codes": _status_codes(codes)}
    fields["is_public"] = form.get("is_public") == "on"
    return fields


async def _form_page(request: Request, person: Person, monitor: dict[str, Any] | None,
                     refused: Refused | None = None) -> Response:
    async def form_page() -> Response:
        organizations = await person.rows(sql.UI_ORGANIZATIONS) if monitor is None else []
        return render(request, "monitor_form.html", {"m": monitor, "refused": refused, "check_types": CHECK_TYPES,
                                                     "organizations": organizations}, person=person)

    return await refused_answer(request, refused, form_page)


@page
async def monitor_new(request: Request) -> Response:
    async with signed_in(request) as person:
        if request.method == "GET":
            return await _form_page(request, person, None)
        form = await checked_form(request, person)
        spec = {"service_name": str(form.get("service_name") or "").strip(),
                "check_type": str(form.get("check_type") or ""), **_settings(form, {}),
                "enabled": form.get("paused") != "on"}
        if form.get("organization_id"):
            spec["organization_id"] = str(form.get("organization_id"))
        created, refused = await person.attempt(sql.UI_CREATE_MONITOR, [Jsonb(spec)])
        if refused:
            return await _form_page(request, person, None, refused)
    return see_other(f"/monitors/{created}?done=created")


@page
async def monitor_edit(request: Request) -> Response:
    monitor_id = _monitor_id(request)
    async with signed_in(request) as person:
        current = await person.value(sql.UI_HEALTH_MONITOR, [monitor_id])
        if request.method == "GET":
            return await _form_page(request, person, current)
        form = await checked_form(request, person)
        changes = _settings(form, current["monitor"].get("target") or {})
        _, refused = await person.attempt(sql.UI_UPDATE_MONITOR, [monitor_id, Jsonb(changes)])
        if refused:
            return await _form_page(request, person, current, refused)
    return see_other(f"/monitors/{monitor_id}?done=saved")


@page
async def monitor_action(request: Request) -> Response:
    """Pause, resume, delete, or plan maintenance (POST /monitors/{id}/{action})."""
    monitor_id, action = _monitor_id(request), request.path_params["action"]
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        if action in ("pause", "resume"):
            await person.conn.execute(sql.UI_SET_MONITOR_ENABLED, [monitor_id, action == "resume"])
        elif action == "delete":
            await person.conn.execute(sql.UI_DELETE_MONITOR, [monitor_id])
        elif action == "maintenance":
            starts, ends = str(form.get("starts_at") or ""), str(form.get("ends_at") or "")
            if not starts or not ends:
                raise invalid("A maintenance window needs a start and an end.", "Fields: starts_at, ends_at.")
            # datetime-local fields carry no zone: the page says they are UTC
            await person.conn.execute(sql.UI_ADD_MAINTENANCE, [monitor_id, starts + "Z", ends + "Z",
                                                               str(form.get("reason") or "")[:500]])
        else:
            raise not_found("action")
    if action == "delete":
        return see_other("/monitors?done=deleted")
    return see_other(f"/monitors/{monitor_id}?done={action}")
