"""Tailored lists: a table of hand-made cases, one per reason code and legal branch, asserting
the exact reason and evidence; properties over random areas; both wordings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placement.domain import Child, Entry, Feature, Need, Setting, SettingKind, Sex
from placement.files.policy_files import load_policy
from placement.problem import Problem
from placement.reasons import Ground, Reason, ReasonCode
from placement.solve import allocate
from placement.tailored import ADVISORY, COMPONENTS, TailoredList, area_run, tailored_list
from placement.wording import render, render_list_text

from .factories import at, child, km_taking, problem, setting, special

K1 = load_policy({"objective": {"tailored_list": {"k": 1}}})


def listed(p: Problem, cid: str = "A", mechanism: str | None = "optimised") -> TailoredList:
    run = area_run(p, allocate(p, mechanism)) if mechanism else None  # type: ignore[arg-type]
    return tailored_list(p, cid, run=run)


# -- why not: one row per eligibility reason code (settings the family did not ask for) ------

WHY_NOT: list[tuple[ReasonCode, Child, list[Setting], str, dict[str, Any]]] = [
    (
        ReasonCode.AGE_OUT_OF_RANGE,
        child("A", prefs=("SEC",)),  # other-age settings get evidence when asked about
        [setting("M1"), setting("SEC", low_age=11, high_age=16)],
        "SEC",
        {"age": 7, "low_age": 11, "high_age": 16},
    ),
    (
        ReasonCode.SEX_NOT_ADMITTED,
        child("A", sex=Sex.MALE),
        [setting("M1"), setting("G1", entry=Entry.GIRLS)],
        "G1",
        {"entry": "girls", "sex": "M"},
    ),
    (
        ReasonCode.NEED_NOT_MET,
        child("A", Need.SEMH, 4),
        [special("S1", {Need.SEMH: 5}), special("S2", {Need.SLD: 5})],
        "S2",
        {"primary_need": "SEMH", "designations": ["SLD"]},
    ),
    (
        ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION,
        child("A", Need.ASD, 4),
        [special("S1"), setting("M1")],
        "M1",
        {"need_band": 4, "max_band": 2},
    ),
    (
        ReasonCode.SECONDARY_NEED_NOT_MET,
        child("A", Need.ASD, 4, secondary_needs=frozenset({Need.HI})),
        [special("S1", {Need.ASD: 5, Need.HI: 5}), special("S2")],
        "S2",
        {"unmet": ["HI"]},
    ),
    (
        ReasonCode.FEATURE_MISSING,
        child("A", required_features=frozenset({Feature.WHEELCHAIR_ACCESS})),
        [setting("M1", features=frozenset({Feature.WHEELCHAIR_ACCESS})), setting("M2")],
        "M2",
        {"missing": ["wheelchair_access"]},
    ),
    (
        ReasonCode.EXCLUDED,
        child("A", excluded_setting_ids=frozenset({"M2"})),
        [setting("M1"), setting("M2")],
        "M2",
        {},
    ),
    (
        ReasonCode.JOURNEY_OVER_LIMIT,
        child("A"),
        [setting("M1"), setting("M2", location=at(km_taking(46.5)))],
        "M2",
        {"minutes": 47, "limit": 45, "phase": "primary", "limit_source": "policy"},
    ),
]


@pytest.mark.parametrize(
    ("code", "kid", "sets", "sid", "facts"), WHY_NOT, ids=[r[0].value for r in WHY_NOT]
)
def test_why_not_gives_the_code_and_evidence(
    code: ReasonCode, kid: Child, sets: list[Setting], sid: str, facts: dict[str, Any]
) -> None:
    tl = listed(problem([kid], sets))
    [lo] = [x for x in tl.left_off if x.setting_id == sid]
    assert lo.reasons[0].code is code
    for k, v in facts.items():
        assert lo.reasons[0].facts[k] == v, k
    assert sid not in {o.setting_id for o in tl.options}


def test_suitable_but_ranked_below_the_top_k() -> None:
    p = problem([child("A", Need.ASD, 4)], [special("NEAR"), special("FAR", location=at(6))], K1)
    tl = listed(p)
    assert [o.setting_id for o in tl.options] == ["NEAR"]
    [lo] = tl.left_off
    assert lo.reasons[0].code is ReasonCode.RANKED_BELOW
    assert lo.reasons[0].facts["score"] < lo.reasons[0].facts["kth_score"]


def test_suitable_but_full_in_the_area_run_is_left_off_with_the_run_as_evidence() -> None:
    # B fills S2's only ASD place; for A (not asking for it) S2 is left off as full
    kids = [child("A", Need.ASD, 4), child("B", Need.ASD, 4, prefs=("S2",))]
    sets = [special("S1"), special("S2", places=1, location=at(1))]
    tl = listed(problem(kids, sets, K1))
    [lo] = [x for x in tl.left_off if x.setting_id == "S2"]
    assert lo.reasons[0].code is ReasonCode.POOL_FULL
    assert lo.reasons[0].facts == {"need": "ASD", "places_free": 1, "taken_in_run": 1}


# -- requests: each statutory branch --------------------------------------------------------


def request(tl: TailoredList, sid: str) -> Any:
    [r] = [x for x in tl.requests if x.setting_id == sid]
    return r


def outcomes(r: Any) -> list[tuple[str, str]]:
    return [(t.name, t.outcome) for t in r.tests]


def test_request_refused_s39_4_a_unsuitable() -> None:
    p = problem(
        [child("A", Need.SEMH, 4, prefs=("S2",))], [special("S1", {Need.SEMH: 5}), special("S2")]
    )
    r = request(listed(p), "S2")
    assert r.outcome == "refused"
    assert r.grounds == (Ground.S39_4_A,)
    assert r.tests[0].reasons[0].code is ReasonCode.NEED_NOT_MET
    # s.33 follows a refusal, assessed with its reason: the family asked for specialist
    assert outcomes(r)[-1] == ("mainstream_presumption", "not_applicable")
    assert r.tests[-1].reasons[0].code is ReasonCode.S33_FAMILY_ASKED_SPECIALIST


def test_request_refused_s39_4_b_efficient_education_of_others() -> None:
    kids = [child("A", Need.ASD, 4, prefs=("S2",)), child("B", Need.SEMH, 4, prefs=("S2",))]
    sets = [special("S1"), special("S2", {Need.ASD: 5, Need.SEMH: 5}, capacity=1)]
    tl = listed(problem(kids, sets))
    r = request(tl, "S2")
    assert outcomes(r)[:3] == [
        ("suitability", "met"),
        ("efficient_education_of_others", "not_met"),
        ("efficient_use_of_resources", "met"),
    ]
    assert r.tests[1].reasons[0].code is ReasonCode.SETTING_FULL
    assert r.tests[1].reasons[0].facts == {
        "places_free": 1,
        "taken_in_run": 1,
        "held_by_equal_or_higher_choice": 1,  # B asked for it first too
        "held_by_others": 0,
    }


def test_request_refused_s39_4_b_efficient_use_of_resources() -> None:
    ind = special(
        "IND", kind=SettingKind.INDEPENDENT_SPECIAL, s41_approved=True, annual_fee_gbp=71_400
    )
    tl = listed(problem([child("A", Need.ASD, 4, prefs=("IND",))], [special("S1"), ind]))
    r = request(tl, "IND")
    assert r.route == "s38_request"
    assert r.grounds == (Ground.S39_4_B_RESOURCES,)
    ev = r.tests[2].reasons[0]
    assert ev.code is ReasonCode.COST_DISPROPORTIONATE
    assert ev.facts == {
        "cost_gbp": 71_400,
        "alternative_gbp": 26_000,  # S1: £10,000 place + £16,000 band-4 top-up
        "alternative_setting_id": "S1",
        "alternative_is": "named",
        "extra_gbp": 45_400,
        "threshold_gbp": 5_200,
        "transport_counted": False,
        "kind": "independent_special",
    }
    assert tl.allocated_setting_id == "S1"


def test_s41_against_non_s41_independent() -> None:
    on = special(
        "IND", kind=SettingKind.INDEPENDENT_SPECIAL, s41_approved=True, annual_fee_gbp=71_400
    )
    off = special("IND", kind=SettingKind.INDEPENDENT_SPECIAL, annual_fee_gbp=71_400)
    r_on = request(
        listed(problem([child("A", Need.ASD, 4, prefs=("IND",))], [special("S1"), on])), "IND"
    )
    r_off = request(
        listed(problem([child("A", Need.ASD, 4, prefs=("IND",))], [special("S1"), off])), "IND"
    )
    assert r_on.route == "s38_request"
    assert r_off.route == "s9_representation"
    assert r_off.tests[2].name == "s9_public_expenditure"
    assert r_off.grounds == (Ground.S9_EA1996,)
    assert r_off.tests[2].reasons[0].code is ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE


def test_request_that_passes_every_test_is_named() -> None:
    r = request(
        listed(
            problem(
                [child("A", Need.ASD, 4, prefs=("S2",))],
                [special("S1"), special("S2", location=at(3))],
            )
        ),
        "S2",
    )
    assert r.outcome == "named"
    assert all(t.outcome == "met" for t in r.tests)


def test_s33_keeps_a_mainstream_option_on_the_list() -> None:
    # specialist options outscore mainstream for this child; one mainstream stays (s.33)
    kids = [child("A", Need.ASD, 2, prefs=("S1", "S2", "S3"))]
    sets = [special("S1"), special("S2"), special("S3"), setting("M1", location=at(5))]
    tl = listed(problem(kids, sets, K1))
    mains = [o for o in tl.options if o.mainstream]
    assert [o.setting_id for o in mains] == ["M1"]
    assert "mainstream" in mains[0].included_because or "area_run" in mains[0].included_because


# -- properties over random areas ------------------------------------------------------------

NEEDS = [Need.ASD, Need.SEMH, Need.SLCN, Need.MLD]


@st.composite
def areas(draw: st.DrawFn) -> Problem:
    n_set = draw(st.integers(2, 6))
    sets: list[Setting] = []
    for j in range(n_set):
        loc = at(draw(st.floats(-8, 8)), draw(st.floats(-8, 8)))
        if draw(st.booleans()):
            sets.append(setting(f"M{j}", capacity=draw(st.integers(0, 4)), location=loc))
        else:
            need = draw(st.sampled_from(NEEDS))
            sets.append(
                special(
                    f"S{j}",
                    {need: draw(st.integers(3, 5))},
                    places=draw(st.integers(0, 3)),
                    capacity=3,
                    location=loc,
                )
            )
    ids = [s.setting_id for s in sets]
    kids = [
        child(
            f"C{k}",
            draw(st.sampled_from(NEEDS)),
            draw(st.integers(1, 5)),
            prefs=tuple(draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))),
            location=at(draw(st.floats(-8, 8)), draw(st.floats(-8, 8))),
            transport_eligible=draw(st.booleans()),
        )
        for k in range(draw(st.integers(1, 8)))
    ]
    return problem(kids, sets)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(areas(), st.sampled_from(["optimised", "preference-first"]))
def test_list_properties(p: Problem, mechanism: str) -> None:
    alloc = allocate(p, mechanism)  # type: ignore[arg-type]
    run = area_run(p, alloc)
    for c in p.children:
        tl = tailored_list(p, c.child_id, run=run)
        got = alloc.setting_of(c.child_id)
        # the list and the area run never disagree
        assert tl.allocated_setting_id == got
        if got is not None:
            assert got in {o.setting_id for o in tl.options}
        for o in tl.options:
            assert round(sum(o.components[k] for k in COMPONENTS), 1) == o.score
        # every setting is either an option or left off with a reason
        listed_ids = {o.setting_id for o in tl.options}
        left_ids = {lo.setting_id for lo in tl.left_off}
        assert len(listed_ids) + len(left_ids) <= p.num_settings
        assert sum(tl.left_off_counts.values()) == p.num_settings - len(listed_ids)
        # every refused request carries a ground and evidence
        for r in tl.requests:
            if r.outcome == "refused":
                assert r.grounds
                assert any(t.reasons for t in r.tests)
        assert tl.advisory == ADVISORY
    for ref in alloc.refusals:
        if ref.route == "s38_request":
            assert ref.reasons, ref


# -- two audiences, one source ---------------------------------------------------------------


def test_both_wordings_come_from_the_same_reasons() -> None:
    r = Reason(
        ReasonCode.JOURNEY_OVER_LIMIT,
        "A",
        "M2",
        {
            "minutes": 58,
            "limit": 45,
            "phase": "primary",
            "limit_source": "policy",
            "source": "straight-line estimate",
        },
    )
    officer = render(r, "officer", {"M2": "Oakfield Primary"})
    family = render(r, "family", {"M2": "Oakfield Primary"})
    assert "58 min" in officer and "45 min" in officer and "journey_over_limit" in officer
    assert "58 minutes" in family and "45 minutes" in family and "Oakfield Primary" in family
    assert "s.39" not in family and "_" not in family


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_code_has_both_wordings(code: ReasonCode) -> None:
    facts: dict[str, Any] = {
        "age": 7,
        "nc_year": 3,
        "low_age": 11,
        "high_age": 16,
        "entry": "girls",
        "sex": "M",
        "designations": ["SLD"],
        "primary_need": "SEMH",
        "kind": "special_la_maintained",
        "need_band": 4,
        "max_band": 2,
        "unmet": ["HI"],
        "missing": ["wheelchair_access"],
        "minutes": 58,
        "limit": 45,
        "phase": "primary",
        "limit_source": "policy",
        "source": "router matrix",
        "need": "ASD",
        "places_free": 40,
        "taken_in_run": 40,
        "cost_gbp": 71_400,
        "alternative_gbp": 27_900,
        "extra_gbp": 43_500,
        "threshold_gbp": 5_580,
        "journey_limit_min": 45,
        "suitable_settings": 3,
        "with_room": ["S1"],
        "transport": True,
        "rank": 1,
        "route": "s38_request",
        "current_setting": True,
        "mechanism": "optimised",
        "score": 40.0,
        "kth_score": 55.0,
        "k": 5,
        "transport_eligible": True,
        "family_arranges_transport": True,
        "transport_cost_gbp": 9_000,
        "current_setting_id": "S2",
        "asked": ["S1"],
        "mainstream_max_band": 3,
        "mainstream_for_age": 12,
        "suitable_mainstream": 4,
        "held_by_equal_or_higher_choice": 38,
        "held_by_others": 2,
        "alternative_setting_id": "S2",
        "alternative_is": "named",
        "places": 40,
        "roll": 38,
        "confirmed": 2,
        "holders": ["C07", "C09"],
        "evidence": "The class is at its limit of 8 pupils.",
    }
    r = Reason(code, "A", "S1", facts)
    fam = render(r, "family", {"S1": "Oakfield"})
    off = render(r, "officer", {"S1": "Oakfield"})
    assert fam and off and fam != off
    assert "s.3" not in fam and "s.9" not in fam and f"[{code.value}]" not in fam


def test_rendered_list_reads_for_each_audience() -> None:
    kids = [child("A", Need.ASD, 4, prefs=("IND",))]
    ind = special(
        "IND", kind=SettingKind.INDEPENDENT_SPECIAL, annual_fee_gbp=71_400, name="Hillside School"
    )
    tl = listed(problem(kids, [special("S1", name="Oakfield School"), ind, setting("M1")]))
    fam = render_list_text(tl, "family")
    off = render_list_text(tl, "officer")
    assert "Oakfield School" in fam and "ask for any school" in fam
    assert "s.9 EA 1996" in off and "s.9" not in fam
    assert "£" not in fam  # families are told it costs much more, not the figures
    assert "£45,400 more" in off


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(["optimised", "preference-first"]))
def test_list_properties_on_generated_areas(seed: int, mechanism: str) -> None:
    from placement.generate import generate_area
    from placement.problem import build_problem

    area = generate_area("Rutland", seed=seed, scale=0.5)
    p = build_problem(area, load_policy())
    alloc = allocate(p, mechanism)  # type: ignore[arg-type]
    run = area_run(p, alloc)
    for c in p.children[:: max(1, p.num_children // 40)]:
        tl = tailored_list(p, c.child_id, run=run)
        got = alloc.setting_of(c.child_id)
        assert tl.allocated_setting_id == got
        if tl.staying_setting_id is not None:  # not placed in this run: the place stands
            assert tl.movement == "staying" and not tl.options
            assert all(r.outcome == "not_this_round" for r in tl.requests)
            continue
        if got is not None:
            assert got in {o.setting_id for o in tl.options}
        for o in tl.options:
            assert round(sum(o.components.values()), 1) == o.score
        for r in tl.requests:
            assert r.outcome != "refused" or (r.grounds and any(t.reasons for t in r.tests))


def test_left_off_evidence_equals_the_full_rule_check() -> None:
    from placement.rules import why_unsuitable

    kids = [child("A", Need.SEMH, 4, nc_year=8, location=at(3), sex=Sex.FEMALE)]
    sets = [
        special("S1", {Need.SEMH: 5}),
        special("S2", {Need.SLD: 5}, high_age=11),
        setting("M1", entry=Entry.BOYS, low_age=11, high_age=16, location=at(30)),
        setting("M2", low_age=11, high_age=16),
    ]
    p = problem(kids, sets)
    tl = listed(p)
    for lo in tl.left_off:
        assert list(lo.reasons) == why_unsuitable(p, 0, p.setting_index[lo.setting_id])


def test_left_off_settings_come_nearest_first() -> None:
    """What a family reads as "schools near you": the left-off settings by journey, nearest
    first, whatever order the area lists them in."""
    import numpy as np

    from placement.rules.journey import journey_minutes

    kids = [child("A", Need.SEMH, 4, nc_year=8, location=at(0))]
    far_to_near = [
        setting(f"M{n}", low_age=11, high_age=16, entry=Entry.BOYS, location=at(km))
        for n, km in enumerate((40, 25, 12, 3, 8))
    ]
    p = problem(kids, [special("S1", {Need.SEMH: 5}), *far_to_near])
    tl = listed(p)
    ids = [lo.setting_id for lo in tl.left_off]
    assert set(ids) == {s.setting_id for s in far_to_near}
    si = np.array([[p.setting_index[sid] for sid in ids]], np.int64)
    minutes = journey_minutes(p, np.zeros((1, 1), np.int64), si)[0].tolist()
    assert minutes == sorted(minutes)
    assert ids[0] == "M3" and ids[-1] == "M0"
