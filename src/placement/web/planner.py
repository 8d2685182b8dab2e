"""Pages for planners (see placement.web.pages)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from placement.service.deps import require
from placement.web.pages import PageWho, page

router = APIRouter(include_in_schema=False)


@router.get("/planner", response_class=HTMLResponse)
def planner_home(request: Request, who: PageWho) -> Response:
    require(who, "planner")
    return page(request, "placeholder.html", title="planner", who=who)
