"""Words for two audiences from the same reason objects: one reason at a time (:func:`render`).

Officer wording gives codes, figures and the sections of law; family wording says the same
facts in plain English (short sentences, no codes or section numbers), aimed at a reading age
of about 9 to 11. Both read only a :class:`~placement.reasons.Reason`'s code and facts, so the
two can never say different things. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

from placement.reasons import Ground, Reason, ReasonCode

__all__ = [
    "AUDIENCES",
    "CHANCE_WORDS",
    "KIND_WORDS",
    "NEED_WORDS",
    "PHASE_WORDS",
    "Audience",
    "describe_kind",
    "render",
]

Audience = Literal["family", "officer"]
AUDIENCES: tuple[Audience, ...] = get_args(Audience)

KIND_WORDS = {
    "mainstream": "a mainstream school",
    "resourced_provision": "a special base (resourced provision) in a mainstream school",
    "sen_unit": "a special unit in a mainstream school",
    "special_la_maintained": "a special school",
    "special_academy_free": "a special school (academy)",
    "non_maintained_special": "a special school run by a charity (non-maintained)",
    "independent_special": "an independent special school",
    "independent_mainstream": "an independent school",
    "alternative_provision": "a pupil referral unit or other alternative provision",
    "fe_college": "a further education college",
    "specialist_post16": "a specialist college for young people over 16",
}
NEED_WORDS = {
    "ASD": "autism",
    "SLCN": "speech, language and communication needs",
    "SEMH": "social, emotional and mental health needs",
    "MLD": "moderate learning difficulties",
    "SLD": "severe learning difficulties",
    "PMLD": "profound and multiple learning difficulties",
    "SPLD": "specific learning difficulties, like dyslexia",
    "HI": "hearing impairment",
    "VI": "vision impairment",
    "MSI": "multi-sensory impairment",
    "PD": "physical disability",
    "DS": "Down syndrome",
    "OTH": "other needs",
}
# how likely a place is, in a family's words (the option's chance band from the area run)
CHANCE_WORDS = {
    "placed": "a place is planned for your child here",
    "likely": "a place is likely",
    "possible": "a place is possible",
    "unlikely": "a place is unlikely",
    "unknown": "no plan for places yet",
}
PHASE_WORDS = {
    "early_years": "children under school age",
    "primary": "primary-age children",
    "secondary": "secondary-age children",
    "post16": "young people over 16",
}


def describe_kind(kind: str) -> str:
    return KIND_WORDS.get(kind, kind.replace("_", " "))


def _needs(codes: Any) -> str:
    return " and ".join(NEED_WORDS.get(str(c), str(c)) for c in codes) or "no particular needs"


def _money(v: Any) -> str:
    return f"£{int(v):,}"


Renderer = Callable[[Mapping[str, Any], str], str]

# (officer, family): each takes the facts and the setting's name
_TEXT: dict[ReasonCode, tuple[Renderer, Renderer]] = {
    ReasonCode.AGE_OUT_OF_RANGE: (
        lambda f, n: (
            f"age {f['age']} (Year {f['nc_year']}) outside the setting's ages "
            f"{f['low_age']}-{f['high_age'] - 1}: unsuitable for the child's age"
        ),
        lambda f, n: (
            f"{n} is for children aged {f['low_age']} to {f['high_age'] - 1}. "
            f"Your child will be {f['age']} at the start of the school year."
        ),
    ),
    ReasonCode.SEX_NOT_ADMITTED: (
        lambda f, n: f"single-sex setting ({f['entry']}); the child is {f['sex']}",
        lambda f, n: f"{n} is a school for {f['entry']} only.",
    ),
    ReasonCode.NEED_NOT_MET: (
        lambda f, n: (
            f"designated for {', '.join(f['designations']) or 'no SEN'}; the child's "
            f"primary need is {f['primary_need']}: cannot meet the child's SEN"
        ),
        lambda f, n: (
            f"{n} is set up for children with {_needs(f['designations'])}. "
            f"It is not set up for {_needs([f['primary_need']])}."
        ),
    ),
    ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION: (
        lambda f, n: (
            f"need band {f['need_band']} above the band {f['max_band']} this "
            f"{f['kind'].replace('_', ' ')} setting can meet for {f['primary_need']}"
        ),
        lambda f, n: f"Your child needs more help than {n} can give.",
    ),
    ReasonCode.SECONDARY_NEED_NOT_MET: (
        lambda f, n: f"secondary need(s) {', '.join(f['unmet'])} not met here",
        lambda f, n: f"{n} cannot also help with {_needs(f['unmet'])}.",
    ),
    ReasonCode.FEATURE_MISSING: (
        lambda f, n: f"lacks provision the plan requires: {', '.join(f['missing'])}",
        lambda f, n: (
            f"{n} does not have {' or '.join(m.replace('_', ' ') for m in f['missing'])}, "
            "which your child's plan says they need."
        ),
    ),
    ReasonCode.EXCLUDED: (
        lambda f, n: "the child was permanently excluded from this setting",
        lambda f, n: f"Your child was excluded from {n}, so it is not offered.",
    ),
    ReasonCode.JOURNEY_OVER_LIMIT: (
        lambda f, n: (
            f"journey {f['minutes']} min ({_source(f)}), over the LA's {f['limit']} min "
            f"limit for {PHASE_WORDS.get(f['phase'], f['phase'])}: not proposed by the LA "
            "(the family may still ask for it)"
        ),
        lambda f, n: (
            f"The trip to {n} takes about {f['minutes']} minutes{_estimated(f)}, longer than "
            f"the {f['limit']} minutes we plan for. We have not suggested it, but you can "
            "still ask for it."
        ),
    ),
    ReasonCode.JOURNEY_OVER_PLAN_LIMIT: (
        lambda f, n: (
            f"journey {f['minutes']} min ({_source(f)}), over the {f['limit']} min limit "
            "set in the child's plan"
        ),
        lambda f, n: (
            f"The trip to {n} takes about {f['minutes']} minutes{_estimated(f)}. Your "
            f"child's plan says journeys should take no more than {f['limit']} minutes."
        ),
    ),
    ReasonCode.BEYOND_JOURNEY_LIMIT: (
        lambda f, n: (
            f"journey {f['minutes']} min ({_source(f)}), over the LA's {f['limit']} min "
            "limit: not a ground to refuse a request; "
            + (
                "named on condition that the family arranges transport (s.508B EA 1996: "
                "free transport is to the nearest suitable school)"
                if f["family_arranges_transport"]
                else (
                    f"LA transport {_money(f['transport_cost_gbp'])}/yr counted in the cost"
                    if f["transport_eligible"]
                    else "the family makes its own way"
                )
            )
        ),
        lambda f, n: (
            f"The trip to {n} takes about {f['minutes']} minutes{_estimated(f)}, longer than "
            f"the {f['limit']} minutes the council usually plans for. You can still ask "
            "for it. "
            + (
                "If the council names it, you would need to arrange the journey, because a "
                "nearer school can meet your child's needs."
                if f["family_arranges_transport"]
                else (
                    "The council would arrange transport."
                    if f["transport_eligible"]
                    else "You would make your own way, as you do now."
                )
            )
        ),
    ),
    ReasonCode.POOL_FULL: (
        lambda f, n: (
            f"{_all_places(f['places_free'], f['need'] + ' ')} taken in the area run" + _holders(f)
        ),
        lambda f, n: (
            f"All the places for children with {_needs([f['need']])} at {n} are taken this year."
        ),
    ),
    ReasonCode.SETTING_FULL: (
        lambda f, n: f"{_all_places(f['places_free'])} taken in the area run" + _holders(f),
        lambda f, n: f"All the places at {n} are taken this year.",
    ),
    ReasonCode.NO_PLACE_NOW: (
        lambda f, n: (
            f"no {f['need'] + ' ' if f.get('need') else ''}place free: "
            f"{f['places']} places, {f['roll']} on the roll, {f['confirmed']} confirmed through "
            "this service" + (f" ({', '.join(f['holders'])})" if f.get("holders") else "")
        ),
        lambda f, n: f"There is no place left at {n}: every place has been given to a child.",
    ),
    ReasonCode.SETTING_OBJECTS_NEEDS: (
        lambda f, n: (
            f"{n} replied to its consultation that it cannot meet the child's needs: "
            f"{f['evidence']}"
        ),
        lambda f, n: (
            f"{n} told the council it cannot give your child the help your child needs. "
            f"It said: {f['evidence']}"
        ),
    ),
    ReasonCode.SETTING_OBJECTS_OTHERS: (
        lambda f, n: (
            f"{n} replied to its consultation that admitting the child would be "
            f"incompatible with the efficient education of others: {f['evidence']}"
        ),
        lambda f, n: (
            f"{n} told the council that a place for your child would stop it teaching the "
            f"other children well. It said: {f['evidence']}"
        ),
    ),
    ReasonCode.COST_DISPROPORTIONATE: (
        lambda f, n: (
            f"annual public cost {_money(f['cost_gbp'])} against "
            f"{_money(f['alternative_gbp'])} for {_alternative(f)}, "
            f"{_money(f['extra_gbp'])} more (over the LA's threshold of "
            f"{_money(f['threshold_gbp'])}, a local policy, not a figure in law)"
            + ("; transport included" if f.get("transport_counted") else "")
        ),
        lambda f, n: (
            f"A place at {n} would cost the council much more than another school that "
            "can meet your child's needs. The council says no to a request for this reason "
            "only when the extra cost is large, and it must tell you why."
        ),
    ),
    ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE: (
        lambda f, n: (
            f"cost {_money(f['cost_gbp'])} against {_money(f['alternative_gbp'])} for "
            f"{_alternative(f)} ({_money(f['extra_gbp'])} more, over the LA's threshold of "
            f"{_money(f['threshold_gbp'])}, a local policy)"
        ),
        lambda f, n: (
            (
                f"{n} is {describe_kind(str(f['kind']))}, which the council arranges itself. "
                if f.get("kind") == "alternative_provision"
                else f"{n} is an independent school that is not on the government's approved "
                "list, so the council weighs your wish against the cost. "
            )
            + "The council has thought about your wish, but a place there would cost much "
            "more than another school that can meet your child's needs."
        ),
    ),
    ReasonCode.NO_SUITABLE_SETTING: (
        lambda f, n: (
            f"no setting meets {f['primary_need']} band {f['need_band']} within "
            f"{f['journey_limit_min']} min for the {f['phase']} phase"
        ),
        lambda f, n: (
            "We have not found a school near enough that can meet your child's needs. "
            "A placement officer will work with you on this."
        ),
    ),
    ReasonCode.ALL_SUITABLE_FULL: (
        lambda f, n: f"all {f['suitable_settings']} suitable settings are full in the area run",
        lambda f, n: (
            "Every school that can meet your child's needs is full this year. "
            "A placement officer will work with you on this."
        ),
    ),
    ReasonCode.ROOM_NOT_OFFERED: (
        lambda f, n: (
            f"{len(f['with_room'])}+ suitable settings have room but were not offered "
            f"by the mechanism ({', '.join(f['with_room'][:3])}): an officer must name one"
        ),
        lambda f, n: (
            "There are schools with room that can meet your child's needs. "
            "A placement officer will talk to you about them."
        ),
    ),
    ReasonCode.MEETS_NEEDS: (
        lambda f, n: (
            f"meets {f['primary_need']} at band {f['need_band']} (up to band "
            f"{f['max_band']}; {f['kind'].replace('_', ' ')}"
            f"{'; designated ' + ', '.join(f['designations']) if f['designations'] else ''})"
        ),
        lambda f, n: (
            f"{n} is {describe_kind(f['kind'])} that can help children with "
            f"{_needs([f['primary_need']])}."
        ),
    ),
    ReasonCode.WITHIN_JOURNEY: (
        lambda f, n: (
            f"journey {f['minutes']} min ({_source(f)}) within the {f['limit']} min limit"
            f"{'; LA transport provided' if f['transport'] else ''}"
        ),
        lambda f, n: (
            f"The trip takes about {f['minutes']} minutes{_estimated(f)}"
            f"{', and the council will arrange transport' if f['transport'] else ''}."
        ),
    ),
    ReasonCode.FAMILY_PREFERENCE: (
        lambda f, n: (
            f"family preference {f['rank']} "
            f"({'s.38 request' if f['route'] == 's38_request' else 's.9 EA 1996 representation'})"
        ),
        lambda f, n: f"You asked for {n} (choice {f['rank']}).",
    ),
    ReasonCode.MAINSTREAM_PRESUMPTION: (
        lambda f, n: "mainstream: the presumption (the family has not asked for specialist)",
        lambda f, n: (
            "Children with a plan usually go to a mainstream school unless "
            "their family asks otherwise."
        ),
    ),
    ReasonCode.CONTINUITY: (
        lambda f, n: "current setting (continuity)" if f["current_setting"] else "sibling attends",
        lambda f, n: (
            f"Your child already goes to {n}."
            if f["current_setting"]
            else f"A brother or sister goes to {n}."
        ),
    ),
    ReasonCode.AREA_RUN_PLACE: (
        lambda f, n: f"the area run ({f['mechanism']}) names this setting",
        lambda f, n: (
            f"When we planned places for every child in the area, {n} had a place for your child."
        ),
    ),
    ReasonCode.RANKED_BELOW: (
        lambda f, n: (
            f"suitable; score {f['score']:.1f} below the top {f['k']} "
            f"(cut-off {f['kth_score']:.1f})"
        ),
        lambda f, n: f"{n} could meet your child's needs, but other schools are a better match.",
    ),
    ReasonCode.STAYING: (
        lambda f, n: (
            f"staying at {f['current_setting_id']} (the plan names it): not placed in this "
            "run; a review asking for a move brings the request into a run"
        ),
        lambda f, n: (
            "Your child is staying at the school named in their plan. That place stays "
            "until a review of the plan or the move to the next stage of education. If you "
            "want your child to move, ask the council for a review of the plan."
        ),
    ),
    ReasonCode.S33_MAINSTREAM_NAMED: (
        lambda f, n: f"mainstream setting named ({n})",
        lambda f, n: (
            f"{n} is a mainstream school. The law expects children with a plan to go to a "
            "mainstream school unless their family asks otherwise."
        ),
    ),
    ReasonCode.S33_FAMILY_ASKED_SPECIALIST: (
        lambda f, n: (
            "the family asked for specialist provision "
            f"({', '.join(f['asked'])}): mainstream is not required against their wishes"
        ),
        lambda f, n: (
            "You asked for a specialist setting, so the council does not have to offer a "
            "mainstream school first."
        ),
    ),
    ReasonCode.S33_NO_SUITABLE_MAINSTREAM: (
        lambda f, n: (
            f"no mainstream setting within {f['journey_limit_min']} min can meet "
            f"{f['primary_need']} at band {f['need_band']} (mainstream here meets up to band "
            f"{f['mainstream_max_band']}; {f['mainstream_for_age']} mainstream settings for "
            "the child's age): the LA must show mainstream incompatible with the efficient "
            "education of others, with no reasonable steps to prevent it"
        ),
        lambda f, n: (
            "No mainstream school near you can give the help your child's plan sets out, "
            "so the council looked at specialist settings."
        ),
    ),
    ReasonCode.S33_MAINSTREAM_FULL: (
        lambda f, n: (
            f"all {f['suitable_mainstream']} suitable mainstream settings are full in the area run"
        ),
        lambda f, n: (
            "Every mainstream school near you that could meet your child's needs is full this year."
        ),
    ),
    ReasonCode.S33_MAINSTREAM_AVAILABLE: (
        lambda f, n: (
            "NOT KEPT: suitable mainstream settings have room "
            f"({', '.join(f['with_room'][:3])}) and the family has not asked for specialist"
        ),
        lambda f, n: (
            "There are mainstream schools with room that can meet your child's needs. "
            "A placement officer will talk to you about them."
        ),
    ),
}


def _source(f: Mapping[str, Any]) -> str:
    return "router" if f.get("source") == "router matrix" else "straight-line estimate"


def _estimated(f: Mapping[str, Any]) -> str:
    """Families are told when a journey time is an estimate, not a router's figure."""
    return "" if f.get("source") == "router matrix" else " (an estimate)"


def _holders(f: Mapping[str, Any]) -> str:
    parts = []
    if "held_by_equal_or_higher_choice" in f:
        parts.append(
            f"{f['held_by_equal_or_higher_choice']} held by children who asked for it as an "
            "equal or higher choice"
        )
        if f["held_by_others"]:
            parts.append(
                f"{f['held_by_others']} by others who could not move to another suitable "
                "setting within the cost threshold"
            )
    if f.get("staying"):
        parts.append(f"{f['staying']} by children staying there")
    return f" ({'; '.join(parts)})" if parts else ""


def _all_places(places: Any, what: str = "") -> str:
    """'the 1 ASD place is' / 'all 12 ASD places are' (never 'all 1 places')."""
    k = int(places)
    if k == 0:
        return f"no {what}places are free, all are"
    if k == 1:
        return f"the 1 {what}place is"
    return f"all {k} {what}places are"


def _alternative(f: Mapping[str, Any]) -> str:
    what = "named" if f.get("alternative_is") == "named" else "with a free place"
    return f"{f.get('alternative_setting_id', 'the alternative')} ({what})"


def render(reason: Reason, audience: Audience, names: Mapping[str, str] | None = None) -> str:
    """One reason in the audience's words. ``names`` maps setting ids to names."""
    officer, family = _TEXT[reason.code]
    sid = reason.setting_id or ""
    name = (names or {}).get(sid, sid or "this school")
    f = reason.facts
    est = _estimated_words(f)
    if audience == "officer":
        g = reason.ground
        law = "" if g is Ground.NONE else f": {g.value}"
        return f"[{reason.code.value}] {officer(f, name)}{law}{f' ({est})' if est else ''}"
    if not est:
        return family(f, name)
    return f"{family(f, name)} This is our best guess, as the school does not publish it."


_ESTIMATED_WORDS = {
    "designations": "designation estimated",
    "pools": "places estimated",
    "capacity": "places estimated",
    "features": "provision estimated",
}


def _fields(facts: Mapping[str, Any]) -> list[str]:
    value = facts.get("estimated") or ()
    return [str(x) for x in value] if isinstance(value, (list, tuple)) else []


def _estimated_words(facts: Mapping[str, Any]) -> str:
    """ "designation estimated" (and so on) where a finding rests on estimated facts about a
    real setting (``Setting.estimated``: the public data does not publish them)."""
    words = [_ESTIMATED_WORDS.get(str(x), f"{x} estimated") for x in _fields(facts)]
    return "; ".join(dict.fromkeys(words))
