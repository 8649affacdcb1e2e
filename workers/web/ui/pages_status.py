"""The public status page (no sign-in): /status for people, complete without JavaScript, and
/status.json for machines (api.get_status_page as it is). Both are cached for a minute, as the
document behind them is."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from workers import sql
from workers.web.ui.pages import anonymous, page, render

CACHE_SECONDS = 60
LABELS = {"operational": "Operational", "degraded": "Degraded Performance", "partial_outage": "Partial Outage",
          "major_outage": "Major Outage", "maintenance": "Under Maintenance", None: "No data"}
_cache: dict[str, tuple[float, Any]] = {}


async def _documents(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status page and its history, read as anon at most once a minute per process."""
    cached = _cache.get("status")
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    async with anonymous(request) as conn:
        documents = await (await conn.execute(sql.UI_STATUS_PAGE)).fetchone()
    _cache["status"] = (time.monotonic(), documents)
    return documents


@page
async def status_page(request: Request) -> Response:
    status, history = await _documents(request)
    response = render(request, "status.html", {"status": status, "history": history, "labels": LABELS})
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


@page
async def status_json(request: Request) -> Response:
    status, _ = await _documents(request)
    return JSONResponse(status, headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"})
