"""Every eligibility rule: the vectorised mask (what the solvers see) and the scalar
explanation (what families and officers read) agree, and each failure carries its code and
lawful ground."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from placement.area import TravelTime
from placement.domain import Child, Entry, Feature, Need, Setting, Sex
from placement.reasons import Ground, Reason, ReasonCode
from placement.rules import RULES, why_unsuitable

from .factories import at, child, km_taking, problem, setting, special


def only_reasons(children: list[Child], settings: list[Setting]) -> list[Reason]:
    p = problem(children, settings)
    assert p.pair_index(0, 0) == -1, "the pair should be unsuitable"
    return why_unsuitable(p, 0, 0)


CASES: list[tuple[ReasonCode, Ground, dict[str, Any], Callable[[], Setting]]] = [
    (ReasonCode.AGE_OUT_OF_RANGE, Ground.S39_4_A, {"nc_year": 7}, lambda: setting("S1")),
    (
        ReasonCode.SEX_NOT_ADMITTED,
        Ground.ADMISSIONS,
        {"sex": Sex.MALE},
        lambda: setting("S1", entry=Entry.GIRLS),
    ),
    (
        ReasonCode.NEED_NOT_MET,
        Ground.S39_4_A,
        {"need": Need.SEMH, "band": 4},
        lambda: special("S1", {Need.SLD: 5}),
    ),
    (ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION, Ground.S39_4_A, {"band": 3}, lambda: setting("S1")),
    (
        ReasonCode.SECONDARY_NEED_NOT_MET,
        Ground.S39_4_A,
        {"band": 4, "secondary_needs": frozenset({Need.HI})},
        lambda: special("S1"),
    ),
    (
        ReasonCode.FEATURE_MISSING,
        Ground.S39_4_A,
        {"required_features": frozenset({Feature.WHEELCHAIR_ACCESS})},
        lambda: setting("S1"),
    ),
    (
        ReasonCode.EXCLUDED,
        Ground.S39_4_B_OTHERS,
        {"excluded_setting_ids": frozenset({"S1"})},
        lambda: setting("S1"),
    ),
    (
        ReasonCode.JOURNEY_OVER_LIMIT,
        Ground.TRAVEL_POLICY,
        {"location": at(km_taking(60))},
        lambda: setting("S1"),
    ),
]


@pytest.mark.parametrize(("code", "ground", "ckw", "make"), CASES, ids=[c[0].value for c in CASES])
def test_each_rule_excludes_with_its_code_and_ground(
    code: ReasonCode, ground: Ground, ckw: dict[str, Any], make: Callable[[], Setting]
) -> None:
    kw = dict(ckw)
    need = kw.pop("need", Need.ASD)
    band = kw.pop("band", 1)
    reasons = only_reasons([child("C1", need, band, **kw)], [make()])
    assert [r.code for r in reasons] == [code]
    assert reasons[0].ground is ground
    assert reasons[0].child_id == "C1"
    assert reasons[0].setting_id == "S1"


def test_every_rule_has_a_case() -> None:
    assert {c[0] for c in CASES} == {r.CODE for r in RULES}


def test_suitable_pair_has_no_reasons_and_is_an_arc() -> None:
    p = problem([child("C1", Need.ASD, 4)], [special("S1")])
    assert why_unsuitable(p, 0, 0) == []
    assert p.pair_index(0, 0) == 0


@pytest.mark.parametrize(("year", "ok"), [(-1, False), (0, True), (6, True), (7, False)])
def test_age_boundaries_follow_statutory_ages(year: int, ok: bool) -> None:
    # a 4-11 primary takes Reception (age 4 on 31 August) to Year 6 (age 10), not Year 7
    p = problem([child("C1", nc_year=year)], [setting("S1", low_age=4, high_age=11)])
    assert (p.pair_index(0, 0) >= 0) is ok


def test_band_reason_reports_the_designated_level() -> None:
    reasons = only_reasons([child("C1", Need.ASD, 5)], [special("S1", {Need.ASD: 3})])
    assert reasons[0].facts["need_band"] == 5
    assert reasons[0].facts["max_band"] == 3


def test_designation_meets_related_needs_from_policy() -> None:
    # suitability.toml: an ASD designation also meets SLCN
    p = problem([child("C1", Need.SLCN, 4)], [special("S1", {Need.ASD: 5})])
    assert p.pair_index(0, 0) == 0


def test_several_failures_are_all_reported_in_legal_order() -> None:
    c = child("C1", Need.SEMH, 4, nc_year=8, location=at(km_taking(90)))
    reasons = only_reasons([c], [special("S1", {Need.SLD: 5}, high_age=11)])
    assert [r.code for r in reasons] == [
        ReasonCode.AGE_OUT_OF_RANGE,
        ReasonCode.NEED_NOT_MET,
        ReasonCode.JOURNEY_OVER_LIMIT,
    ]


def test_girls_school_admits_girls() -> None:
    p = problem([child("C1", sex=Sex.FEMALE)], [setting("S1", entry=Entry.GIRLS)])
    assert p.pair_index(0, 0) == 0


def test_router_matrix_overrides_the_estimate_both_ways() -> None:
    p = problem(
        [child("C1"), child("C2", location=at(30))],
        [setting("S1")],
        travel=(TravelTime("C1", "S1", 50), TravelTime("C2", "S1", 20)),
    )
    assert p.pair_index(0, 0) == -1  # the router says 50 min, over 45
    assert p.pair_index(1, 0) >= 0  # the router says 20 min though 30 km away
    r = why_unsuitable(p, 0, 0)[0]
    assert r.facts["minutes"] == 50
    assert r.facts["source"] == "router matrix"


def test_personal_journey_limit_tightens_the_policy_limit() -> None:
    # a limit set in the child's plan makes a longer journey unsuitable: s.39(4)(a)
    r = only_reasons([child("C1", location=at(5), max_journey_min=10)], [setting("S1")])
    assert r[0].code is ReasonCode.JOURNEY_OVER_PLAN_LIMIT
    assert r[0].ground is Ground.S39_4_A
    assert r[0].facts["limit"] == 10
    assert r[0].facts["limit_source"] == "plan"
    # ... even when the family asks for the setting
    r = only_reasons(
        [child("C1", location=at(5), max_journey_min=10, prefs=("S1",))], [setting("S1")]
    )
    assert r[0].code is ReasonCode.JOURNEY_OVER_PLAN_LIMIT


def test_the_las_journey_limit_bounds_only_what_the_la_proposes() -> None:
    # an hour away: over the 45-minute limit for a Year 3 child. Not proposed by the LA (its
    # ground is the travel policy, never s.39(4)); a family's request for it stays a suitable
    # pair.
    far = setting("S1", location=at(km_taking(60)))
    r = only_reasons([child("C1")], [far])
    assert r[0].code is ReasonCode.JOURNEY_OVER_LIMIT
    assert r[0].ground is Ground.TRAVEL_POLICY
    assert r[0].facts["source"] == "straight-line estimate"
    asked = problem([child("C1", prefs=("S1",))], [far])
    assert asked.pair_index(0, 0) == 0
    assert bool(asked.pairs.beyond_limit[0])
    assert why_unsuitable(asked, 0, 0) == []


def test_secondary_phase_limit_is_longer_than_primary() -> None:
    # an hour away: within 75 for Year 8, over 45 for Year 3
    hour = at(km_taking(60))
    sec = problem([child("C1", nc_year=8, location=hour)], [setting("S1", low_age=11, high_age=16)])
    assert sec.pair_index(0, 0) >= 0
    prim = problem([child("C1", location=hour)], [setting("S1")])
    assert prim.pair_index(0, 0) == -1


def test_mask_and_explanations_agree_on_a_mixed_area() -> None:
    kids = [
        child(f"C{k}", need, band, nc_year=year, location=at(dx), sex=sex)
        for k, (need, band, year, dx, sex) in enumerate(
            itertools.product(
                [Need.ASD, Need.SEMH, Need.HI], [1, 3, 5], [2, 8], [0, 20], [Sex.MALE, Sex.FEMALE]
            )
        )
    ]
    sets = [
        setting("M1"),
        setting("M2", low_age=11, high_age=16, location=at(10)),
        special("SP1", {Need.ASD: 4, Need.SEMH: 5}),
        special("SP2", {Need.HI: 5}, location=at(15), entry=Entry.BOYS),
    ]
    p = problem(kids, sets)
    suitable = 0
    for i in range(p.num_children):
        for s in range(p.num_settings):
            ok = why_unsuitable(p, i, s) == []
            suitable += ok
            assert (p.pair_index(i, s) >= 0) == ok
    assert 0 < suitable < p.num_children * p.num_settings


def test_scalar_and_vectorised_journeys_agree() -> None:
    import numpy as np

    from placement.rules.journey import journey_minutes, minutes_between

    kids = [
        child(f"C{k}", location=at(k * 1.7, -k * 0.9), transport_eligible=k % 2 == 0)
        for k in range(12)
    ]
    sets = [setting(f"S{j}", location=at(-j * 2.3, j)) for j in range(5)]
    p = problem(kids, sets, travel=(TravelTime("C3", "S2", 17),))
    grid = journey_minutes(
        p, np.arange(12, dtype=np.int64)[:, None], np.arange(5, dtype=np.int64)[None, :]
    )
    for i in range(12):
        for s in range(5):
            assert minutes_between(p, i, s) == int(grid[i, s])
    assert minutes_between(p, p.child_index["C3"], p.setting_index["S2"]) == 17


def test_two_pass_enumeration_is_the_grid_mask() -> None:
    """``suitable`` (grid rules, then exclusions and journeys on the survivors) finds exactly
    the pairs where every rule passes on the full grid, with the same minutes, for any
    subset of rows and columns."""
    import numpy as np

    from placement.rules import GRID_RULES, PAIR_RULES, eligibility_mask, suitable
    from placement.rules.journey import journey_minutes

    assert set(GRID_RULES) | set(PAIR_RULES) == set(RULES)
    kids = [
        child(
            f"C{k}",
            need,
            band,
            nc_year=year,
            location=at(dx, dx / 3),
            excluded_setting_ids=frozenset({"M1"}) if k % 3 == 0 else frozenset(),
            transport_eligible=k % 2 == 0,
        )
        for k, (need, band, year, dx) in enumerate(
            itertools.product([Need.ASD, Need.SEMH], [1, 4], [2, 8], [0, 9, 30])
        )
    ]
    sets = [
        setting("M1"),
        setting("M2", low_age=11, high_age=16, location=at(10)),
        special("SP1", {Need.ASD: 4, Need.SEMH: 5}, location=at(5)),
        special("SP2", {Need.SEMH: 3}, location=at(25)),
    ]
    p = problem(kids, sets, travel=(TravelTime("C1", "SP2", 200), TravelTime("C2", "M1", 3)))
    n, m = p.num_children, p.num_settings
    rows, cols = np.arange(n, dtype=np.int64), np.arange(m, dtype=np.int64)
    grid_min = journey_minutes(p, rows[:, None], cols[None, :])
    mask = eligibility_mask(p, rows[:, None], cols[None, :], grid_min)
    assert 0 < mask.sum() < n * m
    for r, c in ((rows, cols), (rows[1::2], cols[[0, 2, 3]]), (rows[:0], cols)):
        ci, si, minutes = suitable(p, r, c)
        want_r, want_c = np.nonzero(mask[np.ix_(r, c)])
        assert np.array_equal(ci, r[want_r]) and np.array_equal(si, c[want_c])
        assert np.array_equal(minutes, grid_min[ci, si])
