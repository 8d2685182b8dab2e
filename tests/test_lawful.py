"""The law to the letter (issue 11): every refusal lawful in the final allocation of either
mechanism, maximum placement whatever the arc pruning, routes kept apart, s.33 assessed with
reasons, journey limits as the law has them, and who is being placed. Tiny named areas first,
then property tests over random small areas, each result checked by the independent validator.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placement.area import Area, TravelTime
from placement.domain import Child, Entry, Need, Pool, Preference, Setting, SettingKind, Sex
from placement.files.policy_files import load_policy
from placement.policy import Policy
from placement.problem import Problem, build_problem
from placement.reasons import REFUSAL_CODES, Ground, ReasonCode
from placement.result import Allocation
from placement.solve import MECHANISMS, allocate
from placement.solve.params import DEFAULT_PARAMS, SolveParams
from placement.tailored import area_run, tailored_list
from placement.validate import validate_allocation
from placement.wording import render, render_list_text

from .factories import at, child, km_taking, problem, setting, special

S39 = {Ground.S39_4_A, Ground.S39_4_B_OTHERS, Ground.S39_4_B_RESOURCES}
S9 = {Ground.S9_INSTRUCTION, Ground.S9_NO_PLACE, Ground.S9_EA1996}


def checked(
    p: Problem, mechanism: str, seed: int = 0, params: SolveParams = DEFAULT_PARAMS
) -> Allocation:
    """Allocate and pass the result through the independent validator."""
    a = allocate(p, mechanism, seed=seed, params=params)  # type: ignore[arg-type]
    area = Area("t", p.children, p.settings)
    report = validate_allocation(
        area,
        p.policy,
        a.mapping(),
        claimed_metrics=a.metrics.as_dict(),
        from_scratch=p.scope == "from_scratch",
    )
    assert report.ok, (mechanism, report.findings)
    return a


# -- 1. lawful refusals: "full" only when no exchange names the request ----------------------


def test_a_request_is_named_by_moving_a_child_who_did_not_ask_for_the_place() -> None:
    # The first failure: A asks for X; X's one place would otherwise go to B, who did
    # not ask for it and fits Y (with room, a little dearer: more transport). Naming A's
    # request places the same children for a few thousand pounds more, under the threshold.
    x = special("X", {Need.ASD: 5}, capacity=1)
    y = special("Y", {Need.ASD: 5}, location=at(4))
    a_child = child("A", Need.ASD, 4, prefs=("X",), location=at(3), transport_eligible=True)
    b_child = child("B", Need.ASD, 4, transport_eligible=True)
    for mech in MECHANISMS:
        a = checked(problem([a_child, b_child], [x, y]), mech)
        assert a.mapping() == {"A": "X", "B": "Y"}, mech
        assert a.refusals == ()


def test_full_stands_when_the_holder_asked_at_a_higher_rank_or_has_nowhere_to_go() -> None:
    x = special("X", {Need.ASD: 5, Need.SEMH: 5}, capacity=1)
    y = special("Y", {Need.ASD: 5}, location=at(2))
    a_child = child("A", Need.ASD, 4, prefs=("X",))
    # B fits only X (SEMH): moving it would place fewer children
    for mech in MECHANISMS:
        a = checked(problem([a_child, child("B", Need.SEMH, 4)], [x, y]), mech)
        assert a.mapping() == {"A": "Y", "B": "X"}
        [r] = a.refusals
        full = r.reasons[0]
        assert full.code is ReasonCode.SETTING_FULL and full.ground is Ground.S39_4_B_OTHERS
        assert full.facts["held_by_others"] == 1  # B did not ask, but cannot move


def test_the_validator_names_the_child_setting_and_exchange() -> None:
    x = special("X", {Need.ASD: 5}, capacity=1)
    y = special("Y", {Need.ASD: 5}, location=at(2))
    kids = (child("A", Need.ASD, 4, prefs=("X",)), child("B", Need.ASD, 4))
    report = validate_allocation(Area("t", kids, (x, y)), load_policy(), {"A": "Y", "B": "X"})
    [f] = report.findings
    assert f.code == "request_full_but_exchange_names_it"
    assert (f.child_id, f.setting_id) == ("A", "X")
    assert "A -> X; B -> Y" in f.message


def test_cost_is_weighed_against_the_setting_actually_named() -> None:
    # A's request (an independent school) is out of proportion against the cheapest suitable
    # setting S1, but S1's one place is B's (B fits nowhere else): against the setting named
    # instead (another independent school), the request is proportionate, so it is named.
    ind = special(
        "IND", kind=SettingKind.INDEPENDENT_SPECIAL, s41_approved=True, annual_fee_gbp=57_074
    )
    ind2 = special(
        "IND2", kind=SettingKind.INDEPENDENT_SPECIAL, s41_approved=True, annual_fee_gbp=55_000
    )
    s1 = special("S1", {Need.ASD: 5, Need.SEMH: 5}, capacity=1)
    kids = [child("A", Need.ASD, 4, prefs=("IND",)), child("B", Need.SEMH, 4)]
    for mech in MECHANISMS:
        assert checked(problem(kids, [ind, ind2, s1]), mech).setting_of("A") == "IND"


# -- 2. maximum placement whatever the pruning -----------------------------------------------


def test_a_child_is_placed_when_the_only_setting_with_room_is_far_down_the_cost_order() -> None:
    # 41 full suitable schools nearby, cheaper; one within the limit with 10 free places
    # (dearer: more transport). The 40 arcs kept per child are all full ones.
    sets = [special(f"F{k:02d}", capacity=0, location=at(0.1 * k)) for k in range(41)]
    sets.append(special("ROOM", capacity=10, location=at(12)))
    c = child("A", Need.ASD, 4, transport_eligible=True, nc_year=8)
    p = problem([c], sets)
    assert p.policy.objective.max_arcs_per_child == 40
    for mech in MECHANISMS:
        a = checked(p, mech)
        assert a.setting_of("A") == "ROOM", mech
        assert a.metrics.placed == 1


# -- 3. routes kept apart; s.33 assessed --------------------------------------------------------


def test_an_s9_representation_is_answered_under_s9_only() -> None:
    off_list = special("IND", kind=SettingKind.INDEPENDENT_SPECIAL, capacity=0)
    ap = special(
        "AP", {Need.SEMH: 5}, kind=SettingKind.ALTERNATIVE_PROVISION, low_age=11, high_age=16
    )
    kids = [child("A", Need.ASD, 4, prefs=("IND", "AP"))]
    p = problem(kids, [off_list, ap, special("S1")])
    for mech in MECHANISMS:
        a = checked(p, mech)
        refusals = {r.setting_id: r for r in a.refusals}
        assert {r.route for r in refusals.values()} == {"s9_representation"}
        # full, and far dearer than S1: both s.9 findings, neither a s.39 label
        assert [x.ground for x in refusals["IND"].reasons] == [
            Ground.S9_NO_PLACE,
            Ground.S9_EA1996,
        ]
        assert {x.ground for x in refusals["AP"].reasons} == {Ground.S9_INSTRUCTION}
        for r in refusals.values():
            assert r.mainstream_presumption is None  # s.33 follows s.38 requests only
            for x in r.reasons:
                text = render(x, "officer")
                assert "s.9 EA 1996" in text and "s.39" not in text, text
    tl = tailored_list(p, "A", run=area_run(p, allocate(p, "optimised")))
    for req in tl.requests:
        assert [t.name for t in req.tests][:1] == ["s9_efficient_instruction"]
        assert all(t.ground in S9 | {Ground.S33} for t in req.tests)


def test_s33_is_assessed_with_its_reasons() -> None:
    # band 5: mainstream (up to band 3 by policy) cannot meet it
    kids = [child("A", Need.ASD, 5, prefs=("IND",))]
    ind = special("IND", kind=SettingKind.INDEPENDENT_SPECIAL, s41_approved=True, capacity=0)
    p = problem(kids, [ind, special("S1"), setting("M1")])
    a = checked(p, "optimised")
    [r] = a.refusals
    assert r.mainstream_presumption is not None
    # the family asked for a specialist setting: mainstream is not required against it
    assert r.mainstream_presumption.code is ReasonCode.S33_FAMILY_ASKED_SPECIALIST
    # no specialist request: s.33 asks whether a suitable mainstream place is free
    kids = [child("A", Need.ASD, 5, prefs=("M1",))]
    p = problem(kids, [special("S1"), setting("M1")])
    [r] = checked(p, "optimised").refusals
    assert r.reasons[0].code is ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION
    s33 = r.mainstream_presumption
    assert s33 is not None and s33.code is ReasonCode.S33_NO_SUITABLE_MAINSTREAM
    assert s33.facts["need_band"] == 5 and s33.facts["mainstream_max_band"] < 5
    assert "s.33" in render(s33, "officer")
    # a band-2 child whose request for a full mainstream school fails: the others are full
    kids = [
        child("A", Need.ASD, 2, prefs=("M1",)),
        child("B", Need.ASD, 2, prefs=("M1",), looked_after=True),
    ]
    p = problem(kids, [special("S1"), setting("M1", capacity=1), setting("M2", capacity=0)])
    a = checked(p, "preference-first")
    [r] = a.refusals
    assert r.mainstream_presumption is not None
    assert r.mainstream_presumption.code is ReasonCode.S33_MAINSTREAM_FULL
    tl = tailored_list(p, r.child_id, run=area_run(p, a))
    assert tl.mainstream_presumption is not None
    assert tl.mainstream_presumption.outcome == "met"
    assert tl.mainstream_presumption.reasons  # never "met" without a reason


# -- 4. journey limits as the law has them ------------------------------------------------------


def far_request(beyond: str = "family_transport") -> tuple[Problem, Policy]:
    # FAR is an hour away (over the 45-minute limit for a Year 3 child); NEAR is suitable too
    policy = load_policy({"travel": {"beyond_limit_requests": beyond}})
    kids = [child("A", Need.ASD, 4, prefs=("FAR",), transport_eligible=True)]
    far = at(km_taking(60, policy, transport=True))
    sets = [special("NEAR", location=at(1)), special("FAR", location=far)]
    return problem(kids, sets, policy), policy


def test_a_request_beyond_the_las_limit_is_named_with_the_family_arranging_transport() -> None:
    p, _ = far_request()
    for mech in MECHANISMS:
        a = checked(p, mech)
        assert a.setting_of("A") == "FAR"
        [pl] = a.placements
        assert pl.cost_transport_gbp == 0  # the family arranges the journey
    tl = tailored_list(p, "A", run=area_run(p, allocate(p, "optimised")))
    far = next(o for o in tl.options if o.setting_id == "FAR")
    assert far.transport_provided is False
    [why] = [r for r in far.reasons if r.code is ReasonCode.BEYOND_JOURNEY_LIMIT]
    assert why.facts["family_arranges_transport"] is True
    assert why.facts["source"] == "straight-line estimate"
    assert "estimate" in render(why, "family") and "arrange the journey" in render(why, "family")
    assert "not a ground to refuse" in render(why, "officer")


def test_with_la_transport_counted_a_far_request_is_refused_on_cost_not_on_the_limit() -> None:
    p, _ = far_request("la_transport")
    for mech in MECHANISMS:
        a = checked(p, mech)
        if a.setting_of("A") == "FAR":
            continue  # preference-first ignores cost: naming it is lawful
        [r] = a.refusals
        assert [x.code for x in r.reasons] == [ReasonCode.COST_DISPROPORTIONATE]
        assert r.reasons[0].facts["transport_counted"] is True
    assert checked(p, "optimised").setting_of("A") == "NEAR"


def test_a_limit_set_in_the_childs_plan_makes_a_longer_journey_unsuitable() -> None:
    kids = [child("A", Need.ASD, 4, prefs=("FAR",), max_journey_min=20)]
    p = problem(kids, [special("NEAR", location=at(1)), special("FAR", location=at(30))])
    for mech in MECHANISMS:
        [r] = checked(p, mech).refusals
        assert [x.code for x in r.reasons] == [ReasonCode.JOURNEY_OVER_PLAN_LIMIT]
        assert r.reasons[0].ground is Ground.S39_4_A
        assert r.reasons[0].facts["limit_source"] == "plan"


def test_single_sex_entry_is_a_fact_about_the_school_not_s39_4_a() -> None:
    girls = setting("G", entry=Entry.GIRLS)
    p = problem([child("A", Need.ASD, 1, prefs=("G",), sex=Sex.MALE)], [girls, setting("M")])
    [r] = checked(p, "optimised").refusals
    assert [x.ground for x in r.reasons] == [Ground.ADMISSIONS]
    tl = tailored_list(p, "A", run=area_run(p, allocate(p, "optimised")))
    names = [t.name for t in tl.requests[0].tests]
    assert "gender_of_entry" in names
    suitability = next(t for t in tl.requests[0].tests if t.name == "suitability")
    assert suitability.outcome == "met"  # nothing about the child is unsuitable
    assert "s.39(4)(a)" not in render(r.reasons[0], "officer")


# -- 5. preference-first: s.33 in its fallback; asker before fallback ---------------------------


def test_preference_first_fallback_applies_s33() -> None:
    # no preferences: the nearest suitable setting is a special school, but a suitable
    # mainstream school has room: s.33 names mainstream
    kids = [child("A", Need.ASD, 2)]
    sets = [special("SP", location=at(0.5)), setting("M", location=at(3))]
    assert checked(problem(kids, sets), "preference-first").setting_of("A") == "M"


def test_a_fallback_placement_never_takes_a_place_from_a_child_who_asked_for_it() -> None:
    # B has higher LA priority (looked after) but did not ask for S1; A asked for it
    kids = [
        child("A", Need.ASD, 4, prefs=("S1",)),
        child("B", Need.ASD, 4, looked_after=True),
    ]
    sets = [special("S1", capacity=1), special("S2", location=at(5))]
    a = checked(problem(kids, sets), "preference-first")
    assert a.mapping() == {"A": "S1", "B": "S2"}


# -- 6. who is being placed ---------------------------------------------------------------------


def settled_area() -> tuple[list[Child], list[Setting]]:
    # Two settled children (Year 2 and Year 4) at their school; a Year 7 transfer child and a
    # child whose review asks for a move compete for what is left
    sets = [
        setting("P1", capacity=3, low_age=4, high_age=11),
        setting("P2", capacity=5, low_age=4, high_age=11, location=at(2)),
        setting("SEC", capacity=5, low_age=11, high_age=16, location=at(1)),
    ]
    kids = [
        child("Y2", Need.ASD, 1, nc_year=2, current_setting_id="P1"),
        child("Y4", Need.ASD, 1, nc_year=4, current_setting_id="P1"),
        child("T7", Need.ASD, 1, nc_year=7, current_setting_id="P1", prefs=("SEC",)),
        child(
            "RV",
            Need.ASD,
            1,
            nc_year=3,
            current_setting_id="P2",
            move_requested=True,
            prefs=("P1",),
        ),
        child("NEW", Need.ASD, 1, nc_year=5, prefs=("P1",), location=at(0.2)),
    ]
    return kids, sets


def test_only_moving_children_are_placed_and_the_settled_keep_their_place() -> None:
    kids, sets = settled_area()
    p = problem(kids, sets)
    assert [p.movement(i).value for i in range(p.num_children)] == [
        "no_current_setting",  # NEW (sorted by id)
        "review_requested_move",  # RV
        "transfer_year",  # T7
        "staying",  # Y2
        "staying",  # Y4
    ]
    assert int(p.s_free[p.setting_index["P1"]]) == 1  # 3 places, 2 held by staying children
    for mech in MECHANISMS:
        a = checked(p, mech)
        assert {s.child_id: s.setting_id for s in a.staying} == {"Y2": "P1", "Y4": "P1"}
        assert a.metrics.children == 3 and a.metrics.staying == 2
        assert a.setting_of("T7") == "SEC"
        assert sorted([a.setting_of("RV"), a.setting_of("NEW")]) == ["P1", "P2"]
        run = area_run(p, a)
        tl = tailored_list(p, "Y4", run=run)
        assert tl.movement == "staying" and tl.staying_setting_id == "P1"
        assert tl.options == ()
        text = render_list_text(tl, "family")
        assert "staying at the school named in their plan" in text
        assert "unlikely" not in text


def test_as_if_from_scratch_is_an_explicit_labelled_option() -> None:
    kids, sets = settled_area()
    area = Area("t", tuple(kids), tuple(sets))
    p = build_problem(area, load_policy(), scope="from_scratch")
    assert p.c_moving.all()
    for mech in MECHANISMS:
        a = checked(p, mech)
        assert a.scope == "from_scratch" and a.staying == ()
        assert a.manifest.parameters["scope"] == "from_scratch"
        assert a.as_dict()["scope"] == "from_scratch"
        assert a.metrics.children == 5


# -- 7. property tests over random small areas ----------------------------------------------------

NEEDS = [Need.ASD, Need.SEMH, Need.SLD, Need.MLD, Need.SLCN]
KINDS = [
    SettingKind.SPECIAL_LA,
    SettingKind.SPECIAL_ACADEMY,
    SettingKind.INDEPENDENT_SPECIAL,
    SettingKind.NON_MAINTAINED_SPECIAL,
    SettingKind.ALTERNATIVE_PROVISION,
    SettingKind.RESOURCED_PROVISION,
]


def random_area(rng: random.Random) -> tuple[list[Child], list[Setting], Policy]:
    sets: list[Setting] = []
    for k in range(rng.randint(2, 7)):
        loc = at(rng.uniform(-20, 20), rng.uniform(-20, 20))
        low, high = rng.choice([(4, 11), (4, 19), (11, 16), (11, 19)])
        entry = rng.choice([Entry.MIXED, Entry.MIXED, Entry.MIXED, Entry.GIRLS, Entry.BOYS])
        if rng.random() < 0.4:
            sets.append(setting(f"S{k}", capacity=rng.randint(0, 4), location=loc, low_age=low,
                                high_age=high, entry=entry))  # fmt: skip
            continue
        kind = rng.choice(KINDS)
        needs = rng.sample([Need.ASD, Need.SEMH, Need.SLD], rng.randint(1, 2))
        cap = rng.randint(0, 5)
        pools = {nd: Pool(rng.randint(0, cap)) for nd in needs if rng.random() < 0.5}
        kw: dict[str, Any] = {}
        if kind.is_independent:
            kw["s41_approved"] = rng.random() < 0.5
            kw["annual_fee_gbp"] = rng.choice([None, 30_000, 60_000])
        sets.append(
            Setting(
                f"S{k}", f"Setting {k}", kind, loc, low, high, capacity=cap, entry=entry,
                roll=rng.choice([0, 0, 1]), designations={nd: rng.randint(3, 5) for nd in needs},
                pools=pools, **kw,
            )
        )  # fmt: skip
    ids = [s.setting_id for s in sets]
    kids: list[Child] = []
    for k in range(rng.randint(1, 14)):
        year = rng.randint(0, 12)
        cur = rng.choice([None, None, *ids])
        kids.append(
            child(
                f"C{k:02d}",
                rng.choice(NEEDS),
                rng.randint(1, 5),
                prefs=tuple(rng.sample(ids, rng.randint(0, min(3, len(ids))))),
                nc_year=year,
                location=at(rng.uniform(-25, 25), rng.uniform(-25, 25)),
                transport_eligible=rng.random() < 0.5,
                looked_after=rng.random() < 0.15,
                current_setting_id=cur,
                move_requested=cur is not None and rng.random() < 0.3,
                max_journey_min=rng.choice([None, None, None, 30]),
                sex=rng.choice([Sex.MALE, Sex.FEMALE]),
            )
        )
    over: dict[str, Any] = {
        "travel": {"beyond_limit_requests": rng.choice(["family_transport", "la_transport"])},
        "objective": {"optimised": {"max_arcs_per_child": rng.choice([0, 1, 2, 40])}},
    }
    return kids, sets, load_policy(over)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_both_mechanisms_are_lawful_and_maximal_on_random_areas(seed: int, scratch: bool) -> None:
    kids, sets, policy = random_area(random.Random(seed))
    area = Area("t", tuple(kids), tuple(sets))
    p = build_problem(area, policy, scope="from_scratch" if scratch else "moving")
    for mech in MECHANISMS:
        a = checked(p, mech, seed=seed % 5)  # validator: exchange test and maximum flow
        for r in a.refusals:
            assert r.reasons, r
            for x in r.reasons:
                assert x.code in REFUSAL_CODES
                # every refusal carries the statute it really rests on
                allowed = (S39 if r.route == "s38_request" else S9) | {Ground.ADMISSIONS}
                assert x.ground in allowed, (r.route, x)
            if r.route == "s38_request":
                assert r.mainstream_presumption is not None
                assert r.mainstream_presumption.ground is Ground.S33
            else:
                assert r.mainstream_presumption is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_both_mechanisms_are_deterministic_under_shuffled_rows(seed: int) -> None:
    rng = random.Random(seed)
    kids, sets, policy = random_area(rng)
    first = {
        m: allocate(build_problem(Area("t", tuple(kids), tuple(sets)), policy), m, seed=3)
        for m in MECHANISMS
    }
    rng.shuffle(kids)
    rng.shuffle(sets)
    for m in MECHANISMS:
        again = allocate(build_problem(Area("t", tuple(kids), tuple(sets)), policy), m, seed=3)
        assert again.manifest.output_hash == first[m].manifest.output_hash
        assert again.mapping() == first[m].mapping()


def random_area_varied(rng: random.Random) -> tuple[Area, Policy]:
    """Random small areas varied another way: dates of birth, router rows, new plans, reviews
    asking for a move, up to six preferences, pools with a roll, more mainstream schools."""
    kinds = [*KINDS, SettingKind.MAINSTREAM, SettingKind.MAINSTREAM]
    sets: list[Setting] = []
    for k in range(rng.randint(1, 6)):
        low, high = rng.choice([(4, 11), (4, 19), (11, 16), (11, 19), (4, 8), (7, 11), (2, 26)])
        kind = rng.choice(kinds)
        cap = rng.choice([0, 1, 2, 3, 4, 6, 8])
        desig: dict[Need, int] = {}
        pools: dict[Need, Pool] = {}
        kw: dict[str, Any] = {}
        if kind is not SettingKind.MAINSTREAM:
            for nd in rng.sample(NEEDS, rng.randint(2, 4)):
                desig[nd] = rng.randint(3, 5)
                if rng.random() < 0.5:
                    places = rng.randint(0, cap)
                    pools[nd] = Pool(places, roll=rng.choice([0, 0, 1]) if places else 0)
        if kind.is_independent:
            kw["s41_approved"] = rng.random() < 0.5
            kw["annual_fee_gbp"] = rng.choice([None, 25_000, 45_000, 70_000])
        sets.append(
            Setting(
                f"S{k}", f"Setting {k}", kind, at(rng.uniform(-6, 6), rng.uniform(-6, 6)),
                low, high, capacity=cap, roll=rng.choice([0, 0, 0, 1, 2]),
                entry=rng.choice([Entry.MIXED] * 10 + [Entry.GIRLS, Entry.BOYS]),
                designations=desig, pools=pools, **kw,
            )
        )  # fmt: skip
    ids = [s.setting_id for s in sets]
    kids: list[Child] = []
    for k in range(rng.randint(0, 16)):
        age: dict[str, Any] = (
            {"date_of_birth": dt.date(rng.randint(2008, 2020), rng.randint(1, 12), 15)}
            if rng.random() < 0.4
            else {"nc_year": rng.choice([0, 1, 2, 3, 5, 6, 7, 7, 8, 9, 10, 12])}
        )
        cur = rng.choice([None, *ids, *ids])
        prefs = rng.sample(ids, min(rng.choice([0, 1, 2, 3, 4, 6]), len(ids)))
        need = rng.choice(NEEDS)
        kids.append(
            Child(
                f"C{k:02d}", location=at(rng.uniform(-8, 8), rng.uniform(-8, 8)),
                primary_need=need, need_band=rng.choice([1, 1, 2, 2, 3, 3, 4]),
                transport_eligible=rng.random() < 0.6,
                max_journey_min=rng.choice([None] * 6 + [25, 50]),
                sex=rng.choice([Sex.MALE, Sex.FEMALE]), current_setting_id=cur,
                preferences=tuple(Preference(x, r + 1) for r, x in enumerate(prefs)),
                looked_after=rng.random() < 0.15, new_plan=rng.random() < 0.15,
                move_requested=cur is not None and rng.random() < 0.2,
                secondary_needs=frozenset({Need.SLCN} - {need}) if rng.random() < 0.15
                else frozenset(),
                **age,
            )
        )  # fmt: skip
    travel = [
        TravelTime(c.child_id, st_.setting_id, rng.choice([5, 20, 44, 46, 60, 80, 120]))
        for c in kids
        for st_ in sets
        if rng.random() < 0.25
    ]
    over: dict[str, Any] = {
        "travel": {"beyond_limit_requests": rng.choice(["family_transport", "la_transport"])},
        "objective": {"optimised": {"max_arcs_per_child": rng.choice([0, 1, 1, 2, 40])}},
    }
    return Area("v", tuple(kids), tuple(sets), travel=tuple(travel)), load_policy(over)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_both_mechanisms_are_lawful_on_areas_varied_another_way(seed: int) -> None:
    area, policy = random_area_varied(random.Random(seed))
    p = build_problem(area, policy)
    for mech in MECHANISMS:
        a = allocate(p, mech)
        report = validate_allocation(area, policy, a.mapping(), claimed_metrics=a.metrics.as_dict())
        assert report.ok, (mech, report.findings)


def test_a_move_a_review_asks_for_that_cannot_happen_leaves_the_place_standing() -> None:
    # RV is at S1; its review asks for S2, which is full. Its place at S1 stands: a newcomer
    # who asks for S1 (and outranks it under the LA's rules) does not take it.
    sets = [special("S1", capacity=3), special("S2", capacity=0, location=at(2))]
    kids = [
        child("K1", Need.ASD, 2, current_setting_id="S1"),  # staying
        child("K2", Need.ASD, 2, current_setting_id="S1"),  # staying
        child("RV", Need.ASD, 2, current_setting_id="S1", move_requested=True, prefs=("S2",)),
        child("NEW", Need.ASD, 2, new_plan=True, prefs=("S1",), looked_after=True),
    ]
    p = problem(kids, sets)
    assert int(p.s_free[p.setting_index["S1"]]) == 0  # two staying, one kept for RV
    for mech in MECHANISMS:
        a = checked(p, mech)
        assert a.setting_of("RV") == "S1", mech
        assert a.setting_of("NEW") is None
        [r] = [r for r in a.refusals if r.child_id == "NEW"]
        assert r.reasons[0].code is ReasonCode.SETTING_FULL


def test_a_moving_childs_own_seat_is_kept_for_it_alone_in_the_run() -> None:
    # RV's review asks for S2; its seat at S1 is kept for it alone this run (the place named
    # in its plan stands until the plan is amended; a seat it leaves is offered next round).
    # Naming RV's request would leave NEW, who fits nowhere else now, without a place, so the
    # request yields to placing every child: RV keeps S1 and NEW has S2.
    sets = [special("S1", capacity=1), special("S2", capacity=1, location=at(2))]
    kids = [
        child("RV", Need.ASD, 2, current_setting_id="S1", move_requested=True, prefs=("S2",)),
        child("NEW", Need.ASD, 2, new_plan=True, prefs=("S1",)),
    ]
    for mech in MECHANISMS:
        a = checked(problem(kids, sets), mech)
        assert a.mapping() == {"RV": "S1", "NEW": "S2"}, mech
        refused = {(r.child_id, r.setting_id): r for r in a.refusals}
        assert refused[("RV", "S2")].reasons[0].code is ReasonCode.SETTING_FULL
        assert refused[("NEW", "S1")].reasons[0].code is ReasonCode.SETTING_FULL


def test_a_list_without_an_area_run_in_an_area_without_pools() -> None:
    p = problem([child("A", Need.ASD, 4)], [special("S1")])
    tl = tailored_list(p, "A")
    assert [o.setting_id for o in tl.options] == ["S1"]
    assert tl.options[0].chance == "unknown"


def test_what_if_survives_a_graph_that_needs_fewer_guard_bits() -> None:
    # areas where fixing one child makes OR-Tools refuse the costs with the run's guard bits
    from placement.solve.optimised import run_optimised
    from placement.whatif import what_if

    for seed in (53, 156, 295, 300):
        area, policy = random_area_varied(random.Random(seed))
        p = build_problem(area, policy)
        state = run_optimised(p)
        before = state.assign.copy()
        for c in p.children:
            for s_ in p.settings:
                w = what_if(state, c.child_id, s_.setting_id)
                assert w.possible or w.reasons or not p.c_moving[p.child_index[c.child_id]]
        assert (state.assign == before).all()  # a what-if leaves the run as it was


# -- the fast paths give the law's own answer -------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 5_000_000), st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.5, 1.0]))
def test_one_threshold_is_the_vectorised_threshold(alt: int, ratio: float) -> None:
    """The one cost threshold gives the same for one cost as for an array of them, and the
    same as the validator's own copy of the formula (half to even)."""
    f = load_policy({"funding": {"efficiency": {"max_extra_cost_ratio": ratio}}}).funding
    # around the rounding boundary as well as at the value drawn
    for a in (alt, alt * 2 + 1, 5 * (alt // 5) + 2):
        one = f.extra_cost_threshold_gbp(a)
        assert isinstance(one, int)
        assert one == int(f.extra_cost_threshold_gbp(np.array([a], np.int64))[0])
        assert one == max(f.min_extra_cost_gbp, round(a * f.max_extra_cost_ratio))


def test_the_vectorised_cost_ground_agrees_with_the_scalar_one() -> None:
    """``Standing.dear`` (every unmet preference at once, with a bound that skips most of
    them) must say exactly what ``cost_ground`` says, pair by pair, on a run's allocation
    with more and more of its children unplaced (places left, alternatives changed)."""
    from placement.generate import generate_area
    from placement.lawful import Standing
    from placement.result import preference_pairs
    from placement.solve.optimised import run_optimised

    area = generate_area("Leeds", seed=4, scale=0.3)
    p = build_problem(area, load_policy(), scope="from_scratch")
    base = run_optimised(p).assign  # each child's pair, -1 unplaced
    rng = np.random.default_rng(4)
    pref_pairs = preference_pairs(p)
    checked_rows = dear_rows = 0
    for drop in (0.15, 0.3, 0.6):
        assign = base.copy()
        assign[rng.random(assign.shape[0]) < drop] = -1
        stand = Standing(p, assign)
        sel = stand.unmet_preferences()
        k = pref_pairs[sel]
        sel, k = sel[k >= 0], k[k >= 0]
        i = p.pref_child[sel].astype(np.int64)
        named = stand.assign[i]
        alt = np.where(named >= 0, stand.cur_cost[i], 0)
        left = ~(
            (named >= 0)
            & (p.pairs.cost_gbp[k] - alt > p.policy.funding.extra_cost_threshold_gbp(alt))
        )
        assert int(left.sum()) > stand._many  # the bound's path, not the scalar fallback
        got = stand.dear(i, k)
        want = [
            stand.cost_ground(int(a), int(b), True) is not None for a, b in zip(i, k, strict=True)
        ]
        assert got.tolist() == want
        checked_rows += len(want)
        dear_rows += sum(want)
    assert 0 < dear_rows < checked_rows  # both answers occur


def test_an_exchange_restricted_to_a_solvers_arcs_uses_only_those_or_none() -> None:
    """A solver whose model lacks the pair the law's cheapest exchange needs asks for an
    exchange its model can make: another chain within the threshold, or none (then it adds
    the pair). Here B holds A's request X and can go to Y (nearer) or Z (a little further)."""
    from placement.lawful import Standing

    x = special("X", {Need.ASD: 5}, capacity=1)
    y = special("Y", {Need.ASD: 5}, location=at(2))
    z = special("Z", {Need.ASD: 5}, location=at(3))
    p = problem([child("A", Need.ASD, 4, prefs=("X",)), child("B", Need.ASD, 4)], [x, y, z])
    pr = p.pairs

    def pair(cid: str, sid: str) -> int:
        i = next(n for n, c in enumerate(p.children) if c.child_id == cid)
        return next(
            k
            for k in range(int(pr.start[i]), int(pr.start[i + 1]))
            if p.settings[int(pr.setting[k])].setting_id == sid
        )

    assign = np.array([pair("A", "Y"), pair("B", "X")], np.int64)
    stand = Standing(p, assign)
    k = pair("A", "X")

    def moved_to(ex: Any) -> list[tuple[str, str]]:
        return [
            (p.children[m.child_idx].child_id, p.settings[int(pr.setting[m.to_pair])].setting_id)
            for m in ex.moves
        ]

    everything = np.ones(len(pr), np.bool_)
    cheapest = stand.exchange(0, k)
    assert cheapest is not None and moved_to(cheapest) == [("A", "X"), ("B", "Y")]
    assert moved_to(stand.exchange(0, k, everything)) == [("A", "X"), ("B", "Y")]
    # the vacancy A leaves at Y is also B's cheapest way out: without B's pair into Y, Z
    no_y = everything.copy()
    no_y[pair("B", "Y")] = False
    other = stand.exchange(0, k, no_y)
    assert other is not None and moved_to(other) == [("A", "X"), ("B", "Z")]
    assert all(no_y[m.to_pair] for m in other.moves)
    # and with neither, none (the law's exchange still exists: the solver must add a pair)
    no_yz = no_y.copy()
    no_yz[pair("B", "Z")] = False
    assert stand.exchange(0, k, no_yz) is None
    assert stand.exchange(0, k) is not None


def test_repairs_the_model_cannot_make_are_made_on_the_allocation() -> None:
    """With no model rebuilt for the pairs a repair needs (missing_rounds = 0), the run still
    ends lawful: what the pruned model cannot repair is repaired on the allocation itself,
    counted in the manifest, and the validator finds nothing."""
    outside = 0
    for seed in range(120):
        kids, sets, policy = random_area(random.Random(seed))
        policy = load_policy({"objective": {"optimised": {"max_arcs_per_child": 1}}})
        p = build_problem(Area("t", tuple(kids), tuple(sets)), policy)
        a = checked(p, "optimised", params=SolveParams(missing_rounds=0))
        outside += int(a.manifest.parameters["repairs_outside_model"])
    assert outside > 0  # the path was taken


def test_the_place_a_requester_leaves_ends_an_exchange_only_in_the_movers_own_pool() -> None:
    """40 children hold all of X's places. A asks for X and holds Y's one ASD place; a
    holder moving into the place A leaves needs Y's SEMH pool, which is full: no exchange.
    With a SEMH place free at Y, one (the holder takes it)."""
    import placement.lawful as law

    def case(semh_places: int) -> bool:
        x = special("X", {Need.ASD: 5, Need.SEMH: 5}, capacity=40)
        y = setting(
            "Y", SettingKind.SPECIAL_LA, capacity=1 + semh_places, location=at(1),
            low_age=4, high_age=19, designations={Need.ASD: 5, Need.SEMH: 5},
            pools={Need.ASD: Pool(1), Need.SEMH: Pool(semh_places)},
        )  # fmt: skip
        kids = [child("A", Need.ASD, 3, prefs=("X",)), child("C", Need.SEMH, 3)]
        kids += [child(f"B{n:02d}", Need.SEMH, 3) for n in range(40)]
        p = problem(kids, [x, y])
        pr = p.pairs

        def pair(cid: str, sid: str) -> int:
            return p.pair_index(p.child_index[cid], p.setting_index[sid])

        assign = np.array(
            [pair(c.child_id, "X" if c.child_id.startswith("B") else "Y") for c in p.children],
            np.int64,
        )
        stand = law.Standing(p, assign)
        assert not stand.room_at(pair("A", "X"))
        ex = stand.exchange(p.child_index["A"], pair("A", "X"))
        if ex is not None:
            assert [p.children[m.child_idx].child_id[0] for m in ex.moves] == ["A", "B"]
            assert p.settings[int(pr.setting[ex.moves[1].to_pair])].setting_id == "Y"
        return ex is not None

    assert not case(1)  # C holds Y's one SEMH place
    assert case(2)  # a SEMH place is free at Y
