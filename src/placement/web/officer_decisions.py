"""Officer pages for decisions: refusing one of the family's requests (the grounds that hold
now shown before anything is submitted), the letters as issued, and the placement panel for
the children hardest to place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from placement.service.decisions import service as decisions
from placement.service.decisions.schemas import RefusalCreate
from placement.service.deps import CtxDep, SessionDep
from placement.service.downloads import REPORT_CSP
from placement.service.errors import ServiceError
from placement.service.panel import service as panel
from placement.service.panel.schemas import PanelDecisionCreate
from placement.service.paths import AreaId, ChildId, DbId
from placement.service.placements import service as placements
from placement.service.security import Principal
from placement.web.officer_common import (
    ChildAt,
    OfficerChild,
    child_base,
    field_errors,
    la_areas,
    names_of,
    officer,
    show,
)
from placement.web.pages import PageWho, cap, redirect

router = APIRouter(include_in_schema=False)
REQUEST = "/officer/areas/{area_id}/children/{child_id}/requests/{request_id}/refuse"


def _named(session: SessionDep, who: Principal, c: ChildAt) -> str | None:
    placed = placements.list_for_child(session, who, c.area_id, c.child_id)
    return next((p.setting_id for p in placed if p.status == "confirmed"), None)


def _refuse_page(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: Principal,
    c: ChildAt,
    request_id: int,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    named = _named(session, who, c)
    found = [
        x
        for x in decisions.preview(ctx, session, who, c.area_id, c.child_id, named)
        if x.request_id == request_id
    ]
    if not found:  # not an open request of this child's
        raise ServiceError("the request is not open", slug="not-found")
    req = found[0]
    return show(
        request, who, "refuse.html", title=f"Refuse the request for {req.name}",
        status_code=422 if errors else 200, errors=errors, req=req, reason=reason,
        named=names_of(session, c.area_id).get(named or "", ""),
        base=child_base(c.area_id, c.child_id),
        url=REQUEST.format(area_id=c.area_id, child_id=c.child_id, request_id=request_id),
    )  # fmt: skip


@router.get(REQUEST, response_class=HTMLResponse)
def refuse_form(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    c: OfficerChild,
    request_id: DbId,
) -> Response:
    """The grounds that hold now for refusing the request, before the officer decides."""
    try:
        return _refuse_page(request, ctx, session, who, c, request_id)
    except ServiceError as e:
        if e.slug != "not-found":
            raise
        return redirect(child_base(c.area_id, c.child_id) + "#requests")


@router.post(REQUEST, response_class=HTMLResponse)
def refuse(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    c: OfficerChild,
    request_id: DbId,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = RefusalCreate(reason=reason)
    except ValidationError as e:
        errors = field_errors(e, {"reason": "The note"})
        return _refuse_page(request, ctx, session, who, c, request_id, reason=reason, errors=errors)
    try:
        decisions.refuse_request(ctx, session, who, c.area_id, c.child_id, request_id, body)
    except ServiceError as e:
        session.rollback()
        if e.status in (403, 404):
            raise
        if e.status == 409:
            return redirect(child_base(c.area_id, c.child_id) + "#requests")
        return _refuse_page(
            request, ctx, session, who, c, request_id, reason=reason,
            errors={"reason": cap(e.detail)},
        )  # fmt: skip
    return redirect(
        child_base(c.area_id, c.child_id) + "#decisions",
        done="The request is refused: the family's letter is in the decisions below",
        request=request,
    )


@router.get("/officer/decisions/{decision_id}/letter", response_class=HTMLResponse)
def letter(session: SessionDep, who: PageWho, decision_id: DbId) -> Response:
    """A decision letter exactly as issued (its own page, to read or print)."""
    officer(who)
    return HTMLResponse(
        decisions.letter(session, who, decision_id),
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "private, no-store"},
    )


@router.get("/officer/areas/{area_id}/panel", response_class=HTMLResponse)
def panel_page(
    request: Request, ctx: CtxDep, session: SessionDep, who: PageWho, area_id: AreaId
) -> Response:
    """The children hardest to place, what blocks each, and the nearest settings."""
    officer(who)
    children = panel.hard_to_place(ctx, session, who, area_id)
    return show(
        request, who, "panel.html", title="Placement panel", children=children, area_id=area_id,
        nav_path="/officer/panel",
    )  # fmt: skip


@router.get("/officer/panel", response_class=HTMLResponse)
def panel_home(request: Request, session: SessionDep, who: PageWho) -> Response:
    officer(who)
    found = la_areas(session, who)
    if len(found) == 1:
        return redirect(f"/officer/areas/{found[0].id}/panel")
    return show(
        request, who, "areas.html", title="Choose an area for the panel", areas=found,
        target="/panel", heading="Choose an area", nav_path="/officer/panel",
    )  # fmt: skip


@router.post("/officer/areas/{area_id}/children/{child_id}/panel", response_class=HTMLResponse)
def panel_decide(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    decision: Annotated[str, Form()] = "",
) -> Response:
    """Record the panel's decision about a child (a decision record with its letter)."""
    officer(who)
    try:
        body = PanelDecisionCreate(decision=decision)
        panel.panel_decision(ctx, session, who, area_id, child_id, body)
    except (ValidationError, ServiceError) as e:
        session.rollback()
        if isinstance(e, ServiceError) and e.status in (403, 404):
            raise
        return redirect(
            f"/officer/areas/{area_id}/panel",
            done=f"Enter what the panel decided for {child_id}",
            request=request,
        )
    return redirect(
        f"/officer/areas/{area_id}/panel",
        done=f"The panel's decision for {child_id} is recorded and the family's letter issued",
        request=request,
    )
