"""Versioned policies: an LA's overrides of the default policy data, with the core's digest."""

from __future__ import annotations

from fastapi import APIRouter, status

from placement.service.deps import PageDep, PrincipalDep, SessionDep
from placement.service.paths import PolicyId
from placement.service.policies import service
from placement.service.policies.schemas import PolicyCreate, PolicyPublic
from placement.service.schemas import Page

router = APIRouter(tags=["policies"])


@router.get("/policies")
def list_policies(session: SessionDep, who: PrincipalDep, pg: PageDep) -> Page[PolicyPublic]:
    return service.list_policies(session, who, pg)


@router.post("/policies", status_code=status.HTTP_201_CREATED)
def create_policy(session: SessionDep, who: PrincipalDep, body: PolicyCreate) -> PolicyPublic:
    """A new version of the LA's policy: overrides laid over ``models/*.toml`` (the same
    tables as an area's ``policy.toml``), validated before they are stored."""
    return service.create_policy(session, who, body)


@router.get("/policies/{policy_id}")
def get_policy(session: SessionDep, who: PrincipalDep, policy_id: PolicyId) -> PolicyPublic:
    return service.get_policy(session, who, policy_id)
