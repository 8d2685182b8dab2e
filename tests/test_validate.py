"""The validator catches deliberately broken allocations, each with its own finding."""

from __future__ import annotations

from placement.area import Area
from placement.domain import Need
from placement.files.policy_files import load_policy
from placement.validate import validate_allocation

from .factories import at, child, setting, special

POLICY = load_policy()


def area() -> Area:
    kids = (
        child("A", Need.ASD, 4, prefs=("S1",)),
        child("B", Need.ASD, 4),
        child("C", Need.SEMH, 1),
    )
    sets = (
        special("S1", {Need.ASD: 5}, places=1, capacity=2),
        special("S2", {Need.ASD: 5}, location=at(3)),
        setting("M1"),
    )
    return Area("v", kids, sets)


def codes(mapping: dict[str, str | None], **kw: object) -> list[str]:
    r = validate_allocation(area(), POLICY, mapping, **kw)  # type: ignore[arg-type]
    return [f.code for f in r.findings]


def test_a_lawful_allocation_passes() -> None:
    assert codes({"A": "S1", "B": "S2", "C": "M1"}) == []


def test_pool_over_capacity() -> None:
    assert codes({"A": "S1", "B": "S1", "C": "M1"}) == ["pool_over_capacity"]


def test_setting_over_capacity() -> None:
    small = Area("v", area().children, (*area().settings[:2], setting("M1", capacity=0)))
    r = validate_allocation(small, POLICY, {"A": "S1", "B": "S2", "C": "M1"})
    assert [f.code for f in r.findings] == ["setting_over_capacity"]


def test_unsuitable_placement_names_the_rule() -> None:
    # C (SEMH band 1, no request) at an ASD special school: unsuitable, and mainstream M1 has
    # room, so s.33 is breached as well
    assert codes({"A": "S1", "B": "S2", "C": "S2"}) == ["need_not_met", "s33_mainstream_available"]
    assert codes({"A": "S1", "B": "M1", "C": "M1"}) == ["need_level_above_designation"]


def test_request_refused_without_a_lawful_ground() -> None:
    # S1 has room, is suitable and costs no more than S2: refusing A's request is unlawful
    found = codes({"A": "S2", "B": None, "C": "M1"})
    # ... and B could have been placed (at S2 or S1): not a maximum placement
    assert found == ["preference_refused_without_ground", "not_maximum_placement"]


def test_full_is_no_ground_while_an_exchange_names_the_request() -> None:
    # The only ASD place at S1 went to B, who did not ask for it and fits S2 as well: swap
    # them (A's own place at S2 is the one B takes) and A's request is named, placing as
    # many children at no extra cost. "S1 is full" does not hold.
    r = validate_allocation(area(), POLICY, {"A": "S2", "B": "S1", "C": "M1"})
    [f] = r.findings
    assert f.code == "request_full_but_exchange_names_it"
    assert (f.child_id, f.setting_id) == ("A", "S1")
    assert "A -> S1; B -> S2" in f.message


def test_full_is_a_ground_when_the_holder_asked_for_it_as_highly() -> None:
    kids = (
        child("A", Need.ASD, 4, prefs=("S1",)),
        child("B", Need.ASD, 4, prefs=("S1",)),  # B asked for S1 first too
        child("C", Need.SEMH, 1),
    )
    a = Area("v", kids, area().settings)
    assert validate_allocation(a, POLICY, {"A": "S2", "B": "S1", "C": "M1"}).ok


def test_full_is_a_ground_when_the_holder_has_nowhere_else() -> None:
    # B can only go to S1 (S2 is for SEMH only), so taking its place would leave it unplaced
    sets = (
        special("S1", {Need.ASD: 5, Need.SEMH: 5}, capacity=1),
        special("S2", {Need.ASD: 5}, location=at(3)),
        setting("M1"),
    )
    kids = (
        child("A", Need.ASD, 4, prefs=("S1",)),
        child("B", Need.SEMH, 4),
        child("C", Need.SEMH, 1),
    )
    r = validate_allocation(Area("v", kids, sets), POLICY, {"A": "S2", "B": "S1", "C": "M1"})
    assert r.ok, r.findings


def test_an_exchange_dearer_than_the_threshold_is_no_exchange() -> None:
    # B could move to S2 only with transport 25 km away: far above the £5,000 threshold
    sets = (
        special("S1", {Need.ASD: 5}, capacity=1),
        special("S2", {Need.ASD: 5}, location=at(25)),
        special("S3", {Need.ASD: 5}, capacity=0),
    )
    kids = (
        child("A", Need.ASD, 4, prefs=("S1",), nc_year=8),
        child("B", Need.ASD, 4, transport_eligible=True, nc_year=8),
    )
    r = validate_allocation(Area("v", kids, sets), POLICY, {"A": "S2", "B": "S1"})
    assert r.ok, r.findings


def test_unknown_child_and_setting() -> None:
    assert codes({"A": "S1", "B": "S2", "C": "M1", "Z": "S1"}) == ["unknown_child"]
    assert "unknown_setting" in codes({"A": "S1", "B": "NOPE", "C": "M1"})


def test_claimed_metrics_are_recomputed() -> None:
    ok = {"A": "S1", "B": "S2", "C": "M1"}
    r = validate_allocation(area(), POLICY, ok)
    assert r.metrics["placed"] == 3
    assert r.metrics["first_preference_pct"] == 100.0
    bad = dict(r.metrics)
    bad["total_cost_gbp"] = int(r.metrics["total_cost_gbp"]) - 1
    assert codes(ok, claimed_metrics=bad) == ["metric_mismatch"]


def test_not_a_maximum_placement_names_a_child_it_could_place() -> None:
    kids = (child("A", Need.ASD, 4), child("B", Need.SEMH, 4))
    sets = (
        special("S1", {Need.ASD: 5, Need.SEMH: 5}, capacity=1),
        special("S2", {Need.ASD: 5}, capacity=1, location=at(2)),
    )
    r = validate_allocation(Area("v", kids, sets), POLICY, {"A": "S1", "B": None})
    assert [f.code for f in r.findings] == ["not_maximum_placement"]
    assert r.findings[0].child_id == "B"
    assert r.metrics["max_placeable"] == 2


def test_a_staying_child_must_stay_and_holds_its_place() -> None:
    # B (Year 3, at S1, no review) stays: its place at S1 is taken, so A's request for S1
    # fails on s.39(4)(b) - and naming B elsewhere is a finding
    kids = (
        child("A", Need.ASD, 4, prefs=("S1",), nc_year=7, current_setting_id="S2"),
        child("B", Need.ASD, 4, current_setting_id="S1"),
    )
    sets = (special("S1", capacity=1), special("S2", capacity=5, location=at(2)))
    a = Area("v", kids, sets)
    assert validate_allocation(a, POLICY, {"A": "S2", "B": "S1"}).ok
    assert validate_allocation(a, POLICY, {"A": "S2"}).ok  # a staying child may be omitted
    found = codes_of(a, {"A": "S1", "B": "S2"})
    assert found == ["staying_child_moved", "setting_over_capacity"]
    # as if from scratch, B is placed afresh and the swap is lawful
    assert validate_allocation(a, POLICY, {"A": "S1", "B": "S2"}, from_scratch=True).ok


def codes_of(a: Area, mapping: dict[str, str | None]) -> list[str]:
    return [f.code for f in validate_allocation(a, POLICY, mapping).findings]


def test_s33_a_child_not_asking_for_specialist_goes_to_mainstream_while_one_has_room() -> None:
    kids = (child("A", Need.ASD, 2),)  # band 2: mainstream can meet it
    sets = (special("S1"), setting("M1"))
    a = Area("v", kids, sets)
    assert codes_of(a, {"A": "S1"}) == ["s33_mainstream_available"]
    assert codes_of(a, {"A": "M1"}) == []
    full = Area("v", kids, (special("S1"), setting("M1", capacity=0)))
    assert codes_of(full, {"A": "S1"}) == []  # no mainstream place: s.33 is met
