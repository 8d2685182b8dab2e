"""The statutory tests of a family's preferences for one child (:func:`assess_requests`):
s.39(4) CFA 2014 for a s.38 request, then s.33 when it is refused; s.9 EA 1996 for a
representation; each against the area run. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from placement.law import PreferenceRoute, preference_route
from placement.lawful import Standing
from placement.problem import Problem
from placement.reasons import Ground, Reason, ReasonCode
from placement.result import preference_ground
from placement.rules import why_unsuitable
from placement.rules.journey import evidence
from placement.tailored.scores import AreaRun, standing_of

__all__ = [
    "RequestAssessment",
    "StatutoryTest",
    "assess_requests",
    "journey_reason",
    "not_this_round",
]


@dataclass(frozen=True, slots=True)
class StatutoryTest:
    """One test of a preference, under the statute it really applies (``ground``).

    s.38 request: ``suitability`` s.39(4)(a), ``efficient_education_of_others`` and
    ``efficient_use_of_resources`` s.39(4)(b), then ``mainstream_presumption`` s.33 when the
    request is refused. s.9 representation: ``s9_efficient_instruction``, ``s9_place_available``
    and ``s9_public_expenditure`` (s.9 EA 1996). Facts that are not refusal grounds are their
    own tests: ``gender_of_entry`` (a single-sex school) and ``journey_beyond_la_limit``.
    ``outcome``: ``met`` (passes; for s.33, the presumption is kept, with its reason),
    ``not_met`` (a ground to refuse; for s.33, breached), ``not_applicable``.
    """

    name: str
    ground: Ground
    outcome: Literal["met", "not_met", "not_applicable"]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class RequestAssessment:
    setting_id: str
    setting_name: str
    rank: int
    route: str
    tests: tuple[StatutoryTest, ...]
    # not_this_round: the child stays where the plan names (ask for a review to move)
    outcome: Literal["can_be_named", "named", "refused", "not_this_round"]
    grounds: tuple[Ground, ...]  # the grounds it fails on, in statutory order


def journey_reason(p: Problem, i: int, s: int, k: int) -> Reason:
    """A family's request over the LA's journey limit: still a request; who arranges the
    journey, and whether the LA's transport cost is counted."""
    pr = p.pairs
    facts = evidence(p, i, s, int(pr.travel_min[k]))
    facts["transport_eligible"] = bool(p.c_transport[i])
    facts["family_arranges_transport"] = bool(pr.family_transport[k])
    facts["transport_cost_gbp"] = int(pr.cost_transport_gbp[k])
    return Reason(
        ReasonCode.BEYOND_JOURNEY_LIMIT,
        p.children[i].child_id,
        p.settings[s].setting_id,
        facts,
    )


def not_this_round(p: Problem, i: int) -> tuple[RequestAssessment, ...]:
    """A staying child's preferences: not assessed in this run (the place the plan names
    stands; a review asking for a move makes the child one who moves)."""
    c = p.children[i]
    out: list[RequestAssessment] = []
    for pref in c.preferences:
        sett = p.settings[p.setting_index[pref.setting_id]]
        reason = Reason(
            ReasonCode.STAYING,
            c.child_id,
            sett.setting_id,
            {"current_setting_id": c.current_setting_id},
        )
        test = StatutoryTest("staying", Ground.NONE, "not_applicable", (reason,))
        out.append(
            RequestAssessment(
                sett.setting_id,
                sett.name,
                pref.rank,
                preference_route(sett).value,
                (test,),
                "not_this_round",
                (),
            )
        )
    return tuple(out)


def assess_requests(p: Problem, i: int, run: AreaRun | None) -> tuple[RequestAssessment, ...]:
    """The statutory tests, in order, for each of the family's preferences (see
    :class:`StatutoryTest`), each against the area run (without one: every place free, and a
    request's cost weighed against the child's cheapest suitable setting).

    A s.38 request is tested under s.39(4), then s.33 if it is refused; an s.9 EA 1996
    representation (an independent setting off the s.41 list, or AP) under s.9 only. A
    request beyond the LA's journey limit stays a request: the journey test says who would
    arrange the transport.
    """
    if not p.c_moving[i]:
        return not_this_round(p, i)
    pr = p.pairs
    st = standing_of(p, run)
    out: list[RequestAssessment] = []
    assigned = int(st.assign[i])
    first = int(np.searchsorted(p.pref_child, i, "left"))
    last = int(np.searchsorted(p.pref_child, i, "right"))
    s33: StatutoryTest | None = None
    for x in range(first, last):
        s = int(p.pref_setting[x])
        sett = p.settings[s]
        route = preference_route(sett)
        rank = int(p.pref_rank[x])
        tests = _tests(p, st, i, s, rank, assigned)
        failed = tuple(t.ground for t in tests if t.outcome == "not_met")
        named = assigned >= 0 and int(pr.setting[assigned]) == s
        outcome: Literal["can_be_named", "named", "refused", "not_this_round"] = (
            "named" if named else ("refused" if failed else "can_be_named")
        )
        if outcome == "refused" and route is PreferenceRoute.S38_REQUEST and run is not None:
            # s.39(5): the LA names another setting, and s.33 applies to it (ME v Southwark)
            if s33 is None:
                o, reason = st.s33(i)
                s33 = StatutoryTest("mainstream_presumption", Ground.S33, o, (reason,))
            tests.append(s33)
        out.append(
            RequestAssessment(
                sett.setting_id, sett.name, rank, route.value, tuple(tests), outcome, failed
            )
        )
    return tuple(out)


_TESTS = {  # the three tests of each route, in statutory order
    True: (
        ("suitability", Ground.S39_4_A),
        ("efficient_education_of_others", Ground.S39_4_B_OTHERS),
        ("efficient_use_of_resources", Ground.S39_4_B_RESOURCES),
    ),
    False: (
        ("s9_efficient_instruction", Ground.S9_INSTRUCTION),
        ("s9_place_available", Ground.S9_NO_PLACE),
        ("s9_public_expenditure", Ground.S9_EA1996),
    ),
}


def _tests(
    p: Problem, st: Standing, i: int, s: int, rank: int, assigned: int
) -> list[StatutoryTest]:
    """The tests of child ``i``'s preference for setting ``s`` (ranked ``rank``): suitable
    (and admitted: a single-sex school), the journey beyond the LA's limit, a place, the cost."""
    k = p.pair_index(i, s)
    route = preference_route(p.settings[s])
    s38 = route is PreferenceRoute.S38_REQUEST
    na: Literal["not_applicable"] = "not_applicable"
    unsuit = [r.for_route(route.value) for r in why_unsuitable(p, i, s)] if k < 0 else []
    entry = [r for r in unsuit if r.code is ReasonCode.SEX_NOT_ADMITTED]
    unsuit = [r for r in unsuit if r.code is not ReasonCode.SEX_NOT_ADMITTED]
    grounds = (
        preference_ground(st, i, s, pair=k, s38=s38, rank=rank) if k >= 0 and assigned != k else []
    )
    full = tuple(r for r in grounds if r.code in (ReasonCode.POOL_FULL, ReasonCode.SETTING_FULL))
    dear = tuple(r for r in grounds if r not in full)
    (n_suit, g_suit), (n_place, g_place), (n_cost, g_cost) = _TESTS[s38]
    tests = [StatutoryTest(n_suit, g_suit, "not_met" if unsuit else "met", tuple(unsuit))]
    if entry:
        tests.append(StatutoryTest("gender_of_entry", Ground.ADMISSIONS, "not_met", tuple(entry)))
    if k >= 0 and p.pairs.beyond_limit[k]:
        reason = journey_reason(p, i, s, k)
        tests.append(StatutoryTest("journey_beyond_la_limit", Ground.TRAVEL_POLICY, na, (reason,)))
    tests.append(
        StatutoryTest(n_place, g_place, na if k < 0 else ("not_met" if full else "met"), full)
    )
    tests.append(
        StatutoryTest(n_cost, g_cost, na if k < 0 else ("not_met" if dear else "met"), dear)
    )
    return tests
