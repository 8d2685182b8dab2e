"""Area directories: round trip, every validation error with its line and column, atomic writes."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from placement.area import Area, TravelTime
from placement.domain import (
    Child,
    Entry,
    Feature,
    Location,
    Need,
    Pool,
    Preference,
    Setting,
    SettingKind,
    Sex,
)
from placement.files import area_writer
from placement.files.area_format import CHILD_COLUMNS, SETTING_COLUMNS
from placement.files.area_reader import LoadedArea, load_area
from placement.files.area_writer import write_area
from placement.files.errors import InputError, OutputError
from placement.files.toml_writer import dumps_toml

SETTINGS_CSV = """\
setting_id,name,kind,easting,northing,low_age,high_age,capacity
S1,Oak Primary,mainstream,615000,157000,4,11,30
S2,Elm Special,special_la_maintained,616000,158000,4,19,50
"""
CHILDREN_CSV = """\
child_id,nc_year,easting,northing,primary_need,need_band,sex,preferences
C1,3,615500,157500,ASD,2,M,S1;S2
C2,5,615600,157600,SEMH,4,F,S2
"""


def make_area_dir(
    tmp_path: Path,
    *,
    children: str | bytes = CHILDREN_CSV,
    settings: str | bytes = SETTINGS_CSV,
    travel: str | None = None,
    policy: str | None = None,
) -> Path:
    """An area directory holding the given file texts (a valid two-child area by default)."""
    d = tmp_path / "canterbury"
    d.mkdir()
    for name, text in (
        ("children.csv", children),
        ("settings.csv", settings),
        ("travel_minutes.csv", travel),
        ("policy.toml", policy),
    ):
        if isinstance(text, bytes):
            (d / name).write_bytes(text)
        elif text is not None:
            (d / name).write_text(text, encoding="utf-8")
    return d


def load_error(d: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_area(d)
    return info.value


def full_area() -> Area:
    """Every field of Child and Setting set to something other than its default."""
    loc = Location(615_000.25, 157_000.125)
    settings = (
        Setting(
            "S2",
            'Elm "Special", Canterbury',
            SettingKind.SPECIAL_ACADEMY,
            Location(616_000.0, 158_000.0),
            4,
            19,
            120,
            roll=90,
            entry=Entry.GIRLS,
            designations={Need.ASD: 5, Need.SLCN: 3},
            features=frozenset({Feature.SENSORY_ROOM, Feature.WHEELCHAIR_ACCESS}),
            pools={Need.ASD: Pool(40, 35), Need.SLCN: Pool(10)},
            la_code="886",
        ),
        Setting(
            "S1", "Oak Primary", SettingKind.MAINSTREAM, loc, 4, 11, 420, roll=400, la_code="886"
        ),
        Setting(
            "S3",
            "Hill Independent",
            SettingKind.INDEPENDENT_SPECIAL,
            Location(550_000.0, 170_000.0),
            7,
            19,
            40,
            designations={Need.SEMH: 5},
            s41_approved=True,
            la_code="887",
            in_area=False,
            annual_fee_gbp=61_500,
        ),
    )
    children = (
        Child(
            "C2",
            Location(615_500.5, 157_500.0),
            Need.ASD,
            4,
            nc_year=6,
            date_of_birth=dt.date(2015, 3, 31),
            secondary_needs=frozenset({Need.SLCN, Need.SPLD}),
            required_features=frozenset({Feature.SENSORY_ROOM}),
            transport_eligible=True,
            max_journey_min=40,
            sex=Sex.FEMALE,
            current_setting_id="S1",
            excluded_setting_ids=frozenset({"S3"}),
            preferences=(Preference("S2", 1), Preference("S1", 2)),
            looked_after=True,
            sibling_setting_ids=frozenset({"S1", "S2"}),
        ),
        Child("C1", Location(614_000.0, 156_000.0), Need.SEMH, 1, nc_year=-2, sex=Sex.MALE),
        Child(
            "C3",
            Location(614_500.0, 156_500.0),
            Need.DS,
            5,
            date_of_birth=dt.date(2010, 9, 1),
            preferences=(Preference("S3", 1),),
            sex=Sex.MALE,
        ),
    )
    travel = (TravelTime("C2", "S2", 25), TravelTime("C1", "S1", 7))
    return Area("anything", children, settings, travel)


def by_id(area: Area) -> tuple[list[Child], list[Setting], list[TravelTime]]:
    return (
        sorted(area.children, key=lambda c: c.child_id),
        sorted(area.settings, key=lambda s: s.setting_id),
        sorted(area.travel, key=lambda t: (t.child_id, t.setting_id)),
    )


# --------------------------------------------------------------------------------------------
# Round trip and the writer
# --------------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    area = full_area()
    overrides = {
        "academic_year_start": 2026,
        "travel": {"max_journey_min": {"primary": 40, "secondary": 60}},
        "funding": {
            "efficiency": {"max_extra_cost_ratio": 0.25},
            "top_up_gbp": {"sen_unit": [1, 2]},
        },
    }
    write_area(area, tmp_path / "kent", overrides)
    loaded = load_area(tmp_path / "kent")
    assert isinstance(loaded, LoadedArea)
    assert by_id(loaded.area) == by_id(area)
    assert loaded.policy_overrides == overrides
    assert loaded.area.name == "kent"  # the directory's name, not the area's
    assert loaded.area.la_code == "886"  # shared by every in-area setting


def test_write_is_deterministic_whatever_the_input_order(tmp_path: Path) -> None:
    area = full_area()
    shuffled = Area(
        area.name,
        tuple(reversed(area.children)),
        tuple(reversed(area.settings)),
        tuple(reversed(area.travel)),
    )
    write_area(area, tmp_path / "a")
    write_area(shuffled, tmp_path / "b")
    for name in ("children.csv", "settings.csv", "travel_minutes.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    lines = (tmp_path / "a" / "children.csv").read_text().splitlines()
    assert lines[0] == ",".join(CHILD_COLUMNS)
    assert [ln.split(",")[0] for ln in lines[1:]] == ["C1", "C2", "C3"]
    settings_lines = (tmp_path / "a" / "settings.csv").read_text().splitlines()
    assert settings_lines[0] == ",".join(SETTING_COLUMNS)
    # lists follow the order of the Need and Feature enums (SLCN before ASD)
    assert (
        ",girls,SLCN:3;ASD:5,SLCN:10;ASD:40/35,wheelchair_access;sensory_room,"
        in (settings_lines[2])
    )


def test_write_skips_optional_files_when_empty(tmp_path: Path) -> None:
    area = full_area()
    write_area(Area("x", area.children, area.settings), tmp_path / "a")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["children.csv", "settings.csv"]
    assert load_area(tmp_path / "a").policy_overrides == {}


def test_write_refuses_a_non_empty_directory_and_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "area"
    target.mkdir()
    (target / "children.csv").write_text("old")
    with pytest.raises(FileExistsError):
        write_area(full_area(), target)
    assert [p.name for p in target.iterdir()] == ["children.csv"]
    assert (target / "children.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["area"]  # no temp directory left


def test_overwrite_replaces_area_files_but_never_foreign_ones(tmp_path: Path) -> None:
    target = tmp_path / "area"
    write_area(full_area(), target, {"academic_year_start": 2025})
    small = Area("x", (), full_area().settings)
    write_area(small, target, overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == ["children.csv", "settings.csv"]
    assert load_area(target).area.children == ()

    (target / "notes.docx").write_text("officer's notes")
    with pytest.raises(FileExistsError, match=r"notes\.docx"):
        write_area(full_area(), target, overwrite=True)
    assert (target / "notes.docx").read_text() == "officer's notes"


def test_write_into_an_empty_existing_directory(tmp_path: Path) -> None:
    (tmp_path / "area").mkdir()
    write_area(full_area(), tmp_path / "area")
    assert by_id(load_area(tmp_path / "area").area) == by_id(full_area())


def test_a_failure_part_way_leaves_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "area"
    write_area(full_area(), target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    real = area_writer._write_csv
    calls = []

    def failing(path: Path, columns: object, rows: object) -> None:
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, columns, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(area_writer, "_write_csv", failing)
    with pytest.raises(OutputError, match="area: cannot write: disk full"):
        write_area(Area("x", (), full_area().settings), target, overwrite=True)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["area"]


def test_unwritable_overrides_fail_before_touching_disk(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="None"):
        write_area(full_area(), tmp_path / "area", {"travel": {"x": None}})
    assert list(tmp_path.iterdir()) == []


def test_toml_writer_quotes_keys_and_strings_that_need_it() -> None:
    data = {"a": {"odd key": 'say "hi"\n', "when": dt.date(2026, 2, 15), "xs": [1.5, True]}}
    import tomllib

    assert tomllib.loads(dumps_toml(data)) == data


# --------------------------------------------------------------------------------------------
# Reading: what is accepted
# --------------------------------------------------------------------------------------------


def test_minimal_files_load_with_defaults(tmp_path: Path) -> None:
    area = load_area(make_area_dir(tmp_path)).area
    c1 = next(c for c in area.children if c.child_id == "C1")
    assert c1.preferences == (Preference("S1", 1), Preference("S2", 2))
    assert c1.sex is Sex.MALE
    assert not c1.transport_eligible
    assert c1.location == Location(615_500.0, 157_500.0)
    s1 = next(s for s in area.settings if s.setting_id == "S1")
    assert (s1.roll, s1.entry, s1.in_area, s1.la_code) == (0, Entry.MIXED, True, "")
    assert area.la_code == ""
    assert area.name == "canterbury"


def test_bom_case_and_spaces_are_tolerated(tmp_path: Path) -> None:
    children = (
        "\ufeffChild_ID, nc_year ,Easting,Northing,Primary_Need,need_band,sex,transport_eligible\n"
        "C1, 3 ,615500,157500, asd ,2,f,Yes\n"
    )
    area = load_area(make_area_dir(tmp_path, children=children)).area
    (c,) = area.children
    assert (c.child_id, c.nc_year, c.primary_need, c.sex) == ("C1", 3, Need.ASD, Sex.FEMALE)
    assert c.transport_eligible


def test_latitude_longitude_convert_to_british_national_grid(tmp_path: Path) -> None:
    # Canterbury: 51.2787 N, 1.0830 E is about E 615000, N 157000 on the National Grid.
    children = (
        "child_id,nc_year,latitude,longitude,primary_need,need_band,sex\n"
        "C1,3,51.2787,1.0830,ASD,2,M\n"
    )
    (c,) = load_area(make_area_dir(tmp_path, children=children)).area.children
    assert abs(c.location.easting - 615_000) < 2_000
    assert abs(c.location.northing - 157_000) < 2_000


def test_swapped_latitude_longitude_are_caught(tmp_path: Path) -> None:
    children = (
        "child_id,nc_year,latitude,longitude,primary_need,need_band,sex\n"
        "C1,3,1.0830,51.2787,ASD,2,M\n"
    )
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.file, e.line, e.column) == ("children.csv", 2, "latitude")
    assert "swapped" in e.message


def test_travel_minutes_round_up_and_blank_means_unreachable(tmp_path: Path) -> None:
    travel = "child_id,setting_id,minutes\nC1,S1,12.2\nC1,S2,\nC2,S2,nan\nC2,S1,30\n"
    area = load_area(make_area_dir(tmp_path, travel=travel)).area
    got = {(t.child_id, t.setting_id): t.minutes for t in area.travel}
    assert got == {("C1", "S1"): 13, ("C1", "S2"): 1440, ("C2", "S2"): 1440, ("C2", "S1"): 30}


def test_line_numbers_count_blank_lines_and_multiline_values(tmp_path: Path) -> None:
    settings = (
        "setting_id,name,kind,easting,northing,low_age,high_age,capacity\n"
        '"S1","Oak\nPrimary",mainstream,615000,157000,4,11,30\n'  # lines 2-3
        "\n"  # line 4
        "S2,Elm,special_la_maintaned,616000,158000,4,19,50\n"  # line 5
    )
    e = load_error(make_area_dir(tmp_path, settings=settings))
    assert str(e) == (
        "settings.csv:5: column kind: 'special_la_maintaned' is not a setting kind "
        "(did you mean 'special_la_maintained'?)"
    )


# --------------------------------------------------------------------------------------------
# Reading: every kind of error names file, line and column
# --------------------------------------------------------------------------------------------


def test_unknown_need_with_did_you_mean_and_line(tmp_path: Path) -> None:
    children = CHILDREN_CSV + "C3,4,615000,157000,ASDD,2,M,\n"  # line 4
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.file, e.line, e.column) == ("children.csv", 4, "primary_need")
    assert str(e) == (
        "children.csv:4: column primary_need: 'ASDD' is not a SEN2 need code (did you mean 'ASD'?)"
    )


@pytest.mark.parametrize(
    ("column", "bad", "fragment"),
    [
        # a setting kind one letter off
        ("kind", "mainstreem", "(did you mean 'mainstream'?)"),
        # an entry value one letter off
        ("entry", "girl", "(did you mean 'girls'?)"),
        # a feature in the semicolon list
        ("features", "sensory_room;wheelchair_acess", "(did you mean 'wheelchair_access'?)"),
        # a need inside the designations list
        ("designations", "ASD:4;SMEH:3", "(did you mean 'SEMH'?)"),
        # a designation without its band
        ("designations", "ASD", "write need:band"),
        # a pool without a number of places
        ("pools", "ASD:many", "write need:places"),
        # a bad boolean
        ("in_area", "maybe", "is not true/false"),
        # a bad whole number
        ("capacity", "thirty", "'thirty' is not a whole number"),
        # a number of places beyond any setting (it overflowed the solver's int64 arrays)
        ("capacity", "99999999999999999999999", "must be 0 to 1,000,000"),
        ("roll", "99999999999999999999999", "must be 0 to 1,000,000"),
    ],
)
def test_setting_cell_errors(tmp_path: Path, column: str, bad: str, fragment: str) -> None:
    vals = {
        "setting_id": "S1",
        "name": "Oak",
        "kind": "special_la_maintained",
        "easting": "615000",
        "northing": "157000",
        "low_age": "4",
        "high_age": "11",
        "capacity": "30",
    }
    vals[column] = bad
    settings = ",".join(vals) + "\n" + ",".join(f'"{v}"' for v in vals.values()) + "\n"
    children = "child_id,nc_year,easting,northing,primary_need,need_band,sex\n"
    e = load_error(make_area_dir(tmp_path, settings=settings, children=children))
    assert (e.file, e.line, e.column) == ("settings.csv", 2, column)
    assert fragment in e.message


@pytest.mark.parametrize(
    ("column", "bad", "fragment"),
    [
        # a word where a whole number belongs
        ("need_band", "two", "'two' is not a whole number"),
        # the domain's own range check, wrapped with the row's line
        ("need_band", "7", "must be 1 to 5"),
        # an unrecognised boolean
        ("transport_eligible", "perhaps", "'perhaps' is not true/false"),
        # a UK-style date
        ("date_of_birth", "31/03/2015", "write YYYY-MM-DD"),
        # an unknown sex code
        ("sex", "X", "'X' is not F or M"),
        # the secondary need repeats the primary
        ("secondary_needs", "ASD", "repeats the primary need"),
        # a required feature misspelt
        ("required_features", "therapy", "(did you mean 'therapy_onsite'?)"),
        # a journey limit outside 1-240
        ("max_journey_min", "300", "must be 1 to 240"),
        # the same setting preferred twice
        ("preferences", "S1;S1", "a setting appears twice"),
    ],
)
def test_child_cell_errors(tmp_path: Path, column: str, bad: str, fragment: str) -> None:
    cols = ["child_id", "nc_year", "easting", "northing", "primary_need", "need_band", "sex"]
    vals = dict(zip(cols, ["C1", "3", "615000", "157000", "ASD", "2", "M"], strict=True))
    if column not in vals:
        cols.append(column)
    vals[column] = bad
    children = ",".join(cols) + "\n" + ",".join(vals[c] for c in cols) + "\n"
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.file, e.line, e.column) == ("children.csv", 2, column)
    assert fragment in e.message


def test_pool_for_an_undesignated_need_points_at_pools(tmp_path: Path) -> None:
    settings = (
        "setting_id,name,kind,easting,northing,low_age,high_age,capacity,designations,pools\n"
        "S1,Oak,special_la_maintained,615000,157000,4,19,30,ASD:5,SEMH:10/2\n"
    )
    e = load_error(make_area_dir(tmp_path, settings=settings))
    assert (e.line, e.column) == (2, "pools")
    assert "not designated" in e.message


def test_age_range_error_points_at_low_age(tmp_path: Path) -> None:
    settings = SETTINGS_CSV.replace("4,11,30", "11,4,30")
    e = load_error(make_area_dir(tmp_path, settings=settings))
    assert (e.file, e.line, e.column) == ("settings.csv", 2, "low_age")


def test_unknown_column_with_did_you_mean(tmp_path: Path) -> None:
    children = CHILDREN_CSV.replace("primary_need", "primry_need")
    e = load_error(make_area_dir(tmp_path, children=children))
    assert str(e) == (
        "children.csv:1: column primry_need: unknown column (did you mean 'primary_need'?)"
    )


def test_missing_required_column(tmp_path: Path) -> None:
    children = "child_id,nc_year,easting,northing,primary_need,sex\nC1,3,615000,157000,ASD,M\n"
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.file, e.line, e.column) == ("children.csv", 1, "need_band")
    assert "required column is missing" in e.message


def test_missing_location_columns(tmp_path: Path) -> None:
    children = "child_id,nc_year,easting,primary_need,need_band,sex\nC1,3,615000,ASD,2,M\n"
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.line, e.column) == (1, "northing")


def test_missing_year_and_birth_columns(tmp_path: Path) -> None:
    children = "child_id,easting,northing,primary_need,need_band,sex\nC1,615000,157000,ASD,2,M\n"
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.line, e.column) == (1, "nc_year")


def test_empty_year_and_birth_cells(tmp_path: Path) -> None:
    children = CHILDREN_CSV.replace("C2,5,", "C2,,")
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.line, e.column) == (3, "nc_year")


def test_header_that_is_data(tmp_path: Path) -> None:
    children = "C1,3,615000,157000,ASD,2,M\n"
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.line, e.column) == (1, None)
    assert "not a header" in e.message


def test_duplicate_header_column(tmp_path: Path) -> None:
    children = CHILDREN_CSV.replace("preferences", "sex")
    e = load_error(make_area_dir(tmp_path, children=children))
    assert (e.line, e.column) == (1, "sex")
    assert "twice" in e.message


@pytest.mark.parametrize(
    ("file", "text", "line", "column"),
    [
        # the second S1 is on line 3; the message names line 2
        ("settings.csv", SETTINGS_CSV.replace("S2,", "S1,"), 3, "setting_id"),
        # the second C1 is on line 3
        ("children.csv", CHILDREN_CSV.replace("C2,", "C1,"), 3, "child_id"),
    ],
)
def test_duplicate_ids(tmp_path: Path, file: str, text: str, line: int, column: str) -> None:
    kw = {"settings": text} if file == "settings.csv" else {"children": text}
    e = load_error(make_area_dir(tmp_path, **kw))
    assert (e.file, e.line, e.column) == (file, line, column)
    assert "appears twice (first on line 2)" in e.message


@pytest.mark.parametrize(
    "column", ["preferences", "current_setting_id", "excluded_setting_ids", "sibling_setting_ids"]
)
def test_reference_to_unknown_setting(tmp_path: Path, column: str) -> None:
    children = (
        f"child_id,nc_year,easting,northing,primary_need,need_band,sex,{column}\n"
        "C1,3,615000,157000,ASD,2,M,S1\n"
        "C2,3,615000,157000,ASD,2,M,S3\n"
    )
    settings = SETTINGS_CSV.replace("S2,", "S3x,")
    e = load_error(make_area_dir(tmp_path, children=children, settings=settings))
    assert (e.file, e.line, e.column) == ("children.csv", 3, column)
    assert "unknown setting 'S3'" in e.message
    assert "did you mean 'S3x'?" in e.message


def test_row_with_too_many_values(tmp_path: Path) -> None:
    children = CHILDREN_CSV + "C3,4,615000,157000,ASD,2,M,S1,Canterbury, Kent\n"
    e = load_error(make_area_dir(tmp_path, children=children))
    assert e.line == 4
    assert "row has 10 values but the header has 8 columns" in e.message


def test_non_utf8_bytes(tmp_path: Path) -> None:
    settings = SETTINGS_CSV.replace("Elm Special", "Elm Caf\u00e9").encode("cp1252")
    e = load_error(make_area_dir(tmp_path, settings=settings))
    assert (e.file, e.line, e.column) == ("settings.csv", 3, "name")
    assert "not UTF-8" in e.message


@pytest.mark.parametrize("missing", ["children.csv", "settings.csv"])
def test_missing_required_file(tmp_path: Path, missing: str) -> None:
    d = make_area_dir(tmp_path)
    (d / missing).unlink()
    e = load_error(d)
    assert (e.file, e.line, e.column) == (missing, None, None)
    assert "not found" in e.message


def test_missing_directory(tmp_path: Path) -> None:
    e = load_error(tmp_path / "nowhere")
    assert (e.file, e.line) == ("nowhere", None)


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    e = load_error(make_area_dir(tmp_path, children=text))
    assert (e.file, e.line) == ("children.csv", None)
    assert "file is empty" in e.message


def test_header_only_gives_no_children(tmp_path: Path) -> None:
    children = CHILDREN_CSV.splitlines()[0] + "\n"
    assert load_area(make_area_dir(tmp_path, children=children)).area.children == ()


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        # a child that is not in children.csv
        ("C9,S1,10", "child_id", "unknown child 'C9'"),
        # a setting that is not in settings.csv
        ("C1,S7,10", "setting_id", "unknown setting 'S7'"),
        # a negative journey
        ("C2,S1,-5", "minutes", "must be 0 to 1440"),
        # the same pair twice (the first is on line 2)
        ("C1,S1,11", "setting_id", "appears twice (first on line 2)"),
    ],
)
def test_travel_errors(tmp_path: Path, row: str, column: str, fragment: str) -> None:
    travel = f"child_id,setting_id,minutes\nC1,S1,10\n{row}\n"
    e = load_error(make_area_dir(tmp_path, travel=travel))
    assert (e.file, e.line, e.column) == ("travel_minutes.csv", 3, column)
    assert fragment in e.message


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    policy = "academic_year_start = 2026\n\n[travel.max_journey_min]\nprimary 40\n"
    e = load_error(make_area_dir(tmp_path, policy=policy))
    assert (e.file, e.line) == ("policy.toml", 4)
    assert e.message.startswith("not valid TOML")
    assert "line 4" not in e.message  # the location is in .line, not repeated


def test_unknown_policy_section_with_did_you_mean(tmp_path: Path) -> None:
    policy = "academic_year_start = 2026\n\n[travle.max_journey_min]\nprimary = 40\n"
    e = load_error(make_area_dir(tmp_path, policy=policy))
    assert (e.file, e.line) == ("policy.toml", 3)
    assert "(did you mean 'travel'?)" in e.message


def test_input_error_text_without_line_or_column() -> None:
    assert str(InputError("settings.csv", None, None, "file not found")) == (
        "settings.csv: file not found"
    )
    assert str(InputError("a.csv", 3, None, "bad")) == "a.csv:3: bad"


# --------------------------------------------------------------------------------------------
# Scale
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_thousand_children_round_trip(tmp_path: Path) -> None:
    """A Kent-sized caseload loads back intact (its speed is measured in benchmarks/)."""
    rng = random.Random(7)
    settings = tuple(
        Setting(
            f"S{j:03d}",
            f"School {j}",
            SettingKind.SPECIAL_LA,
            Location(rng.uniform(550_000, 650_000), rng.uniform(120_000, 180_000)),
            4,
            19,
            100,
            designations={Need.ASD: 5, Need.SEMH: 4},
        )
        for j in range(300)
    )
    ids = [s.setting_id for s in settings]
    children = tuple(
        Child(
            f"C{i:05d}",
            Location(rng.uniform(550_000, 650_000), rng.uniform(120_000, 180_000)),
            rng.choice(list(Need)),
            rng.randint(1, 5),
            nc_year=rng.randint(0, 13),
            transport_eligible=bool(i % 2),
            sex=Sex.FEMALE if i % 3 == 0 else Sex.MALE,
            preferences=tuple(Preference(s, r + 1) for r, s in enumerate(rng.sample(ids, 3))),
        )
        for i in range(20_000)
    )
    write_area(Area("big", children, settings), tmp_path / "big")
    loaded = load_area(tmp_path / "big").area
    assert sorted(loaded.children, key=lambda c: c.child_id) == list(children)


def test_examples_in_the_data_format_document_load(tmp_path: Path) -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "data-format.md"
    blocks = re.findall(r"`(\w+\.csv)`:\n\n```csv\n(.*?)```", doc.read_text(), flags=re.DOTALL)
    files = dict(blocks)
    assert sorted(files) == ["children.csv", "settings.csv"]
    area = load_area(
        make_area_dir(tmp_path, children=files["children.csv"], settings=files["settings.csv"])
    ).area
    assert [c.child_id for c in area.children] == ["C001", "C002", "C003"]
    assert len(area.settings) == 3
    assert area.la_code == "886"


def test_policy_example_in_the_data_format_document_is_a_valid_override(tmp_path: Path) -> None:
    from placement.files.policy_files import load_policy

    doc = Path(__file__).resolve().parents[1] / "docs" / "data-format.md"
    (toml,) = re.findall(r"```toml\n(.*?)```", doc.read_text(), flags=re.DOTALL)
    overrides = load_area(make_area_dir(tmp_path, policy=toml)).policy_overrides
    policy = load_policy(overrides)
    assert policy.academic_year_start == 2026
    assert policy.funding.top_up_gbp[SettingKind.MAINSTREAM] == (1045, 2090, 3135, 4180, 5225)
