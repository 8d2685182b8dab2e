"""Synthetic areas calibrated to a real local authority: deterministic, realistic, no real data.

``generate_area("Kent", seed=1)`` draws an area whose number of children, age mix, primary need
mix (by age group) and placement mix (by age group) follow that LA's published 2024/25 EHC plan
statistics (``placement/data/calibration.csv``, built by ``scripts/build_calibration.py``), on a
geography sized by its land area and population: towns (more for larger populations, a single
dense core for small, dense city authorities), children clustered around them with a rural
share, and schools placed in the towns.

Settings are sized from the placement mix: mainstream schools at the national rate per head
(England has about 16,700 primary and 3,450 secondary schools for 56.5 million people, DfE
Schools, pupils and their characteristics 2024/25), with free places for the children the mix
places there plus slack; resourced provision and SEN units, special schools, alternative
provision and specialist post-16 places at about 95% of the children the mix places there,
so specialist places run tight as they do nationally; independent special schools (some on the
s.41 list, fees £40,000-£90,000, DOMAIN.md section 5) and some out of area. Families express 0-3
ranked preferences, mostly for the nearest settings of the kind the mix suggests.

``scale`` multiplies the caseload and every count of settings (benchmarks use it for 2k, 20k and
100k-child areas on the same geography). ``cohort="transfer"`` keeps only the phase-transfer
year groups (Reception, Year 7 and Year 12: children changing setting next September) and
gives settings a roll of the children staying.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
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

__all__ = ["LaProfile", "UnknownAreaError", "generate_area", "list_las", "resolve_la"]

NEEDS = ["asd", "hi", "mld", "msi", "oth", "pd", "pmld", "semh", "slcn", "sld", "spld", "vi"]
GROUPS = ["ey", "pri", "sec", "p16"]
PLACEMENTS = [
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
]
AGES = list(range(2, 26))
SPECIALIST = {
    "special_la",
    "special_academy",
    "special_independent",
    "special_nm",
    "post16_specialist",
}
# How much more likely a need is to lead to a specialist placement than average (a tilt on the
# LA's own mix; DfE SEN2 2025: SLD/PMLD children are mostly in special schools, SpLD/SLCN mostly
# in mainstream).
SPECIALIST_TILT = {
    "asd": 1.1, "hi": 0.8, "mld": 0.9, "msi": 1.5, "oth": 1.0, "pd": 1.0,
    "pmld": 4.0, "semh": 1.2, "slcn": 0.5, "sld": 3.0, "spld": 0.3, "vi": 0.8,
}  # fmt: skip
TIGHT = 0.95  # specialist places per child the mix places there
PRIMARY_PER_HEAD = 16_700 / 56_500_000
SECONDARY_PER_HEAD = 3_450 / 56_500_000
TOWN_NAMES = [
    "Ashford", "Brookfield", "Castleton", "Dunmore", "Eastbridge", "Fairhaven", "Glenwood",
    "Highcliffe", "Ivybridge", "Kingsmead", "Longford", "Millbrook", "Newbury", "Oakhurst",
    "Petersfield", "Queensway", "Riverside", "Stonebridge", "Thornbury", "Upton", "Westgate",
    "Yarmouth", "Ashby", "Bramley", "Chesterton", "Denby",
]  # fmt: skip
SCHOOL_WORDS = [
    "Oakfield", "St Mary's", "Holy Trinity", "Meadow", "Hillside", "Parkside", "Willow",
    "Beacon", "Orchard", "Greenfield", "Valley", "Northgate", "Southlands", "Cedar", "Elm",
    "Harbour", "Priory", "Woodlands", "Brook", "Castle",
]  # fmt: skip


class UnknownAreaError(ValueError):
    """No local authority with that name or code."""


@dataclass(frozen=True, slots=True)
class LaProfile:
    """One local authority's calibration row (counts, 2024/25)."""

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
    ages: tuple[int, ...]  # plans by age 2..25
    needs: dict[str, tuple[int, ...]]  # group -> counts by NEEDS
    placements: dict[str, tuple[int, ...]]  # group -> counts by PLACEMENTS


@cache
def list_las() -> tuple[LaProfile, ...]:
    text = (resources.files("placement.data") / "calibration.csv").read_text(encoding="utf-8")
    out = []
    for r in csv.DictReader(text.splitlines()):
        out.append(
            LaProfile(
                la_code=r["la_code"],
                old_la_code=r["old_la_code"],
                la_name=r["la_name"],
                region=r["region"],
                plans=int(r["plans"]),
                male=int(r["male"]),
                area_km2=float(r["area_km2"]),
                population=int(r["population"]),
                x=float(r["x"]),
                y=float(r["y"]),
                ages=tuple(int(r[f"age_{a}"]) for a in AGES),
                needs={g: tuple(int(r[f"n_{g}_{n}"]) for n in NEEDS) for g in GROUPS},
                placements={g: tuple(int(r[f"p_{g}_{c}"]) for c in PLACEMENTS) for g in GROUPS},
            )
        )
    return tuple(out)


def resolve_la(name_or_code: str) -> LaProfile:
    """An LA by name (any case; "Bristol" finds "Bristol, City of"), new code or old code."""
    key = name_or_code.strip().lower()
    for la in list_las():
        names = {la.la_name.lower(), la.la_name.lower().split(",")[0].strip()}
        if key in names or key in (la.la_code.lower(), la.old_la_code.lower()):
            return la
    hint = suggest(name_or_code, [la.la_name for la in list_las()])
    raise UnknownAreaError(
        f"unknown local authority {name_or_code!r}{hint}"
        " (give a name such as Kent, a code such as E10000016, or an old code such as 886)"
    )


def _group_of_age(age: int) -> int:
    return 0 if age <= 4 else 1 if age <= 10 else 2 if age <= 15 else 3


def _probs(counts: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(counts, np.float64) + 1e-9
    out: np.ndarray = a / a.sum()
    return out


@dataclass
class _Geo:
    cx: float
    cy: float
    radius_m: float
    towns: np.ndarray  # (T, 2)
    weights: np.ndarray  # (T,)
    names: list[str]


def _geography(la: LaProfile, rng: np.random.Generator) -> _Geo:
    area = la.area_km2 if la.area_km2 > 0 else max(50.0, la.population / 430)
    radius = math.sqrt(area / math.pi) * 1000.0
    dense = la.population / max(area, 1.0) > 2500  # a city: one core
    t = 1 if dense else int(np.clip(round(la.population / 70_000), 2, len(TOWN_NAMES)))
    ang = rng.uniform(0, 2 * math.pi, t)
    rad = radius * np.sqrt(rng.uniform(0, 1, t)) * 0.8
    towns = np.stack([la.x + rad * np.cos(ang), la.y + rad * np.sin(ang)], axis=1)
    if dense:
        towns[0] = (la.x, la.y)
    w = 1.0 / np.arange(1, t + 1) ** 0.8  # Zipf-like town sizes
    return _Geo(la.x, la.y, radius, towns, w / w.sum(), TOWN_NAMES[:t])


def _points(
    geo: _Geo, n: int, rng: np.random.Generator, rural: float
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` home points: around towns (by size) plus a rural share spread over the area."""
    town = rng.choice(len(geo.weights), size=n, p=geo.weights)
    spread = (1500.0 + 6000.0 * np.sqrt(geo.weights[town])) * min(1.0, geo.radius_m / 8000.0)
    pts = geo.towns[town] + rng.normal(0, 1, (n, 2)) * spread[:, None]
    is_rural = rng.uniform(0, 1, n) < rural
    ang = rng.uniform(0, 2 * math.pi, n)
    rad = geo.radius_m * np.sqrt(rng.uniform(0, 1, n))
    rural_pts = np.stack([geo.cx + rad * np.cos(ang), geo.cy + rad * np.sin(ang)], axis=1)
    pts = np.where(is_rural[:, None], rural_pts, pts)
    # keep inside the LA's disc and Great Britain
    d = np.hypot(pts[:, 0] - geo.cx, pts[:, 1] - geo.cy)
    shrink = np.minimum(1.0, geo.radius_m / np.maximum(d, 1.0))
    pts[:, 0] = geo.cx + (pts[:, 0] - geo.cx) * shrink
    pts[:, 1] = geo.cy + (pts[:, 1] - geo.cy) * shrink
    pts[:, 0] = np.clip(pts[:, 0], 1000, 699_000)
    pts[:, 1] = np.clip(pts[:, 1], 1000, 1_299_000)
    return pts, town


def _seed(la: LaProfile, seed: int, cohort: str, scale: float) -> np.random.Generator:
    h = hashlib.sha256(f"{la.la_code}|{seed}|{cohort}|{scale!r}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


class _Ids:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.next = 100_000 + int(rng.integers(0, 30_000))
        self.used_names: set[str] = set()

    def urn(self) -> str:
        self.next += 1 + int(self.rng.integers(0, 7))
        return str(self.next)

    def name(self, town: str, suffix: str) -> str:
        for _ in range(50):
            n = f"{SCHOOL_WORDS[int(self.rng.integers(0, len(SCHOOL_WORDS)))]} {suffix}"
            full = f"{n}, {town}"
            if full not in self.used_names:
                self.used_names.add(full)
                return full
        full = f"{town} {suffix} {len(self.used_names)}"
        self.used_names.add(full)
        return full


def generate_area(
    like: str,
    *,
    seed: int,
    cohort: Literal["caseload", "transfer"] = "caseload",
    scale: float = 1.0,
    academic_year_start: int = 2026,
) -> Area:
    """A synthetic area like ``like`` (an LA name or code); see the module docstring."""
    if scale <= 0:
        raise ValueError(f"scale {scale} must be greater than 0")
    if cohort not in ("caseload", "transfer"):
        raise ValueError(f"cohort {cohort!r} must be caseload or transfer")
    la = resolve_la(like)
    rng = _seed(la, seed, cohort, scale)
    geo = _geography(la, rng)
    ids = _Ids(rng)

    # -- children: ages, needs, intended placements --------------------------------------------
    ages_w = np.asarray(la.ages, np.float64)
    if cohort == "transfer":
        # children entering Reception (nc 0), Year 7 and Year 12 next September
        keep = np.isin(np.asarray(AGES) - 5, [0, 7, 12])
        ages_w = np.where(keep, ages_w, 0.0)
    n = max(1, round(ages_w.sum() * scale))
    age = rng.choice(np.asarray(AGES), size=n, p=_probs(ages_w))
    nc_year = np.clip(age - 5, -3, 20)
    grp = np.array([_group_of_age(int(a)) for a in age])
    need = np.empty(n, np.int64)
    cat = np.empty(n, np.int64)
    spec_mask = np.array([c in SPECIALIST for c in PLACEMENTS])
    for g in range(4):
        sel = np.flatnonzero(grp == g)
        if sel.size == 0:
            continue
        need[sel] = rng.choice(len(NEEDS), size=sel.size, p=_probs(la.needs[GROUPS[g]]))
        base = _probs(la.placements[GROUPS[g]])
        for k in range(len(NEEDS)):
            sk = sel[need[sel] == k]
            if sk.size == 0:
                continue
            w = base * np.where(spec_mask, SPECIALIST_TILT[NEEDS[k]], 1.0)
            cat[sk] = rng.choice(len(PLACEMENTS), size=sk.size, p=w / w.sum())
    # FE and specialist post-16 only from 16; schools before
    cat_name = np.array(PLACEMENTS)[cat]
    young = nc_year < 12
    cat_name = np.where(young & (cat_name == "fe"), "mainstream", cat_name)
    cat_name = np.where(young & (cat_name == "post16_specialist"), "special_la", cat_name)
    cat_name = np.where(
        ~young & np.isin(cat_name, ["mainstream", "rp_su"]) & (nc_year > 13), "fe", cat_name
    )
    cat_name = np.where(
        cat_name == "other",
        np.where(rng.uniform(0, 1, n) < 0.6, "mainstream", "special_la"),
        cat_name,
    )
    band = np.select(
        [
            cat_name == "mainstream",
            cat_name == "fe",
            cat_name == "rp_su",
            np.isin(cat_name, ["special_independent", "post16_specialist"]),
        ],
        [
            rng.choice([1, 2], size=n, p=[0.4, 0.6]),
            rng.choice([1, 2, 3], size=n, p=[0.3, 0.4, 0.3]),
            rng.choice([3, 4], size=n, p=[0.5, 0.5]),
            rng.choice([4, 5], size=n, p=[0.5, 0.5]),
        ],
        default=rng.choice([3, 4, 5], size=n, p=[0.3, 0.45, 0.25]),
    )
    pts, _ = _points(geo, n, rng, rural=0.18)

    # -- settings ------------------------------------------------------------------------------
    pop = la.population * scale
    settings: list[Setting] = []

    def town_of() -> int:
        return int(rng.choice(len(geo.weights), p=geo.weights))

    def place(t: int, spread: float = 2500.0) -> Location:
        x, y = geo.towns[t] + rng.normal(0, spread, 2)
        return Location(float(np.clip(x, 1000, 699_000)), float(np.clip(y, 1000, 1_299_000)))

    def count(c: str, lo: int, hi: int) -> int:
        m = (cat_name == c) & (nc_year >= lo) & (nc_year <= hi)
        return int(m.sum())

    transfer = cohort == "transfer"
    # mainstream primaries and secondaries
    mains: list[Setting] = []
    for phase, per_head, lo_age, hi_choices, years in (
        ("Primary School", PRIMARY_PER_HEAD, 4, (11,), (-1, 6)),
        ("Academy", SECONDARY_PER_HEAD, 11, (16, 18), (7, 13)),
    ):
        k = max(1, round(pop * per_head))
        demand = count("mainstream", *years) + count("rp_su", *years) // 4
        free_each = max(2, math.ceil(demand / k * 1.8))
        for _ in range(k):
            t = town_of()
            cap = (
                int(rng.choice([210, 315, 420, 630]))
                if lo_age == 4
                else int(rng.choice([750, 1050, 1350]))
            )
            hi = int(rng.choice(hi_choices, p=[0.4, 0.6] if len(hi_choices) == 2 else None))
            entry = Entry.MIXED
            if lo_age == 11 and rng.uniform() < 0.06:
                entry = Entry.GIRLS if rng.uniform() < 0.5 else Entry.BOYS
            feats = {Feature.WHEELCHAIR_ACCESS} if rng.uniform() < 0.7 else set()
            if rng.uniform() < 0.05:
                feats.add(Feature.HEARING_SUPPORT)
            if rng.uniform() < 0.05:
                feats.add(Feature.VISION_SUPPORT)
            s = Setting(
                ids.urn(), ids.name(geo.names[t], phase), SettingKind.MAINSTREAM, place(t),
                lo_age, hi, cap, cap - min(cap, free_each), entry, features=frozenset(feats),
                la_code=la.old_la_code,
            )  # fmt: skip
            mains.append(s)
    settings += mains
    # resourced provision and SEN units in mainstream schools
    rp_needs = ["asd", "slcn", "semh", "hi", "mld", "spld", "vi", "pd"]
    for years, lo_age, hi_age in (((-1, 6), 4, 11), ((7, 13), 11, 16)):
        demand = count("rp_su", *years)
        places_total = max(0, round(demand * TIGHT))
        while places_total > 0:
            size = min(places_total, int(rng.integers(8, 21)))
            places_total -= size
            dn = rp_needs[
                int(
                    rng.choice(
                        len(rp_needs), p=_probs([la.needs["pri"][NEEDS.index(x)] for x in rp_needs])
                    )
                )
            ]
            nd = Need(dn.upper())
            host_t = town_of()
            kind = SettingKind.RESOURCED_PROVISION if rng.uniform() < 0.6 else SettingKind.SEN_UNIT
            roll = size * 4 if transfer else 0
            settings.append(
                Setting(
                    ids.urn(), ids.name(geo.names[host_t], f"School {nd.value} base"), kind,
                    place(host_t), lo_age, hi_age, size + roll, roll,
                    designations={nd: 4}, pools={nd: Pool(size + roll, roll)},
                    features=frozenset({Feature.SMALL_CLASS, Feature.WHEELCHAIR_ACCESS}),
                    la_code=la.old_la_code,
                )
            )  # fmt: skip
    # special schools (LA maintained and academies) and NMSS, AP, post-16
    spec_need_w: dict[str, float] = {}
    sp = np.isin(cat_name, ["special_la", "special_academy", "special_nm", "special_independent"])
    for k, nm in enumerate(NEEDS):
        spec_need_w[nm] = float(((need == k) & sp).sum()) + 0.01

    def specials(cats: list[str], kind: SettingKind, size_lo: int, size_hi: int, suffix: str,
                 fee: tuple[int, int] | None = None, out_of_area: float = 0.0, s41: float = 0.0,
                 years: tuple[int, int] = (-3, 20), ages: list[tuple[int, int]] | None = None,
                 designate: list[str] | None = None) -> None:  # fmt: skip
        demand = int(
            (np.isin(cat_name, cats) & (nc_year >= years[0]) & (nc_year <= years[1])).sum()
        )
        left = max(0, round(demand * TIGHT)) if demand else 0
        while left > 0:
            size = min(left, int(rng.integers(size_lo, size_hi + 1)))
            left -= size
            pool_needs = designate or list(spec_need_w)
            w = np.array([spec_need_w.get(x, 0.01) for x in pool_needs])
            k_des = min(len(pool_needs), int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25])))
            chosen = list(rng.choice(pool_needs, size=k_des, replace=False, p=w / w.sum()))
            needs_ = [Need(c.upper()) for c in chosen]
            shares = _probs([spec_need_w.get(c, 0.01) for c in chosen])
            places = [max(1, round(float(size * s))) for s in shares]
            roll_mult = 4 if transfer else 0
            pools = {
                nd: Pool(p * (1 + roll_mult), p * roll_mult)
                for nd, p in zip(needs_, places, strict=True)
            }
            total = sum(p.places for p in pools.values())
            lo_age, hi_age = (ages or [(4, 19), (4, 11), (11, 19), (2, 19)])[
                int(rng.integers(0, len(ages or [0, 1, 2, 3])))
            ]
            feats = {Feature.WHEELCHAIR_ACCESS, Feature.SMALL_CLASS}
            if any(nd in (Need.PMLD, Need.SLD, Need.PD, Need.MSI) for nd in needs_):
                feats |= {Feature.ONSITE_NURSING, Feature.THERAPY_ONSITE}
            if any(nd in (Need.ASD, Need.PMLD) for nd in needs_):
                feats.add(Feature.SENSORY_ROOM)
            if any(nd in (Need.HI, Need.MSI) for nd in needs_):
                feats.add(Feature.HEARING_SUPPORT)
            if any(nd in (Need.VI, Need.MSI) for nd in needs_):
                feats.add(Feature.VISION_SUPPORT)
            out = rng.uniform() < out_of_area
            if out:
                ang = rng.uniform(0, 2 * math.pi)
                r = geo.radius_m + rng.uniform(5_000, 25_000)
                loc = Location(
                    float(np.clip(geo.cx + r * math.cos(ang), 1000, 699_000)),
                    float(np.clip(geo.cy + r * math.sin(ang), 1000, 1_299_000)),
                )
                town_name = "out of area"
            else:
                t = town_of()
                loc = place(t, 4000.0)
                town_name = geo.names[t]
            settings.append(
                Setting(
                    ids.urn(), ids.name(town_name, suffix), kind, loc, lo_age, hi_age, total,
                    sum(p.roll for p in pools.values()),
                    designations=dict.fromkeys(needs_, 5), pools=pools, features=frozenset(feats),
                    s41_approved=bool(kind.needs_s41 and rng.uniform() < s41),
                    la_code="" if out else la.old_la_code, in_area=not out,
                    annual_fee_gbp=int(rng.integers(fee[0], fee[1]) // 100 * 100) if fee else None,
                )
            )  # fmt: skip

    specials(["special_la"], SettingKind.SPECIAL_LA, 60, 180, "Special School", out_of_area=0.05)
    specials(
        ["special_academy"],
        SettingKind.SPECIAL_ACADEMY,
        60,
        180,
        "Academy (special)",
        out_of_area=0.05,
    )
    specials(["special_nm"], SettingKind.NON_MAINTAINED_SPECIAL, 30, 80, "School (non-maintained)",
             fee=(45_000, 75_000), out_of_area=0.5)  # fmt: skip
    specials(["special_independent"], SettingKind.INDEPENDENT_SPECIAL, 20, 70, "Independent School",
             fee=(40_000, 90_000), out_of_area=0.4, s41=0.6)  # fmt: skip
    specials(["ap"], SettingKind.ALTERNATIVE_PROVISION, 20, 60, "Learning Centre",
             ages=[(5, 16), (11, 16)], designate=["semh"])  # fmt: skip
    specials(["post16_specialist"], SettingKind.SPECIALIST_POST16, 20, 60, "Specialist College",
             fee=(40_000, 60_000), out_of_area=0.4, s41=0.7, years=(12, 20),
             ages=[(16, 25)], designate=["asd", "sld", "pmld", "semh", "pd"])  # fmt: skip
    # FE colleges: general, up to band 3 with support
    fe_demand = int(((cat_name == "fe") | ((cat_name == "mainstream") & (nc_year >= 12))).sum())
    k_fe = max(1, round(pop / 250_000))
    for _ in range(k_fe):
        t = town_of()
        free = max(5, math.ceil(fe_demand / k_fe * 1.5))
        cap = free + 2000
        settings.append(
            Setting(ids.urn(), ids.name(geo.names[t], "College"), SettingKind.FE_COLLEGE, place(t),
                    16, 26, cap, cap - free, features=frozenset({Feature.WHEELCHAIR_ACCESS}),
                    la_code=la.old_la_code)
        )  # fmt: skip

    # -- children's details and preferences ----------------------------------------------------
    sx = np.array([s.location.easting for s in settings])
    sy = np.array([s.location.northing for s in settings])
    tree = cKDTree(np.stack([sx, sy], axis=1))
    kinds = [s.kind for s in settings]
    male_share = la.male / max(1, la.plans)
    male = rng.uniform(0, 1, n) < male_share
    transport = np.where(
        np.isin(cat_name, ["mainstream", "fe"]),
        rng.uniform(0, 1, n) < 0.12,
        rng.uniform(0, 1, n) < 0.85,
    )
    looked_after = rng.uniform(0, 1, n) < 0.05
    n_prefs = rng.choice([0, 1, 2, 3], size=n, p=[0.2, 0.35, 0.3, 0.15])
    wants_indep = rng.uniform(0, 1, n) < 0.08
    kk = min(len(settings), 40)
    _, near = tree.query(pts, k=kk)
    near = np.atleast_2d(near)
    kind_wanted = {
        "mainstream": {SettingKind.MAINSTREAM},
        "rp_su": {SettingKind.RESOURCED_PROVISION, SettingKind.SEN_UNIT},
        "special_la": {SettingKind.SPECIAL_LA, SettingKind.SPECIAL_ACADEMY},
        "special_academy": {SettingKind.SPECIAL_ACADEMY, SettingKind.SPECIAL_LA},
        "special_nm": {SettingKind.NON_MAINTAINED_SPECIAL, SettingKind.SPECIAL_LA},
        "special_independent": {SettingKind.INDEPENDENT_SPECIAL},
        "ap": {SettingKind.ALTERNATIVE_PROVISION},
        "fe": {SettingKind.FE_COLLEGE},
        "post16_specialist": {SettingKind.SPECIALIST_POST16, SettingKind.FE_COLLEGE},
    }
    indep = [j for j, k in enumerate(kinds) if k is SettingKind.INDEPENDENT_SPECIAL]
    children: list[Child] = []
    width = len(str(n))
    for i in range(n):
        a = int(nc_year[i]) + 4
        nd = Need(NEEDS[int(need[i])].upper())
        want = kind_wanted[str(cat_name[i])]
        prefs: list[str] = []
        for j in near[i]:
            s = settings[int(j)]
            if len(prefs) >= n_prefs[i]:
                break
            if (
                s.kind in want
                and s.low_age <= a < s.high_age
                and (not s.designations or nd in s.designations or rng.uniform() < 0.3)
            ) and (s.entry is Entry.MIXED or (s.entry is Entry.GIRLS) != bool(male[i])):
                prefs.append(s.setting_id)
        if wants_indep[i] and indep and n_prefs[i] > 0 and band[i] >= 3:
            j = indep[int(rng.integers(0, len(indep)))]
            s = settings[j]
            if s.setting_id not in prefs and s.low_age <= a < s.high_age:
                prefs.insert(0, s.setting_id)
                prefs = prefs[:3]
        sec: frozenset[Need] = frozenset()
        if rng.uniform() < 0.3:
            other = Need(NEEDS[int(rng.choice([0, 2, 7, 8, 10]))].upper())
            if other is not nd:
                sec = frozenset({other})
        need_feats: set[Feature] = set()
        if nd is Need.PD and rng.uniform() < 0.5:
            need_feats.add(Feature.WHEELCHAIR_ACCESS)
        if nd is Need.PMLD and rng.uniform() < 0.4:
            need_feats.add(Feature.ONSITE_NURSING)
        if nd is Need.HI and rng.uniform() < 0.5:
            need_feats.add(Feature.HEARING_SUPPORT)
        if nd is Need.VI and rng.uniform() < 0.5:
            need_feats.add(Feature.VISION_SUPPORT)
        sib: frozenset[str] = frozenset()
        if rng.uniform() < 0.05:
            sib = frozenset({settings[int(near[i][int(rng.integers(0, min(5, kk)))])].setting_id})
        excl: frozenset[str] = frozenset()
        if rng.uniform() < 0.01:
            cand = settings[int(near[i][0])].setting_id
            if cand not in prefs:
                excl = frozenset({cand})
        children.append(
            Child(
                f"C{i + 1:0{width}d}", Location(float(pts[i, 0]), float(pts[i, 1])), nd,
                int(band[i]), nc_year=int(nc_year[i]), secondary_needs=sec,
                required_features=frozenset(need_feats),
                transport_eligible=bool(transport[i]), sex=Sex.MALE if male[i] else Sex.FEMALE,
                excluded_setting_ids=excl, looked_after=bool(looked_after[i]),
                sibling_setting_ids=sib,
                preferences=tuple(Preference(sid, r + 1) for r, sid in enumerate(prefs)),
            )
        )  # fmt: skip
    slug = la.la_name.lower().split(",")[0].replace(" ", "-")
    notes = (
        f"calibrated to {la.la_name} ({la.la_code}/{la.old_la_code}): {la.plans:,} EHC plans "
        f"in 2024/25, {la.area_km2:,.0f} km², population {la.population:,}",
        f"cohort {cohort}, scale {scale:g}, seed {seed}: "
        f"{n:,} children, {len(settings):,} settings",
        "synthetic: no real child is represented",
    )
    return Area(
        f"synthetic-{slug}-s{seed}", tuple(children), tuple(settings), (), la.old_la_code, notes
    )
