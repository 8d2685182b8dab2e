"""Officer pages' words: status tags, filters, the names of tests, components and chances,
and the helpers the templates use as ``h`` (dates, money, years, needs, kinds)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from placement.domain import phase_of_year
from placement.web.pages import (
    JOB_TAGS,
    cap,
)
from placement.wording import NEED_WORDS, PHASE_WORDS, describe_kind

# -- words ----------------------------------------------------------------------------------------

STATUS_TAGS: dict[str, tuple[str, str]] = {
    "none": ("No placement yet", "grey"),
    "proposed": ("Proposed", "light-blue"),
    "consulted": ("Consulting the setting", "purple"),
    "confirmed": ("Confirmed", "green"),
    "declined": ("Declined", "red"),
    "withdrawn": ("Withdrawn", "grey"),
}
STATUS_FILTER = {
    "none": "No placement yet",
    "proposed": "Proposed, awaiting consultation",
    "consulted": "Consulting the setting",
    "confirmed": "Confirmed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
OUTCOME_TAGS: dict[str, tuple[str, str]] = {
    "placed": ("Placed by the run", "green"),
    "unplaced": ("Unplaced", "red"),
    "staying": ("Staying", "grey"),
}
OUTCOME_FILTER = {
    "unplaced": "Unplaced in the working run",
    "placed": "Placed in the working run",
    "staying": "Staying where the plan names",
}
RUN_TAGS = JOB_TAGS
MOVEMENT_WORDS = {
    "staying": "Staying where the plan names (not placed this round)",
    "no_current_setting": "Has no current setting",
    "transfer_year": "Moving phase (a phase-transfer year)",
    "new_plan": "A new plan",
    "review_requested_move": "A review asked for a move",
    "current_setting_age_range_ends": "The current setting's age range ends",
}
COMPONENT_WORDS = {
    "need_fit": "Need fit",
    "journey": "Journey",
    "cost": "Cost",
    "preference": "Family preference",
    "mainstream": "Mainstream (s.33)",
    "continuity": "Continuity",
    "capacity_pressure": "Capacity pressure",
}
CHANCE_WORDS = {
    "placed": "The run plans this place",
    "likely": "Likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
    "unknown": "Not known (no run yet)",
}
INCLUDED_WORDS = {
    "top_k": "among the best scored",
    "mainstream": "the best mainstream option (s.33)",
    "family_asked": "the family asked for it",
    "area_run": "the area run plans it",
}
TEST_WORDS = {
    "suitability": "Suitable for the child's age, ability, aptitude and SEN",
    "efficient_education_of_others": "Compatible with the efficient education of others",
    "efficient_use_of_resources": "Compatible with the efficient use of resources",
    "s9_efficient_instruction": "Efficient instruction (s.9 EA 1996)",
    "s9_place_available": "A place is available (s.9 EA 1996)",
    "s9_public_expenditure": "No unreasonable public expenditure (s.9 EA 1996)",
    "gender_of_entry": "The school's gender of entry",
    "journey_beyond_la_limit": "Journey beyond the LA's limit (transport)",
    "mainstream_presumption": "Mainstream presumption (s.33) for the setting named instead",
    "staying": "Staying where the plan names",
}
TEST_OUTCOME_TAGS: dict[str, tuple[str, str]] = {
    "met": ("Met", "green"),
    "not_met": ("Not met", "red"),
    "not_applicable": ("Not applicable", "grey"),
    "breached": ("Breached", "red"),
}
REQUEST_TAGS: dict[str, tuple[str, str]] = {
    "being_considered": ("Being considered", "blue"),
    "named": ("Named", "green"),
    "refused": ("Refused", "red"),
    "after_decision": ("Asked after the decision", "orange"),
}
RUN_ASSESSMENT_WORDS = {
    "named": "the run names it",
    "can_be_named": "it can be named",
    "refused": "the run would refuse it",
    "not_this_round": "not this round (the child is staying)",
}
ROUTE_WORDS = {
    "s38_request": "a request (CFA 2014 s.38)",
    "s9_representation": "a representation (EA 1996 s.9: not on the s.41 list)",
}
CHANGE_WORDS = {
    "placed": "Children placed",
    "requests_named": "Families' requests named",
    "mainstream_presumption_kept": "Mainstream presumption kept (s.33)",
    "preferences_met": "Preferences met",
    "cost_gbp": "Public cost a year",
    "travel_min": "Total journey minutes",
}
RESPONSE_WORDS = {"agrees": "Agrees to admit", "objects": "Objects"}
RULE_WORDS = {
    "age_out_of_range": "Age range",
    "sex_not_admitted": "Gender of entry",
    "need_not_met": "Primary need",
    "need_level_above_designation": "Level of need",
    "secondary_need_not_met": "Other needs",
    "feature_missing": "Provision the plan needs",
    "excluded": "Ruled out by the plan",
    "journey_over_limit": "Journey beyond the LA's limit",
    "journey_over_plan_limit": "Journey beyond the plan's limit",
}
DECISION_WORDS = {
    "named": "Setting named",
    "refused": "Request refused",
    "withdrawn": "Named place withdrawn",
    "panel": "Panel decision",
}
GROUND_WORDS = {
    "needs": "It cannot meet the child's needs (s.39(4)(a))",
    "others": "Incompatible with the efficient education of others (s.39(4)(b))",
}
MECHANISM_WORDS = {
    "optimised": "Optimised: place as many children as possible, then the families' requests "
    "in rank order, mainstream where the family has not asked for specialist (s.33), then "
    "the least public cost and travel",
    "preference-first": "Preference-first: the first available place in order of each "
    "family's preferences, then the LA's priority rules",
}


def need_words(code: str | None) -> str:
    if not code:
        return "Not recorded"
    words = NEED_WORDS.get(code)
    return f"{cap(words)} ({code})" if words else code


def year_words(year: int | None) -> str:
    if year is None:
        return "Not recorded"
    if year < 0:
        return f"Early years (aged {year + 4})"
    if year == 0:
        return "Reception"
    return f"Year {year}"


def phase_words(year: int | None) -> str:
    if year is None:
        return ""
    return PHASE_WORDS.get(phase_of_year(year).label, "")


def kind_words(kind: str) -> str:
    words = describe_kind(kind)
    for article in ("a ", "an "):
        if words.startswith(article):
            words = words[len(article) :]
    return cap(words)


def date_words(d: dt.date | str | None) -> str:
    if d is None:
        return ""
    if isinstance(d, str):
        d = dt.date.fromisoformat(d[:10])
    return f"{d.day} {d:%B %Y}"


def time_words(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    return f"{t.day} {t:%B %Y}, {t:%H:%M} UTC"


def money(v: Any) -> str:
    return f"£{round(float(v)):,}"


def signed(v: Any, unit: str = "") -> str:
    x = float(v)
    if unit == "£":
        return ("+" if x > 0 else "−" if x < 0 else "") + f"£{abs(round(x)):,}"
    n = int(x) if x == int(x) else round(x, 1)
    return ("+" if x > 0 else "−" if x < 0 else "") + f"{abs(n):,}{unit}"


def tag_of(table: Mapping[str, tuple[str, str]], key: str | None) -> tuple[str, str]:
    if key is None:
        return ("", "grey")
    return table.get(key, (cap(key.replace("_", " ")), "grey"))


H = SimpleNamespace(
    need=need_words,
    year=year_words,
    phase=phase_words,
    kind=kind_words,
    date=date_words,
    time=time_words,
    money=money,
    signed=signed,
    status=lambda s: tag_of(STATUS_TAGS, s or "none"),
    outcome=lambda s: tag_of(OUTCOME_TAGS, s),
    run=lambda s: tag_of(RUN_TAGS, s),
    test=lambda s: TEST_WORDS.get(s, cap(s.replace("_", " "))),
    test_outcome=lambda s: tag_of(TEST_OUTCOME_TAGS, s),
    request=lambda s: tag_of(REQUEST_TAGS, s),
    assessed=lambda s: RUN_ASSESSMENT_WORDS.get(s, s.replace("_", " ")),
    route=lambda s: ROUTE_WORDS.get(s or "", (s or "").replace("_", " ")),
    component=lambda s: COMPONENT_WORDS.get(s, cap(s.replace("_", " "))),
    chance=lambda s: CHANCE_WORDS.get(s, s),
    included=lambda xs: "; ".join(INCLUDED_WORDS.get(x, x.replace("_", " ")) for x in xs),
    movement=lambda s: MOVEMENT_WORDS.get(s or "", (s or "").replace("_", " ")),
    change=lambda s: CHANGE_WORDS.get(s, cap(s.replace("_", " "))),
    response=lambda s: RESPONSE_WORDS.get(s or "", s or ""),
    decision=lambda s: DECISION_WORDS.get(s, s),
    objection=lambda s: GROUND_WORDS.get(s or "", s or ""),
    mechanism=lambda s: MECHANISM_WORDS.get(s, s),
)
