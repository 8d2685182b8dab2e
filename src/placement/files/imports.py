"""What ``placement import gias`` and ``placement import sen2`` write besides the area files:
the reports of what each import assumed and left out, and the small reads they share."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from placement.area import suggest
from placement.domain import Setting, SettingKind
from placement.files.area_format import POLICY_FILE
from placement.files.csv_reader import read_csv
from placement.files.errors import InputError
from placement.files.gias import CapacityRules, GiasImport
from placement.files.policy_files import read_policy_overrides
from placement.files.sen2 import Sen2Import, Sen2Options

__all__ = [
    "GIAS_REPORT",
    "SEN2_REPORT",
    "academic_year_of",
    "gias_report_text",
    "read_setting_kinds",
    "sen2_report_text",
]

GIAS_REPORT = "gias-report.txt"
SEN2_REPORT = "sen2-report.txt"


def academic_year_of(folder: Path, default: int) -> int:
    """The ``academic_year_start`` of the area's ``policy.toml`` in ``folder``, else
    ``default`` (the policy in ``models/``).

    Raises
    ------
    InputError
        ``policy.toml`` is not valid TOML, or its year is not a whole number.
    """
    overrides = read_policy_overrides(Path(folder) / POLICY_FILE)
    year = overrides.get("academic_year_start", default)
    if isinstance(year, bool) or not isinstance(year, int):
        raise InputError(POLICY_FILE, None, "academic_year_start", f"{year!r} is not a year")
    return year


def read_setting_kinds(path: Path) -> dict[str, SettingKind]:
    """Each ``setting_id`` of a ``settings.csv`` and its kind.

    Raises
    ------
    InputError
        File not found or not CSV, no ``setting_id`` or ``kind`` column, an unknown kind.
    """
    table = read_csv(Path(path), known=None, required=("setting_id", "kind"))
    out: dict[str, SettingKind] = {}
    kinds = [k.value for k in SettingKind]
    for row in table.rows:
        try:
            out[row["setting_id"]] = SettingKind(row["kind"].lower())
        except ValueError:
            raise row.fail(
                "kind", f"{row['kind']!r} is not a kind{suggest(row['kind'], kinds)}"
            ) from None
    return out


def _section(title: str, lines: Sequence[str]) -> list[str]:
    return ["", f"{title} ({len(lines)})", *(f"- {line}" for line in lines)]


def gias_report_text(
    result: GiasImport,
    *,
    source: str,
    la_code: str,
    rules: CapacityRules,
    children: Mapping[str, object] | None = None,
    children_notes: Iterable[str] = (),
) -> str:
    """The report of a GIAS import: options, counts, every assumption (each naming its URN)
    and every row left out, and what was done to synthetic children if any were written."""
    kinds = Counter(s.kind.value for s in result.settings)
    lines = [
        "GIAS import report (placement import gias)",
        f"source: {source}; LA (code) {la_code}: settings in it are in area",
        f"rules: {rules.describe()}",
        f"settings written to settings.csv: {len(result.settings)} ("
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        + ")",
        f"left out (rows, or units of a row): {len(result.skipped)}",
    ]
    lines += _section("Assumptions", result.assumptions)
    lines += _section("Left out", result.skipped)
    if children is not None:
        lines += [
            "",
            "Synthetic children (children.csv): "
            + ", ".join(f"{k} {v}" for k, v in children.items()),
        ]
        lines += [f"- {n}" for n in children_notes]
    return "\n".join(lines) + "\n"


def capacity_summary(settings: Iterable[Setting]) -> dict[str, int]:
    """Places and free places over the settings (for the CLI's summary)."""
    ss = list(settings)
    return {
        "places": sum(s.capacity for s in ss),
        "free": sum(max(0, s.capacity - s.roll) for s in ss),
    }


def sen2_report_text(
    result: Sen2Import,
    *,
    source: str,
    postcodes: str,
    options: Sen2Options,
    settings_file: str | None,
    mapping_written: bool,
) -> str:
    """The report of a SEN2 import: counts, every assumption, and every record not used (by
    module, file or sheet, and row). Holds no name, UPN, ULN, postcode or date of birth."""
    census = options.census_date or dt.date(options.academic_year_start, 1, 16)
    c = result.counts
    lines = [
        "SEN2 import report (placement import sen2)",
        f"source: {source}; postcodes: {postcodes}; settings: {settings_file or 'none'}",
        f"academic year {options.academic_year_start}; census date {census.isoformat()}",
        f"persons: {c.get('persons', 0)}; children written to children.csv: {c.get('children', 0)}",
        "counts: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())),
        "pseudonym mapping: "
        + ("written to the --mapping file only" if mapping_written else "not written"),
    ]
    lines += _section("Assumptions", result.assumptions)
    lines += _section("Records not used", result.unused)
    return "\n".join(lines) + "\n"
