"""Placements: proposed -> setting consulted -> confirmed or declined, with statutory dates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status
from fastapi.responses import JSONResponse

from placement.service.deps import CtxDep, PrincipalDep, SessionDep
from placement.service.paths import AreaId, ChildId, PlacementId
from placement.service.placements import service
from placement.service.placements.schemas import (
    DecisionCreate,
    PlacementCreate,
    PlacementPublic,
    SettingResponseCreate,
    WithdrawalCreate,
)

router = APIRouter(tags=["placements"])
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="replays return the first result; the same key with another body is 422",
    ),
]


@router.get("/areas/{area_id}/children/{child_id}/placements")
def list_child_placements(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, child_id: ChildId
) -> list[PlacementPublic]:
    return service.list_for_child(session, who, area_id, child_id)


@router.post("/areas/{area_id}/children/{child_id}/placements", status_code=status.HTTP_201_CREATED)
def propose(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    body: PlacementCreate,
) -> PlacementPublic:
    """Propose a setting for the child (officers)."""
    return service.propose(ctx, session, who, area_id, child_id, body)


@router.get("/placements/{placement_id}")
def get_placement(
    session: SessionDep, who: PrincipalDep, placement_id: PlacementId
) -> PlacementPublic:
    return service.get_placement(session, who, placement_id)


@router.post("/placements/{placement_id}/consultation")
def consult(session: SessionDep, who: PrincipalDep, placement_id: PlacementId) -> PlacementPublic:
    """Start consulting the setting (CFA 2014 s.39(2)): the reply is due in 15 days."""
    return service.consult(session, who, placement_id)


@router.post("/placements/{placement_id}/setting-response")
def setting_response(
    session: SessionDep, who: PrincipalDep, placement_id: PlacementId, body: SettingResponseCreate
) -> PlacementPublic:
    """Record the setting's reply (evidence, not a veto)."""
    return service.record_reply(session, who, placement_id, body)


@router.post(
    "/placements/{placement_id}/decision",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "no place left, or the placement is not consulted"}},
)
def decide(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    placement_id: PlacementId,
    body: DecisionCreate,
    idempotency_key: IdemKey = None,
) -> JSONResponse:
    """Confirm or decline. Confirming takes a place (409 when none is left) and needs a
    reason unless the setting is the top option of the child's tailored list."""
    code, out = service.decide(
        ctx, session, who, placement_id, body, idempotency_key=idempotency_key
    )
    return JSONResponse(out, status_code=code)


@router.post("/placements/{placement_id}/withdrawal")
def withdraw(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    placement_id: PlacementId,
    body: WithdrawalCreate,
) -> PlacementPublic:
    """Withdraw a proposal, a consultation or a confirmed placement (officers); withdrawing
    a confirmed placement gives its place back and writes to the family."""
    return service.withdraw(ctx, session, who, placement_id, body)
