"""The optimised mechanism on hand-made instances with known answers, the legal order of its
tiers, and determinism. Every result also passes the independent validator."""

from __future__ import annotations

import random

import pytest

from placement.area import Area
from placement.domain import Child, Need, Setting, SettingKind
from placement.files.policy_files import load_policy
from placement.policy import Policy
from placement.problem import Problem, build_problem
from placement.reasons import ReasonCode
from placement.result import Allocation
from placement.solve import allocate
from placement.validate import validate_allocation

from .factories import at, child, problem, setting, special


def run(p: Problem, policy: Policy | None = None) -> Allocation:
    a = allocate(p, "optimised")
    area = Area("test", p.children, p.settings)
    mapping = {c.child_id: a.setting_of(c.child_id) for c in p.children}
    assert a.mapping() == mapping
    report = validate_allocation(
        area, policy or p.policy, mapping, claimed_metrics=a.metrics.as_dict()
    )
    assert report.ok, report.findings
    return a


def test_places_as_many_children_as_possible_before_honouring_a_request() -> None:
    # A fits both schools and asks for S1; B fits only S1; one place each.
    a_child = child("A", Need.ASD, 4, prefs=("S1",))
    b_child = child("B", Need.SEMH, 4)
    s1 = special("S1", {Need.ASD: 5, Need.SEMH: 5}, capacity=1)
    s2 = special("S2", {Need.ASD: 5}, capacity=1, location=at(2))
    a = run(problem([a_child, b_child], [s1, s2]))
    assert a.setting_of("A") == "S2"
    assert a.setting_of("B") == "S1"
    [refusal] = a.refusals
    assert refusal.setting_id == "S1"
    assert [r.code for r in refusal.reasons] == [ReasonCode.SETTING_FULL]
    assert a.metrics.placed == 2


def test_request_is_named_over_a_cheaper_suitable_setting() -> None:
    # S2 is 6 km further (more transport cost), well within the efficiency threshold.
    c = child("A", Need.ASD, 4, prefs=("S2",), transport_eligible=True)
    a = run(problem([c], [special("S1"), special("S2", location=at(6))]))
    assert a.setting_of("A") == "S2"
    assert a.refusals == ()
    assert a.metrics.request_honoured_pct == 100.0


def test_s39_is_tested_before_s33_request_for_special_within_cost_threshold() -> None:
    generous = load_policy({"funding": {"efficiency": {"max_extra_cost_ratio": 2.0}}})
    c = child("A", Need.ASD, 2, prefs=("SP",))
    p = problem([c], [setting("M"), special("SP")], generous)
    a = run(p, generous)
    assert a.setting_of("A") == "SP"  # the request stands; s.33 is not reached


def test_disproportionate_request_then_s33_names_mainstream() -> None:
    c = child("A", Need.ASD, 2, prefs=("SP",))
    a = run(problem([c], [setting("M"), special("SP")]))
    assert a.setting_of("A") == "M"
    [refusal] = a.refusals
    [reason] = refusal.reasons
    assert reason.code is ReasonCode.COST_DISPROPORTIONATE
    assert reason.facts["extra_gbp"] == reason.facts["cost_gbp"] - reason.facts["alternative_gbp"]
    assert reason.facts["extra_gbp"] > reason.facts["threshold_gbp"]


def test_mainstream_presumption_outweighs_cost() -> None:
    # A non-maintained special school with a low fee is cheaper than mainstream, but the
    # family did not ask for specialist: s.33 names mainstream.
    cheap_special = special("NM", kind=SettingKind.NON_MAINTAINED_SPECIAL, annual_fee_gbp=3000)
    a = run(problem([child("A", Need.ASD, 2)], [setting("M"), cheap_special]))
    assert a.setting_of("A") == "M"
    # ... and when the family asks for it, it is named.
    a2 = run(problem([child("A", Need.ASD, 2, prefs=("NM",))], [setting("M"), cheap_special]))
    assert a2.setting_of("A") == "NM"


def test_least_cost_then_least_travel() -> None:
    c = child("A", Need.ASD, 4, transport_eligible=True)
    far = special("FAR", location=at(8))
    near = special("NEAR", location=at(1))
    a = run(problem([c], [far, near]))
    assert a.setting_of("A") == "NEAR"  # cheaper transport
    # equal cost (no transport): the shorter journey wins
    a2 = run(problem([child("A", Need.ASD, 4)], [far, near]))
    assert a2.setting_of("A") == "NEAR"


def test_pool_is_binding_when_the_setting_has_room() -> None:
    s = special("S1", {Need.ASD: 5}, places=1, capacity=10)
    kids = [child("A", Need.ASD, 4, prefs=("S1",)), child("B", Need.ASD, 4, prefs=("S1",))]
    a = run(problem(kids, [s]))
    assert a.metrics.placed == 1
    [u] = a.unplaced
    assert u.reason.code is ReasonCode.ALL_SUITABLE_FULL
    [refusal] = a.refusals
    assert refusal.reasons[0].code is ReasonCode.POOL_FULL


def test_child_with_no_suitable_setting_is_unplaced_with_reason() -> None:
    a = run(problem([child("A", Need.HI, 5)], [special("S1", {Need.ASD: 5})]))
    [u] = a.unplaced
    assert u.reason.code is ReasonCode.NO_SUITABLE_SETTING
    assert u.reason.facts["primary_need"] == "HI"


def test_request_compared_with_the_setting_actually_named() -> None:
    # A asks for an independent school (fee 57,074). The cheapest suitable alternative (S1,
    # about 26,000) is taken by B, who fits nowhere else; the next alternative is another
    # independent school at 55,000. Against that, A's request is not disproportionate, so it
    # must be named: the request comes to count once the run names the dearer alternative.
    indep = special(
        "IND", kind=SettingKind.INDEPENDENT_SPECIAL, s41_approved=True, annual_fee_gbp=57_074
    )
    other = special(
        "IND2", kind=SettingKind.INDEPENDENT_SPECIAL, s41_approved=True, annual_fee_gbp=55_000
    )
    s1 = special("S1", {Need.ASD: 5, Need.SEMH: 5}, capacity=1)
    kids = [child("A", Need.ASD, 4, prefs=("IND",)), child("B", Need.SEMH, 4)]
    a = run(problem(kids, [indep, other, s1]))
    assert a.setting_of("B") == "S1"
    assert a.setting_of("A") == "IND"
    assert a.manifest.parameters["rebuilds"] >= 1


def test_non_s41_independent_is_an_s9_representation() -> None:
    indep = special("IND", kind=SettingKind.INDEPENDENT_SPECIAL, annual_fee_gbp=80_000)
    a = run(problem([child("A", Need.ASD, 4, prefs=("IND",))], [indep, special("S1")]))
    assert a.setting_of("A") == "S1"
    [refusal] = a.refusals
    assert refusal.route == "s9_representation"
    assert refusal.reasons[0].code is ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE


def random_area(seed: int, n: int = 60) -> tuple[list[Child], list[Setting]]:
    rng = random.Random(seed)
    needs = [Need.ASD, Need.SEMH, Need.SLCN, Need.MLD, Need.SLD]
    sets: list[Setting] = [
        setting(
            f"M{k}", capacity=rng.randint(1, 6), location=at(rng.uniform(-8, 8), rng.uniform(-8, 8))
        )
        for k in range(5)
    ]
    for k in range(5):
        d = {nd: rng.randint(3, 5) for nd in rng.sample(needs, 2)}
        sets.append(
            special(
                f"SP{k}",
                d,
                places=rng.randint(1, 2),
                capacity=rng.randint(2, 6),
                location=at(rng.uniform(-10, 10), rng.uniform(-10, 10)),
            )
        )
    kids = []
    for k in range(n):
        ids = rng.sample([s.setting_id for s in sets], rng.randint(0, 3))
        kids.append(
            child(
                f"C{k:03d}",
                rng.choice(needs),
                rng.randint(1, 5),
                prefs=tuple(ids),
                transport_eligible=rng.random() < 0.5,
                location=at(rng.uniform(-10, 10), rng.uniform(-10, 10)),
            )
        )
    return kids, sets


def test_random_areas_pass_the_validator() -> None:
    for seed in range(15):
        kids, sets = random_area(seed)
        a = run(problem(kids, sets))
        assert a.metrics.placed == len(a.placements)


def test_same_output_hash_when_rows_are_shuffled() -> None:
    kids, sets = random_area(7)
    policy = load_policy()
    first = allocate(build_problem(Area("x", tuple(kids), tuple(sets)), policy), "optimised")
    for seed in range(3):
        rng = random.Random(seed)
        k2, s2 = kids[:], sets[:]
        rng.shuffle(k2)
        rng.shuffle(s2)
        again = allocate(build_problem(Area("x", tuple(k2), tuple(s2)), policy), "optimised")
        assert again.manifest.output_hash == first.manifest.output_hash
        assert again.manifest.input_hash == first.manifest.input_hash


def test_trimming_arcs_does_not_change_the_answer_on_small_areas() -> None:
    full = load_policy({"objective": {"optimised": {"max_arcs_per_child": 0}}})
    trimmed = load_policy({"objective": {"optimised": {"max_arcs_per_child": 3}}})
    for seed in range(5):
        kids, sets = random_area(seed)
        a = allocate(problem(kids, sets, full), "optimised")
        b = allocate(problem(kids, sets, trimmed), "optimised")
        assert b.metrics.placed <= a.metrics.placed
        assert a.manifest.parameters["kept_pairs"] >= b.manifest.parameters["kept_pairs"]


def test_solve_params_apart_from_the_policy() -> None:
    """The solve's own settings (SolveParams): today's values by default; the arcs kept per
    child follow the policy unless a solve overrides them, with the same answer and manifest
    either way; a setting out of range is refused with its name."""
    from placement.solve import SolveParams

    d = SolveParams()
    assert (d.max_arcs_per_child, d.min_guard_bits) == (None, None)  # the policy's
    assert (d.growth_rounds, d.max_repair_rounds, d.max_repair_passes) == (3, 50, 20)
    assert (d.max_rebuilds, d.missing_rounds, d.room_arcs, d.max_exchange_rounds) == (
        8,
        3,
        3,
        200,
    )
    trimmed = load_policy({"objective": {"optimised": {"max_arcs_per_child": 3}}})
    for seed in range(3):
        kids, sets = random_area(seed)
        by_policy = allocate(problem(kids, sets, trimmed), "optimised")
        by_params = allocate(
            problem(kids, sets), "optimised", params=SolveParams(max_arcs_per_child=3)
        )
        assert by_params.manifest.output_hash == by_policy.manifest.output_hash
        assert by_params.manifest.parameters == by_policy.manifest.parameters
        assert by_params.manifest.parameters["max_arcs_per_child"] == 3
    with pytest.raises(ValueError, match=r"SolveParams\.missing_rounds = -1"):
        SolveParams(missing_rounds=-1)
    with pytest.raises(ValueError, match=r"SolveParams\.growth_rounds = 0 not understood"):
        SolveParams(growth_rounds=0)


def test_what_if_re_solves_exactly_and_reports_who_moves() -> None:
    from placement.solve.optimised import finish_optimised, run_optimised
    from placement.whatif import what_if

    # A and B both fit S1 (one place) and S2; B got S1 (nearer). What if A took S1?
    kids = [child("A", Need.ASD, 4, location=at(3)), child("B", Need.ASD, 4)]
    sets = [special("S1", capacity=1), special("S2", location=at(3))]
    p = problem(kids, sets)
    state = run_optimised(p)
    a = finish_optimised(state)
    assert a.setting_of("B") == "S1"
    w = what_if(state, "A", "S1")
    assert w.possible
    assert [(m.child_id, m.from_setting, m.to_setting) for m in w.moves] == [("B", "S1", "S2")]
    assert w.change["placed"] == 0
    assert w.change["cost_gbp"] == 0  # same kind of school, no transport: only travel moves
    # the state is left as it was: asking again gives the same answer
    assert what_if(state, "A", "S1").moves == w.moves
    assert what_if(state, "B", "S1").moves == ()


def test_what_if_unsuitable_setting_gives_the_reason() -> None:
    from placement.solve.optimised import run_optimised
    from placement.whatif import what_if

    p = problem([child("A", Need.SEMH, 4)], [special("S1", {Need.SEMH: 5}), special("S2")])
    w = what_if(run_optimised(p), "A", "S2")
    assert not w.possible
    assert w.reasons[0].code is ReasonCode.NEED_NOT_MET


def test_what_if_that_displaces_a_child_with_nowhere_else() -> None:
    from placement.solve.optimised import run_optimised
    from placement.whatif import what_if

    # B fits only S1 (SEMH); A fits S1 and S2. Forcing A into S1 leaves B unplaced.
    kids = [child("A", Need.ASD, 4), child("B", Need.SEMH, 4)]
    sets = [special("S1", {Need.ASD: 5, Need.SEMH: 5}, capacity=1), special("S2", location=at(2))]
    state = run_optimised(problem(kids, sets))
    w = what_if(state, "A", "S1")
    assert w.change["placed"] == -1
    assert [(m.child_id, m.to_setting) for m in w.moves] == [("B", None)]


def test_unplaced_with_room_elsewhere_is_not_called_all_full() -> None:
    # an allocation (here made by hand) that leaves B unplaced while S2 has room
    import numpy as np

    from placement.result import finalise

    kids = [
        child("A", Need.ASD, 4, prefs=("S1",), looked_after=True),
        child("B", Need.ASD, 4, prefs=("S1",)),
    ]
    p = problem(kids, [special("S1", capacity=1), special("S2", location=at(2))])
    assign = np.array([p.pair_index(0, 0), -1], np.int64)
    a = finalise(p, "by-hand", assign, parameters={}, seed=None, justified_envy=0)
    [u] = a.unplaced
    assert u.child_id == "B"
    assert u.reason.code is ReasonCode.ROOM_NOT_OFFERED
    assert u.reason.facts["with_room"] == ["S2"]


def test_preference_first_without_fallback_still_places_everyone_it_can() -> None:
    # without the nearest-school fallback DA proposes only to listed settings; the completion
    # still places B (the LA's duty to every child comes first)
    no_fallback = load_policy({"objective": {"preference_first": {"extend_with_nearest": False}}})
    kids = [
        child("A", Need.ASD, 4, prefs=("S1",), looked_after=True),
        child("B", Need.ASD, 4, prefs=("S1",)),
    ]
    p = problem(kids, [special("S1", capacity=1), special("S2", location=at(2))], no_fallback)
    a = allocate(p, "preference-first")
    assert a.unplaced == ()
    assert a.mapping() == {"A": "S1", "B": "S2"}
    assert a.manifest.parameters["placed_by_completion"] == 1


def test_input_hash_sees_every_change() -> None:
    import dataclasses

    kids, sets = random_area(3, n=10)
    base = problem(kids, sets).input_digest
    changed_child = dataclasses.replace(kids[0], secondary_needs=frozenset({Need.HI}))
    assert problem([changed_child, *kids[1:]], sets).input_digest != base
    renamed = dataclasses.replace(sets[0], name="Another name")
    assert problem(kids, [renamed, *sets[1:]]).input_digest != base
    assert problem(kids, sets).input_digest == base
