"""``placement import gias``: settings.csv and its report from a GIAS download, empty
capacities and FE colleges never silently full, synthetic children on the real settings, and
the whole of Leeds allocated end to end (on a trimmed copy of the real 2023 extract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from placement.cli import build_parser, main
from placement.domain import SettingKind
from placement.files.area_reader import load_area
from placement.files.gias import CapacityRules, import_gias

from .test_gias import ALL_ROWS, write_gias

LEEDS = Path(__file__).parent / "data" / "gias-leeds-2023" / "edubase-leeds-trimmed.csv"
FE_URNS = {"130542", "130548", "135771"}  # Leeds FE colleges: SchoolCapacity empty in GIAS


def run(args: list[str]) -> int:
    return main(["import", "gias", *args])


def test_leeds_settings_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "leeds"
    assert run([str(LEEDS), "--la", "383", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "wrote 318 settings" in said
    assert sorted(p.name for p in out.iterdir()) == ["gias-report.txt", "settings.csv"]
    settings = {s.setting_id: s for s in load_area_settings(out)}
    assert len(settings) == 318
    assert settings["108119"].kind is SettingKind.SPECIAL_LA
    assert settings["107896-RP"].kind is SettingKind.RESOURCED_PROVISION
    report = (out / "gias-report.txt").read_text()
    for urn in FE_URNS:  # FE colleges get the FE assumption, not "full", and it is reported
        s = settings[urn]
        assert s.kind is SettingKind.FE_COLLEGE
        assert (s.capacity, s.roll) == (150, 0)
        assert f"URN {urn} SchoolCapacity: empty (GIAS records no FE capacity)" in report
        assert "+ 150 free places (--fe-places)" in report
    # every URN of a whole-kind assumption is listed (no "and 11 more")
    assert "and 11 more" not in report
    assert "148793-RP" in report
    assert "URN 107806 (Hunslet Nursery School): EstablishmentStatus is 'Closed'" in report
    assert "rules: empty capacity: capacity = NumberOfPupils + 10%" in report


def load_area_settings(folder: Path) -> list[object]:
    (folder / "children.csv").write_text(
        "child_id,nc_year,easting,northing,primary_need,need_band,sex\n", encoding="utf-8"
    )
    try:
        return list(load_area(folder).area.settings)
    finally:
        (folder / "children.csv").unlink()


@pytest.mark.parametrize(
    ("rule", "expected", "phrase"),
    [
        ("roll", (80, 80), "so the setting is full (--empty-capacity roll)"),
        ("roll-plus-10%", (88, 80), "+ 10% = 88 (8 free places"),
        ("roll-plus-2.5%", (82, 80), "+ 2.5% = 82 (2 free places"),
    ],
)
def test_empty_capacity_rule_is_applied_and_reported(
    tmp_path: Path, rule: str, expected: tuple[int, int], phrase: str
) -> None:
    src = write_gias(tmp_path / "g.csv", ALL_ROWS)
    out = tmp_path / "area"
    assert run([str(src), "--la", "886", "--out", str(out), "--empty-capacity", rule]) == 0
    row = next(
        line for line in (out / "settings.csv").read_text().splitlines() if line[:6] == "118004"
    )
    cells = row.split(",")
    assert (int(cells[7]), int(cells[8])) == expected  # capacity, roll
    report = (out / "gias-report.txt").read_text()
    line = next(x for x in report.splitlines() if x.startswith("- URN 118004 SchoolCapacity"))
    assert "empty, taken as NumberOfPupils (80)" in line
    assert phrase in line


def test_empty_capacity_skip_leaves_the_setting_out_and_says_so(tmp_path: Path) -> None:
    src = write_gias(tmp_path / "g.csv", ALL_ROWS)
    out = tmp_path / "area"
    assert run([str(src), "--la", "886", "--out", str(out), "--empty-capacity", "skip"]) == 0
    assert "\n118004," not in (out / "settings.csv").read_text()
    report = (out / "gias-report.txt").read_text()
    assert "URN 118004: SchoolCapacity empty: left out (--empty-capacity skip)" in report


def test_fe_places_option(tmp_path: Path) -> None:
    result = import_gias(LEEDS, la_code="383", capacity=CapacityRules.parse("roll", fe_places=40))
    fe = {s.setting_id: s for s in result.settings if s.setting_id in FE_URNS}
    assert {(s.capacity, s.roll) for s in fe.values()} == {(40, 0)}
    # without an FE rule the old behaviour holds, and is reported: no free places
    plain = import_gias(LEEDS, la_code="383")
    assert {s.capacity for s in plain.settings if s.setting_id in FE_URNS} == {0}
    assert any(
        "URN 135771 SchoolCapacity: empty, and NumberOfPupils too" in a for a in plain.assumptions
    )


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["import", "gias", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: roll-plus-10%)" in text
    assert "capacity = roll + N (default: 150)" in text
    assert "(default: 1)" in text  # seed


@pytest.mark.parametrize("bad", ["full", "roll-plus-x%", "roll-plus-10", "roll-plus--5%"])
def test_bad_empty_capacity_is_refused(
    tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as e:
        run([str(LEEDS), "--la", "383", "--out", str(tmp_path / "a"), "--empty-capacity", bad])
    assert e.value.code == 2
    assert "roll-plus-N%" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_refuses_to_replace_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "area"
    out.mkdir()
    (out / "settings.csv").write_text("mine\n")
    assert run([str(LEEDS), "--la", "383", "--out", str(out)]) == 2
    assert "already has settings.csv; pass --force" in capsys.readouterr().err
    assert (out / "settings.csv").read_text() == "mine\n"
    assert not (out / "gias-report.txt").exists()
    assert run([str(LEEDS), "--la", "383", "--out", str(out), "--force"]) == 0
    assert (out / "settings.csv").read_text().startswith("setting_id,")


def test_missing_file_is_exit_2_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(tmp_path / "nope.csv"), "--la", "383", "--out", str(tmp_path / "a")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_leeds_real_settings_with_synthetic_children_allocate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "leeds"
    code = run([str(LEEDS), "--la", "383", "--out", str(out), "--children", "--scale", "0.2"])
    assert code == 0
    loaded = load_area(out).area  # every reference resolves to a real Leeds setting
    real = {s.setting_id for s in loaded.settings}
    assert len(loaded.children) > 1000
    assert any(c.current_setting_id for c in loaded.children)
    for c in loaded.children:
        assert c.current_setting_id is None or c.current_setting_id in real
        assert {p.setting_id for p in c.preferences} <= real
    report = (out / "gias-report.txt").read_text()
    assert "Synthetic children (children.csv)" in report
    assert "moved to the nearest real setting of the same kind" in report
    results = tmp_path / "results"
    assert main(["allocate", str(out), "--out", str(results)]) == 0
    data = json.loads((results / "optimised.json").read_text())
    placed = {p["setting_id"] for p in data["placements"]}
    assert placed and placed <= real
    capsys.readouterr()


def test_unknown_la_for_children_is_refused_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a"
    assert run([str(LEEDS), "--la", "999", "--out", str(out), "--children"]) == 2
    assert capsys.readouterr().err
    assert not out.exists()


def test_rehome_falls_back_by_kind_and_drops_what_fits_nowhere() -> None:
    from placement.domain import Child, Location, Need, Preference, Setting, Sex
    from placement.files.rehome import rehome_children

    def s(sid: str, kind: SettingKind, x: float, low: int = 2, high: int = 19) -> Setting:
        return Setting(sid, sid, kind, Location(400_000 + x, 400_000), low, high, 10)

    synthetic = [
        s("900001", SettingKind.SPECIAL_LA, 0),
        s("900002", SettingKind.ALTERNATIVE_PROVISION, 0),
        s("900003", SettingKind.MAINSTREAM, 0),
    ]
    real = [
        s("100001", SettingKind.SPECIAL_ACADEMY, 5_000),  # no LA special: the academy instead
        s("100002", SettingKind.MAINSTREAM, 9_000),
        s("100003", SettingKind.MAINSTREAM, 1_000, low=11),  # nearer, but not for age 8
    ]
    kid = Child(
        "C1",
        Location(400_000, 400_000),
        Need.ASD,
        3,
        nc_year=4,
        sex=Sex.FEMALE,
        current_setting_id="900001",
        preferences=(Preference("900002", 1), Preference("900003", 2)),
    )
    got = rehome_children([kid], synthetic, real)
    (c,) = got.children
    assert c.current_setting_id == "100001"
    assert [p.setting_id for p in c.preferences] == ["100002"]  # AP fits nowhere: dropped
    notes = "\n".join(got.notes)
    assert "special_la_maintained: no real setting of this kind fitted" in notes
    assert "1 preference reference(s) to a synthetic alternative_provision setting dropped" in notes


def test_an_la_with_no_setting_in_the_file_is_an_error_naming_the_files_las(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --la would make every setting out of area, silently: it is refused."""
    out = tmp_path / "a"
    assert run([str(LEEDS), "--la", "999", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no open setting in LA 999" in err and "383" in err
    assert not out.exists()
