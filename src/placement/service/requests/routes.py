"""A family's ranked requests: read them with their status, and replace them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from placement.service.deps import CtxDep, PrincipalDep, SessionDep, WriteLimitDep
from placement.service.paths import AreaId, ChildId
from placement.service.requests import service
from placement.service.requests.schemas import RequestsUpdate

router = APIRouter()


@router.get("/areas/{area_id}/children/{child_id}/requests", tags=["children"])
def get_requests(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, child_id: ChildId
) -> dict[str, Any]:
    """The family's ranked requests with their status ("being considered" until an officer
    decides); officers also see the area run's statutory tests and whether the requests
    changed since the run."""
    return service.get_requests(ctx, session, who, area_id, child_id)


@router.put("/areas/{area_id}/children/{child_id}/requests", tags=["children"])
def put_requests(
    session: SessionDep,
    who: PrincipalDep,
    _: WriteLimitDep,  # per-user write rate limit (429 with Retry-After)
    area_id: AreaId,
    child_id: ChildId,
    body: RequestsUpdate,
) -> dict[str, Any]:
    """Replace the ranked requests (the family, or an officer on their behalf). A family may
    ask for any setting in the area, on the list or not."""
    return service.save_requests(session, who, area_id, child_id, list(body.setting_ids))
