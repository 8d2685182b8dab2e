"""Import children from the DfE's SEN2 person-level return.

Reads the return as an LA produces it, in either of two forms:

- the DfE COLLECT "Blade" CSV export: a folder with one CSV per module
  (``Blade-Export_<date>_person.csv``, ``..._requests.csv``, ``..._assessment.csv``,
  ``..._namedplan.csv``, ``..._plandetail.csv``, ``..._activeplans.csv``,
  ``..._placementdetail.csv``, ``..._senneed.csv``; any file whose name ends with the module's
  name, without regard to case, spaces or underscores);
- the pre-submission Excel workbook (``.xlsx``): one sheet per module (``Person``,
  ``Requests``, ``Assessments``, ``Named plan``, ``Plan detail``, ``Active plans``,
  ``Placement detail``, ``SEN need``).

Headers are matched without regard to case, spaces or underscores (``PersonTableID`` is
``persontableid``). The modules link by their table ids: Person (``persontableid``) ->
Requests (``requeststableid``) -> Active plans (``activeplanstableid``) -> Placement detail
and SEN need; Requests -> Assessments -> Named plan -> Plan detail.

Each person with an active plan becomes one child of ``children.csv``: primary need (SEN need of
rank 1), secondary needs (the other ranks), national curriculum year from the date of birth in
the policy's academic year, sex, the current setting from the open placement of rank 1 (URN,
or UKPRN; ``<URN>-SU`` / ``<URN>-RP`` for an SEN unit or resourced provision), and a home
point from the LA's postcode lookup (ONS Postcode Directory columns). Names, UPNs, ULNs,
postcodes and dates of birth never enter the child: its id is a keyed-HMAC pseudonym (a new
random key per import), and the pseudonym -> person mapping is returned separately for the
caller to write only where asked.

Bad input (a module or column missing, a date, number or code that cannot be read, a file not
found, a workbook that is not one) is an :class:`~placement.files.errors.InputError` naming the
file or sheet, the row and the column. Records that are well-formed but cannot make a child (no
active plan, no need of rank 1, a postcode not in the lookup, ...) are listed in the import's
``unused``, by module and row; every assumption is listed in ``assumptions``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placement.area import suggest
from placement.domain import (
    MAX_NC_YEAR,
    MIN_NC_YEAR,
    Child,
    DomainError,
    Location,
    Need,
    SettingKind,
    Sex,
    nc_year_from_birth,
)
from placement.files.csv_reader import read_csv
from placement.files.errors import InputError

__all__ = [
    "MODULES",
    "ModuleSpec",
    "PostcodeBook",
    "Sen2Import",
    "Sen2Options",
    "import_sen2",
    "read_lsoa_centroids",
    "read_postcodes",
]


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
# Person's sex: ``sex`` from SEN2 v1.2 on, ``gendercurrent`` before.
_SEX_COLUMNS = ("sex", "gendercurrent")
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "MALE": Sex.MALE, "FEMALE": Sex.FEMALE}
_TRUE = frozenset({"true", "1", "y", "yes"})
_FALSE = frozenset({"false", "0", "n", "no", ""})
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_BLADE_DATE = re.compile(r"^(\d{4})-([A-Za-z]{3})-(\d{1,2})(?:[ T].*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?$")
_ESTABLISHMENT = re.compile(r"^\d{5,8}$")  # URN (6 digits) or UKPRN (8)
# Need band by the kind of the current setting: SEN2 records none (assumption; it matches the
# bands each kind is set up for in models/suitability.toml and the generator's BAND_P modes).
BAND_BY_KIND: Mapping[SettingKind, int] = {
    SettingKind.MAINSTREAM: 2,
    SettingKind.FE_COLLEGE: 2,
    SettingKind.INDEPENDENT_MAINSTREAM: 2,
    SettingKind.RESOURCED_PROVISION: 3,
    SettingKind.SEN_UNIT: 3,
    SettingKind.ALTERNATIVE_PROVISION: 3,
    SettingKind.SPECIAL_LA: 4,
    SettingKind.SPECIAL_ACADEMY: 4,
    SettingKind.NON_MAINTAINED_SPECIAL: 4,
    SettingKind.INDEPENDENT_SPECIAL: 4,
    SettingKind.SPECIALIST_POST16: 4,
}
BAND_NO_SETTING = 3


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


# -- reading the modules ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a module, and where it is (file or sheet, and row number)."""

    where: str
    line: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    def fail(self, column: str | None, message: str) -> InputError:
        return InputError(self.where, self.line, column, message)


@dataclass(frozen=True, slots=True)
class Table:
    """A module as read: where it came from, its (normalised) columns and rows."""

    module: str
    where: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


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
    if spec.name == "Person" and not have & set(_SEX_COLUMNS):
        raise InputError(where, line, "sex", "missing column 'sex' (or 'gendercurrent')")


def _read_csv_module(path: Path, spec: ModuleSpec) -> Table:
    t = read_csv(path, known=None, lower_header=True)
    columns = tuple(_norm(c) for c in t.columns)
    _check_columns(t.file, t.header_line, spec, columns)
    name = {c: _norm(c) for c in t.columns}  # once per column, not per cell
    rows = tuple(Row(t.file, r.line, {name[k]: v for k, v in r.values.items()}) for r in t.rows)
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
        sheets = {_norm(ws.title): ws for ws in wb.worksheets}
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
            header: tuple[str, ...] | None = None
            header_line = 0
            rows: list[Row] = []
            for i, raw in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in raw]
                if not any(cells):
                    continue
                if header is None:
                    header, header_line = tuple(_norm(c) for c in cells), i
                    _check_columns(where, header_line, spec, header)
                    continue
                values = {c: cells[j] for j, c in enumerate(header) if c and j < len(cells)}
                rows.append(Row(where, i, values))
            if header is None:
                raise InputError(where, None, None, "the sheet is empty: expected a header row")
            out[key] = Table(spec.name, where, header, tuple(rows))
        return out
    finally:
        wb.close()


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


# -- values ----------------------------------------------------------------------------------


def _date(row: Row, column: str) -> dt.date | None:
    text = row[column]
    if not text:
        return None
    try:
        if m := _ISO_DATE.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if (m := _BLADE_DATE.match(text)) and m[2].lower() in _MONTHS:
            return dt.date(int(m[1]), _MONTHS[m[2].lower()], int(m[3]))
        if m := _UK_DATE.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        pass
    raise row.fail(
        column,
        f"{text!r} is not a date (write 2015-03-31, 2015-Mar-31 as COLLECT exports, or 31/03/2015)",
    )


def _int(row: Row, column: str) -> int | None:
    text = row[column]
    if not text:
        return None
    try:
        f = float(text)
    except ValueError:
        f = float("nan")
    if not f.is_integer():
        raise row.fail(column, f"{text!r} is not a whole number")
    return int(f)


def _bool(row: Row, column: str) -> bool:
    text = row[column].lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise row.fail(column, f"{row[column]!r} is not true/false (or 1/0, Y/N)")


def _need(row: Row, column: str) -> Need:
    text = row[column]
    code = text.upper().replace(" ", "")
    try:
        return Need(code)
    except ValueError:
        raise row.fail(
            column,
            f"{text!r} is not a SEN2 need code{suggest(code, [n.value for n in Need])}",
        ) from None


def _establishment(row: Row, column: str) -> str:
    text = row[column]
    if text and not _ESTABLISHMENT.match(text):
        raise row.fail(column, f"{text!r} is not a URN or UKPRN (5 to 8 digits)")
    return text


def _key(row: Row, column: str) -> str:
    text = row[column]
    if not text:
        raise row.fail(column, "is empty")
    return text


# -- postcodes -------------------------------------------------------------------------------


def _pc(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


@dataclass(frozen=True, slots=True)
class PostcodeBook:
    """Grid references by postcode (spaces removed, upper case), and LSOA centroids."""

    points: Mapping[str, tuple[float, float] | None]
    lsoa_of: Mapping[str, str]
    lsoa_points: Mapping[str, tuple[float, float]]
    file: str


def _stream(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a (possibly large) CSV file as dicts with normalised column names."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(path.name, None, None, f"file not found in {path.parent}") from None
    except OSError as e:
        raise InputError(path.name, None, None, f"cannot read: {e.strerror}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = [_norm(h) for h in next(reader, [])]
            yield 1, {"__header__": ",".join(header)}
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield reader.line_num, dict(zip(header, (c.strip() for c in cells), strict=False))
        except csv.Error as e:
            raise InputError(path.name, reader.line_num, None, f"not valid CSV: {e}") from None
        except UnicodeDecodeError:
            raise InputError(path.name, None, None, "not UTF-8 text") from None


def _coord(file: str, line: int, column: str, text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(file, line, column, f"{text!r} is not a number") from None


def read_postcodes(
    path: Path, wanted: set[str], lsoa_centroids: Mapping[str, tuple[float, float]] | None = None
) -> PostcodeBook:
    """The grid references of the ``wanted`` postcodes from an ONS Postcode Directory extract
    (columns ``pcds`` or ``pcd``, ``oseast1m``, ``osnrth1m``, and optionally ``lsoa11`` or
    ``lsoa21``). Read a row at a time, so the whole directory (2.7 million rows) will do.

    Raises
    ------
    InputError
        File not found or not CSV, a missing column, a grid reference that is not a number.
    """
    points: dict[str, tuple[float, float] | None] = {}
    lsoa_of: dict[str, str] = {}
    rows = _stream(Path(path))
    _, head = next(rows)
    header = head["__header__"].split(",")
    pc_col = "pcds" if "pcds" in header else "pcd" if "pcd" in header else None
    if pc_col is None:
        raise InputError(
            path.name, 1, "pcds", f"missing column 'pcds' (or 'pcd'){suggest('pcds', header)}"
        )
    for col in ("oseast1m", "osnrth1m"):
        if col not in header:
            raise InputError(path.name, 1, col, f"missing column {col!r}{suggest(col, header)}")
    lsoa_col = next((c for c in ("lsoa11", "lsoa21", "lsoa11cd", "lsoa21cd") if c in header), None)
    for line, r in rows:
        pc = _pc(r.get(pc_col, ""))
        if pc not in wanted:
            continue
        e = _coord(path.name, line, "oseast1m", r.get("oseast1m", ""))
        n = _coord(path.name, line, "osnrth1m", r.get("osnrth1m", ""))
        points[pc] = (e, n) if e and n else None  # ONSPD leaves unknown grid refs empty or 0
        if lsoa_col and r.get(lsoa_col):
            lsoa_of[pc] = r[lsoa_col]
    return PostcodeBook(points, lsoa_of, dict(lsoa_centroids or {}), path.name)


def read_lsoa_centroids(path: Path) -> dict[str, tuple[float, float]]:
    """LSOA population-weighted centroids: columns ``code`` (or ``lsoa11cd``), ``x`` and ``y``
    (or ``easting``/``northing``), British National Grid metres, as the ONS publishes them.

    Raises
    ------
    InputError
        File not found or not CSV, a missing column, a coordinate that is not a number.
    """
    rows = _stream(Path(path))
    _, head = next(rows)
    header = head["__header__"].split(",")
    code = next(
        (c for c in ("code", "lsoa11cd", "lsoa21cd", "lsoa11", "lsoa21") if c in header), None
    )
    x = next((c for c in ("x", "easting") if c in header), None)
    y = next((c for c in ("y", "northing") if c in header), None)
    for col, want in ((code, "code"), (x, "x"), (y, "y")):
        if col is None:
            raise InputError(path.name, 1, want, f"missing column {want!r}{suggest(want, header)}")
    assert code is not None
    assert x is not None
    assert y is not None
    out: dict[str, tuple[float, float]] = {}
    for line, r in rows:
        e = _coord(path.name, line, x, r.get(x, ""))
        n = _coord(path.name, line, y, r.get(y, ""))
        if r.get(code) and e and n:
            out[r[code]] = (e, n)
    return out


# -- building children -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sen2Options:
    """How the import reads the return.

    ``academic_year_start``: the policy's year (placements start that September): the child's
    national curriculum year is its age on 31 August of it, minus 4. ``census_date``: a
    placement is open if it has no leaving date or leaves after it (default: 16 January of
    ``academic_year_start``, the SEN2 census date's usual day). ``settings``: the area's
    setting ids and kinds (``settings.csv``): a current setting not in it is dropped (the
    child moves) and reported; without it ids are written as the return gives them.
    ``need_band``: a band for every child, or ``None`` for the band by the current setting's
    kind (:data:`BAND_BY_KIND`).
    """

    academic_year_start: int = 2026
    census_date: dt.date | None = None
    settings: Mapping[str, SettingKind] | None = None
    need_band: int | None = None
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class Sen2Import:
    """Children built from a return, the pseudonym mapping, and what was assumed or unused.

    ``mapping`` rows are ``(child_id, persontableid, upn, uln)``: write them only where the
    user asks (they re-identify the children). ``assumptions`` and ``unused`` never hold a name,
    UPN, ULN, postcode or date of birth: records are named by module, file and row.
    """

    children: tuple[Child, ...]
    mapping: tuple[tuple[str, str, str, str], ...]
    assumptions: tuple[str, ...]
    unused: tuple[str, ...]
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Placement:
    rank: int | None
    entry: dt.date | None
    leaving: dt.date | None
    urn: str
    ukprn: str
    unit: bool
    rp: bool
    row: Row


def _pseudonym(key: bytes, person: str) -> str:
    return "P" + hmac.new(key, person.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def _at(row: Row) -> str:
    return f"{row.where} row {row.line}"


def import_sen2(
    modules: Mapping[str, Table], postcodes: PostcodeBook, options: Sen2Options
) -> Sen2Import:
    """Children from the modules of a return (:func:`read_modules`). Pure: reads no file.

    Raises
    ------
    InputError
        A key column empty, a date, number, boolean, code or URN/UKPRN that cannot be read,
        or a table id that appears twice.
    """
    year = options.academic_year_start
    census = options.census_date or dt.date(year, 1, 16)
    key = options.key or secrets.token_bytes(32)
    unused: list[str] = []
    notes: list[str] = []
    counts: Counter[str] = Counter()

    def unique(table: Table, col: str) -> dict[str, Row]:
        seen: dict[str, Row] = {}
        for r in table.rows:
            k = _key(r, col)
            if k in seen:
                raise r.fail(col, f"{k!r} appears twice (first on row {seen[k].line})")
            seen[k] = r
        return seen

    def children_of(
        table: Table, parent_col: str, parents: Mapping[str, Row]
    ) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = defaultdict(list)
        for r in table.rows:
            p = _key(r, parent_col)
            if p not in parents:
                unused.append(
                    f"{table.module}: {_at(r)}: {parent_col} {p!r} is not in module "
                    f"{'Person' if parent_col == 'persontableid' else 'its parent'}: not used"
                )
                continue
            out[p].append(r)
        return out

    persons = unique(modules["person"], "persontableid")
    requests = unique(modules["requests"], "requeststableid")
    req_by_person = children_of(modules["requests"], "persontableid", persons)
    active = unique(modules["active_plans"], "activeplanstableid")
    plans_by_req = children_of(modules["active_plans"], "requeststableid", requests)
    placements = children_of(modules["placement_detail"], "activeplanstableid", active)
    needs = children_of(modules["sen_need"], "activeplanstableid", active)
    # the modules children.csv does not use are still checked for their links
    assessments = unique(modules["assessments"], "assessmenttableid")
    children_of(modules["assessments"], "requeststableid", requests)
    named = unique(modules["named_plan"], "namedplantableid")
    children_of(modules["named_plan"], "assessmenttableid", assessments)
    children_of(modules["plan_detail"], "namedplantableid", named)
    for k in ("assessments", "named_plan", "plan_detail"):
        t = modules[k]
        notes.append(
            f"{t.module} ({t.where}): {len(t.rows)} rows read and linked; not used "
            "(children.csv takes needs and placements from Active plans)"
        )
    transfer_col = "phasetransferduedate" in modules["active_plans"].columns
    # every typed value is read first, so bad input fails wherever it is
    need_of: dict[str, list[tuple[int, Need, Row]]] = defaultdict(list)
    for r in modules["sen_need"].rows:
        rank = _int(r, "sentyperank")
        need = _need(r, "sentype")
        if rank is None:
            raise r.fail("sentyperank", "is empty")
        if r["activeplanstableid"] in needs:
            need_of[r["activeplanstableid"]].append((rank, need, r))
    place_of: dict[str, list[_Placement]] = defaultdict(list)
    has_unit = "senunitindicator" in modules["placement_detail"].columns
    has_rp = "resourcedprovisionindicator" in modules["placement_detail"].columns
    for r in modules["placement_detail"].rows:
        pl = _Placement(
            _int(r, "placementrank"),
            _date(r, "entrydate"),
            _date(r, "leavingdate"),
            _establishment(r, "urn"),
            _establishment(r, "ukprn"),
            _bool(r, "senunitindicator") if has_unit else False,
            _bool(r, "resourcedprovisionindicator") if has_rp else False,
            r,
        )
        if r["activeplanstableid"] in placements:
            place_of[r["activeplanstableid"]].append(pl)
    due: dict[str, dt.date | None] = {
        r["activeplanstableid"]: _date(r, "phasetransferduedate") if transfer_col else None
        for r in modules["active_plans"].rows
    }
    for r in modules["person"].rows:
        _date(r, "personbirthdate")
    sex_col = next(c for c in _SEX_COLUMNS if c in modules["person"].columns)

    children: list[Child] = []
    mapping: list[tuple[str, str, str, str]] = []
    ids: set[str] = set()
    bands: Counter[str] = Counter()
    settings = options.settings
    for pid, prow in persons.items():
        # validate every value of the row first: bad input fails wherever it is
        dob = _date(prow, "personbirthdate")
        sex_txt = prow[sex_col]
        sex = _SEX.get(sex_txt.upper())
        if sex is None:
            raise prow.fail(sex_col, f"{sex_txt!r} is not a sex code: write M or F")
        plans = [
            p
            for req in req_by_person.get(pid, [])
            for p in plans_by_req.get(req["requeststableid"], [])
        ]
        if not plans:
            unused.append(
                f"Person: {_at(prow)}: no active plan (Requests -> Active plans): not placed"
            )
            counts["no active plan"] += 1
            continue
        plans.sort(key=lambda r: r.line)
        plan = plans[-1]
        if len(plans) > 1:
            notes.append(
                f"Person {_at(prow)}: {len(plans)} active plans; the last listed ({_at(plan)}) used"
            )
        aid = plan["activeplanstableid"]
        transfer_due = due.get(aid)
        ranked = list(need_of.get(aid, []))
        place_rows = list(place_of.get(aid, []))
        if dob is None:
            unused.append(f"Person: {_at(prow)}: personbirthdate empty: not used")
            counts["unusable"] += 1
            continue
        nc_year = nc_year_from_birth(dob, year)
        if not MIN_NC_YEAR <= nc_year <= MAX_NC_YEAR:
            unused.append(
                f"Person: {_at(prow)}: aged outside 0-25 on 31 August {year} "
                f"(national curriculum year {nc_year}): not used"
            )
            counts["unusable"] += 1
            continue
        ranked.sort(key=lambda t: (t[0], t[2].line))
        firsts = [t for t in ranked if t[0] == 1]
        if not firsts:
            unused.append(
                f"Person: {_at(prow)}: its active plan ({_at(plan)}) has no SEN need of rank 1: "
                "not used"
            )
            counts["unusable"] += 1
            continue
        primary = firsts[0][1]
        if len(firsts) > 1:
            notes.append(
                f"SEN need: {_at(firsts[1][2])}: a second need of rank 1 for one plan: "
                f"the first ({_at(firsts[0][2])}) is the primary need"
            )
        secondary = frozenset(n for _, n, _ in ranked[1:] if n is not primary)
        pc = _pc(prow["postcode"])
        if not pc:
            unused.append(f"Person: {_at(prow)}: postcode empty: no home point: not used")
            counts["unusable"] += 1
            continue
        if pc not in postcodes.points:
            unused.append(
                f"Person: {_at(prow)}: postcode not in {postcodes.file}: no home point: not used"
            )
            counts["unusable"] += 1
            continue
        point = postcodes.points[pc]
        if point is None:
            lsoa = postcodes.lsoa_of.get(pc)
            point = postcodes.lsoa_points.get(lsoa) if lsoa else None
            if point is None:
                unused.append(
                    f"Person: {_at(prow)}: postcode has no grid reference in {postcodes.file}"
                    " and no LSOA centroid: no home point: not used"
                )
                counts["unusable"] += 1
                continue
            counts["home at the LSOA centroid"] += 1
        else:
            counts["home at the postcode"] += 1

        current: str | None = None
        open_rows = [p for p in place_rows if p.leaving is None or p.leaving > census]
        open_rows.sort(key=lambda p: (p.rank if p.rank is not None else 99, p.row.line))
        if not open_rows:
            counts["no open placement"] += 1
        else:
            top = open_rows[0]
            rank, urn, ukprn, unit, rp, prow_p = (
                top.rank,
                top.urn,
                top.ukprn,
                top.unit,
                top.rp,
                top.row,
            )
            if rank != 1:
                notes.append(
                    f"Placement detail: {_at(prow_p)}: no open placement of rank 1; the open one "
                    f"of rank {rank} is the current setting"
                )
            base = urn or ukprn
            if not base:
                counts["open placement without URN/UKPRN"] += 1
                unused.append(
                    f"Placement detail: {_at(prow_p)}: open placement without URN or UKPRN "
                    f"(sensetting {prow_p['sensetting']!r}): no current setting, the child moves"
                )
            else:
                wanted = [f"{urn}-SU"] if unit and urn else []
                wanted += [f"{urn}-RP"] if rp and urn else []
                if settings is None:
                    current = wanted[0] if wanted else base
                else:
                    current = next((w for w in [*wanted, base] if w in settings), None)
                    if current is None:
                        counts["current setting not in settings.csv"] += 1
                        unused.append(
                            f"Placement detail: {_at(prow_p)}: setting {base} is not in "
                            "settings.csv: no current setting, the child moves"
                        )
                    elif wanted and current == base:
                        counts["unit not in settings.csv: the school itself"] += 1
        if options.need_band is not None:
            band = options.need_band
            bands[f"band {band} (--need-band)"] += 1
        else:
            kind = settings.get(current) if settings is not None and current else None
            if kind is not None:
                band = BAND_BY_KIND[kind]
                bands[f"band {band} from its setting's kind ({kind.value})"] += 1
            elif current is not None and ("-SU" in current or "-RP" in current):
                band = BAND_BY_KIND[SettingKind.RESOURCED_PROVISION]
                bands[f"band {band} (SEN unit or resourced provision)"] += 1
            else:
                band = BAND_NO_SETTING
                why = "no current setting" if current is None else "its setting's kind unknown"
                bands[f"band {band} ({why})"] += 1
        move = False
        if transfer_due is not None and transfer_due.year == year and transfer_due >= census:
            move = True
            counts["phase transfer due this year: move_requested"] += 1
        cid = _pseudonym(key, pid)
        while cid in ids:  # pragma: no cover - 48-bit pseudonyms: a clash is ~1e-7 at 20,000
            cid = _pseudonym(key, cid + pid)
        ids.add(cid)
        try:
            child = Child(
                child_id=cid,
                location=Location(point[0], point[1]),
                primary_need=primary,
                need_band=band,
                nc_year=nc_year,
                secondary_needs=secondary,
                sex=sex,
                current_setting_id=current,
                move_requested=move,
            )
        except DomainError as e:
            unused.append(f"Person: {_at(prow)}: {e.field}: {e.message}: not used")
            counts["unusable"] += 1
            continue
        children.append(child)
        mapping.append((cid, pid, prow["upn"], prow["uniquelearnernumber"]))

    notes[:0] = [
        "child ids: keyed-HMAC pseudonyms of persontableid (a new random key each import, "
        "so ids differ between imports); names, UPNs, ULNs, postcodes and dates of birth are "
        "not written",
        f"national curriculum year: age on 31 August {year} minus 4 (academic year "
        f"{year}/{(year + 1) % 100:02d})",
        f"open placement: leavingdate empty or after the census date {census.isoformat()}; "
        "the open placement of rank 1 is the current setting (URN, else UKPRN; <URN>-SU or "
        "<URN>-RP where senunitindicator or resourcedprovisionindicator is set)",
        "primary need: the SEN need of rank 1; secondary needs: the other ranks",
        "need band: SEN2 records none; "
        + "; ".join(f"{n} children: {k}" for k, n in sorted(bands.items())),
        "required features, journey limits, transport eligibility, looked-after status, "
        "siblings and preferences: SEN2 records none; none assumed (add them in children.csv)",
    ]
    if transfer_col:
        notes.append(
            f"phasetransferduedate in {year} (on or after the census date): move_requested "
            "(the plan must name a setting for the new phase)"
        )
    if settings is None:
        notes.append(
            "no settings.csv: current settings written as the return gives them; each must be "
            "a setting_id of the area's settings.csv"
        )
    order = {spec.name: i for i, spec in enumerate(MODULES.values())}

    def by_place(line: str) -> tuple[int, str, int]:
        m = re.match(r"^([^:]+): (.*?) row (\d+):", line)
        return (order.get(m[1], 99), m[2], int(m[3])) if m else (99, line, 0)

    unused.sort(key=by_place)
    counts["children"] = len(children)
    counts["persons"] = len(persons)
    return Sen2Import(
        children=tuple(sorted(children, key=lambda c: c.child_id)),
        mapping=tuple(sorted(mapping)),
        assumptions=tuple(notes),
        unused=tuple(unused),
        counts=dict(counts),
    )


def mapping_csv_text(mapping: Sequence[tuple[str, str, str, str]]) -> str:
    """The pseudonym mapping as CSV: ``child_id,persontableid,upn,uln``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("child_id", "persontableid", "upn", "uln"))
    w.writerows(mapping)
    return buf.getvalue()
