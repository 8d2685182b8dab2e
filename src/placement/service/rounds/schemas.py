"""The rounds feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

__all__ = ["RoundPublic", "WaitingListPublic", "WaitingPublic"]


class RoundPublic(BaseModel):
    area_id: int
    number: int
    working_run_id: int | None
    opened_at: dt.datetime | None


class WaitingPublic(BaseModel):
    child_id: str
    first_name: str
    rank: int
    refused_at: dt.datetime
    decision_id: int
    looked_after: bool
    need_band: int
    sibling: bool
    journey_min: int | None


class WaitingListPublic(BaseModel):
    setting_id: str
    name: str
    free_now: int
    offer_first: str | None  # the child to offer a free place to first
    waiting: list[WaitingPublic]  # in the order places are offered
