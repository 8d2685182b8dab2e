"""The audit trail as people read it: the LA's events (planners: none about children), and a
check of the whole hash chain against its anchor."""

from __future__ import annotations

import json

from sqlmodel import Session, col, func, select

from placement.service.access import require
from placement.service.anchor import AnchorError, read_anchor
from placement.service.audit import chain
from placement.service.audit.models import AuditEvent
from placement.service.audit.schemas import AuditEventPublic, ChainPublic
from placement.service.context import Ctx
from placement.service.disclosed import planner_details
from placement.service.errors import UnavailableError
from placement.service.schemas import Page, PageParams, public
from placement.service.security import Principal

__all__ = ["PLANNER_OBJECTS", "events", "verify"]

# what a planner may read of the trail: no child-level events (placement.disclosure)
PLANNER_OBJECTS = ("area", "policy", "run", "scenario")


def _public(e: AuditEvent, who: Principal) -> AuditEventPublic:
    details = json.loads(e.details)
    if who.role == "planner":
        details = planner_details(details)
    return public(AuditEventPublic, e, details=details)


def events(ctx: Ctx, session: Session, who: Principal, pg: PageParams) -> Page[AuditEventPublic]:
    """Events of the caller's LA, newest first. Officers see them all; planners only those
    about areas, policies, runs and scenario runs (events about children, placements and
    users name a child and what was asked for or decided about them), with an area's count
    of children disclosure-controlled and a failed run's error withheld; their hashes are of
    the stored details, which :func:`verify` checks."""
    require(who, "officer", "planner")
    if ctx.ops is not None:
        ctx.ops.reads.flush()  # reads of child records so far are in what this returns
    q = select(AuditEvent).where(AuditEvent.la_code == who.la_code)
    if who.role == "planner":
        q = q.where(col(AuditEvent.object_type).in_(PLANNER_OBJECTS))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(
        q.order_by(col(AuditEvent.seq).desc()).offset(pg.offset).limit(pg.size)
    ).all()
    return Page(items=[_public(e, who) for e in rows], page=pg.page, size=pg.size, total=total)


def verify(ctx: Ctx, session: Session, who: Principal) -> ChainPublic:
    """Recompute the whole chain: ``ok`` is false, with the first bad event, if any row was
    changed, removed or inserted outside the service; and, with an anchor configured
    (``PLACEMENT_AUDIT_ANCHOR``), if the chain does not hold the anchored head (a consistent
    rewrite of the chain, or an older backup restored). 503 if the anchor cannot be read."""
    require(who, "officer", "planner")
    anchor = None
    if ctx.settings.audit_anchor:
        token = ctx.settings.audit_anchor_token
        try:
            head = read_anchor(
                ctx.settings.audit_anchor, token=token.get_secret_value() if token else None
            )
        except AnchorError as e:
            raise UnavailableError(f"the audit anchor cannot be read: {e}") from None
        anchor = (head.seq, head.hash) if head is not None else None
    return public(ChainPublic, chain.verify(session, anchor=anchor))
