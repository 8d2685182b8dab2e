"""Domain model: children, settings, preferences and the closed vocabularies they use.

Every object is immutable and validated on construction: a bad value raises
:class:`DomainError` naming the field and what is wrong with it. Nothing here does I/O.

Vocabulary follows ``../shared/DOMAIN.md``: SEN2 primary need codes (2025 guide, with DS),
setting kinds as in the DfE caseload columns, British National Grid locations in metres.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType

__all__ = [
    "Child",
    "DomainError",
    "Entry",
    "Feature",
    "Location",
    "Need",
    "Phase",
    "Pool",
    "Preference",
    "Setting",
    "SettingKind",
    "Sex",
    "nc_year_from_birth",
    "phase_of_year",
]


class DomainError(ValueError):
    """A value that cannot describe a child, a setting or a policy.

    ``field`` names the offending attribute so adapters (CSV loader, API) can point at it.
    """

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message

    def __reduce__(self) -> tuple[type[DomainError], tuple[str, str]]:
        # pickled by its parts (the default would re-create it from the joined text alone):
        # a forked worker sends it back to the process that reports it
        return (type(self), (self.field, self.message))


class Need(StrEnum):
    """SEN2 primary need codes (SEN2 guide 2025; DS is new in 2025)."""

    SPLD = "SPLD"
    MLD = "MLD"
    SLD = "SLD"
    PMLD = "PMLD"
    SEMH = "SEMH"
    SLCN = "SLCN"
    HI = "HI"
    VI = "VI"
    MSI = "MSI"
    PD = "PD"
    ASD = "ASD"
    DS = "DS"
    OTH = "OTH"


NEED_INDEX: Mapping[Need, int] = {n: i for i, n in enumerate(Need)}


class SettingKind(StrEnum):
    """Kinds of setting, following the DfE caseload column families (DOMAIN.md section 4)."""

    MAINSTREAM = "mainstream"
    RESOURCED_PROVISION = "resourced_provision"
    SEN_UNIT = "sen_unit"
    SPECIAL_LA = "special_la_maintained"
    SPECIAL_ACADEMY = "special_academy_free"
    NON_MAINTAINED_SPECIAL = "non_maintained_special"
    INDEPENDENT_SPECIAL = "independent_special"
    INDEPENDENT_MAINSTREAM = "independent_mainstream"
    ALTERNATIVE_PROVISION = "alternative_provision"
    FE_COLLEGE = "fe_college"
    SPECIALIST_POST16 = "specialist_post16"

    @property
    def is_mainstream(self) -> bool:
        """A mainstream school or mainstream post-16 institution for s.33 CFA 2014.

        s.83 CFA 2014: a maintained school or academy that is not special, or an FE college.
        Resourced provision and SEN units sit inside mainstream schools (DfE counts them as
        mainstream). Independent mainstream schools are not "mainstream schools" in the Act.
        """
        return self in _MAINSTREAM_KINDS

    @property
    def is_independent(self) -> bool:
        """Independent settings: charge a fee; requestable under s.38 only if on the s.41 list."""
        return self in _INDEPENDENT_KINDS

    @property
    def is_specialist(self) -> bool:
        """Anything a family would call 'specialist': not a mainstream class or college course."""
        return not self.is_mainstream and self is not SettingKind.INDEPENDENT_MAINSTREAM

    @property
    def needs_s41(self) -> bool:
        """Requestable under s.38(3) only when the setting is on the s.41 approved list."""
        return self in _NEEDS_S41_KINDS

    @property
    def la_arranged(self) -> bool:
        """Alternative provision is arranged by the LA, not requested under s.38(3)."""
        return self is SettingKind.ALTERNATIVE_PROVISION


_MAINSTREAM_KINDS = frozenset(
    {
        SettingKind.MAINSTREAM,
        SettingKind.RESOURCED_PROVISION,
        SettingKind.SEN_UNIT,
        SettingKind.FE_COLLEGE,
    }
)
_INDEPENDENT_KINDS = frozenset(
    {
        SettingKind.INDEPENDENT_SPECIAL,
        SettingKind.INDEPENDENT_MAINSTREAM,
        SettingKind.SPECIALIST_POST16,
    }
)
_NEEDS_S41_KINDS = _INDEPENDENT_KINDS


class Feature(StrEnum):
    """Provision features a child's plan may require and a setting may offer."""

    WHEELCHAIR_ACCESS = "wheelchair_access"
    HEARING_SUPPORT = "hearing_support"
    VISION_SUPPORT = "vision_support"
    ONSITE_NURSING = "onsite_nursing"
    SMALL_CLASS = "small_class"
    SENSORY_ROOM = "sensory_room"
    THERAPY_ONSITE = "therapy_onsite"
    RESIDENTIAL = "residential"


FEATURE_BIT: Mapping[Feature, int] = {f: 1 << i for i, f in enumerate(Feature)}


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


class Entry(StrEnum):
    """Gender of entry, as GIAS ``Gender``."""

    MIXED = "mixed"
    GIRLS = "girls"
    BOYS = "boys"

    def admits(self, sex: Sex) -> bool:
        if self is Entry.MIXED:
            return True
        return (self is Entry.GIRLS) == (sex is Sex.FEMALE)


class Phase(IntEnum):
    """Phase of education, from the national curriculum year."""

    EARLY_YEARS = 0
    PRIMARY = 1
    SECONDARY = 2
    POST16 = 3

    @property
    def label(self) -> str:
        return self.name.lower()


MIN_NC_YEAR = -4  # age 0 at 31 August
MAX_NC_YEAR = 21  # age 25 at 31 August (plans run to 25)


def phase_of_year(nc_year: int) -> Phase:
    """Phase for a national curriculum year (reception = 0, Year 7 = 7, Year 12 = 12)."""
    if nc_year < 0:
        return Phase.EARLY_YEARS
    if nc_year <= 6:
        return Phase.PRIMARY
    if nc_year <= 11:
        return Phase.SECONDARY
    return Phase.POST16


def nc_year_from_birth(date_of_birth: dt.date, academic_year_start: int) -> int:
    """National curriculum year in the academic year starting September ``academic_year_start``.

    A child's age on 31 August before the year, minus 4 (an 11-year-old on 31 August is in Year 7).
    """
    ref = dt.date(academic_year_start, 8, 31)
    age = (
        ref.year
        - date_of_birth.year
        - ((ref.month, ref.day) < (date_of_birth.month, date_of_birth.day))
    )
    return age - 4


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def _check_id(name: str, value: str) -> None:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise DomainError(name, f"{value!r} is not an id (1-64 letters, digits, '_', '-' or '.')")


# British National Grid bounds (EPSG:27700 projected bounds, metres).
_BNG_E = (0.0, 700_000.0)
_BNG_N = (0.0, 1_300_000.0)


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the British National Grid (EPSG:27700), metres."""

    easting: float
    northing: float

    def __post_init__(self) -> None:
        e, n = self.easting, self.northing
        if (
            isinstance(e, (int, float))
            and isinstance(n, (int, float))
            and _BNG_E[0] <= e <= _BNG_E[1]  # NaN fails these; infinities are out of range
            and _BNG_N[0] <= n <= _BNG_N[1]
        ):
            return
        for name, v, (lo, hi) in (("easting", e, _BNG_E), ("northing", n, _BNG_N)):
            if not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
                raise DomainError(name, f"{v!r} is outside Great Britain ({lo:.0f}-{hi:.0f} m)")


@dataclass(frozen=True, slots=True)
class Preference:
    """A family's ranked preference for a setting (rank 1 is the first preference).

    Whether it is a s.38 request or an s.9 EA 1996 representation follows from the kind of the
    setting (see :func:`placement.law.preference_route`).
    """

    setting_id: str
    rank: int

    def __post_init__(self) -> None:
        _check_id("preference.setting_id", self.setting_id)
        if not isinstance(self.rank, int) or self.rank < 1:
            raise DomainError("preference.rank", f"{self.rank!r} must be a whole number >= 1")


MAX_BAND = 5
MAX_PLACES = 1_000_000
"""The most places (or roll) a setting or pool may state: far above any real setting, and
small enough for the solvers' int64 arrays (a larger number raised OverflowError there)."""


@dataclass(frozen=True, slots=True)
class Child:
    """A child or young person with an EHC plan who needs a place.

    ``need_band`` is the LA's need level, 1 (lowest) to 5 (highest), read against the policy's
    suitability rules. Exactly one of ``nc_year`` and ``date_of_birth`` may be given, or both
    if they agree with the policy's academic year (checked when the area is built).
    """

    child_id: str
    location: Location
    primary_need: Need
    need_band: int
    nc_year: int | None = None
    date_of_birth: dt.date | None = None
    secondary_needs: frozenset[Need] = frozenset()
    required_features: frozenset[Feature] = frozenset()
    transport_eligible: bool = False
    max_journey_min: int | None = None
    sex: Sex = field(kw_only=True)  # no default: a wrong guess sends a girl to a boys' school
    current_setting_id: str | None = None
    excluded_setting_ids: frozenset[str] = frozenset()
    preferences: tuple[Preference, ...] = ()
    looked_after: bool = False
    sibling_setting_ids: frozenset[str] = frozenset()
    new_plan: bool = False  # a plan being issued for the first time: the child is placed afresh
    move_requested: bool = False  # a review of the plan asks for a change of setting

    def __post_init__(self) -> None:
        _check_id("child_id", self.child_id)
        if not isinstance(self.location, Location):
            raise DomainError("location", "must be a Location")
        if not isinstance(self.primary_need, Need):
            raise DomainError("primary_need", f"{self.primary_need!r} is not a SEN2 need code")
        if not isinstance(self.need_band, int) or not 1 <= self.need_band <= MAX_BAND:
            raise DomainError("need_band", f"{self.need_band!r} must be 1 to {MAX_BAND}")
        if self.nc_year is None and self.date_of_birth is None:
            raise DomainError("nc_year", "give a national curriculum year or a date of birth")
        if self.nc_year is not None and not MIN_NC_YEAR <= self.nc_year <= MAX_NC_YEAR:
            raise DomainError(
                "nc_year", f"{self.nc_year} is outside {MIN_NC_YEAR}..{MAX_NC_YEAR} (ages 0-25)"
            )
        if not isinstance(self.sex, Sex):
            raise DomainError("sex", f"{self.sex!r} must be F or M")
        for nd in self.secondary_needs:
            if not isinstance(nd, Need):
                raise DomainError("secondary_needs", f"{nd!r} is not a SEN2 need code")
        for f in self.required_features:
            if not isinstance(f, Feature):
                raise DomainError("required_features", f"{f!r} is not a provision feature")
        if self.primary_need in self.secondary_needs:
            raise DomainError("secondary_needs", f"repeats the primary need {self.primary_need}")
        if self.max_journey_min is not None and not 1 <= self.max_journey_min <= 240:
            raise DomainError("max_journey_min", f"{self.max_journey_min} must be 1 to 240 minutes")
        ranks = [p.rank for p in self.preferences]
        if ranks != list(range(1, len(ranks) + 1)):
            raise DomainError("preferences", f"ranks {ranks} must run 1, 2, 3 ... without gaps")
        ids = [p.setting_id for p in self.preferences]
        if len(set(ids)) != len(ids):
            raise DomainError("preferences", "a setting appears twice")
        if self.current_setting_id is not None:
            _check_id("current_setting_id", self.current_setting_id)
        for s in self.excluded_setting_ids:
            _check_id("excluded_setting_ids", s)
        for s in self.sibling_setting_ids:
            _check_id("sibling_setting_ids", s)
        for name in ("transport_eligible", "looked_after", "new_plan", "move_requested"):
            if not isinstance(getattr(self, name), bool):
                raise DomainError(name, f"{getattr(self, name)!r} must be true or false")


@dataclass(frozen=True, slots=True)
class Pool:
    """Places in a setting designated for one need: ``places`` commissioned, ``roll`` taken
    by children outside this allocation run."""

    places: int
    roll: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.places, int) or not 0 <= self.places <= MAX_PLACES:
            raise DomainError("pool.places", f"{self.places!r} must be 0 to {MAX_PLACES:,}")
        if not isinstance(self.roll, int) or not 0 <= self.roll <= MAX_PLACES:
            raise DomainError("pool.roll", f"{self.roll!r} must be 0 to {MAX_PLACES:,}")

    @property
    def free(self) -> int:
        return max(0, self.places - self.roll)


@dataclass(frozen=True, slots=True)
class Setting:
    """A school, unit, college or other setting that can be named in Section I of a plan.

    ``designations`` maps each need the setting is designated for to the highest need band it
    can meet; ``pools`` maps a designated need to its places (a need without a pool shares the
    setting's total). ``capacity`` and ``roll`` are the setting's total places and the places
    taken by children outside this run, so ``capacity - roll`` places are free for it.
    """

    setting_id: str
    name: str
    kind: SettingKind
    location: Location
    low_age: int
    high_age: int
    capacity: int
    roll: int = 0
    entry: Entry = Entry.MIXED
    designations: Mapping[Need, int] = field(default_factory=dict)
    features: frozenset[Feature] = frozenset()
    pools: Mapping[Need, Pool] = field(default_factory=dict)
    s41_approved: bool = False
    la_code: str = ""
    in_area: bool = True
    annual_fee_gbp: int | None = None
    estimated: frozenset[str] = frozenset()
    """Which of the setting's facts are estimates rather than data (``settings.csv`` column
    names, e.g. ``designations``), or ``synthetic`` for a made-up setting; empty for data."""

    def __post_init__(self) -> None:
        _check_id("setting_id", self.setting_id)
        object.__setattr__(self, "estimated", frozenset(self.estimated))
        for item in self.estimated:
            if not isinstance(item, str) or not item.strip() or ";" in item:
                raise DomainError("estimated", f"{item!r} must name a field")
        if not self.name or not self.name.strip():
            raise DomainError("name", "is empty")
        if not isinstance(self.kind, SettingKind):
            raise DomainError("kind", f"{self.kind!r} is not a setting kind")
        if not 0 <= self.low_age < self.high_age <= 26:
            raise DomainError(
                "low_age", f"{self.low_age}-{self.high_age} must satisfy 0 <= low < high <= 26"
            )
        if not isinstance(self.capacity, int) or not 0 <= self.capacity <= MAX_PLACES:
            raise DomainError("capacity", f"{self.capacity!r} must be 0 to {MAX_PLACES:,}")
        if not isinstance(self.roll, int) or not 0 <= self.roll <= MAX_PLACES:
            raise DomainError("roll", f"{self.roll!r} must be 0 to {MAX_PLACES:,}")
        for need, band in self.designations.items():
            if not isinstance(need, Need):
                raise DomainError("designations", f"{need!r} is not a SEN2 need code")
            if not isinstance(band, int) or not 1 <= band <= MAX_BAND:
                raise DomainError(
                    "designations", f"band {band!r} for {need} must be 1 to {MAX_BAND}"
                )
        object.__setattr__(self, "designations", MappingProxyType(dict(self.designations)))
        object.__setattr__(self, "pools", MappingProxyType(dict(self.pools)))
        object.__setattr__(self, "features", frozenset(self.features))
        for f in self.features:
            if not isinstance(f, Feature):
                raise DomainError("features", f"{f!r} is not a provision feature")
        if not isinstance(self.entry, Entry):
            raise DomainError("entry", f"{self.entry!r} must be mixed, girls or boys")
        for need, pool in self.pools.items():
            if isinstance(pool, Pool) and pool.places > self.capacity:
                raise DomainError(
                    "pools",
                    f"{need} pool has {pool.places} places, more than capacity {self.capacity}",
                )
            if need not in self.designations:
                raise DomainError(
                    "pools", f"pool for {need} but the setting is not designated for it"
                )
            if not isinstance(pool, Pool):
                raise DomainError("pools", f"pool for {need} must be a Pool")
        if self.annual_fee_gbp is not None and not 0 <= self.annual_fee_gbp <= 1_000_000:
            raise DomainError("annual_fee_gbp", f"{self.annual_fee_gbp} must be 0 to 1,000,000")
        if self.s41_approved and not self.kind.needs_s41:
            raise DomainError(
                "s41_approved", f"only independent settings are on the s.41 list, not {self.kind}"
            )

    @property
    def free(self) -> int:
        """Places free for this run: total capacity less the roll outside the run."""
        return max(0, self.capacity - self.roll)
