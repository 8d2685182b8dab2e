"""API shapes: ``*Create`` inputs (unknown fields rejected) and ``*Public`` outputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

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

# Control characters: C0 (NUL included), DEL, C1, and lone surrogates (which no encoding can
# write: a surrogate that reached an error message made it unencodable). PostgreSQL cannot
# store NUL in text at all. Multi-line text may hold tab, LF and CR; a one-line text none.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(s: str) -> str:
    """``s`` with every control character and lone surrogate written as an escape, so it
    can be shown in any message (and encoded as UTF-8)."""
    return _CONTROL_LINE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)


def _refuse(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        m = pattern.search(value)
        if m is not None:
            raise PydanticCustomError(
                "control_character",
                "control characters are not allowed ({char} at position {pos})",
                {"char": f"U+{ord(m.group()):04X}", "pos": m.start()},
            )
        return value

    return check


# one line of free text (names): no control characters at all
Line = Annotated[str, AfterValidator(_refuse(_CONTROL_LINE))]
# free text (notes, reasons): no control characters but tab, LF and CR
Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_refuse(_CONTROL_TEXT))]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_refuse(_CONTROL_TEXT)),
]


# where in a tree: (the parent's, this step), spelt out only for an error
_Where = tuple[Any, str] | None


def _tree_clean(value: Any) -> None:
    """Refuse a control character in any key or string of a JSON tree, naming where. Walked
    with a stack (a tree may be nested thousands deep); a path is spelt out only for the
    error."""

    def spell(where: _Where) -> str:
        parts: list[str] = []
        while where is not None:
            where, step = where
            parts.append(step)
        return "".join(reversed(parts)).lstrip(".") or "(top)"

    def refuse(m: re.Match[str], what: str, where: _Where) -> PydanticCustomError:
        return PydanticCustomError(
            "control_character",
            "control characters are not allowed: {char} in the " + what + " {path}",
            {"char": f"U+{ord(m.group()):04X}", "path": spell(where)},
        )

    stack: list[tuple[Any, _Where]] = [(value, None)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, str):
            if (m := _CONTROL_TEXT.search(v)) is not None:
                raise refuse(m, "value at", where)
        elif isinstance(v, dict):
            for k, x in v.items():
                key = str(k)
                here = (where, f".{printable(key)}")
                if (m := _CONTROL_LINE.search(key)) is not None:
                    raise refuse(m, "key", here)
                stack.append((x, here))
        elif isinstance(v, list):
            stack.extend((x, (where, f"[{i}]")) for i, x in enumerate(v))


def control_character_at(value: Any, path: str = "") -> str | None:
    """Where in ``value`` (text, or mappings, sequences and dataclasses of it, such as an
    area read from files) a control character is, as a path; None if nowhere. Tab, CR and LF
    count too: names and codes are one line."""
    if isinstance(value, str):
        return path or "(top)" if _CONTROL_LINE.search(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{printable(str(k))}" if path else printable(str(k))
            if _CONTROL_LINE.search(str(k)):
                return here
            if (found := control_character_at(v, here)) is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if (found := control_character_at(v, f"{path}[{i}]")) is not None:
                return found
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found = control_character_at(getattr(value, f.name), f"{path}.{f.name}")
            if found is not None:
                return found
    return None


def _clean_tree(value: dict[str, Any]) -> dict[str, Any]:
    _tree_clean(value)
    return value


# a JSON object from the caller (policy overrides): every key and string checked
JsonObject = Annotated[dict[str, Any], AfterValidator(_clean_tree)]
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
    overrides: JsonObject
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


def _clean_toml(text: str) -> str:
    """No control character in the file, nor in a key or string it spells with an escape
    (``"\\u0000"``). A file that is not TOML passes here: the service names its line."""
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    _tree_clean(data)
    return text


# a scenario file's text: TOML, at most 64 KiB, no control characters but tab, CR and LF
TomlText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=65_536),
    AfterValidator(_refuse(_CONTROL_TEXT)),
    AfterValidator(_clean_toml),
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
    overrides: Annotated[list[RuleCode], Field(max_length=9)] = []


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


class ChainPublic(BaseModel):
    ok: bool
    events: int
    head_seq: int
    head_hash: str = Field(description="keep it outside the database (or set an anchor)")
    first_bad_seq: int | None
    problem: str | None
    anchor_seq: int | None = Field(
        default=None, description="the anchored event the chain was checked against, if any"
    )


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
