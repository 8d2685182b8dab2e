"""The placements feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from placement.service.schemas import Id, Input, Reason, Text

__all__ = [
    "DecisionCreate",
    "PlacementCreate",
    "PlacementPublic",
    "RuleCode",
    "SettingResponseCreate",
    "WithdrawalCreate",
]


class PlacementCreate(Input):
    setting_id: Id
    note: Text = ""


class SettingResponseCreate(Input):
    """A setting's reply to its consultation: it agrees to admit the child, or it objects on
    one of two grounds, with its evidence: it cannot meet the child's needs (``needs``,
    s.39(4)(a)) or admitting the child would be incompatible with the efficient education of
    others (``others``, s.39(4)(b)). The reply is evidence for the officer's decision, not a
    veto."""

    response: Literal["agrees", "objects"]
    ground: Literal["needs", "others"] | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _objection_has_ground_and_evidence(self) -> SettingResponseCreate:
        if self.response == "objects" and (self.ground is None or not self.note.strip()):
            raise ValueError("an objection needs its ground (needs or others) and its evidence")
        if self.response == "agrees" and self.ground is not None:
            raise ValueError("a ground goes with an objection only")
        return self


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


class WithdrawalCreate(Input):
    """Withdraw a placement: a proposal or consultation made by mistake, or a place named
    that must be undone (a letter then tells the family why)."""

    reason: Reason


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
    setting_ground: str | None  # an objection's ground: needs (s.39(4)(a)) or others (b)
    setting_response_note: str | None  # the setting's evidence: officers only
    setting_replied_at: dt.datetime | None
    setting_reply_late: bool  # replied after the 15 days
    phase_transfer_deadline: dt.date | None
    list_rank: int | None
    top_setting_id: str | None
    recommended_setting_id: str | None
    decided_by: str | None  # staff username: officers only
    decided_at: dt.datetime | None
    decision_reason: str
    override_rules: list[str]  # eligibility rules the officer overrode, each named
