"""``placement import sen2``: a synthetic area written as a SEN2 return (Blade CSV folder and
Excel workbook) and read back to children.csv; pseudonyms, the mapping only where asked, every
unusable record reported, and every malformed return refused with exit 2 naming the file or
sheet, row and column, with nothing written."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from placement.area import Area
from placement.cli import main
from placement.domain import Child
from placement.files.area_reader import load_area
from placement.files.area_writer import write_area
from placement.files.sen2_synth import (
    SyntheticReturn,
    synthetic_return,
    write_blade_csv,
    write_postcodes,
    write_workbook,
)
from placement.generate import generate_area

FORMATS = ("blade", "xlsx")


@pytest.fixture(scope="module")
def area() -> Area:
    return generate_area("Rutland", seed=3)


@pytest.fixture(scope="module")
def ret(area: Area) -> SyntheticReturn:
    return synthetic_return(area, seed=5)


def write(ret: SyntheticReturn, tmp: Path, fmt: str, **kw: object) -> Path:
    if fmt == "blade":
        folder = tmp / "blade"
        write_blade_csv(ret, folder, **kw)  # type: ignore[arg-type]
        return folder
    return write_workbook(ret, tmp / "return.xlsx", **kw)  # type: ignore[arg-type]


def area_folder(area: Area, tmp: Path) -> Path:
    """An area folder holding the area's settings.csv only (as `import gias` leaves it)."""
    d = tmp / "area"
    write_area(area, d)
    (d / "children.csv").unlink()
    return d


def run(src: Path, out: Path, postcodes: Path, *extra: str) -> int:
    return main(
        ["import", "sen2", str(src), "--out", str(out), "--postcodes", str(postcodes), *extra]
    )


def read_back(
    out: Path, mapping: Path, area: Area, ret: SyntheticReturn
) -> dict[str, tuple[Child, Child]]:
    """Each original child paired with the child imported for its person."""
    imported = {c.child_id: c for c in load_area(out).area.children}
    lines = mapping.read_text().splitlines()
    assert lines[0] == "child_id,persontableid,upn,uln"
    child_of_person = {pid: cid for cid, pid in ret.person_of.items()}
    original = {c.child_id: c for c in area.children}
    pairs = {}
    for line in lines[1:]:
        cid, pid, _upn, _uln = line.split(",")
        pairs[cid] = (original[child_of_person[pid]], imported[cid])
    return pairs


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(
    area: Area, ret: SyntheticReturn, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(ret, tmp_path, fmt)
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    out = area_folder(area, tmp_path)
    mapping = tmp_path / "private" / "mapping.csv"
    assert run(src, out, pcs, "--mapping", str(mapping)) == 0
    assert f"wrote {len(area.children)} children" in capsys.readouterr().out
    pairs = read_back(out, mapping, area, ret)
    assert len(pairs) == len(area.children)
    with_setting = 0
    for a, b in pairs.values():
        assert b.primary_need is a.primary_need
        assert b.secondary_needs == a.secondary_needs
        assert b.nc_year == a.nc_year
        assert b.sex is a.sex
        assert b.current_setting_id == a.current_setting_id
        assert abs(b.location.easting - a.location.easting) <= 0.5
        assert abs(b.location.northing - a.location.northing) <= 0.5
        with_setting += a.current_setting_id is not None
    assert with_setting > len(pairs) // 2  # the test is not vacuous
    report = (out / "sen2-report.txt").read_text()
    # persons with a request and no plan are reported by module and row, not placed
    no_plan = [
        x for x in report.splitlines() if x.startswith("- Person:") and "no active plan" in x
    ]
    assert len(no_plan) == len(ret.modules["person"]) - len(area.children) > 0
    where = "Blade-Export_16-01-2026_person.csv row " if fmt == "blade" else "sheet 'Person' row "
    assert all(where in line for line in no_plan)


def test_both_formats_give_the_same_children(
    area: Area, ret: SyntheticReturn, tmp_path: Path
) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    texts = []
    for fmt in FORMATS:
        out = tmp_path / f"out-{fmt}"
        assert (
            run(
                write(ret, tmp_path, fmt),
                out,
                pcs,
                "--settings",
                str(area_folder(area, tmp_path / fmt) / "settings.csv"),
            )
            == 0
        )
        rows = (out / "children.csv").read_text().splitlines()
        texts.append(sorted(r.split(",", 1)[1] for r in rows[1:]))  # all but the pseudonym
    assert texts[0] == texts[1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_identifier_enters_the_area(
    area: Area, ret: SyntheticReturn, tmp_path: Path, fmt: str
) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    out = area_folder(area, tmp_path)
    assert run(write(ret, tmp_path, fmt), out, pcs) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "children.csv",
        "sen2-report.txt",
        "settings.csv",
    ]
    text = "\n".join(p.read_text() for p in out.iterdir()).lower()
    persons = ret.modules["person"]
    secrets = [
        *ret.names,
        *ret.upns,
        *ret.ulns,
        *(p["postcode"] for p in persons),
        *(p["postcode"].replace(" ", "") for p in persons),
        *(p["personbirthdate"].isoformat() for p in persons),
    ]
    assert len(ret.ulns) > 10
    leaked = [s for s in secrets if s.lower() in text]
    assert leaked == []
    ids = [line.split(",")[0] for line in (out / "children.csv").read_text().splitlines()[1:]]
    assert all(i.startswith("P") and len(i) == 13 for i in ids)
    assert not any(i[1:] in {p["persontableid"] for p in persons} for i in ids)
    # no mapping anywhere unless asked for
    assert not list(tmp_path.rglob("*mapping*"))


def test_pseudonyms_differ_between_imports(
    area: Area, ret: SyntheticReturn, tmp_path: Path
) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    src = write(ret, tmp_path, "blade")
    ids = []
    for k in (1, 2):
        assert run(src, tmp_path / f"o{k}", pcs) == 0
        rows = (tmp_path / f"o{k}" / "children.csv").read_text().splitlines()[1:]
        ids.append({r.split(",")[0] for r in rows})
    assert len(ids[0]) == len(ids[1]) == len(area.children)
    assert not ids[0] & ids[1]


def test_mapping_inside_the_area_is_refused(
    ret: SyntheticReturn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    out = tmp_path / "area"
    code = run(write(ret, tmp_path, "blade"), out, pcs, "--mapping", str(out / "ids.csv"))
    assert code == 2
    assert "write it outside the area folder" in capsys.readouterr().err
    assert not out.exists()


def test_mapping_holds_the_identifiers(area: Area, ret: SyntheticReturn, tmp_path: Path) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    mapping = tmp_path / "ids.csv"
    assert run(write(ret, tmp_path, "blade"), tmp_path / "out", pcs, "--mapping", str(mapping)) == 0
    text = mapping.read_text()
    upn_of = {p["persontableid"]: p["upn"] for p in ret.modules["person"]}
    for pid in ret.person_of.values():
        assert f",{pid},{upn_of[pid]}," in text


def test_unusable_records_are_reported_and_lsoa_centroid_used(
    area: Area, ret: SyntheticReturn, tmp_path: Path
) -> None:
    r = copy.deepcopy(ret)
    persons = [p for p in r.modules["person"] if p["persontableid"] in set(r.person_of.values())]
    lost, lsoa_only = persons[0], persons[1]
    r.postcodes = [p for p in r.postcodes if p["pcds"] != lost["postcode"]]
    for p in r.postcodes:
        if p["pcds"] == lsoa_only["postcode"]:
            p["oseast1m"] = p["osnrth1m"] = ""
            code = p["lsoa11"]
    pcs = write_postcodes(r, tmp_path / "postcodes.csv")
    cents = tmp_path / "lsoa.csv"
    cents.write_text(f"name,code,x,y\nSomewhere 001A,{code},450001.5,300002.5\n")
    src = write(r, tmp_path, "blade")
    out = area_folder(area, tmp_path)
    mapping = tmp_path / "ids.csv"
    assert run(src, out, pcs, "--lsoa-centroids", str(cents), "--mapping", str(mapping)) == 0
    report = (out / "sen2-report.txt").read_text()
    row = r.modules["person"].index(lost) + 2
    assert (
        f"Person: Blade-Export_16-01-2026_person.csv row {row}: postcode not in postcodes.csv"
        in report
    )
    cid = next(
        line.split(",")[0]
        for line in mapping.read_text().splitlines()
        if f",{lsoa_only['persontableid']}," in line
    )
    child = next(c for c in load_area(out).area.children if c.child_id == cid)
    assert (child.location.easting, child.location.northing) == (450001.5, 300002.5)
    assert "home at the LSOA centroid 1" in report


def test_phase_transfer_due_sets_move_requested(ret: SyntheticReturn, tmp_path: Path) -> None:
    r = copy.deepcopy(ret)
    plan = r.modules["active_plans"][0]
    plan["phasetransferduedate"] = dt.date(2026, 9, 1)
    mapping = tmp_path / "ids.csv"
    pcs = write_postcodes(r, tmp_path / "postcodes.csv")
    assert run(write(r, tmp_path, "xlsx"), tmp_path / "out", pcs, "--mapping", str(mapping)) == 0
    pid = next(
        p["persontableid"]
        for p in r.modules["requests"]
        if p["requeststableid"] == plan["requeststableid"]
    )
    cid = next(
        line.split(",")[0] for line in mapping.read_text().splitlines() if f",{pid}," in line
    )
    row = next(
        line
        for line in (tmp_path / "out" / "children.csv").read_text().splitlines()
        if line.startswith(cid)
    )
    assert row.endswith(",false,true")  # new_plan false, move_requested true
    assert (
        sum(
            x.endswith(",true")
            for x in (tmp_path / "out" / "children.csv").read_text().splitlines()
        )
        == 1
    )


# -- malformed returns ------------------------------------------------------------------------

Breaker = Callable[[SyntheticReturn], tuple[dict[str, object], str, int | None, str | None, str]]


def _set(
    module: str, index: int, column: str, value: object
) -> Callable[[SyntheticReturn], tuple[dict[str, object], str, int | None, str | None, str]]:
    def breaker(r: SyntheticReturn) -> tuple[dict[str, object], str, int | None, str | None, str]:
        r.modules[module][index][column] = value
        return {}, module, index + 2, column, ""

    return breaker


def _drop_column(module: str, column: str) -> Breaker:
    from placement.files.sen2_synth import COLUMNS

    def breaker(r: SyntheticReturn) -> tuple[dict[str, object], str, int | None, str | None, str]:
        cols = tuple(c for c in COLUMNS[module] if c != column)
        return {"columns": {module: cols}}, module, 1, column, f"missing column {column!r}"

    return breaker


def _skip(module: str) -> Breaker:
    def breaker(r: SyntheticReturn) -> tuple[dict[str, object], str, int | None, str | None, str]:
        return {"skip": (module,)}, module, None, None, "is missing"

    return breaker


def _duplicate(r: SyntheticReturn) -> tuple[dict[str, object], str, int | None, str | None, str]:
    r.modules["person"][3]["persontableid"] = r.modules["person"][1]["persontableid"]
    return {}, "person", 5, "persontableid", "appears twice (first on row 3)"


CASES: dict[str, tuple[Breaker, str]] = {
    "bad date": (_set("person", 2, "personbirthdate", "2015-02-30"), "is not a date"),
    "bad date text": (_set("placement_detail", 4, "entrydate", "last spring"), "is not a date"),
    "unknown need": (
        _set("sen_need", 5, "sentype", "ASDD"),
        "is not a SEN2 need code (did you mean 'ASD'?)",
    ),
    "unknown sex": (_set("person", 6, "sex", "X"), "is not a sex code: write M or F"),
    "bad urn": (_set("placement_detail", 1, "urn", "12AB"), "is not a URN or UKPRN"),
    "bad rank": (_set("sen_need", 2, "sentyperank", "first"), "is not a whole number"),
    "bad indicator": (
        _set("placement_detail", 3, "senunitindicator", "maybe"),
        "is not true/false",
    ),
    "duplicate id": (_duplicate, ""),
    "missing column": (_drop_column("sen_need", "sentype"), ""),
    "missing birth date column": (_drop_column("person", "personbirthdate"), ""),
    "missing module": (_skip("active_plans"), ""),
}
_SHEET = {
    "person": "Person",
    "sen_need": "SEN need",
    "placement_detail": "Placement detail",
    "active_plans": "Active plans",
}
_FILE = {
    "person": "person",
    "sen_need": "senneed",
    "placement_detail": "placementdetail",
    "active_plans": "activeplans",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_return_is_exit_2_naming_where_and_nothing_written(
    ret: SyntheticReturn, tmp_path: Path, fmt: str, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    r = copy.deepcopy(ret)
    breaker, says = CASES[case]
    kw, module, row, column, says2 = breaker(r)
    src = write(r, tmp_path, fmt, **kw)
    pcs = write_postcodes(r, tmp_path / "postcodes.csv")
    out = tmp_path / "out"
    mapping = tmp_path / "ids.csv"
    assert run(src, out, pcs, "--mapping", str(mapping)) == 2
    msg = " ".join(capsys.readouterr().err.split())
    if row is None:  # a missing module names the folder or workbook and the module
        where = "blade" if fmt == "blade" else "return.xlsx"
        assert f"error: {where}: SEN2 module {_SHEET[module]} is missing" in msg, msg
    else:
        where = (
            f"Blade-Export_16-01-2026_{_FILE[module]}.csv"
            if fmt == "blade"
            else f"return.xlsx sheet '{_SHEET[module]}'"
        )
        assert f"error: {where}:{row}: column {column}: " in msg, msg
    assert says in msg
    assert says2 in msg
    assert not out.exists()
    assert not mapping.exists()


def test_missing_path_and_not_a_workbook(
    ret: SyntheticReturn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    out = tmp_path / "out"
    assert run(tmp_path / "nowhere.xlsx", out, pcs) == 2
    assert "nowhere.xlsx: not found" in capsys.readouterr().err
    fake = tmp_path / "return.xlsx"
    fake.write_text("persontableid,sex\n1,F\n")
    assert run(fake, out, pcs) == 2
    assert "return.xlsx: not an Excel workbook (.xlsx) that can be read" in capsys.readouterr().err
    other = tmp_path / "return.txt"
    other.write_text("x")
    assert run(other, out, pcs) == 2
    assert "expected a folder of COLLECT Blade CSV files" in capsys.readouterr().err
    assert not out.exists()


def test_bad_postcode_file(
    ret: SyntheticReturn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(ret, tmp_path, "blade")
    out = tmp_path / "out"
    assert run(src, out, tmp_path / "none.csv") == 2
    assert "none.csv: file not found" in capsys.readouterr().err
    bad = tmp_path / "pc.csv"
    bad.write_text("pcds,oseast,osnrth1m\nZZ00 0AA,1,2\n")
    assert run(src, out, bad) == 2
    assert (
        "pc.csv:1: column oseast1m: missing column 'oseast1m' (did you mean 'oseast'?)"
        in " ".join(capsys.readouterr().err.split())
    )
    pc = ret.postcodes[0]["pcds"]
    bad.write_text(f"pcds,oseast1m,osnrth1m\nZZ99 9ZZ,1,2\n{pc},east,2\n")
    assert run(src, out, bad) == 2
    assert "pc.csv:3: column oseast1m: 'east' is not a number" in capsys.readouterr().err
    assert not out.exists()


def test_refuses_to_replace_children_without_force(
    ret: SyntheticReturn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    out = tmp_path / "out"
    out.mkdir()
    (out / "children.csv").write_text("mine\n")
    assert run(write(ret, tmp_path, "blade"), out, pcs) == 2
    assert "already has children.csv; pass --force" in capsys.readouterr().err
    assert (out / "children.csv").read_text() == "mine\n"


def test_blade_file_names_in_other_spellings(
    area: Area, ret: SyntheticReturn, tmp_path: Path
) -> None:
    src = write(ret, tmp_path, "blade")
    for p in src.iterdir():  # Blade-Export_16-01-2026_namedplan.csv -> SEN2 Named Plan.csv ...
        words = {"namedplan": "Named Plan", "plandetail": "plan_detail"}
        tail = p.stem.rsplit("_", 1)[1]
        p.rename(src / f"SEN2 {words.get(tail, tail.upper())}.csv")
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    out = area_folder(area, tmp_path)
    assert run(src, out, pcs) == 0
    assert len(load_area(out).area.children) == len(area.children)


def test_setting_not_in_settings_csv_is_dropped_and_reported(
    area: Area, ret: SyntheticReturn, tmp_path: Path
) -> None:
    out = area_folder(area, tmp_path)
    gone = next(c.current_setting_id for c in area.children if c.current_setting_id)
    lines = (out / "settings.csv").read_text().splitlines()
    kept = [x for x in lines if not x.startswith(f"{gone},")]
    assert len(kept) == len(lines) - 1
    (out / "settings.csv").write_text("\n".join(kept) + "\n")
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    assert run(write(ret, tmp_path, "blade"), out, pcs, "--need-band", "5") == 0
    children = load_area(out).area.children
    n_gone = sum(c.current_setting_id == gone for c in area.children)
    assert (
        sum(c.current_setting_id is None for c in children)
        == sum(c.current_setting_id is None for c in area.children) + n_gone
    )
    assert {c.need_band for c in children} == {5}
    report = (out / "sen2-report.txt").read_text()
    assert report.count(f"setting {gone} is not in settings.csv: no current setting") == n_gone
    assert f"{len(children)} children: band 5 (--need-band)" in report


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--academic-year", "1900", "1900 must be 2000 to 2100"),
        ("--academic-year", "next", "'next' is not a year"),
        ("--census-date", "16/01/2026", "write YYYY-MM-DD"),
    ],
)
def test_bad_flags_are_exit_2(
    ret: SyntheticReturn,
    tmp_path: Path,
    flag: str,
    value: str,
    says: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    out = tmp_path / "out"
    try:
        code = run(write(ret, tmp_path, "blade"), out, pcs, flag, value)
    except SystemExit as e:  # argparse refuses a bad value itself
        code = int(str(e.code))
    assert code == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_academic_year_moves_every_year(area: Area, ret: SyntheticReturn, tmp_path: Path) -> None:
    pcs = write_postcodes(ret, tmp_path / "postcodes.csv")
    src = write(ret, tmp_path, "blade")
    years = []
    for y in (2026, 2027):
        out = tmp_path / f"o{y}"
        assert (
            run(src, out, pcs, "--academic-year", str(y), "--mapping", str(tmp_path / f"m{y}")) == 0
        )
        pid_of = {
            line.split(",")[0]: line.split(",")[1]
            for line in (tmp_path / f"m{y}").read_text().splitlines()[1:]
        }
        rows = (out / "children.csv").read_text().splitlines()[1:]
        years.append({pid_of[r.split(",")[0]]: int(r.split(",")[1]) for r in rows})
    assert years[0].keys() == years[1].keys()
    assert all(years[1][p] == years[0][p] + 1 for p in years[0])
