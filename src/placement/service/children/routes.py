"""Children: the worklist, a child's record, the tailored list, explanations and what-ifs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from placement.domain import Need
from placement.service.children import service
from placement.service.children.schemas import ChildPublic, ChildSummary
from placement.service.children.service import (
    WORKLIST_PARAMS,
    PlacementStatus,
    RunOutcome,
    WorklistFilters,
)
from placement.service.deps import CtxDep, PageDep, PrincipalDep, SessionDep
from placement.service.paths import ID_PART, AreaId, AudienceQ, ChildId, SettingId
from placement.service.schemas import Page

router = APIRouter()


@router.get("/areas/{area_id}/children", tags=["children"])
def list_children(
    ctx: CtxDep,
    request: Request,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    pg: PageDep,
    run_outcome: Annotated[
        RunOutcome | None,
        Query(description="the child's outcome in the area's latest run"),
    ] = None,
    status_: Annotated[
        PlacementStatus | None,
        Query(alias="status", description="the child's latest placement's workflow status"),
    ] = None,
    consultation_overdue: Annotated[
        bool | None, Query(description="a consultation past its 15 days without a reply")
    ] = None,
    deadline_within_days: Annotated[
        int | None,
        Query(ge=0, le=366, description="phase-transfer deadline within this many days"),
    ] = None,
    need: Annotated[Need | None, Query(description="primary need (SEN2 code)")] = None,
    year: Annotated[int | None, Query(ge=-4, le=21, description="national curriculum year")] = None,
    q: Annotated[str | None, Query(max_length=64, pattern=ID_PART, description="child id")] = None,
) -> Page[ChildSummary]:
    """The officer's worklist: the area's children with their run outcome and workflow
    status, filtered; an unknown filter is a 422 (never silently ignored)."""
    filters = WorklistFilters(
        run_outcome=run_outcome,
        status=status_,
        consultation_overdue=consultation_overdue,
        deadline_within_days=deadline_within_days,
        need=need,
        year=year,
        q=q,
    )
    unknown = sorted(set(request.query_params) - WORKLIST_PARAMS)
    return service.worklist(ctx, session, who, area_id, pg, filters, unknown=unknown)


@router.get("/areas/{area_id}/children/{child_id}", tags=["children"])
def get_child(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, child_id: ChildId
) -> ChildPublic:
    return service.get_child(ctx, session, who, area_id, child_id)


@router.get(
    "/areas/{area_id}/children/{child_id}/list",
    tags=["lists"],
    responses={200: {"content": {"application/json": {}}, "description": "the tailored list"}},
)
def tailored_list(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    audience: AudienceQ = None,
) -> Response:
    """The child's tailored list from the stored area and its latest run: options with
    reasons, requests with the statutory tests, settings left off and why. Families always
    get family wording (no codes, costs or scores)."""
    body = service.tailored_list_body(ctx, session, who, area_id, child_id, audience)
    return Response(content=body, media_type="application/json")


@router.get("/areas/{area_id}/children/{child_id}/explanations/{setting_id}", tags=["lists"])
def explain(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    setting_id: SettingId,
    audience: AudienceQ = None,
) -> dict[str, Any]:
    """Why a setting is on the child's list, or why not, and the statutory tests if the
    family asked for it."""
    return service.explain(ctx, session, who, area_id, child_id, setting_id, audience)


@router.get("/areas/{area_id}/children/{child_id}/what-if/{setting_id}", tags=["lists"])
def what_if(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    setting_id: SettingId,
) -> dict[str, Any]:
    """What if the child were placed at this setting (officers): the area re-solved exactly
    with the optimised mechanism, the change in each tier, and every other child who would
    move, with setting names. A family sees only its own child, so this is for officers."""
    return service.what_if(ctx, session, who, area_id, child_id, setting_id)
