"""Object-level access checks every service function goes through, and read auditing.

Role checks answer 403 (the role may never do this); object checks answer 404 whether the
object is missing or belongs to someone else (another LA's child, another family's child), so
guessing ids tells nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import defer
from sqlmodel import Session, select

from placement.service.areas.models import AreaRow
from placement.service.children.models import ChildRow
from placement.service.errors import ForbiddenError, NotFoundError
from placement.service.placements.models import PlacementRow
from placement.service.runs.models import RunRow
from placement.service.scenarios.models import ScenarioRunRow
from placement.service.security import Principal, Role

if TYPE_CHECKING:  # the context holds the job runner, whose jobs check access
    from placement.service.context import Ctx

__all__ = [
    "REPORTS_DEFERRED",
    "area_for",
    "audit_read",
    "child_for",
    "placement_for",
    "require",
    "run_for",
    "scenario_for",
]

JobT = TypeVar("JobT", RunRow, ScenarioRunRow)


def require(who: Principal, *roles: Role) -> None:
    if who.role not in roles:
        raise ForbiddenError(f"a {who.role} cannot do this (needs: {', '.join(roles)})")


def area_for(session: Session, who: Principal, area_id: int) -> AreaRow:
    """The area if the caller's LA holds it (families: their child's area), else 404."""
    area = session.get(AreaRow, area_id)
    if area is None or area.la_code != who.la_code:
        raise NotFoundError(f"area {area_id} not found")
    if who.role == "family" and who.area_id != area_id:
        raise NotFoundError(f"area {area_id} not found")
    return area


def child_for(session: Session, who: Principal, area_id: int, child_id: str) -> ChildRow:
    """A child the caller may see: an officer's LA's child, or a family's own child."""
    require(who, "officer", "family")
    if who.role == "family" and (who.area_id != area_id or who.child_id != child_id):
        raise NotFoundError(f"child {child_id} not found")
    area_for(session, who, area_id)
    row = session.exec(
        select(ChildRow).where(ChildRow.area_id == area_id, ChildRow.child_id == child_id)
    ).first()
    if row is None:
        raise NotFoundError(f"child {child_id} not found")
    return row


def audit_read(
    ctx: Ctx, session: Session, who: Principal, row: ChildRow, action: str, **details: Any
) -> None:
    """Record in the audit trail that ``who`` read this child's record (``action``: e.g.
    ``child.list.read``), under the child's LA (:mod:`placement.service.reads`)."""
    if ctx.ops is None:
        return
    area = session.get(AreaRow, row.area_id)
    la = area.la_code if area is not None else who.la_code
    ctx.ops.reads.record(
        who, action, area_id=row.area_id, child_id=row.child_id, la_code=la, **details
    )


def placement_for(session: Session, who: Principal, placement_id: int) -> PlacementRow:
    require(who, "officer", "family")
    row = session.get(PlacementRow, placement_id)
    if row is None:
        raise NotFoundError(f"placement {placement_id} not found")
    try:
        child_for(session, who, row.area_id, row.child_id)
    except NotFoundError:
        raise NotFoundError(f"placement {placement_id} not found") from None
    return row


def _job_for(
    session: Session, who: Principal, model: type[JobT], job_id: int, what: str, opts: Any
) -> JobT:
    """A run of the caller's LA (planners and officers), else 404."""
    require(who, "officer", "planner")
    row = session.get(model, job_id, options=opts)
    if row is None:
        raise NotFoundError(f"{what} {job_id} not found")
    try:
        area_for(session, who, row.area_id)
    except NotFoundError:
        raise NotFoundError(f"{what} {job_id} not found") from None
    return row


def run_for(session: Session, who: Principal, run_id: int) -> RunRow:
    heavy = (defer(RunRow.result), defer(RunRow.dashboard))  # type: ignore[arg-type]
    return _job_for(session, who, RunRow, run_id, "run", heavy)


# a finished scenario run's reports are large: load them only to download them
REPORTS_DEFERRED = (
    defer(ScenarioRunRow.report_json),  # type: ignore[arg-type]
    defer(ScenarioRunRow.report_html),  # type: ignore[arg-type]
    defer(ScenarioRunRow.report_csv),  # type: ignore[arg-type]
)


def scenario_for(
    session: Session, who: Principal, scenario_id: int, *, reports: bool = False
) -> ScenarioRunRow:
    """A scenario run of the caller's LA; its stored reports are loaded only if ``reports``."""
    opts = () if reports else REPORTS_DEFERRED
    return _job_for(session, who, ScenarioRunRow, scenario_id, "scenario run", opts)
