"""The scenarios feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field

from placement.service.schemas import DbInt, Input, TomlText

__all__ = ["ScenarioCreate", "ScenarioRunPublic"]


class ScenarioCreate(Input):
    scenario: TomlText = Field(
        description="the scenario file's text (TOML, as in scenarios/*.toml); its base is the "
        "area it is sent to, so [base] may give only seed"
    )
    policy_id: DbInt | None = None
    marginal: Annotated[int, Field(ge=0, le=200)] | None = Field(
        default=None, description="candidates for the value of one more place (file's default)"
    )
    time_limit_s: Annotated[int, Field(ge=1, le=3600)] | None = None


class ScenarioRunPublic(BaseModel):
    id: int
    area_id: int
    area_revision: int
    policy_id: int | None
    name: str
    seed: int
    marginal: int
    time_limit_s: int
    status: str
    error: str | None
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    summary: dict[str, Any] | None = Field(
        description="the changes applied and every metric, baseline/scenario/change, per "
        "mechanism; counts of 1 to 9 shown as '<10'"
    )
    reports: dict[str, str] | None = Field(description="download links once succeeded")
