"""The panel: the children hardest to place, and the panel's decisions."""

from __future__ import annotations

from fastapi import APIRouter, status

from placement.service.decisions.schemas import DecisionPublic
from placement.service.deps import CtxDep, PrincipalDep, SessionDep
from placement.service.panel import service
from placement.service.panel.schemas import HardToPlace, PanelDecisionCreate
from placement.service.paths import AreaId, ChildId

router = APIRouter(tags=["panel"])


@router.get("/areas/{area_id}/panel")
def hard_to_place(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId
) -> list[HardToPlace]:
    """The children for the placement panel (officers): still to place, and unplaced in the
    working run or with no option within the journey limit that has a place at a cost within
    the LA's threshold; what blocks each, and the nearest settings."""
    return service.hard_to_place(ctx, session, who, area_id)


@router.post(
    "/areas/{area_id}/children/{child_id}/panel-decision", status_code=status.HTTP_201_CREATED
)
def panel_decision(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    body: PanelDecisionCreate,
) -> DecisionPublic:
    """Record the panel's decision about a child, with a letter to the family."""
    return service.panel_decision(ctx, session, who, area_id, child_id, body)
