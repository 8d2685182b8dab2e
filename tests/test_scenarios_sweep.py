"""The area dashboard and the national sweep (process pool, and Ray when it is installed)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from placement.cli import main
from placement.generate import list_las
from placement.scenarios import parse_scenario
from placement.scenarios.dashboard import national_mix
from placement.scenarios.sweep import aggregate, run_sweep, sweep_csv, sweep_json

ROOT = Path(__file__).resolve().parents[1]
SMALL_LAS = ["Rutland", "City of London", "Isles of Scilly", "Hartlepool"]
HAS_RAY = importlib.util.find_spec("ray") is not None


def test_national_mix_is_the_sum_over_las() -> None:
    nat = national_mix()
    total = sum(la.plans for la in list_las())
    assert len(list_las()) == 153
    # placement counts cover (nearly) every plan; "other" takes the rest in the DfE columns
    assert 0.95 * total <= sum(nat.values()) <= 1.05 * total


def test_dashboard_of_a_scenario(tmp_path: Path) -> None:
    f = ROOT / "scenarios" / "new-special-free-school.toml"
    out = tmp_path / "dash"
    assert main(["dashboard", str(f), "--scale", "0.05", "--out", str(out)]) == 0
    data = json.loads((out / "new-special-free-school-dashboard.json").read_text())
    mix = data["placement_mix"]
    assert data["la"] == "Kent"
    # shares of the allocation come from the rounded counts, and are withheld exactly where
    # the count is 1 to 9
    for c, v in mix["allocation_pct"].items():
        assert (v == "suppressed") == (mix["allocation_children"][c] == "<10"), c
    shown = [v for v in mix["allocation_pct"].values() if not isinstance(v, str)]
    assert 90 < sum(shown) <= 100.5
    assert abs(sum(mix["la_real_pct"].values()) - 100) < 0.1
    assert abs(sum(mix["england_pct"].values()) - 100) < 0.1
    for v in [*mix["allocation_children"].values(), *data["unmet_need"]["by_need"].values()]:
        assert v == "<10" or v == 0 or v >= 10
    html = (out / "new-special-free-school-dashboard.html").read_text()
    assert html.count("<svg") == 5


def test_dashboard_of_an_area_folder(tmp_path: Path) -> None:
    area = tmp_path / "area"
    assert main(["generate", "--like", "Rutland", "--scale", "0.3", "--out", str(area)]) == 0
    assert main(["dashboard", str(area), "--out", str(tmp_path / "d")]) == 0
    data = json.loads((tmp_path / "d" / "area-dashboard.json").read_text())
    assert data["la"] == "Rutland"


def test_the_dashboard_says_what_each_mainstream_share_is_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The headline's mainstream share (56.7%) and the mix's (34.5%) differed without a word:
    the headline counts s.33 mainstream (schools, their resourced provision and SEN units, FE
    colleges) among the children placed in this run; the mix counts the DfE's 'mainstream'
    column alone among every child (placed, staying, not placed). Each is labelled with what
    it is of, and the headline gives the same mainstream over the mix's children, which the
    mix's rows add up to."""
    from placement.scenarios.dashboard import HEADLINE_LABELS, MAINSTREAM_COLUMNS, MIX_LABELS

    area = tmp_path / "area"
    assert main(["generate", "--like", "Rutland", "--scale", "0.5", "--out", str(area)]) == 0
    assert main(["dashboard", str(area), "--out", str(tmp_path / "d")]) == 0
    said = " ".join(capsys.readouterr().out.split())
    data = json.loads((tmp_path / "d" / "area-dashboard.json").read_text())
    head, mix = data["headline_pct"], data["placement_mix"]
    assert set(head) == set(data["headline_labels"]) == set(HEADLINE_LABELS)
    for k, label in data["headline_labels"].items():
        assert " % of " in label, k  # every share says what it is a share of
    assert "placed in this run" in data["headline_labels"]["mainstream_pct"]
    assert "all the children" in data["headline_labels"]["mainstream_all_pct"]
    assert mix["labels"] == MIX_LABELS and "staying" in mix["of"]
    # the mainstream over every child is the mix's mainstream rows, up to their rounding
    rows = [mix["allocation_pct"][c] for c in MAINSTREAM_COLUMNS]
    shown = [v for v in rows if not isinstance(v, str)]
    assert isinstance(head["mainstream_all_pct"], float)
    if len(shown) == len(rows):  # each row is rounded to 0.1 on its own
        assert abs(sum(shown) - head["mainstream_all_pct"]) <= 0.2
    # and over the placed children it is the run's own figure
    assert head["mainstream_pct"] >= head["mainstream_all_pct"] or head["mainstream_pct"] == 0
    # printed and in the page with the labels, not code names
    assert "special school (academy" in said and "rp_su" not in said and "special_la" not in said
    assert HEADLINE_LABELS["mainstream_all_pct"] in said
    page = (tmp_path / "d" / "area-dashboard.html").read_text()
    assert "mainstream_pct" not in page and "% of the children placed in this run" in page
    assert "Resourced provision / SEN unit" in page and "Special school (non-maintained)" in page


def _scenario() -> object:
    text = (ROOT / "scenarios" / "secondary-journey-90.toml").read_text()
    return parse_scenario(text, file="secondary-journey-90.toml").with_scale(0.05)


def test_sweep_aggregates_exactly() -> None:
    sc = _scenario()
    res = run_sweep(sc, engine="process", workers=2, las=SMALL_LAS)  # type: ignore[arg-type]
    assert [r["la_name"] for r in res.las] == sorted(
        [r["la_name"] for r in res.las], key=lambda n: [r["la_name"] for r in res.las].index(n)
    )
    ok = [r for r in res.las if "sides" in r]
    assert len(ok) == len(SMALL_LAS)
    key = "scenario:optimised"
    assert res.england[key]["children"] == sum(r["sides"][key]["children"] for r in ok)
    assert res.england[key]["las"] == len(SMALL_LAS)
    assert sum(v[key]["children"] for v in res.regions.values()) == res.england[key]["children"]
    one = aggregate([ok[0]])[key]
    assert one["placed"] == ok[0]["sides"][key]["placed"]
    data = sweep_json(res)
    assert "journeys" not in json.dumps(data)
    assert sweep_csv(res).startswith("level,name,side,children")


def test_sweep_is_deterministic_across_engines_and_workers() -> None:
    sc = _scenario()
    a = run_sweep(sc, engine="process", workers=1, las=SMALL_LAS[:2])  # type: ignore[arg-type]
    b = run_sweep(sc, engine="process", workers=2, las=SMALL_LAS[:2])  # type: ignore[arg-type]
    assert a.england == b.england


def test_sweep_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = ROOT / "scenarios" / "cap-independent-fees.toml"
    args = ["sweep", str(f), "--scale", "0.05", "--workers", "2", "--out", str(tmp_path)]
    assert main([*args, "--la", "Rutland", "--la", "Hartlepool"]) == 0
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert data["england"]["scenario:optimised"]["las"] == 2
    # two LAs are not England: the total is headed, and exported, as what it is
    said = " ".join(capsys.readouterr().out.split())
    assert said.startswith("the selected LAs: Rutland, Hartlepool: Cap on independent fees")
    assert "England" not in said.split("(real)")[0]
    assert "placed_pct" not in said and "total_cost_gbp" not in said and "£" in said
    assert data["total_of"] == "the selected LAs: Rutland, Hartlepool"
    first = (tmp_path / "sweep.csv").read_text().splitlines()[1]
    assert first.startswith('selected,"the selected LAs: Rutland, Hartlepool",')


def test_a_sweep_of_every_la_is_england() -> None:
    from placement.scenarios.sweep import SweepResult

    res = SweepResult(_scenario(), "process", 1, [], {}, {}, 0.0)  # type: ignore[arg-type]
    assert res.total_name == "England"
    many = SweepResult(
        _scenario(),  # type: ignore[arg-type]
        "process",
        1,
        [],
        {},
        {},
        0.0,
        tuple(f"LA {i}" for i in range(7)),
    )
    assert many.total_name == "the selected LAs: LA 0, LA 1, LA 2, LA 3, LA 4 and 2 more"


def test_ray_engine_without_ray_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import placement.scenarios.sweep as sw

    monkeypatch.setattr(sw, "_ray_available", lambda: False)
    f = ROOT / "scenarios" / "cap-independent-fees.toml"
    rc = main(["sweep", str(f), "--engine", "ray", "--la", "Rutland", "--out", str(tmp_path)])
    assert rc == 2
    assert "placement[ray]" in capsys.readouterr().err


@pytest.mark.skipif(not HAS_RAY, reason="Ray is an optional extra: pip install 'placement[ray]'")
def test_ray_engine_on_a_local_instance_matches_the_process_pool() -> None:
    sc = _scenario()
    las = SMALL_LAS[:2]
    a = run_sweep(sc, engine="process", workers=1, las=las)  # type: ignore[arg-type]
    b = run_sweep(sc, engine="ray", workers=2, las=las)  # type: ignore[arg-type]
    assert a.england == b.england
    assert b.engine == "ray"
