"""Who is being placed: each child either stays where the plan already names or moves.

A setting named in Section I of a plan stands until the plan is amended: at a phase transfer
(SEND Regulations 2014 reg. 18: Reception, Year 7, the move to post-16), when a new plan is
issued, or when a review leads to a change of setting (CFA 2014 s.44; SEND Code of Practice
9.166-9.179). So an allocation run places only the children who are **moving**; a **staying**
child keeps the place at their current setting, which counts as taken for everyone else.

A planner may instead ask for a whole-caseload run "as if from scratch" (every child placed
afresh), to study sufficiency; such a run is labelled as such in every output. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Literal

from placement.domain import Child, Setting

__all__ = ["SCOPES", "Movement", "Scope", "movement"]

Scope = Literal["moving", "from_scratch"]
SCOPES: tuple[Scope, ...] = ("moving", "from_scratch")
SCOPE_LABEL = {
    "moving": "children moving this round (phase transfer, new plan, review, no current setting)",
    "from_scratch": "whole caseload as if from scratch (a planner's study, not a placement run)",
}


class Movement(StrEnum):
    """Why a child is placed in this run, or that it is not (``STAYING``)."""

    STAYING = "staying"
    NO_CURRENT_SETTING = "no_current_setting"
    TRANSFER_YEAR = "transfer_year"
    NEW_PLAN = "new_plan"
    REVIEW_REQUESTED_MOVE = "review_requested_move"
    CURRENT_SETTING_ENDS = "current_setting_age_range_ends"

    @property
    def moving(self) -> bool:
        return self is not Movement.STAYING


MOVEMENTS: tuple[Movement, ...] = tuple(Movement)


def movement(
    child: Child, nc_year: int, current: Setting | None, transfer_years: Collection[int]
) -> Movement:
    """Whether ``child`` (in national curriculum year ``nc_year`` of the year being placed)
    moves, and why; ``current`` is the setting the plan names now (None: none).

    In order: no current setting; a phase-transfer year; a new plan; a review asking for a
    move; the current setting does not take the child's age next year (an infant school
    after Year 2, say). Otherwise the child stays.
    """
    if current is None:
        return Movement.NO_CURRENT_SETTING
    if nc_year in transfer_years:
        return Movement.TRANSFER_YEAR
    if child.new_plan:
        return Movement.NEW_PLAN
    if child.move_requested:
        return Movement.REVIEW_REQUESTED_MOVE
    if not current.low_age <= nc_year + 4 < current.high_age:
        return Movement.CURRENT_SETTING_ENDS
    return Movement.STAYING
