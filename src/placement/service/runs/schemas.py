"""The runs feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from placement.service.schemas import DbInt, Input

__all__ = ["JobPublic", "RunCreate", "RunPublic"]


class RunCreate(Input):
    mechanism: Literal["optimised", "preference-first"] = "optimised"
    # "from_scratch": a planner's study placing the whole caseload afresh (labelled so in
    # every output; never read by tailored lists or placements)
    scope: Literal["moving", "from_scratch"] = "moving"
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    policy_id: DbInt | None = None
    time_limit_s: Annotated[int, Field(ge=1, le=3600)] | None = None
    # the round's working run once it succeeds (officers; default: true for an officer's run
    # of the children moving this round). A planner's runs are studies: they never change
    # what officers and families are shown
    working: bool | None = None


class JobPublic(BaseModel):
    """What every job shows: its area, policy and seed, its state, who started it and when
    it ran (an allocation run, a scenario run)."""

    id: int
    area_id: int
    area_revision: int
    policy_id: int | None
    seed: int
    time_limit_s: int
    status: str
    error: str | None
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class RunPublic(JobPublic):
    mechanism: str
    scope: str
    working: bool
    manifest: dict[str, Any] | None
    metrics: dict[str, Any] | None
