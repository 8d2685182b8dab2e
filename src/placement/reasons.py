"""Reasons: the structured why and why-not that rules produce and explanations render.

A :class:`Reason` is data (a code, the legal or policy ground, and the facts behind it); the
wording for officers and families is rendered from it elsewhere, so the two audiences can never
be told different things.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

__all__ = ["REFUSAL_CODES", "S9_GROUND", "Ground", "Reason", "ReasonCode"]


class Ground(StrEnum):
    """The statute or policy a reason rests on (CFA 2014 unless stated).

    Only the three s.39(4) grounds refuse a s.38 request; only the two s.9 EA 1996 limbs (and
    the want of a place) answer an s.9 representation. ``TRAVEL_POLICY`` and ``ADMISSIONS`` are
    facts, not refusal grounds: the LA's journey limit bounds the settings the LA itself
    proposes (a family's request beyond it is still a request), and a single-sex school's
    gender of entry is a fact about the school, not a finding about the child.
    """

    S39_4_A = "s.39(4)(a)"  # unsuitable for the child's age, ability, aptitude or SEN
    S39_4_B_OTHERS = "s.39(4)(b) efficient education of others"
    S39_4_B_RESOURCES = "s.39(4)(b) efficient use of resources"
    S33 = "s.33"  # mainstream presumption
    S9_EA1996 = "s.9 EA 1996 unreasonable public expenditure"
    S9_INSTRUCTION = "s.9 EA 1996 efficient instruction"  # the setting cannot meet the needs
    S9_NO_PLACE = "s.9 EA 1996 no place available"  # a representation, not a s.38 request
    TRAVEL_POLICY = "LA travel policy (bounds the LA's proposals; not a s.39(4) ground)"
    ADMISSIONS = "school's gender of entry (not a s.39(4) ground)"
    NONE = "none"  # informative, not a refusal


# The same facts, when they answer an s.9 EA 1996 representation rather than a s.38 request:
# s.39 does not apply to a representation at all.
S9_GROUND: Mapping[Ground, Ground] = {
    Ground.S39_4_A: Ground.S9_INSTRUCTION,
    Ground.S39_4_B_OTHERS: Ground.S9_NO_PLACE,
    Ground.S39_4_B_RESOURCES: Ground.S9_EA1996,
}


class ReasonCode(StrEnum):
    # Eligibility: each is a ground for leaving a setting off a list or refusing a request.
    AGE_OUT_OF_RANGE = "age_out_of_range"
    SEX_NOT_ADMITTED = "sex_not_admitted"
    NEED_NOT_MET = "need_not_met"
    NEED_LEVEL_ABOVE_DESIGNATION = "need_level_above_designation"
    SECONDARY_NEED_NOT_MET = "secondary_need_not_met"
    FEATURE_MISSING = "feature_missing"
    EXCLUDED = "excluded"
    JOURNEY_OVER_LIMIT = "journey_over_limit"  # the LA's limit: not proposed by the LA
    JOURNEY_OVER_PLAN_LIMIT = "journey_over_plan_limit"  # the child's plan sets the limit
    # Capacity and cost: grounds that depend on the area run.
    POOL_FULL = "pool_full"
    SETTING_FULL = "setting_full"
    COST_DISPROPORTIONATE = "cost_disproportionate"
    # Grounds that hold at a decision: no place free now (the places are taken by the roll and
    # by placements already confirmed), and a setting's reply to its consultation objecting
    # that it cannot meet the child's needs, or that admitting the child would be
    # incompatible with the efficient education of others.
    NO_PLACE_NOW = "no_place_now"
    SETTING_OBJECTS_NEEDS = "setting_objects_needs"
    SETTING_OBJECTS_OTHERS = "setting_objects_others"
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
    BEYOND_JOURNEY_LIMIT = "beyond_journey_limit"  # a request over the LA's limit: transport
    STAYING = "staying"  # the child keeps the place the plan names; not placed in this run
    # s.33 assessed, each time with its reasons
    S33_MAINSTREAM_NAMED = "s33_mainstream_named"
    S33_FAMILY_ASKED_SPECIALIST = "s33_family_asked_specialist"
    S33_NO_SUITABLE_MAINSTREAM = "s33_no_suitable_mainstream"
    S33_MAINSTREAM_FULL = "s33_mainstream_full"
    S33_MAINSTREAM_AVAILABLE = "s33_mainstream_available"  # breached: a mainstream place is free


GROUND_OF: Mapping[ReasonCode, Ground] = {
    ReasonCode.AGE_OUT_OF_RANGE: Ground.S39_4_A,
    ReasonCode.SEX_NOT_ADMITTED: Ground.ADMISSIONS,
    ReasonCode.NEED_NOT_MET: Ground.S39_4_A,
    ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION: Ground.S39_4_A,
    ReasonCode.SECONDARY_NEED_NOT_MET: Ground.S39_4_A,
    ReasonCode.FEATURE_MISSING: Ground.S39_4_A,
    ReasonCode.EXCLUDED: Ground.S39_4_B_OTHERS,
    ReasonCode.JOURNEY_OVER_LIMIT: Ground.TRAVEL_POLICY,
    ReasonCode.JOURNEY_OVER_PLAN_LIMIT: Ground.S39_4_A,
    ReasonCode.POOL_FULL: Ground.S39_4_B_OTHERS,
    ReasonCode.SETTING_FULL: Ground.S39_4_B_OTHERS,
    ReasonCode.COST_DISPROPORTIONATE: Ground.S39_4_B_RESOURCES,
    ReasonCode.NO_PLACE_NOW: Ground.S39_4_B_OTHERS,
    ReasonCode.SETTING_OBJECTS_NEEDS: Ground.S39_4_A,
    ReasonCode.SETTING_OBJECTS_OTHERS: Ground.S39_4_B_OTHERS,
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
    ReasonCode.BEYOND_JOURNEY_LIMIT: Ground.NONE,
    ReasonCode.STAYING: Ground.NONE,
    ReasonCode.S33_MAINSTREAM_NAMED: Ground.S33,
    ReasonCode.S33_FAMILY_ASKED_SPECIALIST: Ground.S33,
    ReasonCode.S33_NO_SUITABLE_MAINSTREAM: Ground.S33,
    ReasonCode.S33_MAINSTREAM_FULL: Ground.S33,
    ReasonCode.S33_MAINSTREAM_AVAILABLE: Ground.S33,
}

# Codes that refuse a preference (a lawful ground, whichever route it answers).
REFUSAL_CODES = frozenset(
    {
        ReasonCode.AGE_OUT_OF_RANGE,
        ReasonCode.SEX_NOT_ADMITTED,
        ReasonCode.NEED_NOT_MET,
        ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION,
        ReasonCode.SECONDARY_NEED_NOT_MET,
        ReasonCode.FEATURE_MISSING,
        ReasonCode.EXCLUDED,
        ReasonCode.JOURNEY_OVER_PLAN_LIMIT,
        ReasonCode.POOL_FULL,
        ReasonCode.SETTING_FULL,
        ReasonCode.COST_DISPROPORTIONATE,
        ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE,
        ReasonCode.NO_PLACE_NOW,
        ReasonCode.SETTING_OBJECTS_NEEDS,
        ReasonCode.SETTING_OBJECTS_OTHERS,
    }
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason with its evidence. ``facts`` holds plain values (numbers, ids, codes)."""

    code: ReasonCode
    child_id: str
    setting_id: str | None
    facts: Mapping[str, object] = field(default_factory=dict)
    route: str | None = None  # the preference's route when the reason answers one

    @property
    def ground(self) -> Ground:
        """The statute this reason really applies: an s.9 representation is never answered
        under s.39 (its suitability, place and cost findings are the s.9 limbs)."""
        g = GROUND_OF[self.code]
        if self.route == "s9_representation":
            return S9_GROUND.get(g, g)
        return g

    def for_route(self, route: str) -> Reason:
        """This reason as it answers a preference on ``route``."""
        return self if self.route == route else replace(self, route=route)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code.value,
            "ground": self.ground.value,
            "child_id": self.child_id,
            "setting_id": self.setting_id,
            "facts": dict(self.facts),
        }
        if self.route is not None:
            out["route"] = self.route
        return out
