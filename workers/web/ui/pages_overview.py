"""The Overview (the spec's ErrorDashboard): the error trend, errors awaiting acknowledgement
against the response targets, the live feed, the health grid, open incidents and the latest alerts."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import SignInRequired, page, render, signed_in, ui
from workers.web.ui.refusals import refusal_json, sign_in_required
from workers.web.ui.render import TEMPLATES

log = logging.getLogger("pgwarden.web")

RANGES = {"24h": "24 hours", "7d": "7 days", "30d": "30 days"}
LIVE_ITEMS = 10
LATEST_ALERTS = 8
LISTENER_WAIT_SECONDS = 5.0


@page
async def overview(request: Request) -> Response:
    chosen = request.query_params.get("range", "24h")
    time_range = RANGES.get(chosen, RANGES["24h"])
    async with signed_in(request) as person:
        stats = await person.value(sql.UI_ERROR_STATS, [time_range])
        context: dict[str, Any] = {
            "range": chosen if chosen in RANGES else "24h", "ranges": RANGES, "stats": stats,
            "unacknowledged": await person.rows(sql.UI_UNACKNOWLEDGED, {"limit": LIVE_ITEMS}),
            "latest": await person.rows(sql.UI_LATEST_ERRORS, [LIVE_ITEMS]),
            "health": await person.value(sql.UI_HEALTH_SUMMARY),
            "incidents": await person.rows(sql.UI_OPEN_INCIDENTS),
            "alerts": await person.rows(sql.UI_LATEST_ALERTS, [LATEST_ALERTS]),
            "open_reports": await person.value(sql.UI_OPEN_REPORTS),
        }
        return render(request, "overview.html", context, person=person)


async def live_errors(request: Request) -> Response:
    """Server-Sent Events: each group the errors:live NOTIFY names and this person may see, as the
    HTML of one live-feed item (event "error"). Ends when the session does."""
    try:
        async with signed_in(request, for_page=False):
            pass
    except SignInRequired:
        return refusal_json(sign_in_required())
    state = ui(request)
    item = TEMPLATES.env.get_template("_live_item.html")

    async def stream() -> AsyncIterator[dict[str, str]]:
        with state.live.payloads() as queue:
            # "Live" once notifications are heard (the listener reconnects by itself; events follow)
            for _ in range(int(LISTENER_WAIT_SECONDS / 0.05)):
                if state.live.listening:
                    break
                await asyncio.sleep(0.05)
            yield {"event": "ready", "data": '<span class="live-on">Live</span>'}
            while True:
                ids = _group_ids(await queue.get())
                if not ids:
                    continue
                try:
                    async with signed_in(request, for_page=False) as person:
                        rows = await person.rows(sql.UI_LIVE_ERRORS, [ids])
                except SignInRequired:
                    yield {"event": "ready", "data": '<span class="live-off">Signed out</span>'}
                    return
                for row in rows:  # oldest first: each is prepended, so the newest ends on top
                    yield {"event": "error", "data": item.render(row=row)}

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})


def _group_ids(payload: str) -> list[str]:
    """The group ids an errors:live notification names ({"ids": [...]})."""
    try:
        return [str(value) for value in json.loads(payload)["ids"]]
    except (ValueError, KeyError, TypeError):
        log.warning("live feed: unreadable notification")
        return []
