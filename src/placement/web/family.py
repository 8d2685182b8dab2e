"""Pages for familys (see placement.web.pages)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from placement.service.deps import require
from placement.web.pages import PageWho, page

router = APIRouter(include_in_schema=False)


@router.get("/family", response_class=HTMLResponse)
def family_home(request: Request, who: PageWho) -> Response:
    require(who, "family")
    return page(request, "placeholder.html", title="family", who=who)
