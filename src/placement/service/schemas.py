"""API shapes: ``*Create`` inputs (unknown fields rejected) and ``*Public`` outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "AreaGenerate",
    "AreaImport",
    "AreaPublic",
    "ChainPublic",
    "DecisionCreate",
    "Page",
    "PlacementCreate",
    "PlacementPublic",
    "PolicyCreate",
    "PolicyPublic",
    "RequestsUpdate",
    "RunCreate",
    "RunPublic",
    "ScenarioCreate",
    "ScenarioRunPublic",
    "SettingResponseCreate",
    "Token",
]

T = TypeVar("T")

# ids as the core writes them (placement.domain._ID_RE)
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
# free text: no control characters but tab and newline
Text = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
Reason = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=2000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$"
    ),
]
DbInt = Annotated[int, Field(ge=1, le=2_147_483_647)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    size: int
    total: int


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    la_code: str
    area_id: int | None
    child_id: str | None


class AreaImport(Input):
    path: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class AreaGenerate(Input):
    like: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 1
    cohort: Literal["caseload", "transfer"] = "caseload"
    scale: Annotated[float, Field(gt=0, le=2.0)] = 1.0
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


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


class ChildSummary(BaseModel):
    child_id: str
    nc_year: int | None
    primary_need: str
    placement_status: str | None


class ChildPublic(BaseModel):
    area_id: int
    child: dict[str, Any]


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


class PolicyCreate(Input):
    overrides: dict[str, Any]
    note: Text = ""


class PolicyPublic(BaseModel):
    id: int
    la_code: str
    version: int
    digest: str
    overrides: dict[str, Any]
    note: str
    created_by: str
    created_at: dt.datetime


class RunCreate(Input):
    mechanism: Literal["optimised", "preference-first"] = "optimised"
    # "from_scratch": a planner's study placing the whole caseload afresh (labelled so in
    # every output; never read by tailored lists or placements)
    scope: Literal["moving", "from_scratch"] = "moving"
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    policy_id: DbInt | None = None
    time_limit_s: Annotated[int, Field(ge=1, le=3600)] | None = None


class RunPublic(BaseModel):
    id: int
    area_id: int
    area_revision: int
    policy_id: int | None
    mechanism: str
    scope: str
    seed: int
    time_limit_s: int
    status: str
    error: str | None
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    manifest: dict[str, Any] | None
    metrics: dict[str, Any] | None


# a scenario file's text: TOML, at most 64 KiB, no control characters but tab, CR and LF
TomlText = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=65_536, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
    ),
]


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


class PlacementCreate(Input):
    setting_id: Id
    note: Text = ""


class SettingResponseCreate(Input):
    response: Literal["agrees", "objects"]
    note: Text = ""


class DecisionCreate(Input):
    outcome: Literal["confirmed", "declined"]
    reason: Reason = ""


class RequestsUpdate(Input):
    setting_ids: Annotated[list[Id], Field(max_length=10)]


class PlacementPublic(BaseModel):
    id: int
    area_id: int
    child_id: str
    setting_id: str
    pool_need: str | None
    status: str
    run_id: int | None
    note: str
    proposed_by: str
    proposed_at: dt.datetime
    consultation_started_at: dt.datetime | None
    consultation_due: dt.date | None
    consultation_overdue: bool
    setting_response: str | None
    setting_response_note: str
    phase_transfer_deadline: dt.date | None
    list_rank: int | None
    top_setting_id: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str


class ChainPublic(BaseModel):
    ok: bool
    events: int
    head_seq: int
    first_bad_seq: int | None
    problem: str | None


class AuditEventPublic(BaseModel):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
