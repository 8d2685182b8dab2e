"""Import settings from a GIAS (Get Information about Schools) establishment download.

Reads the ``edubasealldata*.csv`` extract (one row per establishment, real GIAS column names)
and turns each open establishment a plan can name into :class:`~placement.domain.Setting`
objects. GIAS is often incomplete (DOMAIN.md section 4: SEN1 filled on about 1 in 9 rows;
capacity "does not take account of type of need"), so the import records every assumption it
makes, naming the URN and field, and every row it skips, with the reason. The mapping table
is in ``docs/data-format.md``.

A mainstream school with resourced provision or an SEN unit becomes two (or three) settings:
the school itself, and ``<URN>-RP`` / ``<URN>-SU`` with the unit's own capacity and roll,
designated for the needs GIAS lists (SEN1-SEN13).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from placement.domain import (
    MAX_BAND,
    DomainError,
    Entry,
    Location,
    Need,
    Setting,
    SettingKind,
)
from placement.files.csv_reader import CsvRow, first_seen, parse_float, parse_int, read_csv

__all__ = [
    "DESIGNATION_BAND",
    "GIAS_KIND",
    "OPEN_STATUSES",
    "CapacityRules",
    "GiasImport",
    "import_gias",
]

# GIAS TypeOfEstablishment (code) -> kind. Codes verified against the GIAS code list
# (DOMAIN.md section 4; DfE establishment types 1-57).
GIAS_KIND: dict[int, SettingKind] = {
    1: SettingKind.MAINSTREAM,  # Community school
    2: SettingKind.MAINSTREAM,  # Voluntary aided school
    3: SettingKind.MAINSTREAM,  # Voluntary controlled school
    5: SettingKind.MAINSTREAM,  # Foundation school
    6: SettingKind.MAINSTREAM,  # City technology college
    15: SettingKind.MAINSTREAM,  # Local authority nursery school
    28: SettingKind.MAINSTREAM,  # Academy sponsor led
    34: SettingKind.MAINSTREAM,  # Academy converter
    35: SettingKind.MAINSTREAM,  # Free schools
    40: SettingKind.MAINSTREAM,  # University technical college
    41: SettingKind.MAINSTREAM,  # Studio schools
    7: SettingKind.SPECIAL_LA,  # Community special school
    12: SettingKind.SPECIAL_LA,  # Foundation special school
    33: SettingKind.SPECIAL_ACADEMY,  # Academy special sponsor led
    36: SettingKind.SPECIAL_ACADEMY,  # Free schools special
    44: SettingKind.SPECIAL_ACADEMY,  # Academy special converter
    8: SettingKind.NON_MAINTAINED_SPECIAL,  # Non-maintained special school
    10: SettingKind.INDEPENDENT_SPECIAL,  # Other independent special school
    11: SettingKind.INDEPENDENT_MAINSTREAM,  # Other independent school
    14: SettingKind.ALTERNATIVE_PROVISION,  # Pupil referral unit
    38: SettingKind.ALTERNATIVE_PROVISION,  # Free schools alternative provision
    42: SettingKind.ALTERNATIVE_PROVISION,  # Academy alternative provision converter
    43: SettingKind.ALTERNATIVE_PROVISION,  # Academy alternative provision sponsor led
    18: SettingKind.FE_COLLEGE,  # Further education
    31: SettingKind.FE_COLLEGE,  # Sixth form centres
    39: SettingKind.FE_COLLEGE,  # Free schools 16 to 19
    45: SettingKind.FE_COLLEGE,  # Academy 16-19 converter
    46: SettingKind.FE_COLLEGE,  # Academy 16 to 19 sponsor led
    32: SettingKind.SPECIALIST_POST16,  # Special post 16 institution
}

# Band to which a designated need is taken as met, by kind (GIAS records no band).
DESIGNATION_BAND: dict[SettingKind, int] = {
    SettingKind.SPECIAL_LA: MAX_BAND,
    SettingKind.SPECIAL_ACADEMY: MAX_BAND,
    SettingKind.NON_MAINTAINED_SPECIAL: MAX_BAND,
    SettingKind.INDEPENDENT_SPECIAL: MAX_BAND,
    SettingKind.SPECIALIST_POST16: MAX_BAND,
    SettingKind.RESOURCED_PROVISION: 4,
    SettingKind.SEN_UNIT: 4,
    SettingKind.ALTERNATIVE_PROVISION: 4,
    SettingKind.INDEPENDENT_MAINSTREAM: 4,
}
# Kinds whose SEN1-SEN13 list is not a designation (it describes a unit, or nothing usable).
_GENERAL_KINDS = frozenset({SettingKind.MAINSTREAM, SettingKind.FE_COLLEGE})

OPEN_STATUSES = frozenset({"Open", "Open, but proposed to close"})
SEN_COLUMNS = tuple(f"SEN{i} (name)" for i in range(1, 14))
_REQUIRED = (
    "URN",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "EstablishmentStatus (name)",
    "Easting",
    "Northing",
)
# GIAS need labels are "<code> - <description>"; BESD was replaced by SEMH in the 2014 Code.
_NEED_ALIASES = {"BESD": Need.SEMH}
_ENTRY = {"Mixed": Entry.MIXED, "Girls": Entry.GIRLS, "Boys": Entry.BOYS}
# Statutory ages by phase, used only when GIAS leaves the ages empty.
_PHASE_AGES = {
    "Nursery": (2, 5),
    "Primary": (4, 11),
    "Middle deemed primary": (8, 12),
    "Middle deemed secondary": (9, 13),
    "Secondary": (11, 16),
    "16 plus": (16, 19),
    "All-through": (4, 18),
}
_POST16_AGES = (16, 26)
MAX_HIGH_AGE = 26  # plans run to 25; Setting.high_age is exclusive
_UNITS = {
    "Resourced provision": ("RP",),
    "SEN unit": ("SU",),
    "Resourced provision and SEN unit": ("RP", "SU"),
}
_UNIT_SPEC = {
    "RP": (
        SettingKind.RESOURCED_PROVISION,
        "resourced provision",
        "ResourcedProvisionCapacity",
        "ResourcedProvisionOnRoll",
    ),
    "SU": (SettingKind.SEN_UNIT, "SEN unit", "SenUnitCapacity", "SenUnitOnRoll"),
}


@dataclass(frozen=True, slots=True)
class GiasImport:
    """Settings built from a GIAS file, what was assumed to build them, and what was left out.

    ``assumptions`` and ``skipped`` are sentences for a person: each names the URN and the
    GIAS field involved (assumptions that apply to a whole kind are listed once, with URNs).
    """

    settings: tuple[Setting, ...]
    assumptions: tuple[str, ...]
    skipped: tuple[str, ...]


@dataclass(slots=True)
class _Notes:
    assumptions: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    band_urns: dict[SettingKind, list[str]] = field(default_factory=dict)
    units_split: list[str] = field(default_factory=list)


def _parse_needs(row: CsvRow, urn: str, notes: _Notes) -> list[Need]:
    needs: list[Need] = []
    for col in SEN_COLUMNS:
        label = row[col]
        if not label:
            continue
        code = label.split(" - ", 1)[0].strip().upper()
        need: Need | None
        if code in _NEED_ALIASES:
            need = _NEED_ALIASES[code]
            notes.assumptions.append(
                f"URN {urn} {col}: {label!r} read as {need.value} (BESD became SEMH in 2014)"
            )
        else:
            try:
                need = Need(code)
            except ValueError:
                need = None
                notes.assumptions.append(f"URN {urn} {col}: {label!r} is not a SEN2 need: ignored")
        if need is not None and need not in needs:
            needs.append(need)
    return needs


def _ages(row: CsvRow, urn: str, kind: SettingKind, notes: _Notes) -> tuple[int, int] | None:
    low = parse_int(row, "StatutoryLowAge")
    high = parse_int(row, "StatutoryHighAge")
    if low is None or high is None:
        phase = row["PhaseOfEducation (name)"]
        guess = _PHASE_AGES.get(phase)
        if guess is None and kind in (SettingKind.FE_COLLEGE, SettingKind.SPECIALIST_POST16):
            guess = _POST16_AGES
        if guess is None:
            notes.skipped.append(
                f"URN {urn}: StatutoryLowAge/StatutoryHighAge empty and phase {phase!r} "
                "gives no ages: skipped"
            )
            return None
        low = guess[0] if low is None else low
        high = guess[1] if high is None else high
        notes.assumptions.append(
            f"URN {urn} StatutoryLowAge/StatutoryHighAge: empty, taken as {low}-{high} "
            f"(phase {phase or kind.value!r})"
        )
    if high > MAX_HIGH_AGE:
        notes.assumptions.append(
            f"URN {urn} StatutoryHighAge: {high} capped at {MAX_HIGH_AGE} (plans run to 25)"
        )
        high = MAX_HIGH_AGE
    if not 0 <= low < high:
        notes.skipped.append(f"URN {urn}: statutory ages {low}-{high} are not a range: skipped")
        return None
    return low, high


@dataclass(frozen=True, slots=True)
class CapacityRules:
    """What to assume where GIAS leaves a capacity empty (it often does: FE colleges never
    record one). Every use is recorded as an assumption naming the URN.

    ``empty`` is ``"roll"`` (capacity = the pupils on roll: the setting is full),
    ``"roll-plus"`` (capacity = roll plus ``percent`` per cent, rounded up) or ``"skip"`` (the
    setting or unit is left out). ``fe_places``, when set, is the number of free places
    assumed at an FE college (``fe_college``) whose ``SchoolCapacity`` is empty: capacity =
    roll + ``fe_places``, whatever ``empty`` says.
    """

    empty: str = "roll"
    percent: float = 0.0
    fe_places: int | None = None

    def __post_init__(self) -> None:
        if self.empty not in ("roll", "roll-plus", "skip"):
            raise ValueError(f"empty {self.empty!r} must be 'roll', 'roll-plus' or 'skip'")
        if not 0 <= self.percent <= 1000:
            raise ValueError(f"percent {self.percent!r} must be 0 to 1000")
        if self.fe_places is not None and not 0 <= self.fe_places <= 100_000:
            raise ValueError(f"fe_places {self.fe_places!r} must be 0 to 100000")

    @classmethod
    def parse(cls, text: str, *, fe_places: int | None = None) -> CapacityRules:
        """``roll``, ``skip`` or ``roll-plus-N%`` (``roll-plus-10%``).

        >>> CapacityRules.parse("roll-plus-10%")
        CapacityRules(empty='roll-plus', percent=10.0, fe_places=None)
        """
        t = text.strip().lower()
        if t in ("roll", "skip"):
            return cls(t, 0.0, fe_places)
        if t.startswith("roll-plus-") and t.endswith("%"):
            try:
                pct = float(t[len("roll-plus-") : -1])
            except ValueError:
                pct = -1.0
            if 0 <= pct <= 1000:
                return cls("roll-plus", pct, fe_places)
        raise ValueError(f"{text!r}: write roll, skip or roll-plus-N% (e.g. roll-plus-10%)")

    def describe(self) -> str:
        """The rule in words, for a report's header."""
        if self.empty == "roll":
            what = "capacity = NumberOfPupils (the setting is full)"
        elif self.empty == "skip":
            what = "the setting (or unit) is left out"
        else:
            what = f"capacity = NumberOfPupils + {self.percent:g}%, rounded up"
        fe = (
            f"; an FE college with an empty SchoolCapacity: capacity = NumberOfPupils + "
            f"{self.fe_places} free places"
            if self.fe_places is not None
            else ""
        )
        return f"empty capacity: {what}{fe}"


_SKIP = (-1, -1)  # _capacity_roll's answer for "leave this setting out"


def _capacity_roll(
    row: CsvRow,
    urn: str,
    cap_col: str,
    roll_col: str,
    notes: _Notes,
    rules: CapacityRules,
    *,
    fe: bool = False,
) -> tuple[int, int]:
    capacity = parse_int(row, cap_col)
    roll = parse_int(row, roll_col)
    if capacity is None and fe and rules.fe_places is not None:
        on_roll = roll or 0
        notes.assumptions.append(
            f"URN {urn} {cap_col}: empty (GIAS records no FE capacity), taken as {roll_col} "
            f"({on_roll}) + {rules.fe_places} free places (--fe-places)"
        )
        return on_roll + rules.fe_places, on_roll
    if capacity is None and rules.empty == "skip":
        notes.skipped.append(f"URN {urn}: {cap_col} empty: left out (--empty-capacity skip)")
        return _SKIP
    if capacity is None and roll is None:
        notes.assumptions.append(
            f"URN {urn} {cap_col}: empty, and {roll_col} too: capacity 0 (no free places) "
            "until you give one"
        )
        return 0, 0
    if capacity is None:
        assert roll is not None
        if rules.empty == "roll-plus":
            cap = math.ceil(roll * (1 + rules.percent / 100) - 1e-9)
            notes.assumptions.append(
                f"URN {urn} {cap_col}: empty, taken as {roll_col} ({roll}) + "
                f"{rules.percent:g}% = {cap} ({cap - roll} free places; "
                f"--empty-capacity roll-plus-{rules.percent:g}%)"
            )
            return cap, roll
        notes.assumptions.append(
            f"URN {urn} {cap_col}: empty, taken as {roll_col} ({roll}), so the setting is full "
            "(--empty-capacity roll)"
        )
        return roll, roll
    if roll is None:
        notes.assumptions.append(
            f"URN {urn} {roll_col}: empty, taken as 0 (all {capacity} places free)"
        )
        return capacity, 0
    return capacity, roll


def _build(row: CsvRow, urn: str, notes: _Notes, make: Callable[[], Setting]) -> Setting | None:
    try:
        return make()
    except DomainError as e:
        notes.skipped.append(f"URN {urn}: {e.field}: {e.message}: skipped (line {row.line})")
        return None


@dataclass(frozen=True, slots=True)
class _Site:
    """What every setting made from one GIAS row shares: the school, and its units."""

    row: CsvRow
    urn: str
    name: str
    kind: SettingKind
    location: Location
    low: int
    high: int
    entry: Entry
    needs: list[Need]
    s41: bool
    la_code: str
    in_area: bool

    def setting(
        self,
        notes: _Notes,
        sid: str,
        name: str,
        kind: SettingKind,
        capacity: int,
        roll: int,
        designations: dict[Need, int],
    ) -> Setting | None:
        """The school (``kind`` its own) or one of its units; ``None`` (and a note) if the
        domain refuses it."""
        return _build(
            self.row,
            self.urn,
            notes,
            lambda: Setting(
                setting_id=sid,
                name=name,
                kind=kind,
                location=self.location,
                low_age=self.low,
                high_age=self.high,
                capacity=capacity,
                roll=roll,
                entry=self.entry,
                designations=designations,
                s41_approved=self.s41 and kind is self.kind,
                la_code=self.la_code,
                in_area=self.in_area,
            ),
        )


def _row_settings(
    row: CsvRow, la_code: str | None, notes: _Notes, rules: CapacityRules
) -> list[Setting]:
    """The settings of one GIAS row: none (and why, in the notes), the school, or the school
    and its resourced provision or SEN unit (``<URN>-RP``, ``<URN>-SU``), the units' places
    taken off the school's."""
    site = _site(row, la_code, notes)
    if site is None:
        return []
    urn, kind = site.urn, site.kind
    out, unit_capacity, unit_roll = _unit_settings(
        site, _unit_codes(row, urn, kind, notes), notes, rules
    )
    capacity, roll = _capacity_roll(
        row,
        urn,
        "SchoolCapacity",
        "NumberOfPupils",
        notes,
        rules,
        fe=kind is SettingKind.FE_COLLEGE,
    )
    if (capacity, roll) == _SKIP:
        return out
    if out:
        notes.units_split.append(urn)
        capacity = max(0, capacity - unit_capacity)
        roll = max(0, roll - unit_roll)
        designations: dict[Need, int] = {}
    elif kind in _GENERAL_KINDS:
        if site.needs:
            notes.assumptions.append(
                f"URN {urn} SEN1-SEN13: {', '.join(n.value for n in site.needs)} listed on a "
                f"{kind.value} setting without a unit: ignored (it meets needs to its general "
                "band)"
            )
        designations = {}
    else:
        designations = _designate(urn, kind, site.needs, notes, unit=urn)
    main = site.setting(notes, urn, site.name, kind, capacity, roll, designations)
    return ([main] if main is not None else []) + out


def _site(row: CsvRow, la_code: str | None, notes: _Notes) -> _Site | None:
    """The school of a row, or ``None`` (with the reason in the notes) if it is closed, not a
    setting a plan names, has no point or no ages."""
    urn = row["URN"]
    name = row["EstablishmentName"]
    label = f"URN {urn}" + (f" ({name})" if name else "")
    status = row["EstablishmentStatus (name)"]
    if status not in OPEN_STATUSES:
        notes.skipped.append(f"{label}: EstablishmentStatus is {status!r}: skipped")
        return None
    code = parse_int(row, "TypeOfEstablishment (code)")
    kind = GIAS_KIND.get(code) if code is not None else None
    if kind is None:
        type_name = row["TypeOfEstablishment (name)"] or "no type"
        notes.skipped.append(
            f"{label}: TypeOfEstablishment {type_name!r} ({code}) is not a setting a plan "
            "names: skipped"
        )
        return None
    location = _location(row, label, notes)
    ages = None if location is None else _ages(row, urn, kind, notes)
    if location is None or ages is None:
        return None
    gender = row["Gender (name)"]
    entry = _ENTRY.get(gender)
    if entry is None:
        entry = Entry.MIXED
        notes.assumptions.append(f"URN {urn} Gender: {gender!r}, taken as mixed")
    if not name:
        name = f"URN {urn}"
        notes.assumptions.append(f"URN {urn} EstablishmentName: empty, named {name!r}")
    needs = _parse_needs(row, urn, notes)
    code_la = row["LA (code)"]
    return _Site(
        row=row,
        urn=urn,
        name=name,
        kind=kind,
        location=location,
        low=ages[0],
        high=ages[1],
        entry=entry,
        needs=needs,
        s41=kind.needs_s41 and row["Section41Approved (name)"] == "Approved",
        la_code=code_la,
        in_area=True if la_code is None else code_la == la_code,
    )


def _location(row: CsvRow, label: str, notes: _Notes) -> Location | None:
    e_txt, n_txt = row["Easting"], row["Northing"]
    east = parse_float(row, "Easting")
    north = parse_float(row, "Northing")
    if not east or not north:  # empty, or 0 as some exports write a missing grid reference
        notes.skipped.append(f"{label}: no Easting/Northing ({e_txt!r}, {n_txt!r}): skipped")
        return None
    try:
        return Location(east, north)
    except DomainError as e:
        notes.skipped.append(f"{label}: {e.message}: skipped")
        return None


def _unit_codes(row: CsvRow, urn: str, kind: SettingKind, notes: _Notes) -> tuple[str, ...]:
    """``RP`` and ``SU``: the units GIAS records at a mainstream school (others: noted)."""
    unit_type = row["TypeOfResourcedProvision (name)"]
    unit_codes = _UNITS.get(unit_type, ())
    if unit_type and unit_type != "Not applicable" and not unit_codes:
        notes.assumptions.append(
            f"URN {urn} TypeOfResourcedProvision: {unit_type!r} not understood: ignored"
        )
    if unit_codes and kind is not SettingKind.MAINSTREAM:
        notes.assumptions.append(
            f"URN {urn} TypeOfResourcedProvision: {unit_type!r} on a {kind.value} setting: "
            "ignored (only mainstream schools are split into units)"
        )
        unit_codes = ()
    return unit_codes


def _unit_settings(
    site: _Site, unit_codes: Sequence[str], notes: _Notes, rules: CapacityRules
) -> tuple[list[Setting], int, int]:
    """The school's units as settings, and their places and pupils on roll in all."""
    out: list[Setting] = []
    unit_capacity = 0
    unit_roll = 0
    urn, row = site.urn, site.row
    for suffix in unit_codes:
        ukind, what, cap_col, roll_col = _UNIT_SPEC[suffix]
        if (parse_int(row, cap_col), parse_int(row, roll_col)) == (None, None):
            notes.skipped.append(
                f"URN {urn}: {what} with neither {cap_col} nor {roll_col}: unit skipped"
            )
            continue
        cap, on_roll = _capacity_roll(row, urn, cap_col, roll_col, notes, rules)
        if (cap, on_roll) == _SKIP:
            continue
        unit_capacity += cap
        unit_roll += on_roll
        unit_des = _designate(urn, ukind, site.needs, notes, unit=f"{urn}-{suffix}")
        sid = f"{urn}-{suffix}"
        s = site.setting(notes, sid, f"{site.name} ({what})", ukind, cap, on_roll, unit_des)
        if s is not None:
            out.append(s)
    return out, unit_capacity, unit_roll


def _designate(
    urn: str, kind: SettingKind, needs: Sequence[Need], notes: _Notes, *, unit: str
) -> dict[Need, int]:
    if not needs:
        notes.assumptions.append(
            f"URN {unit} SEN1: no SEN designation: treated as meeting no specialist need"
        )
        return {}
    band = DESIGNATION_BAND.get(kind, MAX_BAND)
    notes.band_urns.setdefault(kind, []).append(unit)
    return dict.fromkeys(needs, band)


def _listing(urns: Sequence[str]) -> str:
    return ", ".join(urns)  # every URN: the report lists each assumption per URN


def import_gias(
    path: Path, *, la_code: str | None = None, capacity: CapacityRules | None = None
) -> GiasImport:
    """Read a GIAS establishment CSV into settings, with the assumptions it had to make.

    Parameters
    ----------
    path
        A GIAS ``edubasealldata`` CSV (UTF-8, or Windows-1252 as GIAS serves it).
        Filter it to the area and its neighbours first: every open row is imported.
    la_code
        The area's GIAS ``LA (code)`` (e.g. ``"886"`` for Kent). Settings in it are in area;
        others are out of area (which changes default independent fees). Without it every
        setting is in area.
    capacity
        What to assume where a capacity is empty (default: the roll, so the setting is full,
        and FE colleges like any other setting); each use is recorded with its URN.

    Returns
    -------
    GiasImport
        Settings sorted by id; ``<URN>-RP`` and ``<URN>-SU`` for resourced provision and SEN
        units of mainstream schools.

    Raises
    ------
    InputError
        Missing file or required column, a non-numeric number, or a URN that appears twice.
    """
    table = read_csv(
        Path(path),
        known=None,
        required=_REQUIRED,
        lower_header=False,
        fallback_encoding="cp1252",
    )
    notes = _Notes()
    rules = capacity if capacity is not None else CapacityRules()
    if table.encoding != "utf-8":
        notes.assumptions.append(
            f"{table.file}: not UTF-8, read as {table.encoding} (as GIAS downloads are)"
        )
    settings: list[Setting] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        first_seen(row, "URN", row.key("URN"), seen)
        settings.extend(_row_settings(row, la_code, notes, rules))
    return GiasImport(
        settings=tuple(sorted(settings, key=lambda s: s.setting_id)),
        assumptions=tuple(_general_notes(bool(settings), la_code, notes) + notes.assumptions),
        skipped=tuple(notes.skipped),
    )


def _general_notes(any_settings: bool, la_code: str | None, notes: _Notes) -> list[str]:
    """The assumptions that apply to every setting, or to a whole kind (listing the URNs)."""
    general: list[str] = []
    if any_settings:
        general.append(
            "all settings: GIAS records no provision features (wheelchair access, therapy "
            "on site ...): none assumed; add them in settings.csv"
        )
        general.append(
            "all settings: roll is NumberOfPupils (or the unit's OnRoll): every pupil on roll "
            "holds a place for this run"
        )
    if la_code is None and any_settings:
        general.append("all settings: no la_code given: every setting treated as in area")
    for kind in SettingKind:
        urns = notes.band_urns.get(kind)
        if urns:
            general.append(
                f"{kind.value} (URN {_listing(urns)}): GIAS records no need band; the needs "
                f"in SEN1-SEN13 taken as met up to band {DESIGNATION_BAND.get(kind, MAX_BAND)}"
            )
    if notes.units_split:
        general.append(
            f"mainstream schools with units (URN {_listing(notes.units_split)}): "
            "SchoolCapacity and NumberOfPupils include the unit, so the unit's capacity and "
            "roll are taken off the school's"
        )
    return general
