"""The command line: bad input gives one clear message and exit code 2, nothing half-written;
a good area allocates, writes its results and validates."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from placement.area import Area
from placement.cli import main
from placement.domain import Need
from placement.files.area_writer import write_area

from .factories import at, child, setting, special


def small_area(tmp_path: Path) -> Path:
    kids = (
        child("C1", Need.ASD, 4, prefs=("S1",)),
        child("C2", Need.SLCN, 1, location=at(1)),
        child("C3", Need.ASD, 5, prefs=("S1", "S2")),
    )
    sets = (special("S1", places=1, capacity=3), special("S2", location=at(4)), setting("M1"))
    d = tmp_path / "area"
    write_area(Area("small", kids, sets), d)
    return d


@pytest.mark.parametrize("mechanism", ["optimised", "preference-first"])
def test_allocate_writes_results_that_validate(
    tmp_path: Path, mechanism: str, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    out = tmp_path / "out"
    assert main(["allocate", str(area), "--mechanism", mechanism, "--out", str(out)]) == 0
    data = json.loads((out / f"{mechanism}.json").read_text())
    assert data["metrics"]["placed"] == 3
    assert {p["child_id"] for p in data["placements"]} == {"C1", "C2", "C3"}
    assert (out / f"{mechanism}.csv").read_text().startswith("child_id,scope,status,setting_id")
    code = main(["validate", str(area), "--allocation", str(out / f"{mechanism}.json")])
    assert code == 0
    assert "valid" in capsys.readouterr().out


def settled_area(tmp_path: Path) -> Path:
    # S1 (2 places) holds C1, who stays (Year 3, no review); C2 (Year 7) moves
    kids = (
        child("C1", Need.ASD, 4, current_setting_id="S1"),
        child("C2", Need.ASD, 4, nc_year=7, prefs=("S1",), current_setting_id="S2"),
    )
    sets = (special("S1", capacity=1), special("S2", location=at(3)))
    d = tmp_path / "settled"
    write_area(Area("settled", kids, sets), d)
    return d


def test_only_moving_children_are_placed_unless_asked_for_a_study_from_scratch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = settled_area(tmp_path)
    out = tmp_path / "out"
    assert main(["allocate", str(area), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "1 children moving this round are placed; 1 stay" in said
    assert "mean journey (estimate)" in said  # no router matrix: the road estimate
    data = json.loads((out / "optimised.json").read_text())
    assert data["scope"] == "moving"
    assert data["staying"] == [{"child_id": "C1", "setting_id": "S1"}]
    assert [p["setting_id"] for p in data["placements"]] == ["S2"]  # S1's place is C1's
    rows = (out / "optimised.csv").read_text().splitlines()
    assert rows[1].startswith("C1,moving,staying,S1")
    assert main(["validate", str(area), "--allocation", str(out / "optimised.json")]) == 0
    # the planner's study: every child placed afresh, labelled in every output
    study = tmp_path / "study"
    assert main(["allocate", str(area), "--from-scratch", "--out", str(study)]) == 0
    assert "as if from scratch" in capsys.readouterr().out
    data = json.loads((study / "optimised.json").read_text())
    assert data["scope"] == "from_scratch" and data["staying"] == []
    assert data["manifest"]["parameters"]["scope"] == "from_scratch"
    assert all(
        r.split(",")[1] == "from_scratch"
        for r in (study / "optimised.csv").read_text().splitlines()[1:]
    )
    # read back, the scope in the file is what the validator applies
    assert main(["validate", str(area), "--allocation", str(study / "optimised.json")]) == 0


def test_validate_rejects_a_tampered_allocation(tmp_path: Path) -> None:
    area = small_area(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("child_id,setting_id\nC1,S1\nC2,S1\nC3,S1\n")  # one ASD place at S1
    assert main(["validate", str(area), "--allocation", str(bad)]) == 1


def test_bad_child_file_names_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    path = area / "children.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("SLCN", "SLNC")
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["allocate", str(area), "--out", str(out)]) == 2
    msg = capsys.readouterr().err
    assert "children.csv:3" in msg
    assert "primary_need" in msg
    assert "did you mean 'SLCN'" in msg
    assert "Traceback" not in msg
    assert not out.exists()  # nothing written


def test_missing_area_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["allocate", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_bad_policy_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    area = small_area(tmp_path)
    (area / "policy.toml").write_text("[travel.max_journey_min]\nprimari = 30\n")
    assert main(["allocate", str(area), "--out", str(tmp_path / "o")]) == 2
    assert "did you mean 'primary'" in capsys.readouterr().err


def test_unknown_mechanism_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["allocate", str(small_area(tmp_path)), "--mechanism", "magic", "--out", "x"])
    assert e.value.code == 2


def test_validate_without_allocation_reports_the_area(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(small_area(tmp_path))]) == 0
    assert "3 children, 3 settings" in capsys.readouterr().out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for cmd in ("demo", "generate", "allocate", "validate"):
        assert cmd in text


@pytest.mark.parametrize("audience", ["family", "officer"])
def test_list_text_and_json(
    tmp_path: Path, audience: str, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    assert main(["list", str(area), "--child", "C3", "--audience", audience]) == 0
    text = capsys.readouterr().out
    assert "ask for any school" in text
    assert (
        main(["list", str(area), "--child", "C3", "--format", "json", "--audience", audience]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["allocated_setting_id"] in {o["setting_id"] for o in data["options"]}
    assert ("components" in data["options"][0]) is (audience == "officer")


def test_list_unknown_child_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(small_area(tmp_path)), "--child", "C33"]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_explain_why_why_not_and_what_if(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    assert main(["explain", str(area), "--child", "C3", "--setting", "S1"]) == 0
    out = capsys.readouterr().out
    assert "What if the child were placed here" in out
    assert main(["explain", str(area), "--child", "C3", "--setting", "M1"]) == 0
    out = capsys.readouterr().out
    assert "Not on the list" in out
    assert "need_level_above_designation" in out
    assert main(["explain", str(area), "--child", "C3", "--setting", "NOPE"]) == 2


@pytest.mark.parametrize("command", ["generate", "demo"])
def test_unknown_la_is_a_clear_input_error(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--like", "Kentt", "--out", str(tmp_path / "x")]) == 2
    msg = capsys.readouterr().err
    assert "did you mean 'Kent'" in msg
    assert "Traceback" not in msg
    assert not (tmp_path / "x").exists()


def test_generate_writes_an_area_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "rut"
    assert main(["generate", "--like", "Rutland", "--scale", "0.3", "--out", str(out)]) == 0
    assert main(["validate", str(out)]) == 0
    # a second run refuses to overwrite without --force, and changes nothing
    before = (out / "children.csv").read_bytes()
    assert main(["generate", "--like", "Rutland", "--seed", "2", "--out", str(out)]) == 2
    assert (out / "children.csv").read_bytes() == before


def test_a_users_text_that_looks_like_console_markup_is_printed_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # rich reads "[/red]" as a closing tag: quoted back unescaped, it raised MarkupError
    area = small_area(tmp_path)
    path = area / "children.csv"
    path.write_text(path.read_text().replace(",ASD,", ",[/red],", 1))
    assert main(["validate", str(area)]) == 2
    err = capsys.readouterr().err
    assert "'[/red]' is not a SEN2 need code" in err
    assert "Traceback" not in err


def test_a_scenario_name_that_looks_like_console_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small_area(tmp_path)
    f = tmp_path / "s.toml"
    f.write_text('name = "more [/bold] places"\nmarginal = 0\n[base]\narea = "area"\n')
    out = tmp_path / "out"
    assert main(["scenario", "run", str(f), "--workers", "1", "--out", str(out)]) == 0
    assert "Scenario: more [/bold] places" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("dir.json", None, "dir.json: is a directory, not a file"),
        ("a.json", '{"placements": [], "unplaced": 5}', "expected a list of unplaced children"),
        ("a.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("a.json", '{"placements": [], "metrics": {"placed": 1' + "0" * 400 + "}}", "too large"),
        (
            "a.json",
            '{"placements": [{"child_id": "C1", "setting_id": "S1"},'
            ' {"child_id": "C1", "setting_id": "M1"}]}',
            "placements[1]: child 'C1' appears twice (first at placements[0])",
        ),
        (
            "a.json",
            '{"placements": [{"child_id": "C1", "setting_id": null}]}',
            "placements[0].setting_id: null is not an id",
        ),
        ("a.csv", 'child_id,setting_id\n"' + "x" * 200_000 + '",S1\n', "field larger"),
        ("a.csv", "child_id,setting_id\nC1\n", "a.csv:2: row has 1 values"),
        ("a.csv", 'child_id,setting_id\n"C1\nC2",S1\n,S1\n', "a.csv:4: column child_id: is empty"),
    ],
)
def test_bad_allocation_files_are_input_errors(
    tmp_path: Path, name: str, text: str | None, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    path = tmp_path / name
    if text is None:
        path.mkdir()
    else:
        path.write_text(text)
    assert main(["validate", str(area), "--allocation", str(path)]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["generate", "--like", "Rutland", "--seed", "-1"],
            "argument --seed: -1 must be 0 or more",
        ),
        (
            ["demo", "--like", "Rutland", "--seed", "x"],
            "argument --seed: 'x' is not a whole number",
        ),
        (["generate", "--like", "Rutland", "--scale", "nan"], "argument --scale: nan must be"),
        (["generate", "--like", "Rutland", "--scale", "inf"], "argument --scale: inf must be"),
        (["demo", "--like", "Rutland", "--scale", "1e9"], "at most 10"),
        (["demo", "--like", "Rutland", "--scale", "0"], "greater than 0"),
    ],
)
def test_bad_seed_and_scale_flags_exit_2_naming_the_flag(
    tmp_path: Path, args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # a negative seed and a non-finite scale reached numpy and the generator (ValueError)
    out = tmp_path / "x"
    with pytest.raises(SystemExit) as e:
        main([*args, "--out", str(out)])
    assert e.value.code == 2
    assert fragment in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("command", ["allocate", "list", "dashboard"])
def test_a_negative_seed_is_refused_before_any_work(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    extra = {"allocate": ["--out", str(tmp_path / "o")], "list": ["--child", "C1"]}
    more = extra.get(command, [])
    with pytest.raises(SystemExit) as e:
        main([command, str(area), "--mechanism", "preference-first", "--seed", "-1", *more])
    assert e.value.code == 2
    assert "argument --seed" in capsys.readouterr().err


def test_dashboard_of_an_area_folder_refuses_scenario_only_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    out = tmp_path / "d"
    assert main(["dashboard", str(area), "--scale", "0.5", "--out", str(out)]) == 2
    assert "--scale applies only to a scenario file" in capsys.readouterr().err
    assert main(["dashboard", str(area), "--baseline", "--out", str(out)]) == 2
    assert not out.exists()


def test_an_output_folder_that_is_a_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 'file/sub' raised NotADirectoryError from mkdir: a traceback, exit 1
    area = small_area(tmp_path)
    (tmp_path / "file").write_text("x")
    for out in ("file", "file/sub"):
        assert main(["allocate", str(area), "--out", str(tmp_path / out)]) == 2
        err = capsys.readouterr().err
        assert "file: cannot write: is a file, not a folder" in err
        assert "Traceback" not in err
    assert (tmp_path / "file").read_text() == "x"


def test_results_are_written_all_or_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the refusals file's name is taken by a folder: before, the .json and .csv were already
    # replaced when os.replace failed on it (IsADirectoryError, exit 1)
    area = small_area(tmp_path)
    out = tmp_path / "out"
    (out / "optimised-refusals.csv").mkdir(parents=True)
    assert main(["allocate", str(area), "--out", str(out)]) == 2
    assert "optimised-refusals.csv: cannot write: is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["optimised-refusals.csv"]  # no temp files


def test_a_read_only_output_folder_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = small_area(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    # root writes to a 0o555 folder anyway; /proc/self refuses everyone (Linux)
    root = os.geteuid() == 0 if hasattr(os, "geteuid") else False
    target = Path("/proc/self") if root and Path("/proc/self").is_dir() else ro
    try:
        assert main(["allocate", str(area), "--out", str(target / "sub")]) == 2
        err = capsys.readouterr().err
        assert f"{target}: cannot write: the folder is not writable" in err
        assert not (target / "sub").exists()
    finally:
        ro.chmod(0o755)


# -- a newcomer's path (issue 12, item 8) --------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands(verb: str) -> list[list[str]]:
    """The README's ``placement VERB demo-output/area ...`` example commands, as argv."""
    out = []
    for line in (ROOT / "README.md").read_text().splitlines():
        words = line.split("#")[0].split()
        if words[:2] == [".venv/bin/placement", verb] and "demo-output/area" in words:
            out.append(words[1:])
    return out


def test_the_readme_says_what_make_demo_builds() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text[text.index("## Quick start") : text.index("## What it does")]
    assert "South Gloucestershire" in quick and "like Kent," not in quick
    demo = dict(_parsers())["placement demo"]
    like = next(a for a in demo._actions if a.dest == "like")
    assert like.default == "South Gloucestershire"


def test_the_readme_list_and_explain_examples_run_on_the_demo_area(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every `placement list|explain demo-output/area ...` line of the README works as
    written on the area `make demo` builds (the same generator call; the allocations that
    `make demo` also writes are not needed to read a list)."""
    from placement.generate import generate_area

    commands = _readme_commands("list") + _readme_commands("explain")
    assert len(commands) >= 4, commands
    area = generate_area("South Gloucestershire", seed=1, scale=1.0)  # as `placement demo`
    write_area(area, tmp_path / "demo-output" / "area")
    monkeypatch.chdir(tmp_path)
    for argv in commands:
        assert main(argv) == 0, argv
        said = capsys.readouterr().out
        assert "This list is advice" in said or '"advisory"' in said, argv
    # the README's moving child is moving (a ranked list), its staying child says it stays
    moving = next(a for a in commands if "C001144" in a and "family" in a and "list" in a)
    staying = next(a for a in commands if "C000002" in a)
    main(moving)
    assert "Schools and colleges that can meet" in capsys.readouterr().out
    main(staying)
    assert "staying at the school named in their plan" in capsys.readouterr().out


def test_the_readme_output_folders_are_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    for folder in ("demo-output", "areas", "results", "out", "scenario-output"):
        assert f"/{folder}/" in ignored, folder
    for folder in ("dashboard-output", "sweep-output", "var"):
        assert f"/{folder}/" in ignored, folder


def test_generate_into_a_folder_that_is_not_empty_fails_before_generating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import placement.generate

    out = tmp_path / "area"
    out.mkdir()
    (out / "children.csv").write_text("x\n")

    def never(*args: object, **kw: object) -> None:
        raise AssertionError("generated before checking the output folder")

    monkeypatch.setattr(placement.generate, "generate_area", never)
    assert main(["generate", "--like", "Rutland", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err
    assert "overwrite=True" not in err
    assert (out / "children.csv").read_text() == "x\n"
    # a folder holding other files is refused at once even with --force
    (out / "notes.txt").write_text("mine")
    assert main(["generate", "--like", "Rutland", "--force", "--out", str(out)]) == 2
    assert "other than area files" in capsys.readouterr().err


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the CLI, with its command path (placement, placement users create, ...)."""
    from placement.cli import build_parser

    todo: list[tuple[str, argparse.ArgumentParser]] = [("placement", build_parser())]
    seen = []
    while todo:
        name, p = todo.pop()
        seen.append((name, p))
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo += [(f"{name} {k}", sub) for k, sub in a.choices.items()]
    return seen


def test_every_option_has_help_and_its_default_is_shown() -> None:
    parsers = _parsers()
    assert len(parsers) > 12
    missing, no_default = [], []
    for name, p in parsers:
        text = p.format_help()
        for a in p._actions:
            if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if a.help == argparse.SUPPRESS:  # hidden on purpose (a refused --password)
                continue
            label = f"{name} {'/'.join(a.option_strings) or a.dest}"
            if not (a.help or "").strip():
                missing.append(label)
                continue
            shown = a.default not in (None, False, argparse.SUPPRESS)
            if (
                shown
                and a.option_strings
                and "default" not in (a.help or "")
                and f"(default: {a.default})" not in " ".join(text.split())  # as printed
            ):
                no_default.append(label)
    assert not missing, f"options without help: {missing}"
    assert not no_default, f"options whose default is not shown: {no_default}"


def test_scenario_run_prints_plain_labels_pounds_and_the_rounding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "more.toml"
    f.write_text(
        'name = "Rutland, more autism"\nmarginal = 2\nmechanism = "optimised"\n'
        '[base]\nlike = "Rutland"\nscale = 0.5\n'
        '[[demand_growth]]\nneed = "ASD"\nphase = "secondary"\nrate = 0.5\nyears = 1\n'
    )
    out = tmp_path / "out"
    assert main(["scenario", "run", str(f), "--workers", "1", "--out", str(out)]) == 0
    got = capsys.readouterr()
    text = " ".join(got.out.split())
    for label in ("placed, as a share of the children", "total annual cost", "mean journey"):
        assert label in text
    for code in ("placed_pct", "total_cost_gbp", "mean_journey_min", "high_needs_block"):
        assert code not in text
    import re

    assert re.search(r"£\d+\.\d\dm", text)  # money in £m, not raw pounds
    assert not re.search(r"\d{7}", text.replace(",", ""))  # no raw pound figures
    assert "rounded to the nearest 5" in text and "'<10'" in text
    # the long step said what it was doing, candidate by candidate
    err = got.err
    assert "allocating the scenario (optimised)" in err
    assert "marginal value 1/2: one more place at" in err
    assert "marginal value 2/2" in err


def _hopeless_area(tmp_path: Path) -> Path:
    # C1 (PMLD band 5) has no setting that can meet its need; C2 stays at S1 (Year 3, no
    # review), so it has no pairs either but is not "without a suitable setting"
    kids = (
        child("C1", Need.PMLD, 5, new_plan=True),
        child("C2", Need.ASD, 3, current_setting_id="S1"),
        child("C3", Need.ASD, 3, new_plan=True),
    )
    sets = (special("S1", capacity=3), setting("M1"))
    d = tmp_path / "hopeless"
    write_area(Area("hopeless", kids, sets), d)
    return d


def test_validate_lists_the_children_with_no_suitable_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = _hopeless_area(tmp_path)
    assert main(["validate", str(area)]) == 0
    said = capsys.readouterr().out
    assert "2 move this round (1 stay" in said  # staying children are not counted as stuck
    assert "1 of them have no suitable setting (list them with --list" in said
    csv_path = tmp_path / "stuck.csv"
    assert main(["validate", str(area), "--list", "--list-csv", str(csv_path)]) == 0
    said = capsys.readouterr().out
    line = next(x for x in said.splitlines() if x.strip().startswith("C1 "))
    assert "PMLD band 5, Year 3" in line
    assert "need_not_met at 1 of the 2 settings that take its age" in line  # S1: need
    assert "nearest:" in line
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("child_id,primary_need,need_band,nc_year,main_reason")
    assert len(rows) == 2 and rows[1].startswith("C1,PMLD,5,3,need_not_met")


def test_generate_schools_real_or_synthetic(tmp_path: Path) -> None:
    """--schools real puts the LA's census schools in settings.csv (their URNs, and what is
    estimated named); --schools synthetic invents every setting, so no estimated column."""
    import csv

    from placement.generate.schools import school_table  # the vendored census table

    real, fake = tmp_path / "real", tmp_path / "fake"
    assert main(["generate", "--like", "Rutland", "--schools", "real", "--out", str(real)]) == 0
    assert (
        main(["generate", "--like", "Rutland", "--schools", "synthetic", "--out", str(fake)]) == 0
    )
    with (real / "settings.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    census = {s.urn for s in school_table() if s.la == "857"}  # Rutland
    assert census & {r["setting_id"] for r in rows}
    assert all(r["estimated"] for r in rows if r["setting_id"] in census)
    with (fake / "settings.csv").open(newline="") as f:
        assert not census & {r["setting_id"] for r in csv.DictReader(f)}
