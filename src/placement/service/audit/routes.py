"""The audit trail: the LA's events, and a check of the whole hash chain."""

from __future__ import annotations

from fastapi import APIRouter

from placement.service.audit import service
from placement.service.audit.schemas import AuditEventPublic, ChainPublic
from placement.service.deps import CtxDep, PageDep, PrincipalDep, SessionDep
from placement.service.schemas import Page

router = APIRouter(tags=["audit"])


@router.get("/audit/events")
def events(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, pg: PageDep
) -> Page[AuditEventPublic]:
    """Events of the caller's LA, newest first. Officers see them all; planners only those
    about areas, policies, runs and scenario runs (events about children, placements and
    users name a child and what was asked for or decided about them), with an area's count
    of children disclosure-controlled and a failed run's error withheld; their hashes are of
    the stored details, which ``/audit/verify`` checks."""
    return service.events(ctx, session, who, pg)


@router.get("/audit/verify")
def verify(ctx: CtxDep, session: SessionDep, who: PrincipalDep) -> ChainPublic:
    """Recompute the whole chain: ``ok`` is false, with the first bad event, if any row was
    changed, removed or inserted outside the service; and, with an anchor configured
    (``PLACEMENT_AUDIT_ANCHOR``), if the chain does not hold the anchored head (a consistent
    rewrite of the chain, or an older backup restored). 503 if the anchor cannot be read."""
    return service.verify(ctx, session, who)
