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
