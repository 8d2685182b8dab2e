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
    assert codes({"A": "S1", "B": "S2", "C": "S2"}) == ["need_not_met"]
    assert codes({"A": "S1", "B": "M1", "C": "M1"}) == ["need_level_above_designation"]


def test_request_refused_without_a_lawful_ground() -> None:
    # S1 has room, is suitable and costs no more than S2: refusing A's request is unlawful
    found = codes({"A": "S2", "B": None, "C": "M1"})
    assert found == ["preference_refused_without_ground"]


def test_request_refused_because_full_is_lawful() -> None:
    # the only ASD place at S1 went to B, so A's request fails on s.39(4)(b)
    assert codes({"A": "S2", "B": "S1", "C": "M1"}) == []


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
