"""Exports people open in a spreadsheet never carry a formula from imported names."""

from __future__ import annotations

import csv
import io
import re

import pytest

from placement.area import Area
from placement.cells import spreadsheet_safe
from placement.scenarios.report import report_csvs
from placement.scenarios.run import run_scenario
from placement.scenarios.spec import parse_scenario
from tests.factories import child, setting, special


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd"])
def test_formula_text_is_quoted(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("\t=1+1", "' =1+1"),
        ("\r=1+1", "' =1+1"),
        ("\r\n@cmd", "'  @cmd"),
        ("  =1+1", "'  =1+1"),
        ("Oak\r=HYPERLINK(1)", "Oak =HYPERLINK(1)"),  # a CR before = : no new row
        ("Oak\n+1", "Oak +1"),
        ("Oak\t-1", "Oak -1"),  # no new cell for a tab-separated reader
        ("a\u2028=1", "a =1"),
        ("\tx", " x"),
    ],
)
def test_line_breaks_and_tabs_cannot_start_a_formula(text: str, safe: str) -> None:
    assert spreadsheet_safe(text) == safe


def _cells(csv_text: str) -> list[str]:
    """Every cell as a spreadsheet or a naive reader may see it: lines split at any line
    break (CR, LF, U+2028), cells at commas and tabs."""
    return [
        c.strip('"')
        for line in re.split(r"[\r\n\u2028]", csv_text)
        for c in re.split(r"[,\t]", line)
    ]


@pytest.mark.parametrize("value", [-45, 3.5, "Oak School", "<10", "", None])
def test_other_values_unchanged(value: object) -> None:
    assert spreadsheet_safe(value) == value


def test_scenario_csv_quotes_a_formula_in_a_setting_name() -> None:
    evil = '=HYPERLINK("http://evil.example","click")'
    area = Area(
        "t",
        tuple(child(f"C{i}", band=3) for i in range(12)),
        (setting("M1", name=evil, capacity=30), special("S1", capacity=5)),
    )
    sc = parse_scenario('[[add_places]]\nsetting_id = "S1"\nplaces = 3\n', stored_base=True)
    tables = report_csvs(run_scenario(sc, base=(area, {}, None)))
    rows = list(csv.DictReader(io.StringIO(tables["settings"])))
    m1 = next(r for r in rows if r["setting_id"] == "M1")
    assert m1["name"] == "'" + evil
    assert not any(v.startswith("=") for r in rows for v in r.values())


@pytest.mark.parametrize("evil", ['Oak\r=HYPERLINK("http://evil.example")', "Oak\n@SUM(1)"])
def test_scenario_csv_has_no_line_break_trick(evil: str) -> None:
    area = Area(
        "t",
        tuple(child(f"C{i}", band=3) for i in range(12)),
        (setting("M1", name=evil, capacity=30), special("S1", capacity=5)),
    )
    sc = parse_scenario('[[add_places]]\nsetting_id = "S1"\nplaces = 3\n', stored_base=True)
    for table in report_csvs(run_scenario(sc, base=(area, {}, None))).values():
        assert "\r" not in table
        assert not [c for c in _cells(table) if c.lstrip().startswith(("=", "@"))], table
