"""Placements: proposed -> setting consulted -> confirmed or declined, with statutory dates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, status
from fastapi.responses import JSONResponse
from sqlmodel import col, select

from placement.service import services
from placement.service.deps import (
    CtxDep,
    PrincipalDep,
    SessionDep,
    area_for,
    child_for,
    placement_for,
    require,
)
from placement.service.models import AreaRow, PlacementRow
from placement.service.routes.areas import AreaId, ChildId
from placement.service.schemas import (
    DecisionCreate,
    PlacementCreate,
    PlacementPublic,
    SettingResponseCreate,
)
from placement.service.security import Principal

router = APIRouter(tags=["placements"])
PlacementId = Annotated[int, Path(ge=1, le=2_147_483_647)]
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


def placement_public(r: PlacementRow, who: Principal | None = None) -> PlacementPublic:
    """A placement as the caller may see it: a family never sees internal notes, the
    setting's note or staff usernames."""
    assert r.id is not None
    staff = who is None or who.role != "family"
    overdue = (
        r.status == "consulted"
        and r.consultation_due is not None
        and r.setting_response is None
        and dt.datetime.now(dt.UTC).date() > r.consultation_due
    )
    return PlacementPublic(
        id=r.id,
        area_id=r.area_id,
        child_id=r.child_id,
        setting_id=r.setting_id,
        pool_need=r.pool_need,
        status=r.status,
        run_id=r.run_id,
        note=r.note if staff else None,
        proposed_by=r.proposed_by if staff else None,
        proposed_at=r.proposed_at,
        consultation_started_at=r.consultation_started_at,
        consultation_due=r.consultation_due,
        consultation_overdue=overdue,
        setting_response=r.setting_response,
        setting_response_note=r.setting_response_note if staff else None,
        phase_transfer_deadline=r.phase_transfer_deadline,
        list_rank=r.list_rank,
        top_setting_id=r.top_setting_id,
        recommended_setting_id=r.recommended_setting_id,
        decided_by=r.decided_by if staff else None,
        decided_at=r.decided_at,
        decision_reason=r.decision_reason,
        override_rules=r.override_rules.split(",") if r.override_rules else [],
    )


@router.get("/areas/{area_id}/children/{child_id}/placements")
def list_child_placements(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, child_id: ChildId
) -> list[PlacementPublic]:
    child_for(session, who, area_id, child_id)
    rows = session.exec(
        select(PlacementRow)
        .where(PlacementRow.area_id == area_id, PlacementRow.child_id == child_id)
        .order_by(col(PlacementRow.id))
    ).all()
    return [placement_public(r, who) for r in rows]


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
    require(who, "officer")
    child = child_for(session, who, area_id, child_id)
    area = area_for(session, who, area_id)
    row = services.propose_placement(
        session,
        who,
        area=area,
        child=child,
        setting_id=body.setting_id,
        note=body.note,
        cache=ctx.cache,
    )
    return placement_public(row)


@router.get("/placements/{placement_id}")
def get_placement(
    session: SessionDep, who: PrincipalDep, placement_id: PlacementId
) -> PlacementPublic:
    return placement_public(placement_for(session, who, placement_id), who)


@router.post("/placements/{placement_id}/consultation")
def consult(session: SessionDep, who: PrincipalDep, placement_id: PlacementId) -> PlacementPublic:
    """Start consulting the setting (CFA 2014 s.39(2)): the reply is due in 15 days."""
    require(who, "officer")
    placement_for(session, who, placement_id)
    return placement_public(services.start_consultation(session, who, placement_id=placement_id))


@router.post("/placements/{placement_id}/setting-response")
def setting_response(
    session: SessionDep, who: PrincipalDep, placement_id: PlacementId, body: SettingResponseCreate
) -> PlacementPublic:
    """Record the setting's reply (evidence, not a veto)."""
    require(who, "officer")
    placement_for(session, who, placement_id)
    row = services.record_setting_response(
        session, who, placement_id=placement_id, response=body.response, note=body.note
    )
    return placement_public(row)


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
    require(who, "officer")
    row = placement_for(session, who, placement_id)
    area = session.get(AreaRow, row.area_id)
    assert area is not None
    if body.outcome == "confirmed":
        ctx.cache.get(session, area)  # build outside the write lock
    payload: dict[str, Any] = body.model_dump()
    code, out = services.decide(
        session,
        who,
        placement_id=placement_id,
        outcome=body.outcome,
        reason=body.reason,
        overrides=list(body.overrides),
        idempotency_key=idempotency_key,
        req_hash=services.request_hash("POST", f"/placements/{placement_id}/decision", payload),
        cache=ctx.cache,
        render=lambda r: placement_public(r).model_dump(mode="json"),
    )
    return JSONResponse(out, status_code=code)
