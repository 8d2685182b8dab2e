"""The areas feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from placement.service.schemas import Input, Line

__all__ = ["AreaGenerate", "AreaImport", "AreaPublic", "SettingPublic"]


class AreaImport(Input):
    path: Annotated[Line, StringConstraints(min_length=1, max_length=500)]
    name: Annotated[Line, StringConstraints(min_length=1, max_length=200)] | None = None


class AreaGenerate(Input):
    like: Annotated[Line, StringConstraints(min_length=1, max_length=100)]
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 1
    cohort: Literal["caseload", "transfer"] = "caseload"
    scale: Annotated[float, Field(gt=0, le=2.0)] = 1.0
    name: Annotated[Line, StringConstraints(min_length=1, max_length=200)] | None = None


class AreaPublic(BaseModel):
    id: int
    name: str
    la_code: str
    source: str
    revision: int
    num_children: int | str = Field(
        description="exact for officers; for planners rounded to 5, or '<10' (disclosure)"
    )
    num_settings: int
    created_by: str
    created_at: dt.datetime


class SettingPublic(BaseModel):
    setting_id: str
    name: str
    kind: str
    capacity: int
    roll: int
    confirmed: int | str = Field(description="placements confirmed here; planners: disclosure")
    free: int | str = Field(description="capacity - roll - confirmed; planners: disclosure")
    pools: dict[str, dict[str, int | str]]
    details: dict[str, Any] | None = None
