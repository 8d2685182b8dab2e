"""Journey times: the policy's road fit (knots, interpolation, monotonic), the validator's
independent version, the peak factor (estimates only), the estimate label wherever a journey is
shown, and bad knots in a policy file."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from placement.area import TravelTime
from placement.files.policy_files import load_policy
from placement.generate import generate_area
from placement.policy import Policy, PolicyError
from placement.problem import Problem, build_problem
from placement.rules.journey import journey_minutes, minutes_between, road_minutes
from placement.tailored import tailored_list
from placement.validate import Checker
from placement.wording import list_as_dict, render_list_text

from .factories import at, child, problem, setting


def grid(p: Problem) -> np.ndarray:
    rows = np.arange(p.num_children, dtype=np.int64)[:, None]
    cols = np.arange(p.num_settings, dtype=np.int64)[None, :]
    return journey_minutes(p, rows, cols)


def with_travel(**travel: Any) -> Policy:
    return load_policy({"travel": travel})


def test_the_estimate_is_the_policys_minutes_at_each_knot() -> None:
    fit = load_policy().travel.estimate
    km = np.array(fit.km)
    assert road_minutes(fit, km).tolist() == list(fit.minutes)
    kids = [child(f"C{j}", location=at(k)) for j, k in enumerate(fit.km)]
    p = problem(kids, [setting("S1")])
    assert grid(p)[:, 0].tolist() == [math.ceil(m) for m in fit.minutes]


def test_the_estimate_interpolates_between_knots_and_extends_past_the_last() -> None:
    fit = load_policy().travel.estimate
    for (k0, m0), (k1, m1) in zip(
        zip(fit.km, fit.minutes, strict=True),
        zip(fit.km[1:], fit.minutes[1:], strict=True),
        strict=False,
    ):
        for w in (0.25, 0.5, 0.75):
            got = float(road_minutes(fit, np.array([k0 + w * (k1 - k0)]))[0])
            assert got == pytest.approx(m0 + w * (m1 - m0))
    past = float(road_minutes(fit, np.array([fit.km[-1] + 10.0]))[0])
    assert past == pytest.approx(fit.minutes[-1] + 10.0 * fit.min_per_km_beyond)


def test_the_estimate_never_falls_with_distance() -> None:
    fit = load_policy().travel.estimate
    km = np.linspace(0.0, 150.0, 3001)
    assert (np.diff(road_minutes(fit, km)) >= 0).all()
    kids = [child(f"C{j:03d}", location=at(-k)) for j, k in enumerate(km[::50])]
    assert (np.diff(grid(problem(kids, [setting("S1")]))[:, 0]) >= 0).all()


@pytest.mark.parametrize(("name", "seed"), [("Rutland", 3), ("Hartlepool", 5)])
def test_the_validator_agrees_with_the_rules_on_generated_areas(name: str, seed: int) -> None:
    area = generate_area(name, seed=seed)
    policy = with_travel(peak_factor=1.15, modes={"transport": {"factor": 1.1, "extra_min": 4}})
    p = build_problem(area, policy)
    g = grid(p)
    ck = Checker(area, policy, from_scratch=False)
    for i, c in enumerate(p.children):
        for s, st in enumerate(p.settings):
            assert ck.minutes(c, st) == int(g[i, s]), (c.child_id, st.setting_id)
    pr = p.pairs
    theirs = ck.pairs()
    for k in range(pr.child.shape[0]):
        c = p.children[int(pr.child[k])]
        if not p.c_moving[int(pr.child[k])]:
            continue
        st = p.settings[int(pr.setting[k])]
        assert theirs[c.child_id][st.setting_id].minutes == int(pr.travel_min[k])


def test_the_peak_factor_scales_estimates_and_not_router_minutes() -> None:
    kids = [child("C1", location=at(12)), child("C2", location=at(12))]
    travel = (TravelTime("C2", "S1", 20),)
    base = problem(kids, [setting("S1")], travel=travel)
    peak = problem(kids, [setting("S1")], with_travel(peak_factor=1.5), travel=travel)
    road = float(road_minutes(load_policy().travel.estimate, np.array([12.0]))[0])
    assert minutes_between(base, 0, 0) == math.ceil(road)
    assert minutes_between(peak, 0, 0) == math.ceil(road * 1.5)
    assert minutes_between(base, 1, 0) == minutes_between(peak, 1, 0) == 20
    assert grid(peak).tolist() == [[math.ceil(road * 1.5)], [20]]


def test_a_modes_factor_and_extra_minutes_apply_to_its_children_only() -> None:
    kids = [child("T", location=at(8), transport_eligible=True), child("F", location=at(8))]
    policy = with_travel(modes={"transport": {"factor": 1.2, "extra_min": 5}})
    p = problem(kids, [setting("S1")], policy)
    road = float(road_minutes(policy.travel.estimate, np.array([8.0]))[0])
    g = grid(p)
    assert int(g[p.child_index["T"], 0]) == math.ceil(road * 1.2 + 5)
    assert int(g[p.child_index["F"], 0]) == math.ceil(road)


def test_an_estimate_is_labelled_for_families_and_officers_and_a_router_journey_is_not() -> None:
    kids = [child("E", location=at(3)), child("R", location=at(3))]
    p = problem(kids, [setting("S1")], travel=(TravelTime("R", "S1", 14),))
    est, routed = tailored_list(p, "E"), tailored_list(p, "R")
    [eo], [ro] = est.options, routed.options
    assert (eo.journey_source, ro.journey_source) == ("estimate", "router")
    assert ro.journey_min == 14
    fam_e, fam_r = render_list_text(est, "family"), render_list_text(routed, "family")
    assert f"about {eo.journey_min} minutes away (an estimate)" in fam_e
    assert "about 14 minutes away." in fam_r and "estimate" not in fam_r
    off_e, off_r = render_list_text(est, "officer"), render_list_text(routed, "officer")
    assert f"{eo.journey_min} min (straight-line estimate)" in off_e
    assert "14 min (router)" in off_r and "estimate" not in off_r
    for audience in ("family", "officer"):
        [de] = list_as_dict(est, audience)["options"]
        [dr] = list_as_dict(routed, audience)["options"]
        assert de["journey_source"] == "estimate"
        assert de["journey_words"] == f"about {eo.journey_min} minutes (an estimate)"
        assert dr["journey_source"] == "router"
        assert dr["journey_words"] == "about 14 minutes"


@pytest.mark.parametrize(
    ("estimate", "key", "words"),
    [
        ({"km": [0.0, 5.0, 2.0]}, "travel.estimate.km", "strictly increasing"),
        ({"km": [0.0, 2.0, 2.0]}, "travel.estimate.km", "strictly increasing"),
        ({"km": [1.0, 2.0, 5.0]}, "travel.estimate.km", "must start at 0"),
        ({"km": [0.0, -2.0, 5.0]}, "travel.estimate.km[1]", "must be a number"),
        ({"minutes": [6.9, -1.0, 15.1]}, "travel.estimate.minutes[1]", "must be a number"),
        ({"minutes": [6.9, 10.3]}, "travel.estimate.minutes", "values for"),
        ({"minutes": [9.0, 8.0, 15.0]}, "travel.estimate.minutes", "must not decrease"),
        ({"min_per_km_beyond": -0.5}, "travel.estimate.min_per_km_beyond", "must be a number"),
        ({"km": "0, 2, 5"}, "travel.estimate.km", "must be a list"),
        ({"knots": [0.0]}, "travel.estimate.knots", "unknown key"),
    ],
)
def test_bad_knots_are_an_error_naming_the_key(
    estimate: dict[str, Any], key: str, words: str
) -> None:
    base = {"km": [0.0, 2.0, 5.0], "minutes": [6.9, 10.3, 15.1], "min_per_km_beyond": 0.8}
    with pytest.raises(PolicyError) as e:
        with_travel(estimate={**base, **estimate})
    assert e.value.path == key
    assert words in str(e.value)


def test_a_bad_peak_factor_names_its_key() -> None:
    with pytest.raises(PolicyError) as e:
        with_travel(peak_factor=0)
    assert e.value.path == "travel.peak_factor"


def test_the_policy_holds_the_fit_that_was_measured() -> None:
    """models/travel.toml's knots are those scripts/calibrate_journeys.py fitted and measured
    (benchmarks/results/journeys.json), and the measurement met its goal."""
    import json
    from pathlib import Path

    report = json.loads(
        (Path(__file__).parents[1] / "benchmarks/results/journeys.json").read_text()
    )
    fit = load_policy().travel.estimate
    assert list(fit.km) == report["knots_km"]
    assert list(fit.minutes) == report["knot_minutes"]
    assert fit.min_per_km_beyond == report["min_per_km_beyond"]
    overall = next(b for b in report["bands"] if b["band_km"] == "0-40")["fitted"]
    assert overall["median_abs_min"] <= report["goal"]["median_abs_min"]
    assert overall["p90_abs_min"] <= report["goal"]["p90_abs_min"]
