"""Alerts (the spec's AlertConfigPanel): rules with their destinations, the editor, mute, send a
test, delete; incidents, the delivery history with failures first, and the person's in-app
notifications. Everything goes through api as the signed-in person: row-level security shows an
org owner their organization's rules only, and the rule functions validate every field (the
editor shows their refusal, code and hint included)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from psycopg.types.json import Jsonb
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import Person, checked_form, page, refused_answer, render, see_other, signed_in
from workers.web.ui.refusals import Refused, invalid, not_found

LIST_SIZE = 50
# What a person picks as where notifications go: the rule's channel and webhook format.
DESTINATIONS = {
    "email": ("E-mail", "email", "standard"),
    "slack": ("Slack incoming webhook", "slack", "standard"),
    "webhook": ("Webhook, signed JSON (Standard Webhooks)", "webhook", "standard"),
    "pagerduty": ("PagerDuty (Events API v2)", "webhook", "pagerduty"),
    "apprise": ("Apprise URL (Discord, Teams, Telegram, ntfy, ...)", "webhook", "apprise"),
    "in_app": ("In the app", "in_app", "standard"),
}
TAKES_URL = ("slack", "webhook", "pagerduty", "apprise")
TAKES_RECIPIENTS = ("email", "in_app")
MUTE_FOR = {"1h": "1 hour", "8h": "8 hours", "1d": "1 day", "7d": "7 days"}
INTERVALS = ("group_wait_seconds", "group_interval_seconds", "repeat_interval_seconds")
DONE = {"created": "Rule created.", "saved": "Rule saved.", "tested": "Test notification sent: see Deliveries.",
        "muted": "Rule muted.", "unmuted": "Rule unmuted.", "deleted": "Rule deleted.",
        "read": "Notifications marked read."}


def _rule_id(request: Request) -> str:
    try:
        return str(uuid.UUID(request.path_params["rule_id"]))
    except ValueError:
        raise not_found("alert rule") from None


def destination_of(rule: dict[str, Any]) -> str:
    if rule["channel"] == "webhook":
        return "webhook" if rule["webhook_format"] == "standard" else rule["webhook_format"]
    return rule["channel"]


@page
async def alerts(request: Request) -> Response:
    async with signed_in(request) as person:
        return await _alerts_page(request, person)


async def _alerts_page(request: Request, person: Person, notice: str | None = None) -> Response:
    return render(request, "alerts.html", {
        "rules": await person.rows(sql.UI_ALERT_RULES),
        "incidents": await person.rows(sql.UI_ALERT_INCIDENTS, [LIST_SIZE]),
        "deliveries": await person.rows(sql.UI_ALERT_DELIVERIES, [LIST_SIZE]),
        "notifications": await person.rows(sql.UI_NOTIFICATIONS, [LIST_SIZE]),
        "destinations": DESTINATIONS, "destination_of": destination_of, "mute_for": MUTE_FOR,
        "may_write": person.role != "staff",
        "notice": notice or DONE.get(request.query_params.get("done", ""))}, person=person)


def _integer(text: str) -> int | str | None:
    """A whole number of seconds; anything else goes to SQL as it is, which refuses it (QVA05)."""
    text = text.strip()
    return None if not text else int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else text


def rule_fields(form: FormData, creating: bool) -> dict[str, Any]:
    """The editor's fields as the rule's JSON fields; SQL validates them all. A secret left empty
    on an existing rule is kept (reads show it cut, so it cannot be shown again)."""
    destination = str(form.get("destination") or "")
    if destination not in DESTINATIONS:
        raise invalid("Choose where notifications go.", "Field: destination.",
                      f"One of: {', '.join(DESTINATIONS)}.")
    _, channel, webhook_format = DESTINATIONS[destination]
    text = str(form.get("trigger_conditions") or "").strip() or "{}"
    try:
        conditions = json.loads(text)
    except ValueError:
        raise invalid("The trigger conditions are not JSON.", "Field: trigger_conditions.",
                      'Write an object such as {"threshold": 100, "window_minutes": 5}, or {} for the defaults.') \
            from None
    fields: dict[str, Any] = {
        "name": str(form.get("name") or "").strip() or None, "alert_type": str(form.get("alert_type") or ""),
        "channel": channel, "webhook_format": webhook_format, "trigger_conditions": conditions,
        "is_active": form.get("is_active") == "on", "send_resolved": form.get("send_resolved") == "on",
        **{name: _integer(str(form.get(name) or "")) for name in INTERVALS}}
    recipients = [part for part in re.split(r"[\s,;]+", str(form.get("recipients") or "")) if part]
    fields["recipients"] = (recipients or None) if destination in TAKES_RECIPIENTS else None
    url, key = str(form.get("webhook_url") or "").strip(), str(form.get("pagerduty_routing_key") or "").strip()
    if destination not in TAKES_URL:
        fields["webhook_url"] = None
    elif url or creating:
        fields["webhook_url"] = url or None
    if destination != "pagerduty":
        fields["pagerduty_routing_key"] = None
    elif key or creating:
        fields["pagerduty_routing_key"] = key or None
    if creating:
        fields["organization_id"] = str(form.get("organization_id") or "") or None
        fields = {name: value for name, value in fields.items() if value is not None}
    return fields


async def _editor(request: Request, person: Person, rule: dict[str, Any] | None, form: FormData | None = None,
                  refused: Refused | None = None) -> Response:
    """The rule editor: empty, the rule's fields, or what was sent (with SQL's refusal)."""
    async def editor_page() -> Response:
        keys = await person.rows(sql.UI_ALERT_CONDITION_KEYS)
        values: dict[str, Any] = dict(form) if form is not None else {
            "name": "", "alert_type": "critical_error", "destination": "in_app", "trigger_conditions": "{}",
            "is_active": "on", "send_resolved": "on", "recipients": ""}
        if rule is not None and form is None:
            values = {**{name: "" if rule[name] is None else rule[name] for name in INTERVALS},
                      "name": rule["name"] or "", "alert_type": rule["alert_type"],
                      "destination": destination_of(rule), "recipients": ", ".join(rule["recipients"] or []),
                      "trigger_conditions": json.dumps(rule["trigger_conditions"], indent=2),
                      "is_active": "on" if rule["is_active"] else "",
                      "send_resolved": "on" if rule["send_resolved"] else ""}
        organizations = await person.rows(sql.UI_ORGANIZATIONS) if rule is None and person.is_admin else []
        return render(request, "alert_form.html", {
            "rule": rule, "values": values, "refused": refused, "destinations": DESTINATIONS,
            "alert_types": sorted({key["alert_type"] for key in keys}), "keys": keys,
            "organizations": organizations}, person=person)

    return await refused_answer(request, refused, editor_page)


async def _written(request: Request, person: Person, secret: str | None, done: str) -> Response:
    """After a write: a new signing secret is shown this once (on the page, not in a URL)."""
    if secret:
        return await _alerts_page(request, person, notice=f"Rule {done}. Its signing secret, shown only now: {secret}")
    return see_other(f"/alerts?done={done}")


@page
async def rule_new(request: Request) -> Response:
    async with signed_in(request) as person:
        if request.method == "GET":
            return await _editor(request, person, None)
        form = await checked_form(request, person)
        created, refused = await person.attempt(sql.UI_ALERT_RULE_CREATE, [Jsonb(rule_fields(form, creating=True))],
                                                whole_row=True)
        if refused:
            return await _editor(request, person, None, form, refused)
        return await _written(request, person, created["signing_secret"], "created")


@page
async def rule_edit(request: Request) -> Response:
    rule_id = _rule_id(request)
    async with signed_in(request) as person:
        rule = await person.row(sql.UI_ALERT_RULE, [rule_id])
        if rule is None:
            raise not_found("alert rule")
        if request.method == "GET":
            return await _editor(request, person, rule)
        form = await checked_form(request, person)
        saved, refused = await person.attempt(sql.UI_ALERT_RULE_UPDATE,
                                              [Jsonb(rule_fields(form, creating=False)), rule_id], whole_row=True)
        if refused:
            return await _editor(request, person, rule, form, refused)
        if saved is None:  # row-level security: a rule this person may read but not change
            raise not_found("alert rule")
        return await _written(request, person, saved["signing_secret"], "saved")


@page
async def rule_action(request: Request) -> Response:
    """POST /alerts/{rule_id}/{action}: mute (for a while), unmute, test, rotate-secret, delete."""
    rule_id, action = _rule_id(request), request.path_params["action"]
    if action not in ("mute", "unmute", "test", "rotate-secret", "delete"):
        raise not_found("action")
    async with signed_in(request) as person:
        form = await checked_form(request, person)
        if action == "test":
            await person.value(sql.UI_ALERT_TEST, [rule_id])
            return see_other("/alerts?done=tested#deliveries")
        if action == "rotate-secret":
            secret = await person.value(sql.UI_ALERT_ROTATE_SECRET, [rule_id])
            return await _alerts_page(request, person, notice=f"New signing secret, shown only now: {secret}")
        if action == "mute":
            mute_for = MUTE_FOR.get(str(form.get("for") or ""))
            if mute_for is None:
                raise invalid("Choose how long to mute the rule.", "Field: for.", f"One of: {', '.join(MUTE_FOR)}.")
            changed = await person.value(sql.UI_ALERT_RULE_MUTE, [mute_for, rule_id])
        elif action == "unmute":
            changed = await person.value(sql.UI_ALERT_RULE_MUTE, [None, rule_id])
        else:
            changed = await person.value(sql.UI_ALERT_RULE_DELETE, [rule_id])
        if changed is None:
            raise not_found("alert rule")
    return see_other(f"/alerts?done={action}d" if action != "mute" else "/alerts?done=muted")


@page
async def notifications_read(request: Request) -> Response:
    async with signed_in(request) as person:
        await checked_form(request, person)
        await person.value(sql.UI_MARK_NOTIFICATIONS_READ, [None])
    return see_other("/alerts?done=read#notifications")
