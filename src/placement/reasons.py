"""Reasons: the structured why and why-not that rules produce and explanations render.

A :class:`Reason` is data (a code, the legal or policy ground, and the facts behind it); the
wording for officers and families is rendered from it elsewhere, so the two audiences can never
be told different things.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Ground", "Reason", "ReasonCode"]


class Ground(StrEnum):
    """The lawful ground a reason rests on (CFA 2014 unless stated)."""

    S39_4_A = "s.39(4)(a)"  # unsuitable for the child's age, ability, aptitude or SEN
    S39_4_B_OTHERS = "s.39(4)(b) efficient education of others"
    S39_4_B_RESOURCES = "s.39(4)(b) efficient use of resources"
    S33 = "s.33"  # mainstream presumption
    S9_EA1996 = "s.9 EA 1996"  # unreasonable public expenditure (non-s.41 independent)
    TRAVEL_POLICY = "travel policy"  # LA journey limit (DfE travel guidance), relied on as (a)
    NONE = "none"  # informative, not a refusal


class ReasonCode(StrEnum):
    # Eligibility: each is a ground for leaving a setting off a list or refusing a request.
    AGE_OUT_OF_RANGE = "age_out_of_range"
    SEX_NOT_ADMITTED = "sex_not_admitted"
    NEED_NOT_MET = "need_not_met"
    NEED_LEVEL_ABOVE_DESIGNATION = "need_level_above_designation"
    SECONDARY_NEED_NOT_MET = "secondary_need_not_met"
    FEATURE_MISSING = "feature_missing"
    EXCLUDED = "excluded"
    JOURNEY_OVER_LIMIT = "journey_over_limit"
    # Capacity and cost: grounds that depend on the area run.
    POOL_FULL = "pool_full"
    SETTING_FULL = "setting_full"
    COST_DISPROPORTIONATE = "cost_disproportionate"
    NOT_S41_UNREASONABLE_EXPENDITURE = "not_s41_unreasonable_expenditure"
    # Why a child is unplaced.
    NO_SUITABLE_SETTING = "no_suitable_setting"
    ALL_SUITABLE_FULL = "all_suitable_full"
    ROOM_NOT_OFFERED = "room_not_offered"  # a suitable setting has room; an officer must name it
    # Why a setting is on a tailored list (informative) or left off it though suitable.
    MEETS_NEEDS = "meets_needs"
    WITHIN_JOURNEY = "within_journey"
    FAMILY_PREFERENCE = "family_preference"
    MAINSTREAM_PRESUMPTION = "mainstream_presumption"
    CONTINUITY = "continuity"
    AREA_RUN_PLACE = "area_run_place"
    RANKED_BELOW = "ranked_below"


GROUND_OF: Mapping[ReasonCode, Ground] = {
    ReasonCode.AGE_OUT_OF_RANGE: Ground.S39_4_A,
    ReasonCode.SEX_NOT_ADMITTED: Ground.S39_4_A,
    ReasonCode.NEED_NOT_MET: Ground.S39_4_A,
    ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION: Ground.S39_4_A,
    ReasonCode.SECONDARY_NEED_NOT_MET: Ground.S39_4_A,
    ReasonCode.FEATURE_MISSING: Ground.S39_4_A,
    ReasonCode.EXCLUDED: Ground.S39_4_B_OTHERS,
    ReasonCode.JOURNEY_OVER_LIMIT: Ground.TRAVEL_POLICY,
    ReasonCode.POOL_FULL: Ground.S39_4_B_OTHERS,
    ReasonCode.SETTING_FULL: Ground.S39_4_B_OTHERS,
    ReasonCode.COST_DISPROPORTIONATE: Ground.S39_4_B_RESOURCES,
    ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE: Ground.S9_EA1996,
    ReasonCode.NO_SUITABLE_SETTING: Ground.NONE,
    ReasonCode.ALL_SUITABLE_FULL: Ground.NONE,
    ReasonCode.ROOM_NOT_OFFERED: Ground.NONE,
    ReasonCode.MEETS_NEEDS: Ground.NONE,
    ReasonCode.WITHIN_JOURNEY: Ground.NONE,
    ReasonCode.FAMILY_PREFERENCE: Ground.NONE,
    ReasonCode.MAINSTREAM_PRESUMPTION: Ground.S33,
    ReasonCode.CONTINUITY: Ground.NONE,
    ReasonCode.AREA_RUN_PLACE: Ground.NONE,
    ReasonCode.RANKED_BELOW: Ground.NONE,
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason with its evidence. ``facts`` holds plain values (numbers, ids, codes)."""

    code: ReasonCode
    child_id: str
    setting_id: str | None
    facts: Mapping[str, object] = field(default_factory=dict)

    @property
    def ground(self) -> Ground:
        return GROUND_OF[self.code]

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "ground": self.ground.value,
            "child_id": self.child_id,
            "setting_id": self.setting_id,
            "facts": dict(self.facts),
        }
