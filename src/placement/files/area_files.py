"""Read and write an area as a directory of CSV files, with optional policy overrides.

An area directory holds::

    children.csv         one row per child (required)
    settings.csv         one row per setting (required)
    travel_minutes.csv   router journey times, long form: child_id, setting_id, minutes (optional)
    policy.toml          overrides laid over models/*.toml (optional)

The columns are documented in ``docs/data-format.md``. Every problem in a file is an
:class:`~placement.files.errors.InputError` naming the file, the line as a text editor shows it
(the header is line 1), the column, and what is wrong, with a "did you mean" for near misses.
Loading stops at the first problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import functools
import io
import json
import math
import os
import re
import secrets
import shutil
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from placement.area import Area, TravelTime, suggest
from placement.domain import (
    NEED_INDEX,
    Child,
    DomainError,
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
from placement.files.errors import InputError, OutputError
from placement.policy import SECTIONS

__all__ = [
    "CHILD_COLUMNS",
    "CHILD_FILE",
    "POLICY_FILE",
    "SETTING_COLUMNS",
    "SETTING_FILE",
    "TRAVEL_COLUMNS",
    "TRAVEL_FILE",
    "LoadedArea",
    "check_area_folder",
    "children_csv_text",
    "load_area",
    "settings_csv_text",
    "write_area",
]

CHILD_FILE = "children.csv"
SETTING_FILE = "settings.csv"
TRAVEL_FILE = "travel_minutes.csv"
POLICY_FILE = "policy.toml"
AREA_FILES = (CHILD_FILE, SETTING_FILE, TRAVEL_FILE, POLICY_FILE)

# Column order as written; latitude/longitude are accepted on input instead of easting/northing.
CHILD_COLUMNS: tuple[str, ...] = (
    "child_id",
    "nc_year",
    "date_of_birth",
    "easting",
    "northing",
    "primary_need",
    "need_band",
    "secondary_needs",
    "required_features",
    "transport_eligible",
    "max_journey_min",
    "sex",
    "looked_after",
    "current_setting_id",
    "excluded_setting_ids",
    "sibling_setting_ids",
    "preferences",
    "new_plan",
    "move_requested",
)
SETTING_COLUMNS: tuple[str, ...] = (
    "setting_id",
    "name",
    "kind",
    "easting",
    "northing",
    "low_age",
    "high_age",
    "capacity",
    "roll",
    "entry",
    "designations",
    "pools",
    "features",
    "s41_approved",
    "la_code",
    "in_area",
    "annual_fee_gbp",
    "estimated",
)
_ESTIMABLE = frozenset(SETTING_COLUMNS[1:-1]) | {"synthetic"}
"""What ``estimated`` may list: a settings.csv column, or ``synthetic`` (a made-up setting)."""
TRAVEL_COLUMNS: tuple[str, ...] = ("child_id", "setting_id", "minutes")
_GEO_COLUMNS = ("latitude", "longitude")
_CHILD_REQUIRED = ("child_id", "primary_need", "need_band", "sex")
_SETTING_REQUIRED = ("setting_id", "name", "kind", "low_age", "high_age", "capacity")

UNREACHABLE_MIN = 1440
"""Minutes recorded for a pair the router could not route (empty, ``nan`` or ``inf`` cell)."""

# DomainError.field -> the CSV column that holds the value.
_FIELD_COLUMN = {
    "preference.setting_id": "preferences",
    "preference.rank": "preferences",
    "age range": "low_age",
    "pool.places": "pools",
    "pool.roll": "pools",
    "location": "easting",
}

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# CSV reading, shared with placement.files.gias
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row of a CSV file: its cells by column name (spaces stripped), and where it is."""

    file: str
    line: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        """The cell's text with surrounding spaces removed; ``""`` if the column is absent."""
        return self.values.get(column, "")

    def fail(self, column: str | None, message: str) -> InputError:
        """An :class:`InputError` at this row (raise it)."""
        return InputError(self.file, self.line, column, message)


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A CSV file's header and data rows, each row with its first line number."""

    file: str
    header_line: int
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]
    encoding: str

    def has(self, column: str) -> bool:
        """Whether the header names ``column``."""
        return column in self.columns


def _decode(data: bytes, file: str, fallback_encoding: str | None) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as e:
        if fallback_encoding is not None:
            try:
                return data.decode(fallback_encoding), fallback_encoding
            except UnicodeDecodeError:
                pass
        line = data.count(b"\n", 0, e.start) + 1
        column = _column_at(data, e.start)
        raise InputError(
            file,
            line,
            column,
            f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8 "
            "(Excel: 'CSV UTF-8 (Comma delimited)')",
        ) from None


def _column_at(data: bytes, offset: int) -> str | None:
    """The header name of the CSV column that byte ``offset`` falls in (best effort)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    if line_start == 0:
        return None
    header_end = data.find(b"\n")
    header = data[:header_end].decode("utf-8-sig", errors="replace").strip("\r")
    names = next(csv.reader([header]), [])
    prefix = data[line_start:offset]
    quoted = False
    commas = 0
    for b in prefix:
        if b == 0x22:
            quoted = not quoted
        elif b == 0x2C and not quoted:
            commas += 1
    return names[commas].strip() if commas < len(names) else None


def read_csv(
    path: Path,
    *,
    known: Sequence[str] | None,
    required: Sequence[str] = (),
    lower_header: bool = True,
    fallback_encoding: str | None = None,
) -> CsvTable:
    """Read a CSV file with a header row into rows that know their line numbers.

    Parameters
    ----------
    path
        The file; its name is used in errors.
    known
        Every column name the file may have, or ``None`` to accept any (GIAS has ~140).
        An unknown name is an error with a "did you mean".
    required
        Columns the header must name.
    lower_header
        Compare header names case-insensitively (they are lower-cased).
    fallback_encoding
        Encoding to try when the bytes are not UTF-8 (GIAS downloads are Windows-1252);
        without one, non-UTF-8 bytes are an error.

    Raises
    ------
    InputError
        Missing or unreadable file, not UTF-8, not CSV, no header, unknown, duplicate or
        missing columns, or a row whose number of values differs from the header.
    """
    file = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(file, None, None, f"file not found in {path.parent}") from None
    except IsADirectoryError:
        raise InputError(file, None, None, "is a directory, not a file") from None
    except OSError as e:
        raise InputError(file, None, None, f"cannot read: {e.strerror}") from None
    text, encoding = _decode(data, file, fallback_encoding)

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    raw_rows: list[tuple[int, list[str]]] = []
    prev = 0
    try:
        for cells in reader:
            start = prev + 1
            prev = reader.line_num
            if not "".join(cells).strip():  # blank line, or a row of bare commas
                continue
            if header is None:
                header, header_line = cells, start
            else:
                raw_rows.append((start, cells))
    except csv.Error as e:
        raise InputError(file, reader.line_num, None, f"not valid CSV: {e}") from None

    if header is None:
        expect = f": expected a header row naming {', '.join(required)}" if required else ""
        raise InputError(file, None, None, f"file is empty{expect}")
    columns = tuple(h.strip().lower() if lower_header else h.strip() for h in header)
    _check_header(file, header_line, columns, known, required)

    named = [(c, i) for i, c in enumerate(columns) if c]
    unnamed = [i for i, c in enumerate(columns) if not c]
    width = len(columns)
    rows: list[CsvRow] = []
    for line, cells in raw_rows:
        if len(cells) != width:
            raise InputError(
                file,
                line,
                None,
                f"row has {len(cells)} values but the header has {width} columns "
                "(a comma inside a value needs quotes)",
            )
        for i in unnamed:
            if cells[i].strip():
                raise InputError(
                    file,
                    line,
                    None,
                    f"value {cells[i]!r} in column {i + 1}, which has no name in the header",
                )
        rows.append(CsvRow(file, line, {c: cells[i].strip() for c, i in named}))
    return CsvTable(file, header_line, columns, tuple(rows), encoding)


def _check_header(
    file: str,
    line: int,
    columns: Sequence[str],
    known: Sequence[str] | None,
    required: Sequence[str],
) -> None:
    named = [c for c in columns if c]
    if known is not None and named and not any(c in known for c in named):
        raise InputError(
            file,
            line,
            None,
            f"line {line} is not a header: expected column names such as "
            f"{', '.join(required or known[:4])}",
        )
    seen: set[str] = set()
    for c in named:
        if c in seen:
            raise InputError(file, line, c, "column appears twice in the header")
        seen.add(c)
    if known is not None:
        for c in named:
            if c not in known:
                raise InputError(file, line, c, f"unknown column{suggest(c, list(known))}")
    for c in required:
        if c not in seen:
            raise InputError(file, line, c, f"required column is missing{suggest(c, named)}")


# --------------------------------------------------------------------------------------------
# Cell parsers
# --------------------------------------------------------------------------------------------


def parse_int(row: CsvRow, column: str, *, default: int | None = None) -> int | None:
    """A whole number (``"12"``, or ``"12.0"`` as spreadsheets write it); empty -> ``default``."""
    s = row[column]
    if not s:
        return default
    try:
        return int(s)
    except ValueError:
        pass
    try:
        f = float(s)
    except ValueError:
        f = math.nan
    if math.isfinite(f) and f.is_integer():
        return int(f)
    raise row.fail(column, f"{s!r} is not a whole number")


def required_int(row: CsvRow, column: str) -> int:
    """A whole number that must be given."""
    v = parse_int(row, column)
    if v is None:
        raise row.fail(column, "is empty: a whole number is required")
    return v


def parse_float(row: CsvRow, column: str) -> float | None:
    """A decimal number; empty -> ``None``."""
    s = row[column]
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        raise row.fail(column, f"{s!r} is not a number") from None


def parse_bool(row: CsvRow, column: str, default: bool) -> bool:
    """true/false, yes/no, y/n or 1/0 in any case; empty -> ``default``."""
    s = row[column].lower()
    if not s:
        return default
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise row.fail(column, f"{row[column]!r} is not true/false (or yes/no, y/n, 1/0)")


def parse_enum(
    row: CsvRow, column: str, value: str, cls: type[E], what: str, *, upper: bool = False
) -> E:
    """``value`` as a member of ``cls`` (case-insensitive), with a "did you mean" if unknown."""
    key = value.upper() if upper else value.lower()
    try:
        return cls(key)
    except ValueError:
        choices = [m.value for m in cls]
        raise row.fail(column, f"{value!r} is not {what}{suggest(key, choices)}") from None


def _items(row: CsvRow, column: str) -> list[str]:
    s = row[column]
    return [x.strip() for x in s.split(";") if x.strip()] if s else []


def _need(row: CsvRow, column: str, value: str) -> Need:
    return parse_enum(row, column, value, Need, "a SEN2 need code", upper=True)


# --------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------


@functools.cache
def _wgs84_to_bng() -> Any:
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def latlon_to_bng(latitude: float, longitude: float) -> tuple[float, float]:
    """WGS84 latitude/longitude (degrees) to British National Grid easting/northing (metres)."""
    e, n = _wgs84_to_bng().transform(longitude, latitude)
    return float(e), float(n)


def _location(row: CsvRow) -> Location:
    e_txt, n_txt = row["easting"], row["northing"]
    if e_txt or n_txt:
        if not e_txt:
            raise row.fail("easting", "is empty but northing is given")
        if not n_txt:
            raise row.fail("northing", "is empty but easting is given")
        e, n = parse_float(row, "easting"), parse_float(row, "northing")
        assert e is not None
        assert n is not None
        try:
            return Location(e, n)
        except DomainError as err:
            raise row.fail(err.field, f"{err.message} (British National Grid metres)") from None
    lat_txt, lon_txt = row["latitude"], row["longitude"]
    if lat_txt or lon_txt:
        if not lat_txt:
            raise row.fail("latitude", "is empty but longitude is given")
        if not lon_txt:
            raise row.fail("longitude", "is empty but latitude is given")
        lat, lon = parse_float(row, "latitude"), parse_float(row, "longitude")
        assert lat is not None
        assert lon is not None
        if not -90.0 <= lat <= 90.0:
            raise row.fail("latitude", f"{lat_txt!r} must be -90 to 90 degrees")
        if not -180.0 <= lon <= 180.0:
            raise row.fail("longitude", f"{lon_txt!r} must be -180 to 180 degrees")
        e, n = latlon_to_bng(lat, lon)
        try:
            return Location(e, n)
        except DomainError:
            hint = " (are latitude and longitude swapped?)" if abs(lat) < 10 < abs(lon) else ""
            raise row.fail(
                "latitude", f"{lat_txt}, {lon_txt} is outside Great Britain{hint}"
            ) from None
    raise row.fail("easting", "no location: give easting and northing, or latitude and longitude")


def _check_location_columns(table: CsvTable) -> None:
    bng = table.has("easting") and table.has("northing")
    geo = table.has("latitude") and table.has("longitude")
    if bng or geo:
        return
    for c in ("easting", "northing", "latitude", "longitude"):
        pair = ("easting", "northing") if c in ("easting", "northing") else _GEO_COLUMNS
        if table.has(c):
            missing = next(p for p in pair if not table.has(p))
            raise InputError(table.file, table.header_line, missing, "required column is missing")
    raise InputError(
        table.file,
        table.header_line,
        "easting",
        "required column is missing: give easting and northing, or latitude and longitude",
    )


# --------------------------------------------------------------------------------------------
# Rows -> domain objects
# --------------------------------------------------------------------------------------------


def _domain(row: CsvRow, build: Callable[[], T]) -> T:
    try:
        return build()
    except DomainError as e:
        raise row.fail(_FIELD_COLUMN.get(e.field, e.field), e.message) from None


def _setting(row: CsvRow) -> Setting:
    sid = row["setting_id"]
    if not sid:
        raise row.fail("setting_id", "is empty")
    kind = parse_enum(row, "kind", row["kind"], SettingKind, "a setting kind")
    entry_txt = row["entry"]
    entry = parse_enum(row, "entry", entry_txt, Entry, "an entry") if entry_txt else Entry.MIXED
    designations: dict[Need, int] = {}
    for item in _items(row, "designations"):
        code, sep, band_txt = item.partition(":")
        need = _need(row, "designations", code.strip())
        if not sep or not band_txt.strip().isdigit():
            raise row.fail("designations", f"{item!r}: write need:band, e.g. ASD:4")
        if need in designations:
            raise row.fail("designations", f"{need} appears twice")
        designations[need] = int(band_txt)
    pools: dict[Need, Pool] = {}
    for item in _items(row, "pools"):
        code, sep, rest = item.partition(":")
        need = _need(row, "pools", code.strip())
        places_txt, slash, roll_txt = rest.partition("/")
        places_txt, roll_txt = places_txt.strip(), roll_txt.strip()
        if not sep or not places_txt.isdigit() or (slash and not roll_txt.isdigit()):
            raise row.fail(
                "pools", f"{item!r}: write need:places or need:places/roll, e.g. ASD:40/35"
            )
        if need in pools:
            raise row.fail("pools", f"{need} appears twice")
        pools[need] = Pool(int(places_txt), int(roll_txt or 0))  # digits: always valid
    features = frozenset(
        parse_enum(row, "features", f, Feature, "a feature") for f in _items(row, "features")
    )
    location = _location(row)
    low, high = required_int(row, "low_age"), required_int(row, "high_age")
    capacity = required_int(row, "capacity")
    roll = parse_int(row, "roll") or 0
    fee = parse_int(row, "annual_fee_gbp")
    s41 = parse_bool(row, "s41_approved", False)
    la_code = row["la_code"]
    in_area = parse_bool(row, "in_area", True)
    estimated = frozenset(_items(row, "estimated"))
    for item in sorted(estimated - _ESTIMABLE):
        hint = suggest(item, sorted(_ESTIMABLE))
        raise row.fail("estimated", f"{item!r} is not a settings.csv column or 'synthetic'{hint}")
    name = row["name"]
    setting: Setting = _domain(
        row,
        lambda: Setting(
            setting_id=sid,
            name=name,
            kind=kind,
            location=location,
            low_age=low,
            high_age=high,
            capacity=capacity,
            roll=roll,
            entry=entry,
            designations=designations,
            features=features,
            pools=pools,
            s41_approved=s41,
            la_code=la_code,
            in_area=in_area,
            annual_fee_gbp=fee,
            estimated=estimated,
        ),
    )
    return setting


def _child(row: CsvRow, setting_ids: Mapping[str, int], sorted_ids: Sequence[str]) -> Child:
    cid = row["child_id"]
    if not cid:
        raise row.fail("child_id", "is empty")
    nc_year = parse_int(row, "nc_year")
    dob_txt = row["date_of_birth"]
    dob: dt.date | None = None
    if dob_txt:
        try:
            dob = dt.date.fromisoformat(dob_txt)
        except ValueError:
            raise row.fail(
                "date_of_birth", f"{dob_txt!r} is not a date: write YYYY-MM-DD, e.g. 2014-03-31"
            ) from None
    if nc_year is None and dob is None:
        raise row.fail("nc_year", "give a national curriculum year or a date of birth")
    need_txt = row["primary_need"]
    if not need_txt:
        raise row.fail("primary_need", "is empty")
    primary = _need(row, "primary_need", need_txt)
    band = required_int(row, "need_band")
    secondary = frozenset(_need(row, "secondary_needs", x) for x in _items(row, "secondary_needs"))
    features = frozenset(
        parse_enum(row, "required_features", f, Feature, "a feature")
        for f in _items(row, "required_features")
    )
    sex_txt = row["sex"]
    if not sex_txt:
        raise row.fail("sex", "is empty: write F or M")
    sex = parse_enum(row, "sex", sex_txt, Sex, "F or M", upper=True)
    location = _location(row)

    def known(column: str, ids: Iterable[str]) -> None:
        for sid in ids:
            if sid not in setting_ids:
                raise row.fail(
                    column,
                    f"unknown setting {sid!r}: not in {SETTING_FILE}{suggest(sid, sorted_ids)}",
                )

    current = row["current_setting_id"] or None
    excluded = _items(row, "excluded_setting_ids")
    siblings = _items(row, "sibling_setting_ids")
    prefs = _items(row, "preferences")
    known("current_setting_id", [current] if current else [])
    known("excluded_setting_ids", excluded)
    known("sibling_setting_ids", siblings)
    known("preferences", prefs)
    transport = parse_bool(row, "transport_eligible", False)
    looked_after = parse_bool(row, "looked_after", False)
    new_plan = parse_bool(row, "new_plan", False)
    move_requested = parse_bool(row, "move_requested", False)
    max_journey = parse_int(row, "max_journey_min")
    child: Child = _domain(
        row,
        lambda: Child(
            child_id=cid,
            location=location,
            primary_need=primary,
            need_band=band,
            nc_year=nc_year,
            date_of_birth=dob,
            secondary_needs=secondary,
            required_features=features,
            transport_eligible=transport,
            max_journey_min=max_journey,
            sex=sex,
            current_setting_id=current,
            excluded_setting_ids=frozenset(excluded),
            preferences=tuple(Preference(s, i) for i, s in enumerate(prefs, start=1)),
            looked_after=looked_after,
            sibling_setting_ids=frozenset(siblings),
            new_plan=new_plan,
            move_requested=move_requested,
        ),
    )
    return child


def _minutes(row: CsvRow) -> int:
    s = row["minutes"]
    if not s or s.lower() in ("nan", "inf", "null", "none"):
        return UNREACHABLE_MIN
    v = parse_float(row, "minutes")
    assert v is not None
    if not 0 <= v <= UNREACHABLE_MIN:
        raise row.fail("minutes", f"{s!r} must be 0 to {UNREACHABLE_MIN} minutes")
    return math.ceil(v)


def _first_seen(row: CsvRow, column: str, key: str, seen: dict[str, int]) -> None:
    if key in seen:
        raise row.fail(column, f"{key!r} appears twice (first on line {seen[key]})")
    seen[key] = row.line


# --------------------------------------------------------------------------------------------
# policy.toml
# --------------------------------------------------------------------------------------------

_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _read_policy(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    file = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(file, None, None, f"not UTF-8 text: {e.reason}") from None
    except OSError as e:
        raise InputError(file, None, None, f"cannot read: {e.strerror}") from None
    try:
        overrides = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _TOML_WHERE.search(msg)
        if m:
            line: int | None = int(m[1])
            msg = msg[: m.start()]
        elif "end of document" in msg:
            line = text.count("\n") + 1
            msg = msg.replace("(at end of document)", "").strip()
        else:
            line = None
        raise InputError(file, line, None, f"not valid TOML: {msg}") from None
    except RecursionError:
        raise InputError(file, None, None, "not valid TOML: nested too deeply") from None
    allowed = [*SECTIONS, "academic_year_start"]
    for key in overrides:
        if key not in allowed:
            found = re.search(rf"^[ \t]*(\[[ \t]*)?{re.escape(key)}\b", text, flags=re.MULTILINE)
            line = text.count("\n", 0, found.start()) + 1 if found else None
            raise InputError(file, line, None, f"unknown section {key!r}{suggest(key, allowed)}")
    return overrides


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _toml_str(k)


def _toml_str(s: str) -> str:
    return json.dumps(s).replace("\x7f", "\\u007f")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, dt.date | dt.time):  # datetime is a date
        return v.isoformat()
    if isinstance(v, Mapping):
        inner = ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items())
        return "{" + inner + "}" if inner else "{}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} to TOML")


def _toml_table(out: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    if path and (scalars or not tables):
        if out:
            out.append("")
        out.append("[" + ".".join(_toml_key(p) for p in path) + "]")
    for k, v in scalars:
        out.append(f"{_toml_key(str(k))} = {_toml_value(v)}")
    for k, v in tables:
        _toml_table(out, (*path, str(k)), v)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text for nested tables of scalars, dates and lists (enough for policy overrides).

    Raises
    ------
    TypeError
        A value TOML cannot hold (``None``, an object).
    ValueError
        The text would not read back as ``data``.
    """
    out: list[str] = []
    _toml_table(out, (), data)
    text = "\n".join(out) + "\n"
    if tomllib.loads(text) != _plain(data):
        raise ValueError("policy overrides do not survive a TOML round trip")
    return text


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedArea:
    """An area read from a directory, with its ``policy.toml`` overrides (parsed, unvalidated:
    pass them to :func:`placement.files.policy_files.load_policy`)."""

    area: Area
    policy_overrides: dict[str, Any]


def load_area(directory: Path) -> LoadedArea:
    """Read an area directory (``children.csv``, ``settings.csv``, optional
    ``travel_minutes.csv`` and ``policy.toml``).

    The area's name is the directory's name; its ``la_code`` is the ``la_code`` shared by every
    in-area setting, or ``""`` if they differ.

    Raises
    ------
    InputError
        The first problem found, with file, line, column and a "did you mean" for near misses.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(directory.name or str(directory), None, None, "area directory not found")

    st = read_csv(
        directory / SETTING_FILE,
        known=(*SETTING_COLUMNS, *_GEO_COLUMNS),
        required=_SETTING_REQUIRED,
    )
    _check_location_columns(st)
    settings: list[Setting] = []
    setting_line: dict[str, int] = {}
    for row in st.rows:
        s = _setting(row)
        _first_seen(row, "setting_id", s.setting_id, setting_line)
        settings.append(s)
    sorted_ids = sorted(setting_line)

    ct = read_csv(
        directory / CHILD_FILE,
        known=(*CHILD_COLUMNS, *_GEO_COLUMNS),
        required=_CHILD_REQUIRED,
    )
    _check_location_columns(ct)
    if not (ct.has("nc_year") or ct.has("date_of_birth")):
        raise InputError(
            CHILD_FILE,
            ct.header_line,
            "nc_year",
            "required column is missing: give nc_year or date_of_birth (or both)",
        )
    children: list[Child] = []
    child_line: dict[str, int] = {}
    for row in ct.rows:
        c = _child(row, setting_line, sorted_ids)
        _first_seen(row, "child_id", c.child_id, child_line)
        children.append(c)

    travel: list[TravelTime] = []
    if (directory / TRAVEL_FILE).exists():
        tt = read_csv(directory / TRAVEL_FILE, known=TRAVEL_COLUMNS, required=TRAVEL_COLUMNS)
        pair_line: dict[str, int] = {}
        for row in tt.rows:
            cid, sid = row["child_id"], row["setting_id"]
            if cid not in child_line:
                raise row.fail(
                    "child_id",
                    f"unknown child {cid!r}: not in {CHILD_FILE}"
                    f"{suggest(cid, sorted(child_line)) if len(child_line) < 5000 else ''}",
                )
            if sid not in setting_line:
                raise row.fail(
                    "setting_id",
                    f"unknown setting {sid!r}: not in {SETTING_FILE}{suggest(sid, sorted_ids)}",
                )
            _first_seen(row, "setting_id", f"{cid} -> {sid}", pair_line)
            travel.append(TravelTime(cid, sid, _minutes(row)))

    overrides = _read_policy(directory / POLICY_FILE)
    codes = {s.la_code for s in settings if s.in_area}
    la_code = codes.pop() if len(codes) == 1 else ""
    name = directory.resolve().name
    try:
        area = Area(
            name=name,
            children=tuple(children),
            settings=tuple(settings),
            travel=tuple(travel),
            la_code=la_code,
        )
    except DomainError as e:  # pragma: no cover - every check above comes first
        raise InputError(name, None, e.field, e.message) from None
    return LoadedArea(area=area, policy_overrides=overrides)


def _num(v: float) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _bool_text(b: bool) -> str:
    return "true" if b else "false"


def _opt(v: object | None) -> str:
    return "" if v is None else str(v)


def _child_row(c: Child) -> list[str]:
    return [
        c.child_id,
        _opt(c.nc_year),
        c.date_of_birth.isoformat() if c.date_of_birth else "",
        _num(c.location.easting),
        _num(c.location.northing),
        c.primary_need.value,
        str(c.need_band),
        ";".join(n.value for n in sorted(c.secondary_needs, key=NEED_INDEX.__getitem__)),
        ";".join(f.value for f in Feature if f in c.required_features),
        _bool_text(c.transport_eligible),
        _opt(c.max_journey_min),
        c.sex.value,
        _bool_text(c.looked_after),
        c.current_setting_id or "",
        ";".join(sorted(c.excluded_setting_ids)),
        ";".join(sorted(c.sibling_setting_ids)),
        ";".join(p.setting_id for p in sorted(c.preferences, key=lambda p: p.rank)),
        _bool_text(c.new_plan),
        _bool_text(c.move_requested),
    ]


def _setting_row(s: Setting) -> list[str]:
    pools = []
    for n in Need:
        if n in s.pools:
            p = s.pools[n]
            pools.append(f"{n.value}:{p.places}/{p.roll}" if p.roll else f"{n.value}:{p.places}")
    return [
        s.setting_id,
        s.name,
        s.kind.value,
        _num(s.location.easting),
        _num(s.location.northing),
        str(s.low_age),
        str(s.high_age),
        str(s.capacity),
        str(s.roll),
        s.entry.value,
        ";".join(f"{n.value}:{s.designations[n]}" for n in Need if n in s.designations),
        ";".join(pools),
        ";".join(f.value for f in Feature if f in s.features),
        _bool_text(s.s41_approved),
        s.la_code,
        _bool_text(s.in_area),
        _opt(s.annual_fee_gbp),
        ";".join(sorted(s.estimated)),
    ]


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        fh.flush()
        os.fsync(fh.fileno())


def settings_csv_text(settings: Iterable[Setting]) -> str:
    """``settings.csv`` as :func:`write_area` writes it (rows sorted by id), as text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SETTING_COLUMNS)
    w.writerows(_setting_row(s) for s in sorted(settings, key=lambda s: s.setting_id))
    return buf.getvalue()


def children_csv_text(children: Iterable[Child]) -> str:
    """``children.csv`` as :func:`write_area` writes it (rows sorted by id), as text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CHILD_COLUMNS)
    w.writerows(_child_row(c) for c in sorted(children, key=lambda c: c.child_id))
    return buf.getvalue()


def check_area_folder(directory: Path, *, overwrite: bool = False) -> None:
    """Whether :func:`write_area` may write an area to ``directory``, checked before the work
    that makes the area (nothing is created). Raises as :func:`write_area` does; a non-empty
    folder without ``overwrite`` is a :class:`FileExistsError` whose ``errno`` is
    ``ENOTEMPTY``, so a caller can name its own way to overwrite (the CLI's ``--force``)."""
    directory = Path(directory)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is not a directory", str(directory))
    try:
        present = sorted(p.name for p in directory.iterdir())
    except OSError as e:
        raise OutputError(directory, f"cannot read the folder ({e.strerror})") from None
    if present and not overwrite:
        raise FileExistsError(
            errno.ENOTEMPTY, "directory is not empty (pass overwrite=True)", str(directory)
        )
    foreign = [n for n in present if n not in AREA_FILES]
    if foreign:
        raise FileExistsError(
            errno.EEXIST,
            f"directory holds files other than area files ({', '.join(foreign[:5])}); "
            "refusing to replace it",
            str(directory),
        )


def write_area(
    area: Area,
    directory: Path,
    policy_overrides: Mapping[str, Any] | None = None,
    *,
    overwrite: bool = False,
) -> None:
    """Write ``area`` (and any policy overrides) as an area directory :func:`load_area` reads.

    Output is deterministic: rows sorted by id, columns in a fixed order, ``\\n`` line ends,
    coordinates written so they read back exactly. ``travel_minutes.csv`` is written only when
    the area has travel times, ``policy.toml`` only when there are overrides. The area's
    ``name``, ``la_code`` and ``notes`` are not stored (the name is the directory's).

    The files are written into a new sibling directory which is then renamed into place, so a
    failure leaves either the old directory or the new one, never a half-written mix.

    Parameters
    ----------
    overwrite
        Replace an existing non-empty directory. It may hold only area files
        (children.csv, settings.csv, travel_minutes.csv, policy.toml): anything else is
        refused, so overwriting never deletes a file this function did not write.

    Raises
    ------
    FileExistsError
        ``directory`` is a file, or is non-empty and ``overwrite`` is false, or holds files
        other than area files.
    OutputError
        ``directory`` or its parent cannot be created, read or written (a part of the path
        is a file, or a folder is read-only); nothing is changed.
    TypeError, ValueError
        ``policy_overrides`` cannot be written as TOML (nothing is written).
    """
    directory = Path(directory)
    check_area_folder(directory, overwrite=overwrite)
    toml_text = dumps_toml(policy_overrides) if policy_overrides else None

    from placement.files.outputs import make_folder

    parent = directory.resolve().parent
    make_folder(parent)
    tmp = parent / f".{directory.name}.tmp-{secrets.token_hex(6)}"
    try:
        tmp.mkdir()
    except OSError as e:
        raise OutputError(parent, f"cannot create a folder in it ({e.strerror})") from None
    try:
        _write_csv(
            tmp / SETTING_FILE,
            SETTING_COLUMNS,
            (_setting_row(s) for s in sorted(area.settings, key=lambda s: s.setting_id)),
        )
        _write_csv(
            tmp / CHILD_FILE,
            CHILD_COLUMNS,
            (_child_row(c) for c in sorted(area.children, key=lambda c: c.child_id)),
        )
        if area.travel:
            _write_csv(
                tmp / TRAVEL_FILE,
                TRAVEL_COLUMNS,
                (
                    [t.child_id, t.setting_id, str(t.minutes)]
                    for t in sorted(area.travel, key=lambda t: (t.child_id, t.setting_id))
                ),
            )
        if toml_text is not None:
            with (tmp / POLICY_FILE).open("w", encoding="utf-8", newline="\n") as fh:
                fh.write(toml_text)
                fh.flush()
                os.fsync(fh.fileno())
        _swap_into_place(tmp, directory.resolve())
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise OutputError(directory, e.strerror or str(e)) from None
        raise


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished ``tmp`` directory to ``target``, replacing what is there."""
    if not target.exists():
        tmp.rename(target)
        return
    if not any(target.iterdir()):
        target.rmdir()
        try:
            tmp.rename(target)
        except BaseException:
            target.mkdir(exist_ok=True)
            raise
        return
    old = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
    target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
