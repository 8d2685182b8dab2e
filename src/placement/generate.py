"""Synthetic areas calibrated to a real local authority: deterministic, realistic, no real data.

``generate_area("Kent", seed=1)`` draws an area whose children follow that LA's published
EHC plan statistics and whose settings are sized so that specialist places run tight, as they
do nationally. Every figure used, and its source:

Calibration (``placement/data/calibration.csv``, built by ``scripts/build_calibration.py``;
provenance in ``placement/data/README.md``):
    DfE, *Education, health and care plans*, reporting year 2025 (SEN2, January 2025):
    plans, sex, age (on 31 August, so ``nc_year = age - 4``: age 4 is Reception, 11 is Year 7,
    16 is Year 12 - the 2025 caseload puts 16,240 of its 16-year-olds and 110 of its
    15-year-olds in FE, so the age is the age at the start of the academic year), placement by
    age group, primary need by age group and primary need by placement, per LA; England's
    placement by single year of age. Land area, 2020 population and a representative point
    (British National Grid) from the mySociety UK local authorities register (ONS, OS).

Children:
    The LA's joint distribution of (age, placement, primary need) is fitted by iterative
    proportional fitting to its three published two-way tables (age group x placement,
    age group x need, placement x need), with single years spread within each age group by
    England's placement-by-age profile fitted to the LA's ages. Children are a multinomial
    draw from it, so the age, need and placement mixes match the LA's up to sampling noise.
    Children "educated elsewhere" (home education, NEET, awaiting provision; DfE ``other``)
    keep that placement for accounting but look for a setting like their peers of the same
    age and need. Down syndrome (DS) is counted under OTH in the 2025 files (data guidance,
    footnote 1), so no child has DS as primary need.

    Need bands (1-5), secondary needs (30%), required provision features, transport
    eligibility, looked-after status and preferences are modelling assumptions, stated at
    each constant below: there is no national banding and SEN2 publishes none of them by LA.
    Sex follows the LA's published male share (72% of all plans in England).

Geography:
    A region of the LA's land area (an ellipse of aspect 1-1.6 around its representative
    point, moved inward where needed to keep a 45 km margin inside the BNG bounds), with
    ``round(sqrt(population / 10,000))`` towns (1-24) of Zipf sizes, each a Gaussian whose
    spread follows its population at about 3,500 people per km² (ONS built-up areas), plus a
    rural share falling with density (England: about 17% of people live in rural areas,
    Defra rural population statistics). A dense city (over 2,500 people per km²) has its
    largest centre at the core.

Settings (counts scale with ``scale``; the geography does not):
    Mainstream primaries and secondaries at England's rate per head (about 16,700 primaries
    and 3,450 secondaries for 56.5 million people; DfE *Schools, pupils and their
    characteristics* 2024/25; ONS Census 2021), more of them where people are sparse, placed
    like the population; FE colleges at one per 250,000 people and at least one per 1,500 km²
    (about 220 general FE and sixth-form colleges; Association of Colleges, *College key
    facts*). Resourced provisions and SEN units (in the LA's own proportion, hosted by
    mainstream schools), LA maintained special schools, special academies and free schools,
    non-maintained and independent special schools, alternative provision and specialist
    post-16 institutions in the numbers the LA's placement mix implies at typical sizes
    (see ``_SIZE``; smaller state special schools in sparse LAs), spread over the population
    as an LA plans them, designated for 1-3 needs drawn from that placement's need mix
    (every common need covered). Some settings are out of area, with the code of the nearest
    other LA: 15-40 km beyond the boundary, or just over it (2-12 km) where an LA expects so
    few children in a placement that it relies on a neighbour's school.

    Free places: specialist and unit places are 90-98% of the children the placement mix
    sends there, apportioned to each school and need pool by the children for whom it is
    the nearest suitable one, so specialist places run tight (about two-thirds of state
    special schools are at or over capacity; DfE school capacity 2023-24). Mainstream
    schools and colleges are mostly full of pupils without plans (``roll``); their free places
    are 1.3-2 times the children with plans nearest to them. In a ``transfer`` cohort, the
    roll also holds the children with plans in the other year groups.

``scale`` multiplies the number of children and every count of settings on the same geography
(benchmarks use it for 2k, 20k and 100k-child areas). ``cohort="transfer"`` keeps only the
phase-transfer year groups: children entering Reception, Year 7 and Year 12 next September
(``nc_year`` 0, 7 and 12; ages 4, 11 and 16 in the calibration).

Everything random comes from ``numpy.random.default_rng(seed)`` (spawned into independent
streams for geography and settings, children, places, and preferences): the same arguments
give an identical area, on any machine.
"""

from __future__ import annotations

import csv
import math
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from placement.area import Area, suggest
from placement.domain import (
    Child,
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

__all__ = [
    "AGES",
    "GROUPS",
    "NEEDS",
    "PLACEMENTS",
    "SPECIALIST",
    "TRANSFER_YEARS",
    "GenerationReport",
    "LaProfile",
    "UnknownAreaError",
    "generate_area",
    "generate_with_report",
    "list_las",
    "resolve_la",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

# -- vocabulary of the calibration file --------------------------------------------------------

NEEDS: Final = ("asd", "hi", "mld", "msi", "oth", "pd", "pmld", "semh", "slcn", "sld", "spld", "vi")
NEED_CODES: Final = tuple(Need(n.upper()) for n in NEEDS)
GROUPS: Final = ("ey", "pri", "sec", "p16")  # ages 2-4, 5-10, 11-15, 16-25
PLACEMENTS: Final = (
    "mainstream",
    "rp_su",
    "special_la",
    "special_academy",
    "special_independent",
    "special_nm",
    "ap",
    "fe",
    "post16_specialist",
    "other",
)
AGES: Final = tuple(range(2, 26))  # age on 31 August; "under 3" is counted as 2
SPECIALIST: Final = frozenset(
    {
        "special_la",
        "special_academy",
        "special_independent",
        "special_nm",
        "ap",
        "post16_specialist",
    }
)
"""Placements whose settings are specialist (:attr:`SettingKind.is_specialist`)."""
TRANSFER_YEARS: Final = (0, 7, 12)  # Reception, Year 7, Year 12
TRANSFER_AGES: Final = tuple(y + 4 for y in TRANSFER_YEARS)

MAIN, RP, SLA, SAC, SIND, SNM, AP, FE, SPI, OTHER = range(len(PLACEMENTS))
SPECIALIST_IDX: Final = tuple(k for k, p in enumerate(PLACEMENTS) if p in SPECIALIST)
_NP, _NN, _NA = len(PLACEMENTS), len(NEEDS), len(AGES)
_N = {n: k for k, n in enumerate(NEED_CODES)}

# -- modelling assumptions (no published source gives these by LA; each is stated) -------------

TIGHTNESS = (0.90, 0.98)
"""Specialist and unit free places per child the placement mix sends there (uniform draw per
area and placement): tight, as about two-thirds of state special schools are at or over
capacity (DfE school capacity 2023-24) and LAs place children out of area and in independent
schools for want of places (DOMAIN.md section 4)."""
MAINSTREAM_SLACK = (1.3, 2.0)
"""Free mainstream and college places per nearby child with a plan who is bound there (uniform
per school): plentiful, since only about 1 in 40 pupils has a plan (DfE SEN in England 2025)."""
PRIMARY_PER_HEAD = 16_700 / 56_500_000  # DfE Schools, pupils and their characteristics 2024/25
SECONDARY_PER_HEAD = 3_450 / 56_500_000  # same; population: ONS Census 2021 (England)
PEOPLE_PER_COLLEGE = 250_000  # ~220 FE and sixth-form colleges (AoC College key facts 2024/25)
KM2_PER_COLLEGE = 1_500  # and at least one per 1,500 km² (colleges run rural campuses)
URBAN_DENSITY = 3_500.0  # people per km² in a built-up area (ONS built-up areas 2022)
CITY_DENSITY = 2_500.0  # an LA denser than this is one city with district centres
_SIZE: Mapping[int, float] = {
    # children with plans per setting, by placement (DfE 2025 counts over GIAS establishments):
    RP: 14.0,  # resourced provisions and units are typically 8-20 places
    SLA: 120.0,  # ~160,000 pupils in ~1,100 state special schools (DfE SPC 2025), some from
    SAC: 120.0,  # other LAs
    SNM: 60.0,  # 4,381 plans in ~55 non-maintained special schools, spread over many LAs
    SIND: 40.0,  # 29,647 plans in ~750 independent special schools
    AP: 14.0,  # 4,858 plans in ~350 AP schools and PRUs (most AP pupils have no plan)
    SPI: 60.0,  # 9,675 plans in ~110 specialist post-16 institutions, spread over many LAs
}
_OUT_OF_AREA: Mapping[int, float] = {SLA: 0.06, SAC: 0.06, SNM: 0.6, SIND: 0.4, SPI: 0.5, AP: 0.0}
"""Share of an LA's settings of each placement that are over the border (assumption; the
council survey of 2026 prices in-area and out-of-area independent places separately). An LA
expecting fewer than 40 children in a placement mostly uses a neighbour's setting (70%)."""
S41_SHARE: Mapping[int, float] = {SIND: 0.65, SPI: 0.75}  # on the s.41 list (assumption)
FEE_GBP: Mapping[int, tuple[int, int, int, tuple[int, int]]] = {
    # annual fee: mean in area, mean out of area, spread, clip (DOMAIN.md section 5)
    SIND: (57_074, 65_528, 11_000, (40_000, 90_000)),  # council survey 2026; DfE ~£63,000
    SPI: (45_000, 55_000, 8_000, (35_000, 80_000)),  # models/funding.toml defaults
}
BAND_P: Mapping[int, tuple[float, float, float, float, float]] = {
    # need band 1..5 by intended placement (assumption: mainstream meets bands 1-2 with
    # support, units 2-4, special schools 3-5; models/suitability.toml)
    MAIN: (0.40, 0.52, 0.08, 0.0, 0.0),
    RP: (0.0, 0.25, 0.55, 0.20, 0.0),
    SLA: (0.0, 0.0, 0.35, 0.40, 0.25),
    SAC: (0.0, 0.0, 0.35, 0.40, 0.25),
    SIND: (0.0, 0.0, 0.30, 0.45, 0.25),
    SNM: (0.0, 0.0, 0.25, 0.45, 0.30),
    AP: (0.0, 0.15, 0.50, 0.35, 0.0),
    FE: (0.30, 0.45, 0.25, 0.0, 0.0),
    SPI: (0.0, 0.0, 0.30, 0.45, 0.25),
}
SECONDARY_NEED_SHARE = 0.30  # children with a secondary need (assumption)
LOOKED_AFTER_SHARE = 0.045
"""About 28% of the ~84,000 looked-after children have a plan (DfE Outcomes for children in
need 2024), against ~640,000 plans: about 4.5%."""
TRANSPORT_P: Mapping[str, float] = {"specialist": 0.75, "mainstream": 0.08, "fe": 0.20}
"""Transport-eligible share by intended placement: 206,000 children transported in 2024/25
(County Councils Network 2026) is about a third of plans, mostly to specialist settings."""
INDEPENDENT_REQUEST_P = 0.12
"""Extra share of families of children bound for state specialist settings or AP who ask for an
independent special school (with those bound there, about 8% of all families in England)."""
PREFERENCE_COUNT_P = (0.45, 0.35, 0.20)  # families naming 1, 2 or 3 settings (assumption)
NEW_PLAN_P = 0.15
"""Share of the children outside a transfer year, with a current setting, whose plan is new
this year (97,747 new plans in 2024 against 638,745 active plans: DfE 2025); they are placed
afresh (their current setting was not named in a plan)."""
REVIEW_MOVE_P = 0.04
"""Share of the other children with a current setting whose annual review asks for a change
of setting (assumption); every other child stays where the plan names, with no request."""
MALE_SHARE_ENGLAND = 0.72  # DfE 2025: 72% of plans are for boys (fallback where none given)

# What a family reads as "a school for my child's need": the designation meets these needs.
# Mirrors models/suitability.toml (suitability-2025.1, designation_meets); kept here so that a
# generated area does not change when a policy file does.
_FAMILY_FIT: Mapping[Need, frozenset[Need]] = {
    Need.ASD: frozenset({Need.ASD, Need.SLCN}),
    Need.SLCN: frozenset({Need.SLCN, Need.ASD}),
    Need.SEMH: frozenset({Need.SEMH}),
    Need.MLD: frozenset({Need.MLD, Need.SPLD, Need.DS}),
    Need.SPLD: frozenset({Need.SPLD}),
    Need.SLD: frozenset({Need.SLD, Need.MLD, Need.DS}),
    Need.PMLD: frozenset({Need.PMLD, Need.SLD, Need.MSI}),
    Need.HI: frozenset({Need.HI}),
    Need.VI: frozenset({Need.VI}),
    Need.MSI: frozenset({Need.MSI, Need.HI, Need.VI}),
    Need.PD: frozenset({Need.PD}),
    Need.DS: frozenset({Need.DS, Need.MLD, Need.SLD}),
    Need.OTH: frozenset({Need.OTH}),
}
# Needs a specialist setting is often designated for alongside its main one (assumption,
# following the Code of Practice's four broad areas of need).
_COMPANIONS: Mapping[Need, tuple[Need, ...]] = {
    Need.ASD: (Need.SLCN, Need.SEMH, Need.MLD),
    Need.SLCN: (Need.ASD, Need.MLD),
    Need.SEMH: (Need.ASD, Need.SLCN),
    Need.MLD: (Need.SLD, Need.ASD, Need.SPLD, Need.SLCN),
    Need.SLD: (Need.PMLD, Need.ASD, Need.MLD),
    Need.PMLD: (Need.SLD, Need.PD, Need.MSI),
    Need.HI: (Need.VI, Need.SLCN, Need.MSI),
    Need.VI: (Need.HI, Need.MSI),
    Need.MSI: (Need.VI, Need.HI, Need.PMLD),
    Need.PD: (Need.PMLD, Need.MLD, Need.SLD),
    Need.SPLD: (Need.MLD, Need.SLCN),
    Need.OTH: (Need.PD, Need.MLD, Need.SLD),
    Need.DS: (Need.MLD, Need.SLD),
}
_RP_NEEDS = (Need.ASD, Need.SLCN, Need.SEMH, Need.HI, Need.VI, Need.MLD, Need.SPLD, Need.PD)
# Secondary needs: specialist settings meet SLCN, SpLD, MLD and OTH as secondary needs
# (models/suitability.toml), so most secondary needs of children bound there are among them.
_SECONDARY_SPECIALIST = {Need.SLCN: 0.45, Need.MLD: 0.2, Need.SPLD: 0.1, Need.OTH: 0.1}
_SECONDARY_MAINSTREAM = {
    Need.SLCN: 0.25, Need.SEMH: 0.2, Need.SPLD: 0.15, Need.MLD: 0.15, Need.ASD: 0.1,
    Need.PD: 0.05, Need.OTH: 0.05, Need.HI: 0.025, Need.VI: 0.025,
}  # fmt: skip
# Provision features a plan requires, by primary need: (feature, P if bound for a specialist
# setting or unit, P otherwise) (assumption: a few percent of all plans).
_REQUIRED: Mapping[Need, tuple[tuple[Feature, float, float], ...]] = {
    Need.PD: ((Feature.WHEELCHAIR_ACCESS, 0.5, 0.35),),
    Need.PMLD: ((Feature.WHEELCHAIR_ACCESS, 0.6, 0.4), (Feature.ONSITE_NURSING, 0.45, 0.1)),
    Need.HI: ((Feature.HEARING_SUPPORT, 0.6, 0.15),),
    Need.VI: ((Feature.VISION_SUPPORT, 0.6, 0.15),),
    Need.MSI: ((Feature.HEARING_SUPPORT, 0.5, 0.2), (Feature.VISION_SUPPORT, 0.5, 0.2)),
    Need.SLD: ((Feature.ONSITE_NURSING, 0.05, 0.0),),
}

# -- names ---------------------------------------------------------------------------------

_TOWN_A = (
    "Ash", "Bar", "Bram", "Brad", "Brook", "Burn", "Carl", "Clay", "Cold", "Dun", "East",
    "Elm", "Fair", "Farn", "Glen", "Hart", "Hay", "Holm", "Kings", "Lang", "Long", "Marl",
    "Mill", "Nether", "New", "North", "Oak", "Pen", "Red", "Salt", "Sand", "South", "Stan",
    "Stock", "Thorn", "Up", "Wal", "Wel", "West", "Whit", "Wick", "Wood",
)  # fmt: skip
_TOWN_B = (
    "bury", "by", "caster", "combe", "den", "field", "ford", "gate", "ham", "hurst", "ley",
    "minster", "mouth", "stead", "stoke", "ton", "well", "wick", "worth", "bridge",
)  # fmt: skip
_STEMS = (
    "Oakfield", "St Mary's", "Holy Trinity", "Meadowbank", "Hillside", "Parkside", "Willowbrook",
    "Beacon", "Orchard", "Greenfield", "Valley", "Northgate", "Southlands", "Cedars", "Elmwood",
    "Harbour", "Priory", "Woodlands", "Brookside", "Castle", "Fairfield", "Highfield",
    "Kingsmead", "Larkrise", "Millbrook", "Moorside", "Riverside", "Rosewood", "Springfield",
    "St John's", "St Peter's", "St Andrew's", "All Saints", "Christ Church", "Westfield",
    "Eastbrook", "Heathfield", "The Hawthorns", "Ashgrove", "Beechwood", "Birchwood", "Chestnut",
    "Foxwood", "Hazelwood", "Lime Tree", "Maple", "Redwood", "Rowan", "Sycamore", "Thornhill",
    "Windmill", "Abbey", "Bridge", "Church Hill", "Glebe", "Grange", "Manor", "Mead",
    "Queen's Park", "King's", "Ridgeway", "Summerfield", "Tudor", "Victoria", "Whitecross",
)  # fmt: skip
_SUFFIX: Mapping[str, tuple[str, ...]] = {
    "primary": ("Primary School", "Primary Academy", "CofE Primary School",
                "Community Primary School", "Catholic Primary School", "Infant and Junior School"),
    "secondary": ("Academy", "School", "High School", "College", "Community College",
                  "Catholic High School", "Church of England Academy"),
    "special": ("School", "Academy", "Special School", "School and College"),
    "nm": ("School", "School and College"),
    "independent": ("House School", "Hall School", "Independent School", "Lodge School",
                    "Park School"),
    "ap": ("Learning Centre", "Pupil Referral Unit", "Education Centre", "Academy"),
    "spi": ("College", "Specialist College"),
    "fe": ("College", "and District College", "Sixth Form College"),
}  # fmt: skip


class UnknownAreaError(ValueError):
    """No local authority with that name or code (the message suggests the nearest)."""


@dataclass(frozen=True, slots=True)
class LaProfile:
    """One LA's calibration row (DfE EHC plans, January 2025; LA register; see module doc).

    ``ages`` counts plans by age 2..25 (:data:`AGES`); ``needs`` maps each age group
    (:data:`GROUPS`) to primary need counts in :data:`NEEDS` order; ``placements`` maps each
    age group to placement counts in :data:`PLACEMENTS` order; ``need_by_placement`` maps
    each placement to need counts; ``need_mix`` is the published need mix of all plans
    (with ``"ds"`` = 0 and ``"unknown"``); ``rp`` and ``su`` split the ``rp_su`` placement
    into resourced provision and SEN units. ``x``, ``y`` are British National Grid metres.
    """

    la_code: str
    old_la_code: str
    la_name: str
    region: str
    plans: int
    male: int
    area_km2: float
    population: int
    x: float
    y: float
    ages: tuple[int, ...]
    needs: dict[str, tuple[int, ...]]
    placements: dict[str, tuple[int, ...]]
    female: int = 0
    rp: int = 0
    su: int = 0
    need_mix: dict[str, int] = field(default_factory=dict)
    need_by_placement: dict[str, tuple[int, ...]] = field(default_factory=dict)
    placement_basis: str = "202425"
    need_basis: str = "202425"

    @property
    def male_share(self) -> float:
        known = self.male + self.female
        return self.male / known if known else MALE_SHARE_ENGLAND

    def need_shares(self) -> dict[Need, float]:
        """Share of each primary need among plans whose need is recorded (DS: 0)."""
        counts = {Need(k.upper()): v for k, v in self.need_mix.items() if k != "unknown"}
        total = sum(counts.values())
        return {n: (counts.get(n, 0) / total if total else 0.0) for n in Need}

    def placement_totals(self) -> dict[str, int]:
        """Plans by placement (:data:`PLACEMENTS`), all ages."""
        return {p: sum(self.placements[g][k] for g in GROUPS) for k, p in enumerate(PLACEMENTS)}


def _data_text(name: str) -> str:
    return (resources.files("placement.data") / name).read_text(encoding="utf-8")


@cache
def list_las() -> tuple[LaProfile, ...]:
    """The 153 English LAs with EHC plan data, from the vendored calibration."""
    out = []
    for r in csv.DictReader(_data_text("calibration.csv").splitlines()):
        out.append(
            LaProfile(
                la_code=r["la_code"],
                old_la_code=r["old_la_code"],
                la_name=r["la_name"],
                region=r["region"],
                plans=int(r["plans"]),
                male=int(r["male"]),
                female=int(r["female"]),
                rp=int(r["rp"]),
                su=int(r["su"]),
                area_km2=float(r["area_km2"]),
                population=int(r["population"]),
                x=float(r["x"]),
                y=float(r["y"]),
                ages=tuple(int(r[f"age_{a}"]) for a in AGES),
                needs={g: tuple(int(r[f"n_{g}_{n}"]) for n in NEEDS) for g in GROUPS},
                placements={g: tuple(int(r[f"p_{g}_{p}"]) for p in PLACEMENTS) for g in GROUPS},
                need_mix={n: int(r[f"need_{n}"]) for n in (*NEEDS, "ds", "unknown")},
                need_by_placement={
                    p: tuple(int(r[f"np_{p}_{n}"]) for n in NEEDS) for p in PLACEMENTS
                },
                placement_basis=r["placement_basis"],
                need_basis=r["need_basis"],
            )
        )
    return tuple(out)


def _norm(text: str) -> str:
    s = text.strip().lower().replace("&", " and ")
    s = re.sub(r"[.'’]", "", s)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


@cache
def _index() -> dict[str, LaProfile]:
    idx: dict[str, LaProfile] = {}
    for la in list_las():
        keys = [la.la_code.lower(), la.old_la_code, _norm(la.la_name)]
        if "," in la.la_name:  # "Bristol, City of": "Bristol" and "City of Bristol"
            head, tail = (p.strip() for p in la.la_name.split(",", 1))
            keys += [_norm(head), _norm(f"{tail} {head}")]
        for k in keys:
            idx.setdefault(k, la)
    return idx


def resolve_la(name_or_code: str) -> LaProfile:
    """An LA by name (any case; "Bristol" and "City of Bristol" find "Bristol, City of"), new
    code (E10000016) or old three-digit code (886).

    Raises :class:`UnknownAreaError` with a "did you mean" suggestion.
    """
    la = _index().get(_norm(name_or_code))
    if la is not None:
        return la
    text = name_or_code.strip()
    if re.fullmatch(r"[Ee]\d+|\d+", text):
        codes = [x.la_code for x in list_las()] + [x.old_la_code for x in list_las()]
        hint = suggest(text.upper(), codes)
    else:
        hint = suggest(string.capwords(text), [x.la_name for x in list_las()])
    raise UnknownAreaError(
        f"unknown local authority {name_or_code!r}{hint}"
        " (give a name such as Kent, a code such as E10000016, or an old code such as 886)"
    )


# -- the joint model ---------------------------------------------------------------------------


def _div(a: F64, b: F64) -> F64:
    out: F64 = np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > 0)
    return out


@cache
def _national_age_placement() -> F64:
    rows = list(csv.DictReader(_data_text("national_age_placement.csv").splitlines()))
    return np.array([[float(r[p]) for p in PLACEMENTS] for r in rows], np.float64)


_AGE_GROUP = np.array([0 if a <= 4 else 1 if a <= 10 else 2 if a <= 15 else 3 for a in AGES])


@cache
def _joint(la_code: str) -> F64:
    """Expected plans by (age, placement, need), shape (24, 10, 12), summing to ``plans``.

    Iterative proportional fitting of a uniform start to the LA's three two-way tables, then
    single years within each age group from England's placement-by-age profile fitted to the
    LA's ages and the group's placements (see the module docstring).
    """
    la = next(x for x in list_las() if x.la_code == la_code)
    gp = np.array([la.placements[g] for g in GROUPS], np.float64)  # (4, 10)
    gn = np.array([la.needs[g] for g in GROUPS], np.float64)  # (4, 12)
    pn = np.array([la.need_by_placement[p] for p in PLACEMENTS], np.float64)  # (10, 12)
    mix = np.array([la.need_mix[n] for n in NEEDS], np.float64) + 1e-9
    # make the margins agree: unknown needs are spread like the known ones
    gn = np.where(gn.sum(1, keepdims=True) > 0, gn, mix[None, :])
    gn = gn * _div(gp.sum(1), gn.sum(1))[:, None]
    pn = np.where(pn.sum(1, keepdims=True) > 0, pn, mix[None, :])
    pn = pn * _div(gp.sum(0), pn.sum(1))[:, None]
    t = np.ones((4, _NP, _NN), np.float64)
    for _ in range(60):
        t *= _div(gn, t.sum(1))[:, None, :]
        t *= _div(pn, t.sum(0))[None, :, :]
        t *= _div(gp, t.sum(2))[:, :, None]  # last: the placement table holds exactly
    nat = _national_age_placement()
    ages = np.array(la.ages, np.float64)
    out = np.zeros((_NA, _NP, _NN), np.float64)
    for g in range(4):
        rows = np.flatnonzero(np.equal(_AGE_GROUP, g))
        q = nat[rows] + 1e-6
        target_p = t[g].sum(1)
        for _ in range(100):
            q *= _div(target_p, q.sum(0))[None, :]
            q *= _div(ages[rows], q.sum(1))[:, None]
        need_given_p = _div(t[g], t[g].sum(1)[:, None])
        out[rows] = q[:, :, None] * need_given_p[None, :, :]
    total = out.sum()
    if total > 0:
        out *= la.plans / total
    return out


# -- geography -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Geo:
    cx: float
    cy: float
    a: float  # semi-axes, metres
    b: float
    theta: float
    towns: F64  # (T, 2)
    weights: F64  # (T,) town shares of the urban population
    sigma: F64  # (T,) metres
    names: tuple[str, ...]
    rural: float  # share of people outside the towns

    def _axes(self) -> tuple[F64, F64]:
        c, s = math.cos(self.theta), math.sin(self.theta)
        return np.array([c, s]), np.array([-s, c])

    def inside(self, pts: F64) -> B:
        e1, e2 = self._axes()
        d = pts - np.array([self.cx, self.cy])
        u = d @ e1 / self.a
        v = d @ e2 / self.b
        return np.asarray(u * u + v * v <= 1.0, np.bool_)

    def uniform(self, n: int, rng: np.random.Generator, frac: float = 1.0) -> F64:
        e1, e2 = self._axes()
        r = np.sqrt(rng.uniform(0, 1, n)) * frac
        ph = rng.uniform(0, 2 * math.pi, n)
        u = (r * np.cos(ph) * self.a)[:, None]
        v = (r * np.sin(ph) * self.b)[:, None]
        out: F64 = np.array([self.cx, self.cy]) + u * e1 + v * e2
        return out

    def sample(self, n: int, rng: np.random.Generator, rural: float) -> tuple[F64, I64]:
        """``n`` points like the population: around towns by size, ``rural`` share anywhere.
        Returns the points and each point's town (-1 = rural)."""
        w = np.append(self.weights * (1.0 - rural), rural)
        town = rng.choice(len(w), size=n, p=w / w.sum())
        town = np.where(town == len(self.weights), -1, town).astype(np.int64)
        pts = self.uniform(n, rng)
        urb = np.flatnonzero(town >= 0)
        for _ in range(6):  # redraw points that fall outside the region
            if urb.size == 0:
                break
            t = town[urb]
            pts[urb] = self.towns[t] + rng.normal(0, 1, (urb.size, 2)) * self.sigma[t][:, None]
            urb = urb[~self.inside(pts[urb])]
        if urb.size:
            pts[urb] = self.uniform(urb.size, rng)
        return _clip(pts), town

    def spread(self, k: int, rng: np.random.Generator) -> tuple[F64, I64]:
        """``k`` sites spread over where people live, as an LA plans specialist provision:
        k-means++ seeding over a sample of the population (each next site drawn with
        probability proportional to the squared distance to the nearest site so far)."""
        pts, town = self.sample(max(64, 40 * k), rng, self.rural)
        chosen = [int(rng.integers(pts.shape[0]))]
        d2 = ((pts - pts[chosen[0]]) ** 2).sum(1)
        for _ in range(1, k):
            j = int(rng.choice(pts.shape[0], p=d2 / d2.sum())) if d2.sum() > 0 else 0
            chosen.append(j)
            d2 = np.minimum(d2, ((pts - pts[j]) ** 2).sum(1))
        idx = np.array(chosen, np.int64)
        return pts[idx], town[idx]

    def beyond(self, n: int, rng: np.random.Generator, lo_m: float, hi_m: float) -> F64:
        """``n`` points ``lo_m``-``hi_m`` beyond the boundary, in random directions."""
        e1, e2 = self._axes()
        ph = rng.uniform(0, 2 * math.pi, n)
        edge = (np.cos(ph) * self.a)[:, None] * e1 + (np.sin(ph) * self.b)[:, None] * e2
        r = np.hypot(edge[:, 0], edge[:, 1])
        grow = (r + rng.uniform(lo_m, hi_m, n)) / r
        return _clip(np.array([self.cx, self.cy]) + edge * grow[:, None])


def _clip(pts: F64) -> F64:
    """Keep points inside the British National Grid (domain.Location bounds)."""
    out: F64 = np.column_stack(
        [np.clip(pts[:, 0], 1_000.0, 699_000.0), np.clip(pts[:, 1], 1_000.0, 1_299_000.0)]
    )
    return out


def _rural_share(density: float) -> float:
    """Share of people outside towns by people per km² (assumption; England ~17% rural)."""
    for limit, share in ((150, 0.32), (300, 0.24), (600, 0.16), (1500, 0.08)):
        if density < limit:
            return share
    return 0.03


def _geography(la: LaProfile, rng: np.random.Generator) -> _Geo:
    area = max(la.area_km2, 1.0)
    pop = max(la.population, 1_000)
    aspect = float(rng.uniform(1.0, 1.6 if area > 200 else 1.3))
    a = math.sqrt(area / math.pi * aspect) * 1000.0
    b = math.sqrt(area / math.pi / aspect) * 1000.0
    theta = float(rng.uniform(0, math.pi))
    margin = a + 45_000.0  # room for out-of-area settings inside Great Britain's grid
    cx = float(np.clip(la.x, margin, 700_000.0 - margin)) if 2 * margin < 700_000 else 350_000.0
    cy = float(np.clip(la.y, margin, 1_300_000.0 - margin))
    density = pop / area
    rural = _rural_share(density)
    t = int(np.clip(round(math.sqrt(pop / 10_000)), 1, 24))
    w = 1.0 / np.arange(1, t + 1)
    w /= w.sum()
    shape = _Geo(cx, cy, a, b, theta, np.zeros((0, 2)), w, w, (), rural)
    towns = shape.uniform(t, rng, frac=0.8)
    if density > CITY_DENSITY or t == 1:
        towns[0] = (cx, cy)
    town_pop = pop * (1.0 - rural) * w
    sigma = np.clip(np.sqrt(town_pop / URBAN_DENSITY / math.pi) * 1000.0, 400.0, 0.5 * b)
    combos = [x + y for x in _TOWN_A for y in _TOWN_B]
    pick = rng.choice(len(combos), size=t, replace=False)
    names = tuple(combos[int(k)] for k in pick)
    return _Geo(cx, cy, a, b, theta, _clip(towns), w, sigma, names, rural)


@cache
def _la_points() -> F64:
    return np.array([[la.x, la.y] for la in list_las()], np.float64)


def _neighbour(la: LaProfile, pt: F64) -> LaProfile:
    """The LA (other than ``la``) whose representative point is nearest ``pt``."""
    xy, las = _la_points(), list_las()
    d = np.hypot(xy[:, 0] - pt[0], xy[:, 1] - pt[1])
    for k in np.argsort(d, kind="stable"):
        other = las[int(k)]
        if other.la_code != la.la_code:
            return other
    return la  # pragma: no cover - there are 153


# -- settings under construction -------------------------------------------------------------


@dataclass(slots=True)
class _S:
    """A setting being built (mutable until :meth:`freeze`)."""

    kind: SettingKind
    placement: int  # index into PLACEMENTS: which children it is for
    name: str
    x: float
    y: float
    low: int
    high: int
    entry: Entry = Entry.MIXED
    designations: dict[Need, int] = field(default_factory=dict)
    features: set[Feature] = field(default_factory=set)
    in_area: bool = True
    la_code: str = ""
    fee: int | None = None
    s41: bool = False
    size: int = 0  # nominal size of a mainstream school or college
    pools: dict[Need, list[int]] = field(default_factory=dict)  # need -> [free, roll]
    free: int = 0
    roll: int = 0
    setting_id: str = ""

    def freeze(self) -> Setting:
        pools: dict[Need, Pool] = {}
        capacity, roll = self.free + self.roll, self.roll
        if self.designations:
            pools = {nd: Pool(f + r, r) for nd, (f, r) in self.pools.items()}
            capacity = sum(p.places for p in pools.values())
            roll = sum(p.roll for p in pools.values())
        return Setting(
            setting_id=self.setting_id,
            name=self.name,
            kind=self.kind,
            location=Location(self.x, self.y),
            low_age=self.low,
            high_age=self.high,
            capacity=capacity,
            roll=roll,
            entry=self.entry,
            designations=dict(self.designations),
            features=frozenset(self.features),
            pools=pools,
            s41_approved=self.s41,
            la_code=self.la_code,
            in_area=self.in_area,
            annual_fee_gbp=self.fee,
        )


class _Namer:
    """Plausible, unique, deterministic names."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def exact(self, base: str, town: str) -> str:
        for name in (base, f"{base}, {town}"):
            if name not in self.used:
                self.used.add(name)
                return name
        return self("nm", town)

    def __call__(self, family: str, town: str) -> str:
        suffixes = _SUFFIX[family]
        for attempt in range(40):
            stem = _STEMS[int(self.rng.integers(len(_STEMS)))]
            suf = suffixes[int(self.rng.integers(len(suffixes)))]
            if family == "fe":
                base = f"{town} {suf}" if attempt == 0 else f"{stem} College"
            else:
                base = f"{stem} {suf}"
            for name in (base, f"{base}, {town}"):
                if name not in self.used:
                    self.used.add(name)
                    return name
        name = f"{town} {suffixes[0]} {len(self.used) + 1}"
        self.used.add(name)
        return name


def _apportion(total: int, weights: F64) -> I64:
    """Whole numbers summing to ``total`` in proportion to ``weights`` (largest remainder)."""
    if total <= 0 or weights.size == 0:
        return np.zeros(weights.size, np.int64)
    w = np.maximum(weights, 0.0)
    w = w / w.sum() if w.sum() > 0 else np.full(w.size, 1.0 / w.size)
    exact = w * total
    base: I64 = np.floor(exact).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        base[np.argsort(-(exact - base), kind="stable")[:short]] += 1
    return base


def _profiles(
    k: int, weights: F64, rng: np.random.Generator, *, broad: bool = False
) -> list[list[Need]]:
    """Designations of ``k`` specialist settings: main needs in proportion to ``weights``
    (over :data:`NEED_CODES`), each with 0-2 companions (more often 2 when ``broad``: rural
    special schools serve a wider range of needs); every common need is covered."""
    if k == 0:
        return []
    mains = np.repeat(np.arange(_NN), _apportion(k, weights + 1e-9))[rng.permutation(k)]
    out: list[list[Need]] = []
    for m in mains.tolist():
        need = NEED_CODES[m]
        extra = int(rng.choice(3, p=(0.1, 0.35, 0.55) if broad else (0.3, 0.45, 0.25)))
        comp = [c for c in _COMPANIONS[need] if c in _N and weights[_N[c]] > 0]
        if comp and extra:
            cw = np.array([weights[_N[c]] for c in comp]) + 1e-9
            take = rng.choice(len(comp), size=min(extra, len(comp)), replace=False, p=cw / cw.sum())
            out.append([need, *(comp[j] for j in sorted(take.tolist()))])
        else:
            out.append([need])
    total = float(weights.sum())
    for j in np.argsort(-weights, kind="stable").tolist():
        need = NEED_CODES[j]
        if weights[j] < max(1.0, 0.02 * total) or any(need in p for p in out):
            continue
        # add it where a companion already is, else where there are fewest designations
        near = [i for i, p in enumerate(out) if set(p) & set(_COMPANIONS[need])]
        i = min(near or range(len(out)), key=lambda i: (len(out[i]), i))
        out[i].append(need)
    return out


def _features_for(needs: Sequence[Need], rng: np.random.Generator, placement: int) -> set[Feature]:
    """Provision features of a specialist setting, from its designations (assumption)."""
    s = set(needs)
    if placement == AP:
        return {Feature.SMALL_CLASS} | (
            {Feature.WHEELCHAIR_ACCESS} if rng.uniform() < 0.5 else set()
        )
    f: set[Feature] = {Feature.SMALL_CLASS}
    if s & {Need.PD, Need.PMLD} or rng.uniform() < 0.75:
        f.add(Feature.WHEELCHAIR_ACCESS)
    if rng.uniform() < (0.9 if s & {Need.ASD, Need.PMLD, Need.SLD, Need.MSI} else 0.5):
        f.add(Feature.SENSORY_ROOM)
    if Need.PMLD in s or rng.uniform() < (0.7 if s & {Need.PD, Need.SLD} else 0.05):
        f.add(Feature.ONSITE_NURSING)
    if rng.uniform() < 0.6:
        f.add(Feature.THERAPY_ONSITE)
    if s & {Need.HI, Need.MSI} or rng.uniform() < 0.05:
        f.add(Feature.HEARING_SUPPORT)
    if s & {Need.VI, Need.MSI} or rng.uniform() < 0.05:
        f.add(Feature.VISION_SUPPORT)
    if rng.uniform() < {SNM: 0.4, SIND: 0.25, SPI: 0.35}.get(placement, 0.03):
        f.add(Feature.RESIDENTIAL)
    return f


_KIND_OF: Mapping[int, SettingKind] = {
    SLA: SettingKind.SPECIAL_LA,
    SAC: SettingKind.SPECIAL_ACADEMY,
    SNM: SettingKind.NON_MAINTAINED_SPECIAL,
    SIND: SettingKind.INDEPENDENT_SPECIAL,
    AP: SettingKind.ALTERNATIVE_PROVISION,
    SPI: SettingKind.SPECIALIST_POST16,
}
_NAME_FAMILY = {
    SLA: "special",
    SAC: "special",
    SNM: "nm",
    SIND: "independent",
    AP: "ap",
    SPI: "spi",
}


def _age_range(placement: int, k: int, i: int, rng: np.random.Generator) -> tuple[int, int]:
    """Statutory ages of the ``i``-th of ``k`` specialist settings (the first is all-through)."""
    if placement == SPI:
        return 16, 25
    if placement == AP:
        return (5, 16) if i == 0 or rng.uniform() < 0.4 else (11, 16)
    if placement == SIND:
        return (5 if i == 0 else int(rng.choice([5, 7, 11], p=[0.4, 0.2, 0.4]))), 19
    low = int(rng.choice([2, 3, 4], p=[0.3, 0.4, 0.3]))
    if i == 0 or k < 3:
        return low, 19
    return [(low, 19), (low, 11), (11, 19)][int(rng.choice(3, p=[0.6, 0.2, 0.2]))]


def _build_settings(
    la: LaProfile, geo: _Geo, expected: F64, scale: float, rng: np.random.Generator
) -> list[_S]:
    """Every setting, without places yet (those follow the children)."""
    name = _Namer(rng)
    pop = la.population * scale
    code = la.old_la_code  # GIAS "LA (code)", as placement.files.gias reads it
    out: list[_S] = []
    # mainstream primaries and secondaries, placed like the population
    # more, smaller schools where people are sparse (assumption, checked against Kent,
    # Birmingham and North Yorkshire: about 460, 300 and 300 primaries in GIAS)
    for phase, per_head, rural in (
        ("primary", PRIMARY_PER_HEAD * (0.8 + 1.5 * geo.rural), geo.rural),
        ("secondary", SECONDARY_PER_HEAD * (0.9 + 0.5 * geo.rural), geo.rural * 0.4),
    ):
        k = max(1, round(pop * per_head))
        pts, town = geo.sample(k, rng, rural)
        for i in range(k):
            t = int(town[i])
            tname = geo.names[t] if t >= 0 else geo.names[int(rng.integers(len(geo.names)))]
            f: set[Feature] = {Feature.WHEELCHAIR_ACCESS} if rng.uniform() < 0.7 else set()
            if rng.uniform() < 0.04:
                f.add(Feature.HEARING_SUPPORT)
            if rng.uniform() < 0.04:
                f.add(Feature.VISION_SUPPORT)
            entry = Entry.MIXED
            if phase == "primary":
                low, high = int(rng.choice([2, 3, 4], p=[0.15, 0.35, 0.5])), 11
                size = int(rng.choice([210, 315, 420, 630], p=[0.25, 0.3, 0.3, 0.15]))
                if t < 0:  # village schools
                    size = int(rng.choice([70, 105, 140, 210]))
            else:
                low, high = 11, int(rng.choice([16, 19], p=[0.35, 0.65]))
                size = int(rng.choice([600, 900, 1200, 1500], p=[0.2, 0.35, 0.3, 0.15]))
                if rng.uniform() < 0.08:  # single-sex secondaries
                    entry = Entry.GIRLS if rng.uniform() < 0.55 else Entry.BOYS
            out.append(
                _S(SettingKind.MAINSTREAM, MAIN, name(phase, tname), float(pts[i, 0]),
                   float(pts[i, 1]), low, high, entry, features=f, la_code=code, size=size)
            )  # fmt: skip
    mains = list(out)
    # FE colleges, in the largest towns first
    k_fe = max(
        1, round(pop / PEOPLE_PER_COLLEGE), round(la.area_km2 * min(1.0, scale) / KM2_PER_COLLEGE)
    )
    for i in range(k_fe):
        t = i if i < len(geo.names) else int(rng.choice(len(geo.weights), p=geo.weights))
        xy = _clip((geo.towns[t] + rng.normal(0, 0.3, 2) * geo.sigma[t])[None, :])[0]
        low = 14 if rng.uniform() < 0.25 else 16  # some colleges take 14-16-year-olds
        out.append(
            _S(SettingKind.FE_COLLEGE, FE, name("fe", geo.names[t]), float(xy[0]), float(xy[1]),
               low, 26, features={Feature.WHEELCHAIR_ACCESS}, la_code=code,
               size=int(rng.integers(1500, 5001)))
        )  # fmt: skip
    # resourced provision and SEN units in mainstream schools
    rp_need_w = np.array(la.need_by_placement["rp_su"], np.float64)
    rp_w = np.array([rp_need_w[_N[n]] for n in _RP_NEEDS]) + 1e-9
    unit_share = la.su / (la.rp + la.su) if la.rp + la.su else 0.37  # England: 37% units
    for ages_idx, hosts in (
        (range(0, 9), [s for s in mains if s.high == 11]),  # ages 2-10
        (range(9, _NA), [s for s in mains if s.low == 11]),  # ages 11-25
    ):
        e = float(expected[list(ages_idx), RP, :].sum()) * scale
        k = min(len(hosts), 0 if e < 1.5 else max(1, round(e / _SIZE[RP])))
        if k == 0:
            continue
        cap = np.array([h.size for h in hosts], np.float64)
        chosen = rng.choice(len(hosts), size=k, replace=False, p=cap / cap.sum())
        unit_needs = np.repeat(np.arange(len(_RP_NEEDS)), _apportion(k, rp_w))
        unit_needs = unit_needs[rng.permutation(k)]
        for h_i, n_i in zip(chosen.tolist(), unit_needs.tolist(), strict=True):
            h = hosts[h_i]
            nd = _RP_NEEDS[n_i]
            unit = bool(rng.uniform() < unit_share)
            feats = {Feature.SMALL_CLASS} | (h.features & {Feature.WHEELCHAIR_ACCESS})
            feats |= {Need.HI: {Feature.HEARING_SUPPORT}, Need.VI: {Feature.VISION_SUPPORT},
                      Need.PD: {Feature.WHEELCHAIR_ACCESS}}.get(nd, set())  # fmt: skip
            out.append(
                _S(SettingKind.SEN_UNIT if unit else SettingKind.RESOURCED_PROVISION, RP,
                   f"{h.name} ({nd.value} {'unit' if unit else 'base'})", h.x, h.y,
                   max(h.low, 4), h.high, h.entry, {nd: 3 if rng.uniform() < 0.55 else 4},
                   feats, la_code=code)
            )  # fmt: skip
    # specialist settings; state special schools are smaller where people are sparse
    # (assumption: sqrt(density / 400 per km²), at least 0.6 of the usual size)
    rural_size = float(np.clip(math.sqrt(la.population / max(la.area_km2, 1.0) / 400.0), 0.6, 1.0))
    for p in (SLA, SAC, SNM, SIND, AP, SPI):
        e_need = expected[:, p, :].sum(0) * scale
        e = float(e_need.sum())
        typical = _SIZE[p] * (rural_size if p in (SLA, SAC) else 1.0)
        k = 0 if e < 0.5 else max(1, round(e / typical))
        profiles = _profiles(k, e_need, rng, broad=rural_size < 0.9 and p in (SLA, SAC))
        share_out = _OUT_OF_AREA[p] if e >= 40 or p == AP else max(_OUT_OF_AREA[p], 0.7)
        # over the border: 15-40 km out, or just over it where the LA relies on a neighbour
        far = geo.beyond(k, rng, *((15_000.0, 40_000.0) if e >= 40 else (2_000.0, 12_000.0)))
        near, town = geo.spread(k, rng)
        for i, needs in enumerate(profiles):
            lo, hi = _age_range(p, k, i, rng)
            out_of_area = bool(rng.uniform() < share_out) and not (i == 0 and e >= 40)
            if out_of_area:
                xy, nb = far[i], _neighbour(la, far[i])
                tname, la_code = nb.la_name.split(",")[0], nb.old_la_code
            else:
                t = int(town[i])
                xy, tname, la_code = near[i], geo.names[max(t, 0)], code
            top = 4 if p == AP else 5
            bands = {
                nd: 4 if nd in (Need.MLD, Need.SPLD) and p in (SLA, SAC) and rng.uniform() < 0.5
                else top
                for nd in needs
            }  # fmt: skip
            entry = Entry.MIXED
            if p == SIND and needs[0] is Need.SEMH and rng.uniform() < 0.25:
                entry = Entry.BOYS
            fee, s41 = None, False
            if p in FEE_GBP:
                m_in, m_out, sd, (f_lo, f_hi) = FEE_GBP[p]
                mean = m_out if out_of_area else m_in
                fee = round(float(np.clip(rng.normal(mean, sd), f_lo, f_hi)) / 100.0) * 100
                s41 = bool(rng.uniform() < S41_SHARE[p])
            if p == SNM and needs[0] in (Need.HI, Need.VI):
                who = "Deaf" if needs[0] is Need.HI else "Blind"
                sname = name.exact(f"{tname} School for {who} Children", tname)
            else:
                sname = name(_NAME_FAMILY[p], tname)
            out.append(
                _S(_KIND_OF[p], p, sname, float(xy[0]), float(xy[1]), lo, hi, entry, bands,
                   _features_for(needs, rng, p), in_area=not out_of_area, la_code=la_code,
                   fee=fee, s41=s41)
            )  # fmt: skip
    # URN-like ids: six digits from 100000, unique, drawn with the geography so that the
    # caseload and transfer cohorts of one seed share their settings' ids
    ids = rng.choice(max(90_000, 10 * len(out)), size=len(out), replace=False) + 100_000
    for rec, sid in zip(out, ids.tolist(), strict=True):
        rec.setting_id = str(sid)
    return out


# -- children ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kids:
    """The children as parallel arrays."""

    age: I64  # age on 31 August (nc_year + 4)
    group: I64  # sampled placement (PLACEMENTS index): the calibration's accounting
    intended: I64  # the placement the child is looking for (never OTHER)
    need: I64  # index into NEED_CODES
    band: I64
    xy: F64
    female: B
    transfer: B  # in a phase-transfer year (Reception, Year 7, Year 12)

    @property
    def n(self) -> int:
        return int(self.age.shape[0])

    @property
    def specialist(self) -> B:
        """Bound for a specialist setting or a unit (for bands, transport, features)."""
        return np.asarray(self.intended != MAIN, np.bool_) & np.asarray(
            self.intended != FE, np.bool_
        )


def _draw(cum: F64, u: F64) -> I64:
    """Row-wise inverse-CDF draws: ``cum`` (m, K) cumulative, ``u`` (m,) uniform."""
    out: I64 = np.minimum((u[:, None] > cum).sum(1), cum.shape[1] - 1).astype(np.int64)
    return out


def _sample_children(
    la: LaProfile, joint: F64, n: int, transfer: bool, geo: _Geo, rng: np.random.Generator
) -> _Kids:
    w = joint.copy()
    if transfer:
        keep = np.isin(np.array(AGES), TRANSFER_AGES)
        w[~keep] = 0.0
    p = w.ravel() / w.sum()
    counts = rng.multinomial(n, p)
    cell = np.repeat(np.arange(p.size), counts)[rng.permutation(n)]
    a_idx = cell // (_NP * _NN)
    group = (cell // _NN) % _NP
    need = cell % _NN
    age = np.array(AGES, np.int64)[a_idx]
    # children educated elsewhere look for what their peers of that age and need have
    intended = group.copy()
    oth = np.flatnonzero(group == OTHER)
    if oth.size:
        ww = joint[a_idx[oth], :OTHER, need[oth]]
        alt = joint[a_idx[oth], :OTHER, :].sum(2)
        ww = np.where(ww.sum(1, keepdims=True) > 0, ww, alt)
        ww = np.where(ww.sum(1, keepdims=True) > 0, ww, np.eye(OTHER)[MAIN][None, :])
        cum = np.cumsum(ww / ww.sum(1, keepdims=True), 1)
        intended[oth] = _draw(cum, rng.uniform(0, 1, oth.size))
    # settings' statutory ages: special schools to 19, AP 5-16, colleges from 14/16
    intended[(age >= 19) & np.isin(intended, [MAIN, RP, AP])] = FE
    intended[(age >= 19) & np.isin(intended, [SLA, SAC, SNM, SIND])] = SPI
    intended[(age >= 16) & (intended == AP)] = FE
    intended[(age < 14) & (intended == FE)] = MAIN
    intended[(age < 16) & (intended == SPI)] = SLA
    intended[(age <= 4) & (intended == AP)] = MAIN
    intended[(age <= 3) & (intended == RP)] = MAIN
    # need band by intended placement; PMLD and SLD at the top of specialist bands
    band_cum = np.cumsum(np.array([BAND_P[k] for k in range(OTHER)]), 1)
    band = _draw(band_cum[intended], rng.uniform(0, 1, n)) + 1
    spec = (intended != MAIN) & (intended != FE)
    band = np.where(spec & (need == _N[Need.PMLD]), np.maximum(band, 4), band)
    band = np.where(spec & (need == _N[Need.SLD]), np.maximum(band, 3), band)
    xy, _ = geo.sample(n, rng, geo.rural)
    female = rng.uniform(0, 1, n) >= la.male_share
    return _Kids(
        age=age,
        group=group.astype(np.int64),
        intended=intended.astype(np.int64),
        need=need.astype(np.int64),
        band=band.astype(np.int64),
        xy=xy,
        female=female,
        transfer=np.isin(age, TRANSFER_AGES),
    )


# -- nearest suitable-looking settings ---------------------------------------------------------

Mode = Literal["none", "age", "fit", "direct"]


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Settings and children as arrays, for vectorised nearest-candidate searches."""

    sxy: F64
    low: I64
    high: I64
    entry: I64  # 0 mixed, 1 girls, 2 boys
    direct: I64  # bitmask over NEED_CODES of designations
    fit: I64  # bitmask of needs a family reads the designations as meeting
    kids: _Kids

    def valid(self, rows: I64, s: I64, mode: Mode) -> B:
        if mode == "none":
            return np.ones(np.broadcast_shapes(rows.shape, s.shape), np.bool_)
        age = self.kids.age[rows]
        fem = self.kids.female[rows]
        e = self.entry[s]
        ok = (self.low[s] <= age) & (age < self.high[s])
        ok &= (e == 0) | ((e == 1) & fem) | ((e == 2) & ~fem)
        if mode != "age":
            bits = self.direct[s] if mode == "direct" else self.fit[s]
            ok &= ((bits >> self.kids.need[rows]) & 1) == 1
        return np.asarray(ok, np.bool_)

    def nearest(self, rows: I64, cand: I64, mode: Mode, k_out: int = 3) -> I64:
        """For each child in ``rows``, the ``k_out`` nearest of ``cand`` passing ``mode``
        (setting indices, nearest first; -1 where there are fewer)."""
        out = np.full((rows.size, k_out), -1, np.int64)
        if rows.size == 0 or cand.size == 0:
            return out
        k = min(cand.size, 32)
        _, j = cKDTree(self.sxy[cand]).query(self.kids.xy[rows], k=k)
        s = cand[np.asarray(j, np.int64).reshape(rows.size, k)]
        self._pick(out, np.arange(rows.size), rows, s, mode)
        short = np.flatnonzero((out[:, -1] < 0) & (k < cand.size))
        step = max(1, 4_000_000 // cand.size)
        for lo in range(0, short.size, step):  # the rest: every candidate, nearest first
            sel = short[lo : lo + step]
            d = np.hypot(
                self.kids.xy[rows[sel], 0][:, None] - self.sxy[cand, 0][None, :],
                self.kids.xy[rows[sel], 1][:, None] - self.sxy[cand, 1][None, :],
            )
            s2 = cand[np.argsort(d, axis=1, kind="stable")]
            self._pick(out, sel, rows[sel], s2, mode)
        return out

    def _pick(self, out: I64, at: I64, rows: I64, s: I64, mode: Mode) -> None:
        ok = self.valid(rows[:, None], s, mode)
        k_out = out.shape[1]
        order = np.argsort(~ok, axis=1, kind="stable")[:, :k_out]
        sel = np.take_along_axis(s, order, 1)
        good = np.take_along_axis(ok, order, 1)
        res = np.where(good, sel, -1)
        if res.shape[1] < k_out:
            res = np.pad(res, ((0, 0), (0, k_out - res.shape[1])), constant_values=-1)
        out[at] = res


def _bits(needs: Sequence[Need] | frozenset[Need]) -> int:
    return sum(1 << _N[n] for n in needs if n in _N)


# -- the area ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GenerationReport:
    """What was generated, for tests, benchmarks and the area's notes.

    ``specialist_bound``: children whose sampled placement is in :data:`SPECIALIST`;
    ``specialist_free_places``: free places in settings whose kind is specialist. Their ratio
    is the tightness (:data:`TIGHTNESS`, before rounding and out-of-area draws).
    """

    la: LaProfile
    cohort: str
    seed: int
    scale: float
    children: int
    settings: int
    by_placement: dict[str, int]
    specialist_bound: int
    specialist_free_places: int
    unit_bound: int
    unit_free_places: int
    no_preference: int

    @property
    def specialist_ratio(self) -> float:
        return self.specialist_free_places / max(1, self.specialist_bound)


def generate_area(
    like: str,
    *,
    seed: int,
    cohort: Literal["caseload", "transfer"] = "caseload",
    scale: float = 1.0,
    academic_year_start: int = 2026,
) -> Area:
    """A synthetic area like ``like`` (an LA name or code); see the module docstring.

    Raises :class:`UnknownAreaError` for an unknown LA and ``ValueError`` for a bad argument.
    """
    return generate_with_report(
        like, seed=seed, cohort=cohort, scale=scale, academic_year_start=academic_year_start
    )[0]


def generate_with_report(
    like: str,
    *,
    seed: int,
    cohort: Literal["caseload", "transfer"] = "caseload",
    scale: float = 1.0,
    academic_year_start: int = 2026,
) -> tuple[Area, GenerationReport]:
    """:func:`generate_area` and a :class:`GenerationReport` of what it drew."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed {seed!r} must be a whole number >= 0")
    if not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale {scale!r} must be a number greater than 0")
    if cohort not in ("caseload", "transfer"):
        raise ValueError(f"cohort {cohort!r} must be 'caseload' or 'transfer'")
    if not isinstance(academic_year_start, int) or not 2000 <= academic_year_start <= 2100:
        raise ValueError(f"academic_year_start {academic_year_start!r} must be 2000 to 2100")
    la = resolve_la(like)
    transfer = cohort == "transfer"
    r_geo, r_kid, r_cap, r_pref = np.random.default_rng(int(seed)).spawn(4)
    geo = _geography(la, r_geo)
    joint = _joint(la.la_code)
    recs = _build_settings(la, geo, joint, scale, r_geo)
    base = sum(la.ages[AGES.index(a)] for a in TRANSFER_AGES) if transfer else sum(la.ages)
    n = max(1, round(base * scale))
    kids = _sample_children(la, joint, n, transfer, geo, r_kid)

    m = len(recs)
    ctx = _Ctx(
        sxy=np.array([[r.x, r.y] for r in recs], np.float64).reshape(m, 2),
        low=np.array([r.low for r in recs], np.int64),
        high=np.array([r.high for r in recs], np.int64),
        entry=np.array([[Entry.MIXED, Entry.GIRLS, Entry.BOYS].index(r.entry) for r in recs]),
        direct=np.array([_bits(list(r.designations)) for r in recs], np.int64),
        fit=np.array(
            [_bits([x for d in r.designations for x in _FAMILY_FIT[d]]) for r in recs], np.int64
        ),
        kids=kids,
    )
    placement_of = np.array([r.placement for r in recs], np.int64)
    primary_s = np.flatnonzero((placement_of == MAIN) & (ctx.high <= 11))
    secondary_s = np.flatnonzero((placement_of == MAIN) & (ctx.low >= 11))
    of = {p: np.flatnonzero(placement_of == p) for p in range(OTHER)}
    young = kids.age < 11
    everyone = np.arange(n, dtype=np.int64)

    # the nearest settings of the kind each child is bound for
    cands = np.full((n, 3), -1, np.int64)
    for p in range(OTHER):
        sel = everyone[kids.intended == p]
        if p in (MAIN, RP):
            for ph, pool in ((True, primary_s), (False, secondary_s)):
                rows = sel[young[sel] == ph]
                cand = np.union1d(of[RP], pool) if p == RP else pool
                mode: Mode = "fit" if p == RP else "age"
                if p == RP:  # units first, then the host phase's mainstream schools
                    got = ctx.nearest(rows, of[RP], "fit")
                    more = ctx.nearest(rows, pool, "age")
                    cands[rows] = _merge(got, more)
                else:
                    cands[rows] = ctx.nearest(rows, cand, mode)
            continue
        cand = {
            SLA: np.union1d(of[SLA], of[SAC]),
            SAC: np.union1d(of[SLA], of[SAC]),
            SNM: np.union1d(of[SNM], np.union1d(of[SLA], of[SAC])),
            SPI: np.union1d(of[SPI], of[FE]),
        }.get(p, of[p])
        cands[sel] = ctx.nearest(sel, cand, "age" if p == FE else "fit")
    fallback = np.full(n, -1, np.int64)
    for rows, pool in (
        (everyone[kids.age < 11], primary_s),
        (everyone[(kids.age >= 11) & (kids.age < 16)], secondary_s),
        (everyone[kids.age >= 16], np.union1d(of[FE], secondary_s)),
    ):
        fallback[rows] = ctx.nearest(rows, pool, "age", 1)[:, 0]

    # specialist and unit places: tight, where the children are
    tight = {p: float(r_cap.uniform(*TIGHTNESS)) for p in (RP, *SPECIALIST_IDX)}
    placed = kids.group != OTHER
    own = np.full(n, -1, np.int64)  # the setting a placed specialist child is counted at
    for p, r in tight.items():
        rows = everyone[placed & (kids.intended == p)]
        cand = of[p]
        got = np.full(rows.size, -1, np.int64)
        for mode2 in ("direct", "fit", "age", "none"):
            left = np.flatnonzero(got < 0)
            if left.size == 0 or cand.size == 0:
                break
            got[left] = ctx.nearest(rows[left], cand, mode2, 1)[:, 0]
        own[rows] = got
        keys: list[tuple[int, Need]] = [
            (int(j), d) for j in cand for d in recs[int(j)].designations
        ]
        key_at = {k: i for i, k in enumerate(keys)}
        demand = np.full(len(keys), 0.25)
        for j, k in zip(got.tolist(), kids.need[rows].tolist(), strict=True):
            if j >= 0:
                demand[key_at[(j, _pool_need(recs[j], NEED_CODES[k]))]] += 1.0
        free = _apportion(round(r * rows.size), demand)
        if transfer:  # the rest of the caseload is on roll
            whole = float(joint[:, p, :].sum()) * scale * r
            rolls = _apportion(
                max(0, round(whole) - int(free.sum())), free.astype(np.float64) + 0.5
            )
        else:  # children placed by other LAs (cross-border), 0-6%
            rolls = np.rint(free * r_cap.uniform(0.0, 0.06, free.size)).astype(np.int64)
        for (j, d), f, ro in zip(keys, free.tolist(), rolls.tolist(), strict=True):
            recs[j].pools[d] = [int(f), int(ro)]
        if p == AP:  # most pupils in AP have no plan
            for j in cand.tolist():
                d0 = next(iter(recs[j].designations))
                recs[j].pools[d0][1] += int(r_cap.integers(10, 41))

    # mainstream schools and colleges: free places for the children nearest, plus slack
    for p in (MAIN, FE):
        rows = everyone[kids.intended == p]
        near = cands[rows, 0]
        nearby = np.bincount(near[near >= 0], minlength=m)
        for j in of[p].tolist():
            rec = recs[j]
            rec.free = math.ceil(nearby[j] * float(r_cap.uniform(*MAINSTREAM_SLACK))) + int(
                r_cap.integers(1, 4)
            )
            if p == MAIN:
                capacity = max(rec.size, math.ceil(rec.free / 0.15))
                rec.roll = capacity - rec.free
            else:
                rec.roll = rec.size

    settings = tuple(rec.freeze() for rec in recs)
    pick = _Picks(cands, fallback, own, of, secondary_s, placement_of)
    children, no_pref = _children(
        kids, [s.setting_id for s in settings], ctx, pick, transfer, r_pref
    )

    by_p = {pl: int((kids.group == k).sum()) for k, pl in enumerate(PLACEMENTS)}
    report = GenerationReport(
        la=la,
        cohort=cohort,
        seed=int(seed),
        scale=float(scale),
        children=n,
        settings=m,
        by_placement=by_p,
        specialist_bound=sum(by_p[pl] for pl in SPECIALIST),
        specialist_free_places=sum(s.free for s in settings if s.kind.is_specialist),
        unit_bound=by_p["rp_su"],
        unit_free_places=sum(
            s.free
            for s in settings
            if s.kind in (SettingKind.RESOURCED_PROVISION, SettingKind.SEN_UNIT)
        ),
        no_preference=no_pref,
    )
    slug = re.sub(r"[^a-z0-9]+", "-", la.la_name.split(",")[0].lower()).strip("-")
    name = f"synthetic-{slug}-s{seed}" + ("-transfer" if transfer else "")
    notes = (
        f"synthetic area like {la.la_name} ({la.la_code}, old code {la.old_la_code}): "
        f"{la.plans:,} EHC plans in January 2025 (DfE SEN2 2025), {la.area_km2:,.0f} km², "
        f"population {la.population:,} (2020)",
        f"cohort {cohort}, scale {scale:g}, seed {seed}, academic year "
        f"{academic_year_start}/{(academic_year_start + 1) % 100:02d} (nc_year = age on "
        f"31 August - 4): {n:,} children, {m:,} settings",
        f"specialist places: {report.specialist_free_places:,} free for "
        f"{report.specialist_bound:,} children the placement mix sends to specialist settings "
        f"({report.specialist_ratio:.0%})",
        "synthetic: no real child is represented; generated by placement.generate",
    )
    return Area(name, children, settings, (), la.old_la_code, notes), report


def _merge(first: I64, second: I64) -> I64:
    """Row-wise: ``first``'s entries, then ``second``'s not already there, up to the width."""
    out = np.full_like(first, -1)
    for i in range(first.shape[0]):
        row: list[int] = []
        for j in (*first[i].tolist(), *second[i].tolist()):
            if j >= 0 and j not in row:
                row.append(j)
        row = row[: first.shape[1]]
        out[i, : len(row)] = row
    return out


def _pool_need(rec: _S, need: Need) -> Need:
    """The designation (pool) of ``rec`` a child with ``need`` takes a place in."""
    if need in rec.designations:
        return need
    for d in rec.designations:
        if need in _FAMILY_FIT[d]:
            return d
    return next(iter(rec.designations))


@dataclass(frozen=True, slots=True)
class _Picks:
    cands: I64  # (n, 3) nearest settings of the kind the child is bound for
    fallback: I64  # (n,) nearest mainstream school or college for the child's age
    own: I64  # (n,) the specialist setting a placed child is counted at
    of: dict[int, I64]  # settings by placement
    secondary: I64  # mainstream secondary schools
    placement_of: I64  # (m,) each setting's placement


def _children(
    kids: _Kids,
    id_of: list[str],
    ctx: _Ctx,
    pick: _Picks,
    transfer_cohort: bool,
    rng: np.random.Generator,
) -> tuple[tuple[Child, ...], int]:
    """The children, with their details and preferences (assumptions: module constants)."""
    n = kids.n
    everyone = np.arange(n, dtype=np.int64)
    spec = kids.specialist
    it, need, age = kids.intended, kids.need, kids.age

    def u() -> F64:
        return rng.uniform(0.0, 1.0, n)

    # families asking for an independent special school, or (band 3 in mainstream) a special one
    extra_indep = np.isin(it, [SLA, SAC, SNM, AP]) & (u() < INDEPENDENT_REQUEST_P)
    indep = np.full(n, -1, np.int64)
    rows = everyone[extra_indep]
    indep[rows] = ctx.nearest(rows, pick.of[SIND], "fit", 1)[:, 0]
    indep_front = u() < 0.7
    to_special = np.full(n, -1, np.int64)
    rows = everyone[(it == MAIN) & (kids.band >= 3) & (u() < 0.25)]
    to_special[rows] = ctx.nearest(rows, np.union1d(pick.of[SLA], pick.of[SAC]), "fit", 1)[:, 0]
    # where they are now (not in a transfer year: those are changing setting)
    has_current = (~kids.transfer) & (kids.group != OTHER) & (u() < 0.9)
    if transfer_cohort:
        has_current[:] = False
    current = np.where(spec & (pick.own >= 0), pick.own, pick.cands[:, 0])
    current = np.where(has_current, current, -1)
    draw = u()
    new_plan = has_current & (draw < NEW_PLAN_P)
    review_move = has_current & ~new_plan & (draw < NEW_PLAN_P + REVIEW_MOVE_P)
    staying = has_current & ~new_plan & ~review_move
    stay = u() < 0.75
    swap = u() < 0.2
    n_pref = rng.choice(3, size=n, p=PREFERENCE_COUNT_P) + 1
    # permanent exclusions from a nearby secondary (SEMH far more often)
    ex_p = np.where(need == _N[Need.SEMH], 0.04, 0.008)
    rows = everyone[(age >= 11) & (age < 16) & (u() < ex_p)]
    excluded = np.full(n, -1, np.int64)
    excluded[rows] = ctx.nearest(rows, pick.secondary, "age", 1)[:, 0]
    sibling = (it == MAIN) & (age >= 4) & (age < 16) & (u() < 0.06)
    # secondary needs
    sec_mask = np.zeros(n, np.int64)
    has_sec = u() < SECONDARY_NEED_SHARE
    w_spec = np.zeros((_NN, _NN))
    w_main = np.zeros((_NN, _NN))
    for k, nd in enumerate(NEED_CODES):
        for x, w in _SECONDARY_SPECIALIST.items():
            w_spec[k, _N[x]] += w
        for x in _COMPANIONS[nd]:
            if x in _N:
                w_spec[k, _N[x]] += 0.15 / len(_COMPANIONS[nd])
        for x, w in _SECONDARY_MAINSTREAM.items():
            w_main[k, _N[x]] += w
    for wm in (w_spec, w_main):
        np.fill_diagonal(wm, 0.0)
        wm /= wm.sum(1, keepdims=True)
    cum = np.where(spec[:, None], np.cumsum(w_spec, 1)[need], np.cumsum(w_main, 1)[need])
    s1 = _draw(cum, u())
    s2 = _draw(cum, u())
    second = u() < 0.15
    sec_mask = np.where(has_sec, 1 << s1, 0)
    sec_mask |= np.where(has_sec & second & (s2 != s1), 1 << s2, 0)
    # provision features the plan requires
    feats = list(Feature)
    f_mask = np.zeros(n, np.int64)
    for nd, rules in _REQUIRED.items():
        for f, p_spec, p_other in rules:
            hit = (need == _N[nd]) & (u() < np.where(spec, p_spec, p_other))
            f_mask |= np.where(hit, 1 << feats.index(f), 0)
    transport = u() < np.where(
        spec,
        TRANSPORT_P["specialist"],
        np.where(it == FE, TRANSPORT_P["fe"], TRANSPORT_P["mainstream"]),
    )
    own_limit = np.where(spec & (age < 11) & (u() < 0.02), rng.choice([30, 40], size=n), 0)
    looked_after = u() < LOOKED_AFTER_SHARE

    sec_sets: dict[int, frozenset[Need]] = {}
    feat_sets: dict[int, frozenset[Feature]] = {}

    def needs_of(mask: int) -> frozenset[Need]:
        if mask not in sec_sets:
            sec_sets[mask] = frozenset(nd for k, nd in enumerate(NEED_CODES) if mask >> k & 1)
        return sec_sets[mask]

    def feats_of(mask: int) -> frozenset[Feature]:
        if mask not in feat_sets:
            feat_sets[mask] = frozenset(f for k, f in enumerate(feats) if mask >> k & 1)
        return feat_sets[mask]

    prefs: dict[tuple[int, int], Preference] = {}  # immutable: one object per (setting, rank)

    def pref(j: int, rank: int) -> Preference:
        p = prefs.get((j, rank))
        if p is None:
            p = prefs[j, rank] = Preference(id_of[j], rank)
        return p

    width = max(6, len(str(n)))
    placement_of = pick.placement_of.tolist()
    cols = zip(
        pick.cands.tolist(), current.tolist(), stay.tolist(), swap.tolist(), indep.tolist(),
        indep_front.tolist(), to_special.tolist(), n_pref.tolist(), pick.fallback.tolist(),
        excluded.tolist(), sibling.tolist(), kids.xy.tolist(), need.tolist(),
        kids.band.tolist(), age.tolist(), sec_mask.tolist(), f_mask.tolist(), transport.tolist(),
        own_limit.tolist(), kids.female.tolist(), looked_after.tolist(), new_plan.tolist(),
        review_move.tolist(), staying.tolist(), strict=True,
    )  # fmt: skip
    out: list[Child] = []
    no_pref = 0
    for i, (cand, cur, st, sw, ind, front, tsp, npf, fb, ex, sib, xy, k, band, a, sm, fm, tr,
            lim, fem, lac, new, rmove, keep) in enumerate(cols):  # fmt: skip
        row = [j for j in cand if j >= 0]
        if rmove:  # a review asking for a move: somewhere other than where the child is
            row = [j for j in row if j != cur]
        elif cur >= 0 and st:
            row = [cur, *(j for j in row if j != cur)]
        elif sw and len(row) >= 2:
            row[0], row[1] = row[1], row[0]
        for extra, at_front in ((ind, front), (tsp, True)):
            if extra >= 0 and extra not in row:
                row.insert(0 if at_front else min(1, len(row)), extra)
        row = row[:npf]
        if not row and fb >= 0:
            row = [fb]
        if ex >= 0:
            row = [j for j in row if j != ex]
            cur = -1 if cur == ex else cur
        if keep and cur >= 0:
            row = []  # staying where the plan names: nothing to ask this round
        no_pref += not row and not (keep and cur >= 0)
        sib_id = row[0] if sib and row and placement_of[row[0]] == MAIN else -1
        nd = NEED_CODES[k]
        out.append(
            Child(
                child_id=f"C{i + 1:0{width}d}",
                location=Location(xy[0], xy[1]),
                primary_need=nd,
                need_band=band,
                nc_year=a - 4,
                secondary_needs=needs_of(sm),
                required_features=feats_of(fm),
                transport_eligible=tr,
                max_journey_min=lim or None,
                sex=Sex.FEMALE if fem else Sex.MALE,
                current_setting_id=id_of[cur] if cur >= 0 else None,
                excluded_setting_ids=frozenset({id_of[ex]}) if ex >= 0 else frozenset(),
                preferences=tuple(pref(j, r + 1) for r, j in enumerate(row)),
                looked_after=lac,
                sibling_setting_ids=frozenset({id_of[sib_id]}) if sib_id >= 0 else frozenset(),
                new_plan=bool(new and cur >= 0),
                move_requested=bool(rmove and cur >= 0),
            )
        )
    return tuple(out), no_pref
