"""Exports people open in a spreadsheet never carry a formula from imported names."""

from __future__ import annotations

import csv
import io

import pytest

from placement.area import Area
from placement.cells import spreadsheet_safe
from placement.scenarios.report import report_csvs
from placement.scenarios.run import run_scenario
from placement.scenarios.spec import parse_scenario
from tests.factories import child, setting, special


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_text_is_quoted(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


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
