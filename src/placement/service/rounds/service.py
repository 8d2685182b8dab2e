"""Rounds and the working run: an officer designates the run that feeds recommendations,
family pages and the worklist (the round's working run); every other run is a study that
changes nothing anyone is shown. A later round keeps every confirmed placement and decision
and places the children still open."""

from __future__ import annotations

from sqlmodel import Session, col, select

from placement.service.access import area_for, require, run_for
from placement.service.areas.models import AreaRow
from placement.service.audit.events import record
from placement.service.db import begin_write
from placement.service.errors import ConflictError
from placement.service.rounds.models import RoundRow
from placement.service.rounds.schemas import RoundPublic
from placement.service.runs.models import RunRow
from placement.service.schemas import public
from placement.service.security import Principal

__all__ = [
    "current_round",
    "designate",
    "get_round",
    "open_round",
    "round_number",
    "working_run_id",
]


def current_round(session: Session, area_id: int) -> RoundRow | None:
    """The area's latest round (None before an officer opens one or designates a run)."""
    got: RoundRow | None = session.exec(
        select(RoundRow)
        .where(RoundRow.area_id == area_id)
        .order_by(col(RoundRow.number).desc())
        .limit(1)
    ).first()
    return got


def round_number(session: Session, area_id: int) -> int:
    """The current round's number (1 before any is opened)."""
    r = current_round(session, area_id)
    return r.number if r is not None else 1


def working_run_id(session: Session, area_id: int) -> int | None:
    """The run that feeds what officers and families are shown: the current round's."""
    r = current_round(session, area_id)
    return r.working_run_id if r is not None else None


def _public(r: RoundRow | None, area_id: int) -> RoundPublic:
    if r is None:
        return RoundPublic(area_id=area_id, number=1, working_run_id=None, opened_at=None)
    return public(RoundPublic, r)


def get_round(session: Session, who: Principal, area_id: int) -> RoundPublic:
    require(who, "officer", "planner")
    area_for(session, who, area_id)
    return _public(current_round(session, area_id), area_id)


def make_working(session: Session, who: Principal, area: AreaRow, run: RunRow) -> RoundRow:
    """Make ``run`` the current round's working run (round 1 opened if none is), audited. In
    the caller's write transaction."""
    assert area.id is not None
    assert run.id is not None
    r = current_round(session, area.id)
    if r is None:
        r = RoundRow(area_id=area.id, number=1, opened_by=who.username)
    r.working_run_id = run.id
    session.add(r)
    session.flush()
    record(
        session, who, "round.working_run", "round", f"{area.id}/{r.number}",
        area_id=area.id, run_id=run.id,
    )  # fmt: skip
    return r


def designate(session: Session, who: Principal, run_id: int) -> RoundPublic:
    """An officer makes a run the LA's working run: it must have succeeded and place the
    children moving this round (a study from scratch never feeds lists or placements)."""
    require(who, "officer")
    run = run_for(session, who, run_id)
    if run.status != "succeeded":
        raise ConflictError(
            f"run {run_id} is {run.status}: only a finished run can be the working run",
            slug="wrong-state",
        )
    if run.scope != "moving":
        raise ConflictError(
            "a study from scratch places every child afresh: it cannot be the working run",
            slug="study",
        )
    begin_write(session)
    area = session.get(AreaRow, run.area_id)
    assert area is not None
    r = make_working(session, who, area, run)
    session.commit()
    return _public(r, run.area_id)


def open_round(session: Session, who: Principal, area_id: int) -> RoundPublic:
    """Open the next round: confirmed placements and decisions stay; the children still open
    (declines, new plans, late requests, tribunal orders) are placed by the next working run."""
    require(who, "officer")
    area = area_for(session, who, area_id)
    begin_write(session)
    now = current_round(session, area_id)
    r = RoundRow(area_id=area_id, number=(now.number if now else 1) + 1, opened_by=who.username)
    session.add(r)
    session.flush()
    record(session, who, "round.open", "round", f"{area_id}/{r.number}", area_id=area.id)
    session.commit()
    return _public(r, area_id)
