"""The scenarios feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from placement.service.runs.schemas import JobPublic
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


class ScenarioRunPublic(JobPublic):
    name: str
    marginal: int
    summary: dict[str, Any] | None = Field(
        description="the changes applied and every metric, baseline/scenario/change, per "
        "mechanism; counts of 1 to 9 shown as '<10'"
    )
    reports: dict[str, str] | None = Field(description="download links once succeeded")
