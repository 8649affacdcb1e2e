"""Pages whose features have not landed yet (the reports queue): they say so plainly instead of
showing anything made up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from workers.web.ui.pages import page, render, signed_in

NOT_YET = {
    "reports": ("Reports", "The queue of user reports (bug reports and feedback) is not available in this version yet. "
                           "Reports that arrive are stored; the Overview counts the open ones."),
}


@page
async def not_available_yet(request: Request) -> Response:
    title, message = NOT_YET[request.url.path.strip("/")]
    async with signed_in(request) as person:
        return render(request, "placeholder.html", {"title": title, "message": message}, person=person)
