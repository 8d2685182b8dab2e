"""Decisions: a child's decisions, one decision's record, its letter as issued, and refusing
one request on the grounds that hold now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from placement.service.decisions import service
from placement.service.decisions.schemas import DecisionPublic, RefusalCreate
from placement.service.deps import CtxDep, PrincipalDep, SessionDep
from placement.service.downloads import REPORT_CSP
from placement.service.paths import AreaId, ChildId, DbId

router = APIRouter(tags=["decisions"])
RequestId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/areas/{area_id}/children/{child_id}/decisions")
def list_decisions(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, child_id: ChildId
) -> list[DecisionPublic]:
    """The child's decisions, oldest first, each with its record and its letter's address."""
    return service.list_decisions(session, who, area_id, child_id)


@router.get("/decisions/{decision_id}")
def get_decision(session: SessionDep, who: PrincipalDep, decision_id: DbId) -> DecisionPublic:
    return service.get_decision(session, who, decision_id)


@router.get(
    "/decisions/{decision_id}/letter",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "the letter as issued"}},
)
def letter(session: SessionDep, who: PrincipalDep, decision_id: DbId) -> Response:
    """The decision letter exactly as issued (its SHA-256 is in the audit trail)."""
    return Response(
        content=service.letter(session, who, decision_id).encode(),
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "private, no-store"},
    )


@router.post(
    "/areas/{area_id}/children/{child_id}/requests/{request_id}/refusal",
    status_code=status.HTTP_201_CREATED,
)
def refuse(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    request_id: RequestId,
    body: RefusalCreate,
) -> DecisionPublic:
    """Refuse one of the family's open requests now (officers): only on a ground that holds
    now (422 naming the request otherwise), with a letter to the family."""
    return service.refuse_request(ctx, session, who, area_id, child_id, request_id, body)
