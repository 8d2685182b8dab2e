"""Read an area folder (:mod:`placement.files.area_format`) into an :class:`~placement.area.Area`.

Every problem in a file is an :class:`~placement.files.errors.InputError` naming the file, the
line as a text editor shows it (the header is line 1), the column, and what is wrong, with a
"did you mean" for near misses. Loading stops at the first problem.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from placement.area import Area, TravelTime, suggest
from placement.domain import (
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
from placement.files.area_format import (
    CHILD_COLUMNS,
    CHILD_FILE,
    POLICY_FILE,
    SETTING_COLUMNS,
    SETTING_FILE,
    TRAVEL_COLUMNS,
    TRAVEL_FILE,
)
from placement.files.csv_reader import (
    CsvRow,
    CsvTable,
    first_seen,
    parse_bool,
    parse_enum,
    parse_float,
    parse_int,
    read_csv,
    required_int,
    split_items,
)
from placement.files.errors import InputError
from placement.files.policy_files import read_policy_overrides

__all__ = ["UNREACHABLE_MIN", "LoadedArea", "latlon_to_bng", "load_area"]

_ESTIMABLE = frozenset(SETTING_COLUMNS[1:-1]) | {"synthetic"}
"""What ``estimated`` may list: a settings.csv column, or ``synthetic`` (a made-up setting)."""
_GEO_COLUMNS = ("latitude", "longitude")  # accepted on input instead of easting/northing
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

T = TypeVar("T")


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
    settings, setting_line = _read_settings(directory / SETTING_FILE)
    sorted_ids = sorted(setting_line)
    children, child_line = _read_children(directory / CHILD_FILE, setting_line, sorted_ids)
    travel: list[TravelTime] = []
    if (directory / TRAVEL_FILE).exists():
        travel = _read_travel(directory / TRAVEL_FILE, child_line, setting_line, sorted_ids)
    overrides = read_policy_overrides(directory / POLICY_FILE)
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


def _read_settings(path: Path) -> tuple[list[Setting], dict[str, int]]:
    """The settings of ``settings.csv``, and each one's line."""
    table = read_csv(path, known=(*SETTING_COLUMNS, *_GEO_COLUMNS), required=_SETTING_REQUIRED)
    _check_location_columns(table)
    settings: list[Setting] = []
    line_of: dict[str, int] = {}
    for row in table.rows:
        s = _setting(row)
        first_seen(row, "setting_id", s.setting_id, line_of)
        settings.append(s)
    return settings, line_of


def _read_children(
    path: Path, setting_line: Mapping[str, int], sorted_ids: Sequence[str]
) -> tuple[list[Child], dict[str, int]]:
    """The children of ``children.csv``, and each one's line."""
    table = read_csv(path, known=(*CHILD_COLUMNS, *_GEO_COLUMNS), required=_CHILD_REQUIRED)
    _check_location_columns(table)
    if not (table.has("nc_year") or table.has("date_of_birth")):
        raise InputError(
            CHILD_FILE,
            table.header_line,
            "nc_year",
            "required column is missing: give nc_year or date_of_birth (or both)",
        )
    children: list[Child] = []
    line_of: dict[str, int] = {}
    for row in table.rows:
        c = _child(row, setting_line, sorted_ids)
        first_seen(row, "child_id", c.child_id, line_of)
        children.append(c)
    return children, line_of


def _read_travel(
    path: Path,
    child_line: Mapping[str, int],
    setting_line: Mapping[str, int],
    sorted_ids: Sequence[str],
) -> list[TravelTime]:
    """The journey times of ``travel_minutes.csv``, each pair once, between known children
    and settings."""
    table = read_csv(path, known=TRAVEL_COLUMNS, required=TRAVEL_COLUMNS)
    travel: list[TravelTime] = []
    pair_line: dict[str, int] = {}
    for row in table.rows:
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
        first_seen(row, "setting_id", f"{cid} -> {sid}", pair_line)
        travel.append(TravelTime(cid, sid, _minutes(row)))
    return travel


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


def _pair(row: CsvRow, first: str, second: str) -> tuple[float, float] | None:
    """The numbers in two columns that go together; ``None`` if both are empty."""
    if not (row[first] or row[second]):
        return None
    if not row[first]:
        raise row.fail(first, f"is empty but {second} is given")
    if not row[second]:
        raise row.fail(second, f"is empty but {first} is given")
    a, b = parse_float(row, first), parse_float(row, second)
    assert a is not None
    assert b is not None
    return a, b


def _location(row: CsvRow) -> Location:
    bng = _pair(row, "easting", "northing")
    if bng is not None:
        try:
            return Location(*bng)
        except DomainError as err:
            raise row.fail(err.field, f"{err.message} (British National Grid metres)") from None
    geo = _pair(row, "latitude", "longitude")
    if geo is None:
        raise row.fail(
            "easting", "no location: give easting and northing, or latitude and longitude"
        )
    lat, lon = geo
    lat_txt, lon_txt = row["latitude"], row["longitude"]
    if not -90.0 <= lat <= 90.0:
        raise row.fail("latitude", f"{lat_txt!r} must be -90 to 90 degrees")
    if not -180.0 <= lon <= 180.0:
        raise row.fail("longitude", f"{lon_txt!r} must be -180 to 180 degrees")
    try:
        return Location(*latlon_to_bng(lat, lon))
    except DomainError:
        hint = " (are latitude and longitude swapped?)" if abs(lat) < 10 < abs(lon) else ""
        raise row.fail("latitude", f"{lat_txt}, {lon_txt} is outside Great Britain{hint}") from None


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


def _need(row: CsvRow, column: str, value: str) -> Need:
    return parse_enum(row, column, value, Need, "a SEN2 need code", upper=True)


def _features(row: CsvRow, column: str) -> frozenset[Feature]:
    return frozenset(
        parse_enum(row, column, f, Feature, "a feature") for f in split_items(row, column)
    )


def _designations(row: CsvRow) -> dict[Need, int]:
    """``ASD:4;SLCN:3``: each need designated and the band it is met to."""
    designations: dict[Need, int] = {}
    for item in split_items(row, "designations"):
        code, sep, band_txt = item.partition(":")
        need = _need(row, "designations", code.strip())
        if not sep or not band_txt.strip().isdigit():
            raise row.fail("designations", f"{item!r}: write need:band, e.g. ASD:4")
        if need in designations:
            raise row.fail("designations", f"{need} appears twice")
        designations[need] = int(band_txt)
    return designations


def _pools(row: CsvRow) -> dict[Need, Pool]:
    """``ASD:40/35;SLCN:10``: each need's places (and pupils on roll in them)."""
    pools: dict[Need, Pool] = {}
    for item in split_items(row, "pools"):
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
    return pools


def _estimated(row: CsvRow) -> frozenset[str]:
    estimated = frozenset(split_items(row, "estimated"))
    for item in sorted(estimated - _ESTIMABLE):
        hint = suggest(item, sorted(_ESTIMABLE))
        raise row.fail("estimated", f"{item!r} is not a settings.csv column or 'synthetic'{hint}")
    return estimated


def _setting(row: CsvRow) -> Setting:
    sid = row.key("setting_id")
    kind = parse_enum(row, "kind", row["kind"], SettingKind, "a setting kind")
    entry_txt = row["entry"]
    entry = parse_enum(row, "entry", entry_txt, Entry, "an entry") if entry_txt else Entry.MIXED
    designations = _designations(row)
    pools = _pools(row)
    features = _features(row, "features")
    location = _location(row)
    low, high = required_int(row, "low_age"), required_int(row, "high_age")
    capacity = required_int(row, "capacity")
    roll = parse_int(row, "roll") or 0
    fee = parse_int(row, "annual_fee_gbp")
    s41 = parse_bool(row, "s41_approved", False)
    la_code = row["la_code"]
    in_area = parse_bool(row, "in_area", True)
    estimated = _estimated(row)
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


def _date_of_birth(row: CsvRow) -> dt.date | None:
    dob_txt = row["date_of_birth"]
    if not dob_txt:
        return None
    try:
        return dt.date.fromisoformat(dob_txt)
    except ValueError:
        raise row.fail(
            "date_of_birth", f"{dob_txt!r} is not a date: write YYYY-MM-DD, e.g. 2014-03-31"
        ) from None


def _known_settings(
    row: CsvRow,
    column: str,
    ids: Iterable[str],
    setting_ids: Mapping[str, int],
    sorted_ids: Sequence[str],
) -> None:
    for sid in ids:
        if sid not in setting_ids:
            raise row.fail(
                column,
                f"unknown setting {sid!r}: not in {SETTING_FILE}{suggest(sid, sorted_ids)}",
            )


def _child(row: CsvRow, setting_ids: Mapping[str, int], sorted_ids: Sequence[str]) -> Child:
    cid = row.key("child_id")
    nc_year = parse_int(row, "nc_year")
    dob = _date_of_birth(row)
    if nc_year is None and dob is None:
        raise row.fail("nc_year", "give a national curriculum year or a date of birth")
    primary = _need(row, "primary_need", row.key("primary_need"))
    band = required_int(row, "need_band")
    secondary = frozenset(
        _need(row, "secondary_needs", x) for x in split_items(row, "secondary_needs")
    )
    features = _features(row, "required_features")
    sex_txt = row["sex"]
    if not sex_txt:
        raise row.fail("sex", "is empty: write F or M")
    sex = parse_enum(row, "sex", sex_txt, Sex, "F or M", upper=True)
    location = _location(row)
    current = row["current_setting_id"] or None
    refs = {
        "current_setting_id": [current] if current else [],
        "excluded_setting_ids": split_items(row, "excluded_setting_ids"),
        "sibling_setting_ids": split_items(row, "sibling_setting_ids"),
        "preferences": split_items(row, "preferences"),
    }
    for column, ids in refs.items():
        _known_settings(row, column, ids, setting_ids, sorted_ids)
    transport = parse_bool(row, "transport_eligible", False)
    looked_after = parse_bool(row, "looked_after", False)
    new_plan = parse_bool(row, "new_plan", False)
    move_requested = parse_bool(row, "move_requested", False)
    max_journey = parse_int(row, "max_journey_min")
    prefs = refs["preferences"]
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
            excluded_setting_ids=frozenset(refs["excluded_setting_ids"]),
            preferences=tuple(Preference(s, i) for i, s in enumerate(prefs, start=1)),
            looked_after=looked_after,
            sibling_setting_ids=frozenset(refs["sibling_setting_ids"]),
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
