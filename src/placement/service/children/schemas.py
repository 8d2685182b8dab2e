"""The children feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel

__all__ = ["ChildPublic", "ChildSummary"]


class ChildSummary(BaseModel):
    child_id: str
    nc_year: int | None
    primary_need: str
    placement_status: str | None  # the latest placement's workflow status (None: none)
    run_outcome: Literal["placed", "unplaced", "staying"] | None = None  # latest run
    planned_setting_id: str | None = None  # where the latest run plans the child
    consultation_overdue: bool = False
    phase_transfer_deadline: dt.date | None = None
    movement: str | None = None  # why the child moves this round, or "staying"


class ChildPublic(BaseModel):
    area_id: int
    child: dict[str, Any]
    first_name: str = ""  # made up for a synthetic area (no real child's data exists here)
