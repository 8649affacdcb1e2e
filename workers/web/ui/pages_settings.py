"""Settings: organizations, projects (DSN, public key, rate limit, the report widget's key) and
users. Everyone sees what RLS shows them; the writes are the api functions' own (system admins
create organizations and users and set limits; org owners create projects in their organization
and make, change and revoke their projects' widget keys)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import (
    CHOICES_AT_MOST,
    Person,
    checked_form,
    organization_filter,
    page,
    query_filters,
    refused_answer,
    render,
    signed_in,
)
from workers.web.ui.refusals import Refused, invalid, not_found
from workers.web.ui.security import generate_password, hash_password


def dsn(request: Request, project: dict[str, Any]) -> str:
    """The Sentry DSN of a project, at the address this page was reached by."""
    return f"{request.url.scheme}://{project['public_key']}@{request.url.netloc}/{project['id']}"


async def _settings_page(request: Request, person: Person, notice: str | None = None,
                         refused: Refused | None = None) -> Response:
    filters = query_filters(request, ("org",))
    organization_id = await organization_filter(person, filters.get("org"))
    organizations = await person.rows(sql.UI_SETTINGS_ORGANIZATIONS,
                                      {"organization_id": organization_id, "limit": CHOICES_AT_MOST + 1})
    more = len(organizations) > CHOICES_AT_MOST  # then the first by name, and a filter to find the others
    organizations = organizations[:CHOICES_AT_MOST]
    listed = [org["id"] for org in organizations]
    limits = {row["organization_id"]: row for row in await person.rows(sql.UI_RATE_LIMITS, [listed])} \
        if person.role != "staff" else {}
    projects = await person.rows(sql.UI_PROJECTS, [listed])
    widget_keys = {row["project_id"]: row
                   for row in await person.rows(sql.UI_WIDGET_KEYS, [[project["id"] for project in projects]])}
    for project in projects:
        project["dsn"] = dsn(request, project)
        project["widget"] = widget_keys.get(project["id"])
    names = {org["id"]: org["name"] for org in organizations}
    users = await person.rows(sql.UI_USERS, {"organizations": listed,
                                             "platform": person.is_admin and organization_id is None})
    return render(request, "settings.html", {
        "organizations": organizations, "more": more, "filters": filters, "limits": limits, "projects": projects,
        "names": names, "users": users, "notice": notice or request.query_params.get("done"),
        "refused": refused}, person=person)


@page
async def settings(request: Request) -> Response:
    async with signed_in(request) as person:
        return await _settings_page(request, person)


ACTIONS = ("organization", "project", "rate-limit", "widget-key", "widget-key-revoke", "user")


@page
async def settings_action(request: Request) -> Response:
    """POST /settings/{action}: organization, project, rate-limit, widget-key, widget-key-revoke or user."""
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise not_found("setting")
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        notice, refused = await _apply(person, action, form)
        if refused:
            return await refused_answer(request, refused, lambda: _settings_page(request, person, refused=refused))
        return await _settings_page(request, person, notice=notice)


async def _apply(person: Person, action: str, form) -> tuple[str | None, Refused | None]:
    """The setting's write through its api function: (what to say, None) or (None, the refusal)."""
    if action == "organization":
        _, refused = await person.attempt(sql.UI_CREATE_ORGANIZATION, [str(form.get("name") or "")])
        return "Organization created.", refused
    if action == "project":
        _, refused = await person.attempt(sql.UI_CREATE_PROJECT, [str(form.get("organization_id") or "") or None,
                                                                  str(form.get("name") or "")])
        return "Project created: its DSN is in the list.", refused
    if action == "rate-limit":
        per_minute = str(form.get("per_minute") or "").strip()
        if not per_minute.isdigit():
            return None, invalid("The limit is a whole number of events per minute (0 lifts it).", "Field: per_minute.")
        _, refused = await person.attempt(sql.UI_SET_RATE_LIMIT, [str(form.get("organization_id")), int(per_minute)])
        return "Rate limit set.", refused
    if action in ("widget-key", "widget-key-revoke"):
        return await _widget_key(person, action, form)
    password = generate_password()
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    _, refused = await person.attempt(sql.USER_CREATE, [
        str(form.get("email") or ""), str(form.get("role") or ""), str(form.get("organization_id") or "") or None,
        password_hash, str(form.get("name") or "") or None])
    return f"User created. Their password, shown only now: {password}", refused


async def _widget_key(person: Person, action: str, form) -> tuple[str | None, Refused | None]:
    """Make (or rotate) a project's widget key and set the page origins that may use it, or revoke it."""
    project_id = str(form.get("project_id") or "").strip()
    if not project_id.isdigit():
        return None, invalid("Choose a project.", "Field: project_id.")
    if action == "widget-key-revoke":
        _, refused = await person.attempt(sql.UI_WIDGET_KEY_REVOKE, [int(project_id)])
        return f"Widget key of project {project_id} revoked: pages that embed it can no longer report.", refused
    origins = str(form.get("allowed_origins") or "").split()
    _, refused = await person.attempt(sql.UI_WIDGET_KEY_SET, [int(project_id), origins, form.get("rotate") == "on"])
    return f"Widget key of project {project_id} saved.", refused
