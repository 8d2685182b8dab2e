"""Capacity scenarios: each kind of change, determinism, suppression of small counts, bad
scenario files (located errors, exit code 2), and the five worked examples at reduced size."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from placement.area import Area
from placement.cli import main
from placement.disclosure import SMALL, WITHHELD
from placement.domain import DomainError, Need, SettingKind
from placement.files.area_writer import write_area
from placement.files.errors import InputError
from placement.files.policy_files import load_policy
from placement.problem import build_problem
from placement.reports import report_html
from placement.scenarios import load_scenario, parse_scenario
from placement.scenarios.apply import apply_changes
from placement.scenarios.report import report_csvs, report_json
from placement.scenarios.run import run_scenario
from placement.solve import allocate

from .factories import at, child, setting, special

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.toml"))


def tiny_area(tmp_path: Path) -> Path:
    """Six ASD children and two SLCN children; one ASD special school with 2 places."""
    kids = (
        *(child(f"C{i}", Need.ASD, 4, prefs=("S1",), location=at(i * 0.5)) for i in range(1, 7)),
        child("C7", Need.SLCN, 1, location=at(1)),
        child("C8", Need.SLCN, 1, location=at(2)),
    )
    sets = (
        special("S1", places=2, capacity=2),
        special("S2", {Need.SLD: 5}, places=3, capacity=3, location=at(3)),
        setting("M1", capacity=30),
        setting("M2", capacity=30, location=at(5)),
    )
    d = tmp_path / "area"
    write_area(Area("tiny", kids, sets), d)
    return d


def scenario_text(body: str, base: str = 'area = "area"', mechanism: str = "both") -> str:
    return f'name = "t"\nmechanism = "{mechanism}"\n[base]\n{base}\n{body}\n'


def run_text(tmp_path: Path, body: str, **kw: str) -> tuple:  # type: ignore[type-arg]
    sc = parse_scenario(scenario_text(body, **kw), file="t.toml", base_dir=tmp_path)
    return sc, run_scenario(sc)


# -- each kind of change ------------------------------------------------------------------


def test_add_places_in_a_pool_places_more_children(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = '[[add_places]]\nsetting_id = "S1"\nneed = "ASD"\nplaces = 3'
    _, r = run_text(tmp_path, body)
    for mech in ("optimised", "preference-first"):
        assert r.baseline[mech].metrics["unmet_ASD"] == 4
        assert r.outcome[mech].metrics["unmet_ASD"] == 1
        assert r.outcome[mech].free["S1"] == 5
    assert r.derived  # capacity-only: the problem is derived, not rebuilt


def test_remove_places_and_general_places(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = (
        '[[add_places]]\nsetting_id = "S1"\nneed = "ASD"\nplaces = -1\n'
        '[[add_places]]\nsetting_id = "M1"\nplaces = 5'
    )
    _, r = run_text(tmp_path, body)
    assert r.outcome["optimised"].free["S1"] == 1
    assert r.outcome["optimised"].free["M1"] == 35
    assert r.outcome["optimised"].metrics["unmet_ASD"] == 5


def test_open_setting_near_a_setting(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = (
        '[[open_setting]]\nid = "NEW1"\nname = "New school"\nkind = "special_academy_free"\n'
        'near_setting = "S1"\nlow_age = 4\nhigh_age = 19\ndesignations = {ASD = 5}\n'
        "pools = {ASD = 4}\n"
    )
    _, r = run_text(tmp_path, body)
    assert r.outcome["optimised"].metrics["unmet_ASD"] == 0
    assert r.outcome["optimised"].taken["NEW1"] == 4
    assert "NEW1" in r.changed_setting_ids and r.derived  # only the new column enumerated


def test_open_setting_at_selected_hosts(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = (
        '[[open_setting]]\nid = "RP"\nname = "ASD base"\nkind = "resourced_provision"\n'
        'at = {kind = "mainstream", phase = "primary", count = 2, near = "largest gaps"}\n'
        "low_age = 4\nhigh_age = 11\ndesignations = {ASD = 4}\npools = {ASD = 1}\ncapacity = 1\n"
    )
    _, r = run_text(tmp_path, body)
    assert {"RP-M1", "RP-M2"} <= set(r.outcome["optimised"].free)
    assert r.outcome["optimised"].metrics["unmet_ASD"] == 2


def test_close_setting_strips_preferences(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    _, r = run_text(tmp_path, '[[close_setting]]\nsetting_id = "S1"')
    assert "S1" not in r.outcome["optimised"].free
    assert r.outcome["optimised"].metrics["unmet_ASD"] == 6
    assert r.outcome["optimised"].metrics["first_preference_pct"] == 0.0


def test_redesignate_lets_a_school_take_other_needs(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = (
        '[[redesignate]]\nsetting_id = "S2"\ndesignations = {ASD = 5, SLD = 5}\npools = {ASD = 3}'
    )
    _, r = run_text(tmp_path, body)
    assert r.baseline["optimised"].metrics["unmet_ASD"] == 4
    assert r.outcome["optimised"].metrics["unmet_ASD"] == 1


@pytest.mark.parametrize(
    ("rate", "years", "expected"),
    [
        (0.5, 1, 9),  # 6 ASD children x 1.5
        (0.26, 3, 12),  # compound: 6 x 1.26**3 = 12.0
        (-0.5, 1, 3),  # decline removes children
    ],
)
def test_demand_growth_is_compound(tmp_path: Path, rate: float, years: int, expected: int) -> None:
    tiny_area(tmp_path)
    body = f'[[demand_growth]]\nneed = "ASD"\nrate = {rate}\nyears = {years}'
    _, r = run_text(tmp_path, body)
    m = r.outcome["optimised"].metrics
    assert m["children"] - 2 == expected  # plus the two SLCN children


def test_demand_growth_beyond_what_a_scenario_can_hold_is_an_input_error(tmp_path: Path) -> None:
    # each table may grow 1024-fold and they compound: the second asked for 8 million
    # children and the process was killed for want of memory
    from placement.files.area_reader import load_area

    tiny_area(tmp_path)
    grow = "[[demand_growth]]\nrate = 1.0\nyears = 10\n"
    sc = parse_scenario(scenario_text(grow + grow), file="t.toml", base_dir=tmp_path)
    with pytest.raises(InputError, match="more than the 250,000 a scenario can hold") as e:
        apply_changes(load_area(tmp_path / "area").area, sc, load_policy())
    assert (e.value.file, e.value.line) == ("t.toml", 8)


def test_demand_growth_by_phase_only_grows_that_phase(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = '[[demand_growth]]\nphase = "secondary"\nrate = 1.0\nyears = 2'
    _, r = run_text(tmp_path, body)  # every child is in Year 3 (primary)
    assert r.outcome["optimised"].metrics["children"] == 8


def test_policy_change_applies_to_the_scenario_only(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = "[policy.travel.max_journey_min]\nprimary = 1\nearly_years = 1"
    _, r = run_text(tmp_path, body)
    assert r.baseline["optimised"].metrics["placed"] == 4  # 2 ASD places + 2 SLCN in mainstream
    assert r.outcome["optimised"].metrics["placed"] < 4


def test_cap_fees_caps_independent_fees() -> None:
    area = Area(
        "fees",
        (child("C1", Need.ASD, 5, prefs=("I1",)),),
        (
            special("I1", kind=SettingKind.INDEPENDENT_SPECIAL, annual_fee_gbp=90_000),
            special("I2", kind=SettingKind.INDEPENDENT_SPECIAL, annual_fee_gbp=40_000),
            special("S1", location=at(2)),
        ),
    )
    sc = parse_scenario(
        scenario_text(
            "[[cap_fees]]\nmax_annual_fee_gbp = 55000", base='like = "Kent"\nscale = 0.01'
        )
    )
    pol = load_policy()
    new = apply_changes(area, sc, pol).area
    fees = {s.setting_id: s.annual_fee_gbp for s in new.settings}
    assert fees == {"I1": 55_000, "I2": 40_000, "S1": None}


DERIVED_CASES = {
    "places and fees": '[[add_places]]\nselect = {kind = "special_la_maintained", count = 3}\n'
    "places = -4\n[[cap_fees]]\nmax_annual_fee_gbp = 45000",
    "open": '[[open_setting]]\nid = "NEW-1"\nname = "New"\nkind = "special_academy_free"\n'
    'near = "largest gaps"\nlow_age = 4\nhigh_age = 19\ndesignations = {ASD = 5, SLCN = 5}\n'
    "pools = {ASD = 30, SLCN = 10}",
    "open resourced provision": '[[open_setting]]\nid = "RP"\nname = "RP"\n'
    'kind = "resourced_provision"\nat = {kind = "mainstream", phase = "primary", count = 2}\n'
    "low_age = 4\nhigh_age = 11\ndesignations = {ASD = 4}\npools = {ASD = 6}\ncapacity = 6",
    "close": '[[close_setting]]\nselect = {kind = "mainstream", phase = "secondary", count = 2}',
    "redesignate": '[[redesignate]]\nselect = {kind = "sen_unit", count = 2}\n'
    "designations = {SEMH = 5, ASD = 3}",
    "demand growth": '[[demand_growth]]\nneed = "all"\nrate = 0.2\nyears = 2\n'
    '[[demand_growth]]\nneed = "SEMH"\nrate = -0.3\nyears = 1',
    # a limit that bites: no journey in this Rutland is over 45 minutes by the road fit, so
    # raising a limit would change no pair
    "journey policy": "[policy]\ntravel.max_journey_min.secondary = 30",
}


@pytest.mark.parametrize("body", DERIVED_CASES.values(), ids=DERIVED_CASES.keys())
def test_with_changes_matches_a_fresh_build(body: str) -> None:
    """The scenario's problem derived from the baseline's (pairs enumerated only for changed
    children and settings) is exactly the rebuilt problem, so it gives the same allocation."""
    from placement.generate import generate_area
    from placement.scenarios.run import policies

    area = generate_area("Rutland", seed=2, scale=0.5)
    sc = parse_scenario(scenario_text(body, base='like = "Rutland"'))
    pol0, pol = policies(sc, {})
    new = apply_changes(area, sc, pol).area
    p0 = build_problem(area, pol0)
    assert p0.carries_pairs_to(new, pol)
    fast = p0.with_changes(new, pol)
    full = build_problem(new, pol)
    assert fast.children == full.children and fast.settings == full.settings
    assert fast.policy is full.policy and fast.input_digest == full.input_digest
    for name in full.__slots__:
        v = getattr(full, name)
        if isinstance(v, np.ndarray):
            assert np.array_equal(getattr(fast, name), v), name
    for name in full.pairs.__slots__:
        assert np.array_equal(getattr(fast.pairs, name), getattr(full.pairs, name)), name
    assert len(full.pairs) > 0
    # every case changes the pairs (a select that matched nothing would test nothing)
    assert len(full.pairs) != len(p0.pairs) or not np.array_equal(
        full.pairs.cost_gbp, p0.pairs.cost_gbp
    )
    for mech in ("optimised", "preference-first"):
        a, b = allocate(fast, mech, seed=3), allocate(full, mech, seed=3)  # type: ignore[arg-type]
        assert a.manifest.output_hash == b.manifest.output_hash
        assert a.metrics == b.metrics
        assert a.refusals == b.refusals


def test_with_changes_defers_to_a_rebuild_with_router_rows() -> None:
    from placement.area import TravelTime

    kids = (child("C1", Need.ASD, 3), child("C2", Need.SLCN, 2, location=at(1)))
    sets = (special("S1"), setting("M1", location=at(2)))
    pol = load_policy()
    plain = Area("a", kids, sets)
    routed = Area("a", kids, sets, (TravelTime("C1", "M1", 30),))
    grown = Area("a", (*kids, child("C3", Need.ASD, 2)), sets)
    assert not build_problem(routed, pol).carries_pairs_to(grown, pol)
    assert not build_problem(plain, pol).carries_pairs_to(routed, pol)
    # built afresh where the pairs cannot be carried over: still the same problem
    rebuilt = build_problem(plain, pol).with_changes(routed)
    assert rebuilt.input_digest == build_problem(routed, pol).input_digest
    assert np.array_equal(rebuilt.pairs.travel_min, build_problem(routed, pol).pairs.travel_min)
    assert build_problem(plain, pol).carries_pairs_to(grown, pol)
    fast = build_problem(plain, pol).with_changes(grown)
    full = build_problem(grown, pol)
    assert np.array_equal(fast.pairs.setting, full.pairs.setting)
    assert np.array_equal(fast.pairs.start, full.pairs.start)
    assert fast.pair_index(2, 0) >= 0


# -- determinism and suppression ---------------------------------------------------------


def test_forked_baseline_and_summary_runs_agree_with_the_plain_run() -> None:
    """The baseline built and allocated in a forked worker (workers=2, the scenario's problem
    built rather than derived), and a sweep's summary run (details=False), give the same
    allocations as the plain run; the summary has no detail."""
    text = (ROOT / "scenarios" / "new-special-free-school.toml").read_text()
    sc = parse_scenario(text, file="x.toml").with_scale(0.05)
    plain = run_scenario(sc, marginal=2)
    forked = run_scenario(sc, marginal=2, workers=2)
    summary = run_scenario(sc, marginal=0, details=False, digest=False)
    report = run_scenario(sc, marginal=0, details=False, workers=2)  # as scenario run does
    assert forked.marginal == plain.marginal and len(plain.marginal) > 0
    assert plain.derived and not forked.derived
    for mech in plain.baseline:
        for side in ("baseline", "outcome"):
            a, b, c = (getattr(r, side)[mech] for r in (plain, forked, summary))
            assert a.allocation.placements, "the plain run has its placements"
            x, y = a.allocation, b.allocation
            assert (y.placements, y.unplaced, y.refusals) == (x.placements, x.unplaced, x.refusals)
            assert (y.metrics, y.manifest, y.cutoffs) == (x.metrics, x.manifest, x.cutoffs)
            assert np.array_equal(y.assign, x.assign)
            assert (b.metrics, b.taken, b.journeys) == (a.metrics, a.taken, a.journeys)
            assert (c.metrics, c.taken, c.journeys) == (a.metrics, a.taken, a.journeys)
            assert c.allocation.manifest.input_hash == ""  # not computed for a summary
            assert replace(c.allocation.manifest, input_hash="x") == replace(
                a.allocation.manifest, input_hash="x"
            )
            assert c.allocation.placements == () and c.allocation.refusals == ()
            d = getattr(report, side)[mech]
            assert d.allocation.manifest == a.allocation.manifest  # input hash included
            assert (d.metrics, d.taken, d.free) == (a.metrics, a.taken, a.free)


@pytest.mark.parametrize(
    "error",
    [DomainError("capacity", "must be 0 or more"), InputError("area/settings.csv", 3, "x", "bad")],
    ids=["domain", "input"],
)
def test_a_forked_baselines_error_comes_back_as_itself(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """An error in the forked baseline worker reaches the caller as the same error (its
    type and text), as with one worker, not as a failure to read it back."""
    import pickle

    import placement.scenarios.run as run_mod

    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    text = (ROOT / "scenarios" / "new-special-free-school.toml").read_text()
    sc = parse_scenario(text, file="x.toml").with_scale(0.02)
    base = run_mod.load_base(sc)
    real = run_mod.build_problem

    def failing(area: Area, *a: object, **kw: object) -> object:
        if area is base[0]:  # the baseline's area only: the scenario side builds as ever
            raise error
        return real(area, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(run_mod, "build_problem", failing)
    for workers in (1, 2):
        with pytest.raises(type(error)) as got:
            run_scenario(sc, marginal=0, base=base, workers=workers)
        assert str(got.value) == str(error)


def test_same_file_same_results(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "asd-resourced-provision.toml").read_text()
    runs = []
    for _ in range(2):
        sc = parse_scenario(text, file="x.toml").with_scale(0.05)
        r = run_scenario(sc, marginal=3)
        runs.append(
            (
                r.notes,
                {m: s.allocation.manifest.output_hash for m, s in r.outcome.items()},
                r.marginal,
                json.loads(report_json(r))["metrics"],
            )
        )
    assert runs[0] == runs[1]


def test_exports_suppress_small_counts(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    _, r = run_text(tmp_path, '[[add_places]]\nsetting_id = "S1"\nneed = "ASD"\nplaces = 3')
    data = json.loads(report_json(r))
    m = data["metrics"]["optimised"]
    assert m["children"] == {"baseline": SMALL, "scenario": SMALL, "change": WITHHELD}
    assert m["unmet_ASD"]["baseline"] == SMALL
    # 4 of 8 placed: 50% would give the 4 away, so the percentage is withheld too
    assert m["placed_pct"] == {"baseline": WITHHELD, "scenario": WITHHELD, "change": WITHHELD}
    csvs = report_csvs(r)
    assert ",4," not in csvs["metrics"] and "<10" in csvs["metrics"]
    for line in csvs["settings"].splitlines()[1:]:
        cells = line.split(",")
        assert all(
            not c.isdigit() or int(c) == 0 or int(c) >= 10 or i in (4, 5)
            for i, c in enumerate(cells)
        )
    html = report_html(r)
    assert "&lt;10" in html and "<svg" in html and "<script" not in html


# -- bad scenario files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        # an unknown key, with a did-you-mean
        ('[[add_places]]\nsetting_id = "S1"\nplaces = 2\nneeds = "ASD"', 8, "did you mean 'need'"),
        # a bad need code
        ('[[add_places]]\nsetting_id = "S1"\nneed = "ASDD"\nplaces = 2', 7, "unknown need"),
        # an unknown setting id (found when the change applies)
        ('[[add_places]]\nsetting_id = "S9"\nplaces = 2', 5, "unknown setting 'S9'"),
        # removing more places than there are
        ('[[add_places]]\nsetting_id = "S1"\nneed = "ASD"\nplaces = -5', 5, "would leave -3"),
        # bad TOML
        ("[[add_places]\nsetting_id = 1", 5, "not valid TOML"),
        # an unknown top-level table
        ('[[add_place]]\nsetting_id = "S1"', 5, "did you mean 'add_places'"),
        # a policy override that policy validation rejects
        ("[policy.travel.max_journey_min]\nsecundary = 90", 6, "did you mean 'secondary'"),
        # a need code in designations
        (
            '[[redesignate]]\nsetting_id = "S1"\ndesignations = {AUT = 5}',
            7,
            "unknown need 'AUT'",
        ),
    ],
)
def test_bad_scenario_files_name_file_and_line(
    tmp_path: Path, body: str, line: int, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny_area(tmp_path)
    f = tmp_path / "bad.toml"
    f.write_text(scenario_text(body))

    def run() -> None:
        run_scenario(parse_scenario(f.read_text(), file="bad.toml", base_dir=tmp_path))

    with pytest.raises(InputError) as e:
        run()
    assert e.value.file == "bad.toml"
    assert e.value.line == line, str(e.value)
    assert fragment in str(e.value)
    assert main(["scenario", "run", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"bad.toml:{line}" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "body",
    ["name" + ".a" * 20_000 + " = 1", "[[add_places]]\nx" + ".a" * 20_000 + " = 1"],
    ids=["top", "in-a-change"],
)
def test_a_dotted_key_nested_deep_is_an_input_error(
    tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # a few bytes of dotted key nest 20,000 tables deep; quoting that value recursed
    f = tmp_path / "deep.toml"
    f.write_text(body + "\n")
    with pytest.raises(InputError, match="nested too deeply"):
        parse_scenario(f.read_text(), file="deep.toml")
    assert main(["scenario", "run", str(f), "--out", str(tmp_path / "out")]) == 2
    assert "nested too deeply" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_scenario_file_saved_with_a_bom_loads(tmp_path: Path) -> None:
    # tomllib read the BOM as a character: "bad.toml:1: not valid TOML: Invalid statement"
    tiny_area(tmp_path)
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + scenario_text("").encode())
    assert load_scenario(f).name == "t"


def test_unknown_la_and_base_errors() -> None:
    with pytest.raises(InputError, match="did you mean 'Kent'"):
        parse_scenario(scenario_text("", base='like = "Kentt"'))
    with pytest.raises(InputError, match="exactly one of"):
        parse_scenario(scenario_text("", base='like = "Kent"\narea = "x"'))


def test_select_that_matches_nothing_is_a_note_not_an_error(tmp_path: Path) -> None:
    tiny_area(tmp_path)
    body = '[[add_places]]\nselect = {kind = "independent_special"}\nplaces = 2'
    _, r = run_text(tmp_path, body)
    assert any("no setting matched" in n for n in r.notes)


# -- the five worked examples, at reduced size --------------------------------------------


def test_there_are_five_examples() -> None:
    assert len(EXAMPLES) == 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_worked_examples_run(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc = main(
        ["scenario", "run", str(path), "--scale", "0.05", "--marginal", "3", "--out", str(out)]
    )
    assert rc == 0
    data = json.loads((out / f"{path.stem}.json").read_text())
    assert set(data["metrics"]) == {"optimised", "preference-first"}
    assert data["changes"]
    html = (out / f"{path.stem}.html").read_text()
    assert html.count("<svg") >= 4
    for kind in ("metrics", "settings", "marginal"):
        assert (out / f"{path.stem}-{kind}.csv").exists()
    m = data["metrics"]["optimised"]
    if "demand-growth" in path.stem:
        assert m["children"]["scenario"] > m["children"]["baseline"]
    if "journey" in path.stem:
        # a longer limit only adds pairs the LA may propose, but a moving child whose current
        # setting comes within reach keeps its seat there (whether it stays or moves), so the
        # most that can be placed may fall: both mechanisms still place that most; the
        # optimiser weighs requests and cost before travel, so at 5% scale the journeys can
        # re-arrange by a minute or two either way (Kent seed 1 on LSOA homes: p95 72 -> 71)
        pf = data["metrics"]["preference-first"]
        assert m["placed"] == pf["placed"]
        assert m["p95_journey_min"]["scenario"] >= m["p95_journey_min"]["baseline"] - 2
    if "fees" in path.stem:
        assert m["total_cost_gbp"]["scenario"] <= m["total_cost_gbp"]["baseline"]
