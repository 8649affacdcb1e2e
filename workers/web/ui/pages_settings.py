"""Settings: organizations, projects (DSN, public key, rate limit) and users. Everyone sees what
RLS shows them; the writes are the api functions' own (system admins create organizations and
users and set limits; org owners create projects in their organization)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import psycopg
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import Person, Refused, checked_form, page, refusal, render, signed_in
from workers.web.ui.security import generate_password, hash_password


def dsn(request: Request, project: dict[str, Any]) -> str:
    """The Sentry DSN of a project, at the address this page was reached by."""
    return f"{request.url.scheme}://{project['public_key']}@{request.url.netloc}/{project['id']}"


async def _settings_page(request: Request, person: Person, notice: str | None = None, error: str | None = None,
                         status: int = 200) -> Response:
    organizations = await person.rows(sql.UI_ORGANIZATIONS)
    limits = {row["organization_id"]: row for row in await person.rows(sql.UI_RATE_LIMITS)} \
        if person.role != "staff" else {}
    projects = await person.rows(sql.UI_PROJECTS)
    for project in projects:
        project["dsn"] = dsn(request, project)
    names = {org["id"]: org["name"] for org in organizations}
    return render(request, "settings.html", {
        "organizations": organizations, "limits": limits, "projects": projects, "names": names,
        "users": await person.rows(sql.UI_USERS), "notice": notice or request.query_params.get("done"),
        "error": error}, status=status, person=person)


@page
async def settings(request: Request) -> Response:
    async with signed_in(request) as person:
        return await _settings_page(request, person)


@page
async def settings_action(request: Request) -> Response:
    """POST /settings/{action}: organization, project, rate-limit or user."""
    action = request.path_params["action"]
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        notice = None
        try:
            async with person.conn.transaction():
                if action == "organization":
                    await person.conn.execute(sql.UI_CREATE_ORGANIZATION, [str(form.get("name") or "")])
                    notice = "Organization created."
                elif action == "project":
                    await person.conn.execute(sql.UI_CREATE_PROJECT, [str(form.get("organization_id") or "") or None,
                                                                      str(form.get("name") or "")])
                    notice = "Project created: its DSN is in the list."
                elif action == "rate-limit":
                    per_minute = str(form.get("per_minute") or "").strip()
                    if not per_minute.isdigit():
                        raise Refused(400, "The limit is a whole number of events per minute (0 lifts it).")
                    await person.conn.execute(sql.UI_SET_RATE_LIMIT,
                                              [str(form.get("organization_id")), int(per_minute)])
                    notice = "Rate limit set."
                elif action == "user":
                    password = generate_password()
                    password_hash = await anyio.to_thread.run_sync(hash_password, password)
                    await person.conn.execute(sql.USER_CREATE, [
                        str(form.get("email") or ""), str(form.get("role") or ""),
                        str(form.get("organization_id") or "") or None, password_hash,
                        str(form.get("name") or "") or None])
                    notice = f"User created. Their password, shown only now: {password}"
                else:
                    raise Refused(404, "No such setting.")
        except psycopg.Error as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            return await _settings_page(request, person, error=" ".join(
                part for part in (refused.message, refused.detail) if part), status=refused.status)
        return await _settings_page(request, person, notice=notice)
