"""GIAS import: kinds by type code, units split out, closed and unlocated rows skipped, and every
assumption recorded with its URN and field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from placement.area import Area
from placement.domain import Entry, Need, Setting, SettingKind
from placement.files.area_reader import load_area
from placement.files.area_writer import write_area
from placement.files.errors import InputError
from placement.files.gias import GIAS_KIND, GiasImport, import_gias

COLUMNS = [
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Gender (name)",
    "SchoolCapacity",
    "NumberOfPupils",
    *[f"SEN{i} (name)" for i in range(1, 14)],
    "TypeOfResourcedProvision (name)",
    "ResourcedProvisionOnRoll",
    "ResourcedProvisionCapacity",
    "SenUnitOnRoll",
    "SenUnitCapacity",
    "Section41Approved (name)",
    "GOR (name)",
    "Easting",
    "Northing",
]

OPEN_PRIMARY_WITH_RP = {
    "URN": "118001",
    "LA (code)": "886",
    "LA (name)": "Kent",
    "EstablishmentName": "Oak Primary School",
    "TypeOfEstablishment (code)": "1",
    "TypeOfEstablishment (name)": "Community school",
    "EstablishmentStatus (name)": "Open",
    "PhaseOfEducation (name)": "Primary",
    "StatutoryLowAge": "4",
    "StatutoryHighAge": "11",
    "Gender (name)": "Mixed",
    "SchoolCapacity": "420",
    "NumberOfPupils": "400",
    "SEN1 (name)": "ASD - Autistic Spectrum Disorder",
    "SEN2 (name)": "SLCN - Speech, language and Communication",
    "TypeOfResourcedProvision (name)": "Resourced provision",
    "ResourcedProvisionOnRoll": "10",
    "ResourcedProvisionCapacity": "12",
    "GOR (name)": "South East",
    "Easting": "615000",
    "Northing": "157000",
}
SPECIAL_ACADEMY = {
    "URN": "140002",
    "LA (code)": "886",
    "EstablishmentName": "Elm Academy",
    "TypeOfEstablishment (code)": "44",
    "TypeOfEstablishment (name)": "Academy special converter",
    "EstablishmentStatus (name)": "Open, but proposed to close",
    "PhaseOfEducation (name)": "Not applicable",
    "StatutoryLowAge": "11",
    "StatutoryHighAge": "19",
    "Gender (name)": "Boys",
    "SchoolCapacity": "100",
    "NumberOfPupils": "95",
    "SEN1 (name)": "SEMH - Social, Emotional and Mental Health",
    "SEN2 (name)": "SpLD - Specific Learning Difficulty",
    "TypeOfResourcedProvision (name)": "Not applicable",
    "Easting": "616000",
    "Northing": "158000",
}
CLOSED = {
    "URN": "118003",
    "LA (code)": "886",
    "EstablishmentName": "Old School",
    "TypeOfEstablishment (code)": "1",
    "EstablishmentStatus (name)": "Closed",
    "StatutoryLowAge": "4",
    "StatutoryHighAge": "11",
    "Easting": "615500",
    "Northing": "157500",
}
SPECIAL_NO_CAPACITY = {
    "URN": "118004",
    "LA (code)": "886",
    "EstablishmentName": "Ash Special School",
    "TypeOfEstablishment (code)": "7",
    "TypeOfEstablishment (name)": "Community special school",
    "EstablishmentStatus (name)": "Open",
    "StatutoryLowAge": "2",
    "StatutoryHighAge": "19",
    "Gender (name)": "Mixed",
    "SchoolCapacity": "",
    "NumberOfPupils": "80",
    "Easting": "614000",
    "Northing": "156000",
}
NO_COORDINATES = {
    "URN": "118005",
    "LA (code)": "886",
    "EstablishmentName": "Lost School",
    "TypeOfEstablishment (code)": "1",
    "EstablishmentStatus (name)": "Open",
    "StatutoryLowAge": "4",
    "StatutoryHighAge": "11",
    "Gender (name)": "Mixed",
    "SchoolCapacity": "210",
    "NumberOfPupils": "200",
    "Easting": "",
    "Northing": "",
}
INDEPENDENT_OUT_OF_AREA = {
    "URN": "118006",
    "LA (code)": "887",
    "EstablishmentName": "Hill House School",
    "TypeOfEstablishment (code)": "10",
    "TypeOfEstablishment (name)": "Other independent special school",
    "EstablishmentStatus (name)": "Open",
    "StatutoryLowAge": "7",
    "StatutoryHighAge": "19",
    "Gender (name)": "Mixed",
    "SchoolCapacity": "40",
    "NumberOfPupils": "38",
    "SEN1 (name)": "ASD - Autistic Spectrum Disorder",
    "Section41Approved (name)": "Approved",
    "Easting": "580000",
    "Northing": "150000",
}
SECURE_UNIT = {
    "URN": "118007",
    "EstablishmentName": "Secure Unit",
    "TypeOfEstablishment (code)": "24",
    "TypeOfEstablishment (name)": "Secure units",
    "EstablishmentStatus (name)": "Open",
    "StatutoryLowAge": "10",
    "StatutoryHighAge": "18",
    "Easting": "600000",
    "Northing": "150000",
}

ALL_ROWS = [
    OPEN_PRIMARY_WITH_RP,
    SPECIAL_ACADEMY,
    CLOSED,
    SPECIAL_NO_CAPACITY,
    NO_COORDINATES,
    INDEPENDENT_OUT_OF_AREA,
    SECURE_UNIT,
]


def write_gias(
    path: Path, rows: list[dict[str, str]], encoding: str = "utf-8", columns: list[str] = COLUMNS
) -> Path:
    """A GIAS-shaped CSV with the given rows (missing fields empty, as GIAS leaves them)."""
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, restval="")
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def imported(tmp_path: Path) -> GiasImport:
    return import_gias(write_gias(tmp_path / "edubasealldata.csv", ALL_ROWS), la_code="886")


def by_id(result: GiasImport) -> dict[str, Setting]:
    return {s.setting_id: s for s in result.settings}


def test_open_rows_become_settings_sorted_by_id(imported: GiasImport) -> None:
    ids = [s.setting_id for s in imported.settings]
    assert ids == ["118001", "118001-RP", "118004", "118006", "140002"]


def test_mainstream_school_with_resourced_provision_is_split(imported: GiasImport) -> None:
    s = by_id(imported)
    school, unit = s["118001"], s["118001-RP"]
    assert school.kind is SettingKind.MAINSTREAM
    assert (school.capacity, school.roll) == (420 - 12, 400 - 10)
    assert school.designations == {}
    assert (school.low_age, school.high_age) == (4, 11)
    assert unit.kind is SettingKind.RESOURCED_PROVISION
    assert unit.name == "Oak Primary School (resourced provision)"
    assert (unit.capacity, unit.roll) == (12, 10)
    assert unit.designations == {Need.ASD: 4, Need.SLCN: 4}
    assert unit.location == school.location
    assert unit.la_code == "886"


def test_special_school_kind_entry_and_designations(imported: GiasImport) -> None:
    s = by_id(imported)["140002"]
    assert s.kind is SettingKind.SPECIAL_ACADEMY  # 44 Academy special converter
    assert s.entry is Entry.BOYS
    assert s.designations == {Need.SEMH: 5, Need.SPLD: 5}  # "SpLD - ..." read as SPLD
    assert (s.capacity, s.roll, s.low_age, s.high_age) == (100, 95, 11, 19)
    assert s.in_area


def test_independent_special_out_of_area_and_s41(imported: GiasImport) -> None:
    s = by_id(imported)["118006"]
    assert s.kind is SettingKind.INDEPENDENT_SPECIAL
    assert s.s41_approved
    assert not s.in_area  # LA 887, importing for 886
    assert s.la_code == "887"
    assert s.designations == {Need.ASD: 5}


def test_closed_unlocated_and_unsupported_rows_are_skipped_with_reasons(
    imported: GiasImport,
) -> None:
    skipped = "\n".join(imported.skipped)
    assert len(imported.skipped) == 3
    assert "URN 118003 (Old School): EstablishmentStatus is 'Closed'" in skipped
    assert "URN 118005 (Lost School): no Easting/Northing" in skipped
    assert "URN 118007 (Secure Unit): TypeOfEstablishment 'Secure units' (24)" in skipped


def test_empty_capacity_uses_pupils_and_says_so(imported: GiasImport) -> None:
    s = by_id(imported)["118004"]
    assert (s.capacity, s.roll) == (80, 80)  # taken as full
    assert any(
        a.startswith("URN 118004 SchoolCapacity: empty, taken as NumberOfPupils (80)")
        for a in imported.assumptions
    )


def test_special_school_without_sen_is_designated_for_nothing(imported: GiasImport) -> None:
    assert by_id(imported)["118004"].designations == {}
    assert (
        "URN 118004 SEN1: no SEN designation: treated as meeting no specialist need"
        in imported.assumptions
    )


def test_band_assumptions_are_recorded_once_per_kind(imported: GiasImport) -> None:
    band_notes = [a for a in imported.assumptions if "GIAS records no need band" in a]
    assert len(band_notes) == 3  # resourced provision, special academy, independent special
    rp = next(a for a in band_notes if a.startswith("resourced_provision"))
    assert "118001-RP" in rp
    assert "band 4" in rp
    special = next(a for a in band_notes if a.startswith("special_academy_free"))
    assert "140002" in special
    assert "band 5" in special


def test_no_la_code_puts_everything_in_area(tmp_path: Path) -> None:
    result = import_gias(write_gias(tmp_path / "g.csv", ALL_ROWS))
    assert all(s.in_area for s in result.settings)
    assert any("no la_code given" in a for a in result.assumptions)


def test_resourced_provision_and_sen_unit_make_three_settings(tmp_path: Path) -> None:
    row = dict(
        OPEN_PRIMARY_WITH_RP,
        **{
            "TypeOfResourcedProvision (name)": "Resourced provision and SEN unit",
            "SenUnitCapacity": "",
            "SenUnitOnRoll": "6",
        },
    )
    result = import_gias(write_gias(tmp_path / "g.csv", [row]), la_code="886")
    s = by_id(result)
    assert sorted(s) == ["118001", "118001-RP", "118001-SU"]
    assert s["118001-SU"].kind is SettingKind.SEN_UNIT
    assert (s["118001-SU"].capacity, s["118001-SU"].roll) == (6, 6)
    assert (s["118001"].capacity, s["118001"].roll) == (420 - 12 - 6, 400 - 10 - 6)
    assert any(a.startswith("URN 118001 SenUnitCapacity: empty") for a in result.assumptions)


def test_sen_list_on_plain_mainstream_is_ignored_with_a_note(tmp_path: Path) -> None:
    row = dict(OPEN_PRIMARY_WITH_RP, **{"TypeOfResourcedProvision (name)": ""})
    result = import_gias(write_gias(tmp_path / "g.csv", [row]))
    (school,) = result.settings
    assert school.designations == {}
    assert (school.capacity, school.roll) == (420, 400)
    assert any(a.startswith("URN 118001 SEN1-SEN13: ASD, SLCN") for a in result.assumptions)


def test_missing_ages_come_from_the_phase(tmp_path: Path) -> None:
    row = dict(OPEN_PRIMARY_WITH_RP, StatutoryLowAge="", StatutoryHighAge="")
    row["TypeOfResourcedProvision (name)"] = ""
    (s,) = import_gias(write_gias(tmp_path / "g.csv", [row])).settings
    assert (s.low_age, s.high_age) == (4, 11)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (7, SettingKind.SPECIAL_LA),  # Community special school
        (12, SettingKind.SPECIAL_LA),  # Foundation special school
        (33, SettingKind.SPECIAL_ACADEMY),  # Academy special sponsor led
        (36, SettingKind.SPECIAL_ACADEMY),  # Free schools special
        (8, SettingKind.NON_MAINTAINED_SPECIAL),  # Non-maintained special school
        (11, SettingKind.INDEPENDENT_MAINSTREAM),  # Other independent school
        (14, SettingKind.ALTERNATIVE_PROVISION),  # Pupil referral unit
        (38, SettingKind.ALTERNATIVE_PROVISION),  # Free schools alternative provision
        (43, SettingKind.ALTERNATIVE_PROVISION),  # Academy AP sponsor led
        (18, SettingKind.FE_COLLEGE),  # Further education
        (32, SettingKind.SPECIALIST_POST16),  # Special post 16 institution
        (34, SettingKind.MAINSTREAM),  # Academy converter
    ],
)
def test_type_codes(code: int, kind: SettingKind) -> None:
    assert GIAS_KIND[code] is kind


def test_windows_1252_file_is_read_and_noted(tmp_path: Path) -> None:
    row = dict(SPECIAL_ACADEMY, EstablishmentName="St Mary\u2019s Caf\u00e9 School")
    path = write_gias(tmp_path / "g.csv", [row], encoding="cp1252")
    result = import_gias(path)
    assert result.settings[0].name == "St Mary\u2019s Caf\u00e9 School"
    assert any("read as cp1252" in a for a in result.assumptions)


def test_missing_required_column_has_did_you_mean(tmp_path: Path) -> None:
    columns = [("Eastings" if c == "Easting" else c) for c in COLUMNS]
    rows = [{("Eastings" if k == "Easting" else k): v for k, v in SPECIAL_ACADEMY.items()}]
    with pytest.raises(InputError) as info:
        import_gias(write_gias(tmp_path / "g.csv", rows, columns=columns))
    e = info.value
    assert (e.file, e.line, e.column) == ("g.csv", 1, "Easting")
    assert "(did you mean 'Eastings'?)" in e.message


def test_duplicate_urn_is_an_error_at_its_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        import_gias(write_gias(tmp_path / "g.csv", [SPECIAL_ACADEMY, CLOSED, SPECIAL_ACADEMY]))
    assert (info.value.line, info.value.column) == (4, "URN")
    assert "first on line 2" in info.value.message


def test_bad_number_is_an_error_at_its_line(tmp_path: Path) -> None:
    row = dict(SPECIAL_ACADEMY, SchoolCapacity="about 100")
    with pytest.raises(InputError) as info:
        import_gias(write_gias(tmp_path / "g.csv", [CLOSED, row]))
    assert (info.value.line, info.value.column) == (3, "SchoolCapacity")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        import_gias(tmp_path / "none.csv")
    assert (info.value.file, info.value.line) == ("none.csv", None)


def test_imported_settings_survive_an_area_round_trip(imported: GiasImport, tmp_path: Path) -> None:
    write_area(Area("kent", (), imported.settings), tmp_path / "kent")
    assert load_area(tmp_path / "kent").area.settings == imported.settings
