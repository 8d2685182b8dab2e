"""The audit trail: the LA's events, and a check of the whole hash chain."""

from __future__ import annotations

import json

from fastapi import APIRouter
from sqlmodel import col, func, select

from placement.service import audit, services
from placement.service.deps import PageDep, PrincipalDep, SessionDep, require
from placement.service.models import AuditEvent
from placement.service.schemas import AuditEventPublic, ChainPublic, Page

router = APIRouter(tags=["audit"])
# what a planner may read of the trail: no child-level events (placement.disclosure)
PLANNER_OBJECTS = ("area", "policy", "run", "scenario")


@router.get("/audit/events")
def events(session: SessionDep, who: PrincipalDep, pg: PageDep) -> Page[AuditEventPublic]:
    """Events of the caller's LA, newest first. Officers see them all; planners only those
    about areas, policies, runs and scenario runs (events about children, placements and
    users name a child and what was asked for or decided about them), with an area's count
    of children disclosure-controlled and a failed run's error withheld
    (:func:`services.planner_details`); their hashes are of the stored details, which
    ``/audit/verify`` checks."""
    require(who, "officer", "planner")
    q = select(AuditEvent).where(AuditEvent.la_code == who.la_code)
    if who.role == "planner":
        q = q.where(col(AuditEvent.object_type).in_(PLANNER_OBJECTS))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(
        q.order_by(col(AuditEvent.seq).desc()).offset(pg.offset).limit(pg.size)
    ).all()
    return Page(
        items=[
            AuditEventPublic(
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                role=e.role,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                details=(
                    services.planner_details(json.loads(e.details))
                    if who.role == "planner"
                    else json.loads(e.details)
                ),
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
            for e in rows
        ],
        page=pg.page,
        size=pg.size,
        total=total,
    )


@router.get("/audit/verify")
def verify(session: SessionDep, who: PrincipalDep) -> ChainPublic:
    """Recompute the whole chain: ``ok`` is false, with the first bad event, if any row was
    changed, removed or inserted outside the service."""
    require(who, "officer", "planner")
    r = audit.verify(session)
    return ChainPublic(
        ok=r.ok,
        events=r.events,
        head_seq=r.head_seq,
        first_bad_seq=r.first_bad_seq,
        problem=r.problem,
    )
