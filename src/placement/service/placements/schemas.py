"""The placements feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from placement.service.schemas import Id, Input, Reason, Text

__all__ = [
    "DecisionCreate",
    "PlacementCreate",
    "PlacementPublic",
    "RuleCode",
    "SettingResponseCreate",
]


class PlacementCreate(Input):
    setting_id: Id
    note: Text = ""


class SettingResponseCreate(Input):
    response: Literal["agrees", "objects"]
    note: Text = ""


RuleCode = Literal[
    "age_out_of_range",
    "sex_not_admitted",
    "need_not_met",
    "need_level_above_designation",
    "secondary_need_not_met",
    "feature_missing",
    "excluded",
    "journey_over_limit",
    "journey_over_plan_limit",
]


class DecisionCreate(Input):
    outcome: Literal["confirmed", "declined"]
    # a decline always needs one; a confirmation needs one unless it is the recommended option
    reason: Reason = ""
    # a confirmation at a setting that fails an eligibility rule: each failed rule, named
    overrides: Annotated[list[RuleCode], Field(max_length=9)] = []  # noqa: RUF012 (pydantic copies it)


class PlacementPublic(BaseModel):
    id: int
    area_id: int
    child_id: str
    setting_id: str
    pool_need: str | None
    status: str
    run_id: int | None
    note: str | None  # internal: officers only
    proposed_by: str | None  # staff username: officers only
    proposed_at: dt.datetime
    consultation_started_at: dt.datetime | None
    consultation_due: dt.date | None
    consultation_overdue: bool
    setting_response: str | None
    setting_response_note: str | None  # the setting's note: officers only
    phase_transfer_deadline: dt.date | None
    list_rank: int | None
    top_setting_id: str | None
    recommended_setting_id: str | None
    decided_by: str | None  # staff username: officers only
    decided_at: dt.datetime | None
    decision_reason: str
    override_rules: list[str]  # eligibility rules the officer overrode, each named
