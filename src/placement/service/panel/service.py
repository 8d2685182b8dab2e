"""A panel view for officers deciding the children hardest to place (the fair access panels of
the SEND and AP Improvement Plan): each child still to place who is unplaced in the working
run, or whose every option within the LA's journey limit is full or costs more than the LA's
threshold over the child's cheapest option; with what blocks them and the nearest settings.
A panel's decision is a decision record with its letter, like any other."""

from __future__ import annotations

from sqlmodel import Session, select

from placement.problem import Problem
from placement.service.access import area_for, child_for, require
from placement.service.areas.models import AreaRow
from placement.service.children.models import ChildRow
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.decisions.schemas import DecisionPublic
from placement.service.decisions.service import decision_public, issue
from placement.service.engine import Computed
from placement.service.errors import InvalidError
from placement.service.panel.schemas import HardToPlace, NearOption, PanelDecisionCreate
from placement.service.placements.models import PlacementRow
from placement.service.rounds.service import round_number
from placement.service.security import Principal
from placement.tailored import TailoredList
from placement.wording import render

__all__ = ["hard_to_place", "panel_decision"]

NEAREST = 3


def _blocks(p: Problem, tl: TailoredList, unplaced: bool) -> list[str]:
    """What stops the child being placed, in officer words (empty: not hard to place)."""
    out = []
    if unplaced:
        out.append("unplaced in the working run")
    within = [o for o in tl.options if o.journey_min <= tl.journey_limit_min]
    free = [o for o in within if o.places_left > 0]
    if not free:
        out.append(
            f"no option within the journey limit of {tl.journey_limit_min} minutes has a place"
        )
    elif tl.options:
        cheapest = min(o.cost_gbp for o in tl.options)
        limit = cheapest + int(p.policy.funding.extra_cost_threshold_gbp(cheapest))
        if all(o.cost_gbp > limit for o in free):
            low = min(o.cost_gbp for o in free)
            out.append(
                f"every option within the limit with a place costs over the LA's threshold "
                f"(from £{low:,} a year, against £{cheapest:,} for the cheapest option)"
            )
    return out


def _nearest(p: Problem, tl: TailoredList) -> list[NearOption]:
    names = {s.setting_id: s.name for s in p.settings}
    near = [
        NearOption(
            setting_id=o.setting_id, name=o.name, journey_min=o.journey_min,
            places_left=o.places_left, cost_gbp=o.cost_gbp, why_not=[],
        )
        for o in sorted(tl.options, key=lambda o: o.journey_min)[:NEAREST]
    ]  # fmt: skip
    near += [
        NearOption(
            setting_id=x.setting_id, name=x.name, journey_min=None, places_left=None,
            cost_gbp=None, why_not=[render(r, "officer", names) for r in x.reasons],
        )
        for x in tl.left_off[:NEAREST]
    ]  # fmt: skip
    return near


def _candidates(comp: Computed, confirmed: set[str]) -> list[tuple[int, bool]]:
    """Moving children with no placement confirmed, and whether the working run left them
    unplaced."""
    p, run = comp.problem, comp.run
    out = []
    for i in comp.problem.moving_children.tolist():
        cid = p.children[i].child_id
        if cid in confirmed:
            continue
        out.append((i, run is not None and int(run.assign[i]) < 0))
    return out


def hard_to_place(ctx: Ctx, session: Session, who: Principal, area_id: int) -> list[HardToPlace]:
    """The children for the panel, each with what blocks them and the nearest settings."""
    require(who, "officer")
    area = area_for(session, who, area_id)
    comp = ctx.cache.get(session, area)
    p = comp.problem
    confirmed = set(
        session.exec(
            select(PlacementRow.child_id).where(
                PlacementRow.area_id == area_id, PlacementRow.status == "confirmed"
            )
        ).all()
    )
    names = dict(
        session.exec(
            select(ChildRow.child_id, ChildRow.first_name).where(ChildRow.area_id == area_id)
        ).all()
    )
    out = []
    for i, unplaced in _candidates(comp, confirmed):
        c = p.children[i]
        tl = comp.tailored(c.child_id)
        blocks = _blocks(p, tl, unplaced)
        if blocks:
            out.append(
                HardToPlace(
                    child_id=c.child_id,
                    first_name=names.get(c.child_id, ""),
                    nc_year=c.nc_year,
                    primary_need=c.primary_need.value,
                    need_band=c.need_band,
                    blocks=blocks,
                    nearest=_nearest(p, tl),
                )
            )
    return sorted(out, key=lambda h: h.child_id)


def panel_decision(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    body: PanelDecisionCreate,
) -> DecisionPublic:
    """Record the panel's decision about a child (officers sitting as the panel): a decision
    record with its letter to the family. A setting it names must be one of the area's."""
    require(who, "officer")
    child = child_for(session, who, area_id, child_id)
    area = session.get(AreaRow, area_id)
    assert area is not None
    p = ctx.cache.get(session, area).problem
    if body.setting_id is not None and body.setting_id not in p.setting_index:
        raise InvalidError(f"setting {body.setting_id!r} is not in this area")
    begin_write(session)
    d = issue(
        session, who, kind="panel", area=area, child=child, p=p, setting_id=body.setting_id,
        decided=[], reason=body.decision, round_number=round_number(session, area_id),
    )  # fmt: skip
    session.commit()
    return decision_public(d, who)
