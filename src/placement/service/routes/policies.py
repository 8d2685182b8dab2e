"""Versioned policies: an LA's overrides of the default policy data, with the core's digest."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlmodel import col, func, select

from placement.service import services
from placement.service.deps import PageDep, PrincipalDep, SessionDep, require
from placement.service.errors import NotFoundError
from placement.service.models import PolicyRow
from placement.service.schemas import Page, PolicyCreate, PolicyPublic

router = APIRouter(tags=["policies"])
PolicyId = Annotated[int, Path(ge=1, le=2_147_483_647)]


def policy_public(r: PolicyRow) -> PolicyPublic:
    assert r.id is not None
    return PolicyPublic(
        id=r.id,
        la_code=r.la_code,
        version=r.version,
        digest=r.digest,
        overrides=json.loads(r.overrides),
        note=r.note,
        created_by=r.created_by,
        created_at=r.created_at,
    )


@router.get("/policies")
def list_policies(session: SessionDep, who: PrincipalDep, pg: PageDep) -> Page[PolicyPublic]:
    require(who, "officer", "planner")
    q = select(PolicyRow).where(PolicyRow.la_code == who.la_code)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(
        q.order_by(col(PolicyRow.version).desc()).offset(pg.offset).limit(pg.size)
    ).all()
    return Page(items=[policy_public(r) for r in rows], page=pg.page, size=pg.size, total=total)


@router.post("/policies", status_code=status.HTTP_201_CREATED)
def create_policy(session: SessionDep, who: PrincipalDep, body: PolicyCreate) -> PolicyPublic:
    """A new version of the LA's policy: overrides laid over ``models/*.toml`` (the same
    tables as an area's ``policy.toml``), validated before they are stored."""
    require(who, "planner")
    return policy_public(
        services.create_policy(session, who, overrides=body.overrides, note=body.note)
    )


@router.get("/policies/{policy_id}")
def get_policy(session: SessionDep, who: PrincipalDep, policy_id: PolicyId) -> PolicyPublic:
    require(who, "officer", "planner")
    r = session.get(PolicyRow, policy_id)
    if r is None or r.la_code != who.la_code:
        raise NotFoundError(f"policy {policy_id} not found")
    return policy_public(r)
