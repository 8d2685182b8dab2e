"""Rounds and the working run: the current round, designating the run that feeds lists and
the worklist, and opening the next round."""

from __future__ import annotations

from fastapi import APIRouter, status

from placement.service.deps import CtxDep, PrincipalDep, SessionDep
from placement.service.paths import AreaId, RunId
from placement.service.rounds import service
from placement.service.rounds.schemas import RoundPublic, WaitingListPublic, WaitingPublic
from placement.service.rounds.waiting import waiting_lists

router = APIRouter(tags=["runs"])


@router.get("/areas/{area_id}/round")
def get_round(session: SessionDep, who: PrincipalDep, area_id: AreaId) -> RoundPublic:
    """The area's current round and its working run (the only run officers and families are
    shown; every other run is a study)."""
    return service.get_round(session, who, area_id)


@router.post("/runs/{run_id}/working")
def designate(session: SessionDep, who: PrincipalDep, run_id: RunId) -> RoundPublic:
    """Make a finished run of the children moving this round the working run (officers)."""
    return service.designate(session, who, run_id)


@router.post("/areas/{area_id}/rounds", status_code=status.HTTP_201_CREATED)
def open_round(session: SessionDep, who: PrincipalDep, area_id: AreaId) -> RoundPublic:
    """Open the next round (officers): confirmed placements and decisions stay; the children
    still open are placed by the next working run."""
    return service.open_round(session, who, area_id)


@router.get("/areas/{area_id}/waiting-lists")
def get_waiting_lists(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId
) -> list[WaitingListPublic]:
    """Each setting's waiting list (officers): the children refused it for want of a place,
    in the order places are offered (the LA's casework policy), whom to offer a free place
    to first, and the places free now."""
    return [
        WaitingListPublic(
            setting_id=w.setting_id,
            name=w.name,
            free_now=w.free_now,
            offer_first=w.offer_first.child_id if w.offer_first else None,
            waiting=[WaitingPublic.model_validate(x, from_attributes=True) for x in w.waiting],
        )
        for w in waiting_lists(ctx, session, who, area_id)
    ]
