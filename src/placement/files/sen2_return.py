"""Read a SEN2 person-level return, as an LA produces it, into its modules' rows.

Two forms: the DfE COLLECT "Blade" CSV export (a folder, one CSV per module; any file whose
name ends with the module's name, without regard to case, spaces or underscores) and the
pre-submission Excel workbook (one sheet per module). Headers are matched without regard to
case, spaces or underscores (``PersonTableID`` is ``persontableid``). Each row is a
:class:`~placement.files.csv_reader.CsvRow` whose ``file`` names the file, or the workbook and
sheet. See :mod:`placement.files.sen2` for what the import makes of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from placement.area import suggest
from placement.files.csv_reader import CsvRow, header_key, read_csv
from placement.files.errors import InputError

__all__ = ["MODULES", "SEX_COLUMNS", "ModuleSpec", "Table", "read_modules"]


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """One module of the return: its display name, the names its file or sheet may end with
    (normalised: lower case, no spaces or underscores), and the columns it must have."""

    name: str
    keys: tuple[str, ...]
    required: tuple[str, ...]


MODULES: dict[str, ModuleSpec] = {
    "person": ModuleSpec(
        "Person", ("person", "persondetails"), ("persontableid", "personbirthdate", "postcode")
    ),
    "requests": ModuleSpec("Requests", ("requests",), ("requeststableid", "persontableid")),
    "assessments": ModuleSpec(
        "Assessments",
        ("assessment", "assessments", "ehcneedsassessments"),
        ("assessmenttableid", "requeststableid"),
    ),
    "named_plan": ModuleSpec(
        "Named plan", ("namedplan", "namedplans"), ("namedplantableid", "assessmenttableid")
    ),
    "plan_detail": ModuleSpec(
        "Plan detail", ("plandetail", "plandetails", "plandetailrecords"), ("namedplantableid",)
    ),
    "active_plans": ModuleSpec(
        "Active plans", ("activeplans", "activeplan"), ("activeplanstableid", "requeststableid")
    ),
    "placement_detail": ModuleSpec(
        "Placement detail",
        ("placementdetail", "placementdetails"),
        (
            "activeplanstableid",
            "urn",
            "ukprn",
            "placementrank",
            "entrydate",
            "leavingdate",
        ),
    ),
    "sen_need": ModuleSpec(
        "SEN need", ("senneed", "senneeds"), ("activeplanstableid", "sentype", "sentyperank")
    ),
}
SEX_COLUMNS = ("sex", "gendercurrent")
"""Person's sex: ``sex`` from SEN2 v1.2 on, ``gendercurrent`` before."""


@dataclass(frozen=True, slots=True)
class Table:
    """A module as read: where it came from, its (normalised) columns and rows."""

    module: str
    where: str
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]


def _check_columns(where: str, line: int | None, spec: ModuleSpec, columns: Sequence[str]) -> None:
    have = set(columns)
    for col in spec.required:
        if col not in have:
            raise InputError(
                where,
                line,
                col,
                f"missing column {col!r} of SEN2 module {spec.name}"
                f"{suggest(col, [c for c in columns if c])}",
            )
    if spec.name == "Person" and not have & set(SEX_COLUMNS):
        raise InputError(where, line, "sex", "missing column 'sex' (or 'gendercurrent')")


def _read_csv_module(path: Path, spec: ModuleSpec) -> Table:
    t = read_csv(path, known=None, lower_header=True)
    columns = tuple(header_key(c) for c in t.columns)
    _check_columns(t.file, t.header_line, spec, columns)
    name = {c: header_key(c) for c in t.columns}  # once per column, not per cell
    rows = tuple(CsvRow(t.file, r.line, {name[k]: v for k, v in r.values.items()}) for r in t.rows)
    return Table(spec.name, t.file, columns, rows)


def _find_csv(folder: Path, spec: ModuleSpec, files: Sequence[Path]) -> Path:
    def names(stem: str) -> set[str]:
        # the last one, two or three words: Blade-Export_16-01-2026_named_plan -> namedplan
        words = [w for w in re.split(r"[\s_\-.]+", stem.lower()) if w]
        return {"".join(words[-n:]) for n in (1, 2, 3)}

    hits = [p for p in files if names(p.stem) & set(spec.keys)]
    if not hits:
        raise InputError(
            folder.name,
            None,
            None,
            f"SEN2 module {spec.name} is missing: no CSV file in the folder whose name ends "
            f"with {spec.keys[0]!r} (e.g. Blade-Export_16-01-2025_{spec.keys[0]}.csv)",
        )
    if len(hits) > 1:
        raise InputError(
            folder.name,
            None,
            None,
            f"SEN2 module {spec.name}: more than one file ({', '.join(p.name for p in hits)})",
        )
    return hits[0]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _read_workbook(path: Path) -> dict[str, Table]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    name = path.name
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        why = type(e).__name__ if not str(e) else str(e).splitlines()[0][:120]
        raise InputError(
            name, None, None, f"not an Excel workbook (.xlsx) that can be read: {why}"
        ) from None
    try:
        sheets = {header_key(ws.title): ws for ws in wb.worksheets}
        out: dict[str, Table] = {}
        for key, spec in MODULES.items():
            ws = next((sheets[k] for k in spec.keys if k in sheets), None)
            if ws is None:
                raise InputError(
                    name,
                    None,
                    None,
                    f"SEN2 module {spec.name} is missing: no sheet named {spec.name!r} "
                    f"(sheets: {', '.join(w.title for w in wb.worksheets)})",
                )
            where = f"{name} sheet '{ws.title}'"
            out[key] = _sheet_table(ws.iter_rows(values_only=True), spec, where)
        return out
    finally:
        wb.close()


def _sheet_table(raw_rows: Iterable[Sequence[Any]], spec: ModuleSpec, where: str) -> Table:
    """A module's sheet: its first row that is not blank the header, the rest its rows."""
    header: tuple[str, ...] | None = None
    rows: list[CsvRow] = []
    for i, raw in enumerate(raw_rows, start=1):
        cells = [_cell(v) for v in raw]
        if not any(cells):
            continue
        if header is None:
            header = tuple(header_key(c) for c in cells)
            _check_columns(where, i, spec, header)
            continue
        values = {c: cells[j] for j, c in enumerate(header) if c and j < len(cells)}
        rows.append(CsvRow(where, i, values))
    if header is None:
        raise InputError(where, None, None, "the sheet is empty: expected a header row")
    return Table(spec.name, where, header, tuple(rows))


def read_modules(path: Path) -> dict[str, Table]:
    """Every module of a return: a folder of Blade CSVs, or an ``.xlsx`` workbook.

    Raises
    ------
    InputError
        Not found, not a folder or a workbook, a module or column missing, not CSV/UTF-8.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path.name, None, None, f"not found in {path.parent}")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        return {
            key: _read_csv_module(_find_csv(path, spec, files), spec)
            for key, spec in MODULES.items()
        }
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path)
    raise InputError(
        path.name,
        None,
        None,
        "expected a folder of COLLECT Blade CSV files (one per module) or an Excel "
        "workbook (.xlsx) with one sheet per module",
    )
