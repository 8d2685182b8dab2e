"""The settings of a synthetic area: mainstream schools, colleges, units and specialist
settings, before their places are sized (which follows the children)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from placement.domain import Entry, Feature, Location, Need, Pool, Setting, SettingKind
from placement.generate.calibration import (
    AP,
    F64,
    FE,
    I64,
    MAIN,
    NEED_CODES,
    NEED_IDX,
    NUM_AGES,
    NUM_NEEDS,
    RP,
    SAC,
    SIND,
    SLA,
    SNM,
    SPI,
)
from placement.generate.geography import Geography, clip_to_grid, nearest_other_la
from placement.generate.names import Namer
from placement.generate.schools import School
from placement.register import LaProfile

# -- modelling assumptions (no published source gives these by LA; each is stated) -------------

PRIMARY_PER_HEAD = 16_700 / 56_500_000  # DfE Schools, pupils and their characteristics 2024/25
SECONDARY_PER_HEAD = 3_450 / 56_500_000  # same; population: ONS Census 2021 (England)
PEOPLE_PER_COLLEGE = 250_000  # ~220 FE and sixth-form colleges (AoC College key facts 2024/25)
KM2_PER_COLLEGE = 1_500  # and at least one per 1,500 km² (colleges run rural campuses)
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


# What a family reads as "a school for my child's need": the designation meets these needs.
# Mirrors models/suitability.toml (suitability-2025.1, designation_meets); kept here so that a
# generated area does not change when a policy file does.
FAMILY_FIT: Mapping[Need, frozenset[Need]] = {
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
COMPANIONS: Mapping[Need, tuple[Need, ...]] = {
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
SYNTHETIC: frozenset[str] = frozenset({"synthetic"})
"""``estimated`` of a synthesised setting: the setting itself, and so every field, is made up."""
_EST_MAINSTREAM = frozenset({"low_age", "high_age", "capacity", "features"})
_EST_SPECIAL = frozenset(
    {"low_age", "high_age", "capacity", "roll", "designations", "pools", "features"}
)
_RP_NEEDS = (Need.ASD, Need.SLCN, Need.SEMH, Need.HI, Need.VI, Need.MLD, Need.SPLD, Need.PD)


@dataclass(slots=True)
class SettingDraft:
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
    ehc: int = 0  # a real school's pupils with an EHC plan (school census), 0 if synthetic
    real: bool = False  # a real school (its URN, name, point, roll and type are the DfE's)
    estimated: frozenset[str] = SYNTHETIC  # fields that are estimates (settings.csv columns)

    def is_estimated(self, column: str) -> bool:
        """Whether the value of this settings.csv column is an estimate (or made up)."""
        return column in self.estimated or "synthetic" in self.estimated

    def freeze(self) -> Setting:
        """The setting, its places the free places and roll of its pools (or of itself)."""
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
            estimated=self.estimated,
        )


def apportion(total: int, weights: F64) -> I64:
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
    mains = np.repeat(np.arange(NUM_NEEDS), apportion(k, weights + 1e-9))[rng.permutation(k)]
    out: list[list[Need]] = []
    for m in mains.tolist():
        need = NEED_CODES[m]
        extra = int(rng.choice(3, p=(0.1, 0.35, 0.55) if broad else (0.3, 0.45, 0.25)))
        comp = [c for c in COMPANIONS[need] if c in NEED_IDX and weights[NEED_IDX[c]] > 0]
        if comp and extra:
            cw = np.array([weights[NEED_IDX[c]] for c in comp]) + 1e-9
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
        near = [i for i, p in enumerate(out) if set(p) & set(COMPANIONS[need])]
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


def build_settings(
    la: LaProfile,
    geo: Geography,
    expected: F64,
    scale: float,
    rng: np.random.Generator,
    real: Sequence[School] = (),
) -> list[SettingDraft]:
    """Every setting, without places yet (those follow the children). ``real``: the real
    schools to build the area on (the LA's and its neighbours' within reach); empty for a
    wholly synthetic area."""
    name = Namer(rng)
    name.used.update(s.name for s in real)
    pop = la.population * scale
    code = la.old_la_code  # GIAS "LA (code)", as placement.files.gias reads it
    out: list[SettingDraft] = []
    if real:
        out += _real_mainstream(real, code, rng)
    out += _synthetic_mainstream(0.0 if real else pop, geo, name, code, rng)
    mains = [s for s in out if s.in_area]
    out += _colleges(la, pop, scale, geo, name, rng)
    out += _units(la, mains, expected, scale, rng)
    # state special schools are smaller where people are sparse (assumption:
    # sqrt(density / 400 per km²), at least 0.6 of the usual size)
    rural_size = float(np.clip(math.sqrt(la.population / max(la.area_km2, 1.0) / 400.0), 0.6, 1.0))
    n_real = dict.fromkeys((SLA, SAC, SNM, SIND, AP, SPI), 0)
    if real:
        for rec in _real_specialist(real, code, expected * scale, rng, rural_size < 0.9):
            n_real[rec.placement] += 1
            out.append(rec)
        n_real[SLA] = n_real[SAC] = n_real[SLA] + n_real[SAC]
    for p in (SLA, SAC, SNM, SIND, AP, SPI):
        e_need = expected[:, p, :].sum(0) * scale
        e = float(e_need.sum())
        typical = _SIZE[p] * (rural_size if p in (SLA, SAC) else 1.0)
        k = 0 if e < 0.5 else max(1, round(e / typical))
        # real schools first: synthesise only what the public data lacks (most independent
        # special schools; non-maintained or state special schools where none is within reach)
        k = max(0, k - n_real[p]) if p == SIND else (0 if n_real[p] else k)
        profiles = _profiles(k, e_need, rng, broad=rural_size < 0.9 and p in (SLA, SAC))
        out += _specialist(la, p, e, profiles, geo, name, rng)
    _assign_ids([rec for rec in out if not rec.real], bool(real), rng)
    return out


def _mainstream_features(rng: np.random.Generator) -> set[Feature]:
    """A mainstream school's provision features (assumption)."""
    f: set[Feature] = {Feature.WHEELCHAIR_ACCESS} if rng.uniform() < 0.7 else set()
    if rng.uniform() < 0.04:
        f.add(Feature.HEARING_SUPPORT)
    if rng.uniform() < 0.04:
        f.add(Feature.VISION_SUPPORT)
    return f


def _mainstream_ages(phase: str, rng: np.random.Generator) -> tuple[int, int]:
    """A primary school's (from nursery ages) or secondary school's (some to 16, most with a
    sixth form) statutory ages."""
    if phase == "primary":
        return int(rng.choice([2, 3, 4], p=[0.15, 0.35, 0.5])), 11
    return 11, int(rng.choice([16, 19], p=[0.35, 0.65]))


def _synthetic_mainstream(
    pop: float, geo: Geography, name: Namer, code: str, rng: np.random.Generator
) -> list[SettingDraft]:
    """Mainstream primaries and secondaries for ``pop`` people (0: none, beside real
    schools), placed like the population; more, smaller schools where people are sparse (assumption,
    checked against Kent, Birmingham and North Yorkshire: about 460, 300 and 300 primaries in
    GIAS)."""
    out: list[SettingDraft] = []
    for phase, per_head, rural in (
        ("primary", PRIMARY_PER_HEAD * (0.8 + 1.5 * geo.rural), geo.rural),
        ("secondary", SECONDARY_PER_HEAD * (0.9 + 0.5 * geo.rural), geo.rural * 0.4),
    ):
        k = max(1, round(pop * per_head)) if pop else 0
        pts, town = geo.sample(k, rng, rural)
        for i in range(k):
            t = int(town[i])
            tname = geo.names[t] if t >= 0 else geo.names[int(rng.integers(len(geo.names)))]
            f = _mainstream_features(rng)
            entry = Entry.MIXED
            low, high = _mainstream_ages(phase, rng)
            if phase == "primary":
                size = int(rng.choice([210, 315, 420, 630], p=[0.25, 0.3, 0.3, 0.15]))
                if t < 0:  # village schools
                    size = int(rng.choice([70, 105, 140, 210]))
            else:
                size = int(rng.choice([600, 900, 1200, 1500], p=[0.2, 0.35, 0.3, 0.15]))
                if rng.uniform() < 0.08:  # single-sex secondaries
                    entry = Entry.GIRLS if rng.uniform() < 0.55 else Entry.BOYS
            out.append(
                SettingDraft(SettingKind.MAINSTREAM, MAIN, name(phase, tname), float(pts[i, 0]),
                             float(pts[i, 1]), low, high, entry, features=f, la_code=code,
                             size=size)
            )  # fmt: skip
    return out


def _colleges(
    la: LaProfile, pop: float, scale: float, geo: Geography, name: Namer, rng: np.random.Generator
) -> list[SettingDraft]:
    """FE colleges (:data:`PEOPLE_PER_COLLEGE`, :data:`KM2_PER_COLLEGE`), in the largest
    towns first."""
    k_fe = max(
        1, round(pop / PEOPLE_PER_COLLEGE), round(la.area_km2 * min(1.0, scale) / KM2_PER_COLLEGE)
    )
    out: list[SettingDraft] = []
    for i in range(k_fe):
        t = i if i < len(geo.names) else int(rng.choice(len(geo.weights), p=geo.weights))
        xy = clip_to_grid((geo.towns[t] + rng.normal(0, 0.3, 2) * geo.sigma[t])[None, :])[0]
        low = 14 if rng.uniform() < 0.25 else 16  # some colleges take 14-16-year-olds
        out.append(
            SettingDraft(SettingKind.FE_COLLEGE, FE, name("fe", geo.names[t]), float(xy[0]),
                         float(xy[1]), low, 26, features={Feature.WHEELCHAIR_ACCESS},
                         la_code=la.old_la_code, size=int(rng.integers(1500, 5001)))
        )  # fmt: skip
    return out


def _units(
    la: LaProfile,
    mains: Sequence[SettingDraft],
    expected: F64,
    scale: float,
    rng: np.random.Generator,
) -> list[SettingDraft]:
    """Resourced provision and SEN units (in the LA's own proportion; England: 37% units),
    hosted by mainstream schools drawn by size, in the numbers the placement mix implies at
    :data:`_SIZE`."""
    rp_need_w = np.array(la.need_by_placement["rp_su"], np.float64)
    rp_w = np.array([rp_need_w[NEED_IDX[n]] for n in _RP_NEEDS]) + 1e-9
    unit_share = la.su / (la.rp + la.su) if la.rp + la.su else 0.37
    out: list[SettingDraft] = []
    for ages_idx, hosts in (
        (range(0, 9), [s for s in mains if s.high == 11]),  # ages 2-10
        (range(9, NUM_AGES), [s for s in mains if s.low == 11]),  # ages 11-25
    ):
        e = float(expected[list(ages_idx), RP, :].sum()) * scale
        k = min(len(hosts), 0 if e < 1.5 else max(1, round(e / _SIZE[RP])))
        if k == 0:
            continue
        cap = np.array([h.size for h in hosts], np.float64)
        chosen = rng.choice(len(hosts), size=k, replace=False, p=cap / cap.sum())
        unit_needs = np.repeat(np.arange(len(_RP_NEEDS)), apportion(k, rp_w))
        unit_needs = unit_needs[rng.permutation(k)]
        for h_i, n_i in zip(chosen.tolist(), unit_needs.tolist(), strict=True):
            h = hosts[h_i]
            nd = _RP_NEEDS[n_i]
            unit = bool(rng.uniform() < unit_share)
            feats = {Feature.SMALL_CLASS} | (h.features & {Feature.WHEELCHAIR_ACCESS})
            feats |= {Need.HI: {Feature.HEARING_SUPPORT}, Need.VI: {Feature.VISION_SUPPORT},
                      Need.PD: {Feature.WHEELCHAIR_ACCESS}}.get(nd, set())  # fmt: skip
            out.append(
                SettingDraft(SettingKind.SEN_UNIT if unit else SettingKind.RESOURCED_PROVISION,
                             RP, f"{h.name} ({nd.value} {'unit' if unit else 'base'})", h.x, h.y,
                             max(h.low, 4), h.high, h.entry,
                             {nd: 3 if rng.uniform() < 0.55 else 4}, feats, la_code=la.old_la_code)
            )  # fmt: skip
    return out


def _specialist_bands(
    needs: Sequence[Need], placement: int, top: int, rng: np.random.Generator
) -> dict[Need, int]:
    """The need level each designation is met to: ``top``, but MLD and SpLD in state special
    schools half the time 4."""
    return {
        nd: 4 if nd in (Need.MLD, Need.SPLD) and placement in (SLA, SAC) and rng.uniform() < 0.5
        else top
        for nd in needs
    }  # fmt: skip


def _fee(placement: int, in_area: bool, rng: np.random.Generator) -> tuple[int | None, bool]:
    """Annual fee and s.41 approval of an independent special school or specialist post-16
    institution (:data:`FEE_GBP`, :data:`S41_SHARE`); none for other placements."""
    if placement not in FEE_GBP:
        return None, False
    m_in, m_out, sd, (f_lo, f_hi) = FEE_GBP[placement]
    mean = m_in if in_area else m_out
    fee = round(float(np.clip(rng.normal(mean, sd), f_lo, f_hi)) / 100.0) * 100
    return fee, bool(rng.uniform() < S41_SHARE[placement])


def _specialist(
    la: LaProfile,
    p: int,
    e: float,
    profiles: Sequence[list[Need]],
    geo: Geography,
    name: Namer,
    rng: np.random.Generator,
) -> list[SettingDraft]:
    """Synthetic specialist settings of placement ``p`` with these designations, for ``e``
    children expected there: spread over the population as an LA plans them, some over the
    border (:data:`_OUT_OF_AREA`): 15-40 km out, or just over it (2-12 km) where an LA expects
    so few children (under 40) that it relies on a neighbour's setting."""
    k = len(profiles)
    share_out = _OUT_OF_AREA[p] if e >= 40 or p == AP else max(_OUT_OF_AREA[p], 0.7)
    far = geo.beyond(k, rng, *((15_000.0, 40_000.0) if e >= 40 else (2_000.0, 12_000.0)))
    near, town = geo.spread(k, rng)
    out: list[SettingDraft] = []
    for i, needs in enumerate(profiles):
        lo, hi = _age_range(p, k, i, rng)
        out_of_area = bool(rng.uniform() < share_out) and not (i == 0 and e >= 40)
        if out_of_area:
            xy, nb = far[i], nearest_other_la(la, far[i])
            tname, la_code = nb.la_name.split(",")[0], nb.old_la_code
        else:
            xy, tname, la_code = near[i], geo.names[max(int(town[i]), 0)], la.old_la_code
        bands = _specialist_bands(needs, p, 4 if p == AP else 5, rng)
        entry = Entry.MIXED
        if p == SIND and needs[0] is Need.SEMH and rng.uniform() < 0.25:
            entry = Entry.BOYS
        fee, s41 = _fee(p, not out_of_area, rng)
        if p == SNM and needs[0] in (Need.HI, Need.VI):
            who = "Deaf" if needs[0] is Need.HI else "Blind"
            sname = name.exact(f"{tname} School for {who} Children", tname)
        else:
            sname = name(_NAME_FAMILY[p], tname)
        out.append(
            SettingDraft(_KIND_OF[p], p, sname, float(xy[0]), float(xy[1]), lo, hi, entry, bands,
                         _features_for(needs, rng, p), in_area=not out_of_area, la_code=la_code,
                         fee=fee, s41=s41)
        )  # fmt: skip
    return out


def _assign_ids(synth: Sequence[SettingDraft], beside_real: bool, rng: np.random.Generator) -> None:
    """URN-like ids for the synthesised settings: six digits from 100000, unique, drawn with
    the geography so that the caseload and transfer cohorts of one seed share their settings'
    ids; beside real schools (their URNs, all below 160000), 900000-999999."""
    if beside_real:
        ids = rng.choice(100_000, size=len(synth), replace=False) + 900_000
    else:
        ids = rng.choice(max(90_000, 10 * len(synth)), size=len(synth), replace=False) + 100_000
    for rec, sid in zip(synth, ids.tolist(), strict=True):
        rec.setting_id = str(sid)


def _unique_names(real: Sequence[School]) -> dict[str, str]:
    """Each real school's name, with its postcode district (and, if still shared, its URN)
    where two schools in the area share a name."""
    count = Counter(s.name for s in real)
    out = {s.urn: s.name if count[s.name] == 1 else f"{s.name}, {s.district}" for s in real}
    again = Counter(out.values())
    return {u: n if again[n] == 1 else f"{n} ({u})" for u, n in out.items()}


def _real_mainstream(
    real: Sequence[School], code: str, rng: np.random.Generator
) -> list[SettingDraft]:
    """The real state primary and secondary schools: URN, name, point, roll and entry (girls
    or boys only where the census counts only girls or only boys) are the DfE's; statutory
    ages, places and provision features are estimated."""
    names = _unique_names(real)
    out: list[SettingDraft] = []
    for s in real:
        if s.type not in ("primary", "secondary"):
            continue
        f = _mainstream_features(rng)
        all_through = s.type == "secondary" and s.primary
        low, high = (4, 19) if all_through else _mainstream_ages(s.type, rng)
        out.append(
            SettingDraft(SettingKind.MAINSTREAM, MAIN, names[s.urn], s.x, s.y, low, high,
                         _entry(s), features=f, la_code=s.la, in_area=s.la == code, size=s.nor,
                         setting_id=s.urn, ehc=s.ehc, real=True, estimated=_EST_MAINSTREAM)
        )  # fmt: skip
    return out


_NAME_NEEDS: tuple[tuple[str, Need], ...] = (
    ("deaf", Need.HI), ("hearing", Need.HI), ("blind", Need.VI), ("visual", Need.VI),
    ("sight", Need.VI), ("autis", Need.ASD), ("asperger", Need.ASD), ("physical", Need.PD),
    ("speech", Need.SLCN), ("language", Need.SLCN), ("dyslexi", Need.SPLD),
)  # fmt: skip
"""Words in a special school's name that say its main designation (the rest is estimated)."""


def _need_in_name(name: str) -> Need | None:
    low = name.lower()
    return next((need for word, need in _NAME_NEEDS if word in low), None)


def _entry(s: School) -> Entry:
    if s.nor and s.boys == 0:
        return Entry.GIRLS
    if s.nor and s.girls == 0:
        return Entry.BOYS
    return Entry.MIXED


def _real_specialist(
    real: Sequence[School], code: str, expected: F64, rng: np.random.Generator, broad: bool
) -> list[SettingDraft]:
    """The real special schools: state special schools (LA maintained or academy drawn from the
    LA's placement mix: the file does not say which), non-maintained special schools and
    independent special schools (independent schools at least half of whose pupils have a
    plan). URN, name, point and entry are the DfE's; designations (drawn from the need mix of
    the children the LA places in that kind of school), need levels, ages, places, features,
    fees and s.41 approval are estimated."""
    names = _unique_names(real)
    out: list[SettingDraft] = []
    e_la, e_ac = float(expected[:, SLA, :].sum()), float(expected[:, SAC, :].sum())
    p_la = e_la / (e_la + e_ac) if e_la + e_ac > 0 else 0.5
    for group, kinds in (("special", (SLA, SAC)), ("nm", (SNM,)), ("independent_special", (SIND,))):
        these = [s for s in real if s.type == group]
        if not these:
            continue
        e_need = sum(expected[:, p, :].sum(0) for p in kinds)
        profiles = _profiles(len(these), e_need, rng, broad=broad and group == "special")
        kind_of = _split_kinds(these, kinds, p_la, rng)
        for s, needs, p in zip(these, profiles, kind_of, strict=True):
            named = _need_in_name(s.name)
            if named is not None and named not in needs:  # "School for Deaf Children": HI
                needs = [named, *(n for n in COMPANIONS[named] if n in needs)]
            elif named is not None:
                needs = [named, *(n for n in needs if n is not named)]
            est = set(_EST_SPECIAL)
            if group != "nm":
                est.add("kind")
            bands = _specialist_bands(needs, p, 5, rng)
            low = int(rng.choice([2, 3, 4], p=[0.3, 0.4, 0.3]))
            if p == SIND:
                low = max(low, 5)
            lo, hi = (
                (11, 19) if s.secondary and not s.primary
                else (low, 11) if s.primary and not s.secondary
                else (low, 19)
            )  # fmt: skip
            fee, s41 = _fee(p, s.la == code, rng)
            if p in FEE_GBP:
                est |= {"annual_fee_gbp", "s41_approved"}
            out.append(
                SettingDraft(_KIND_OF[p], p, names[s.urn], s.x, s.y, lo, hi, _entry(s), bands,
                             _features_for(needs, rng, p), in_area=s.la == code, la_code=s.la,
                             fee=fee, s41=s41, setting_id=s.urn, ehc=s.ehc, real=True,
                             estimated=frozenset(est))
            )  # fmt: skip
    return out


def _split_kinds(
    these: Sequence[School], kinds: tuple[int, ...], p_first: float, rng: np.random.Generator
) -> list[int]:
    """Each school's kind: one kind, or (state special schools, which the file does not split
    into LA maintained and academy) each in turn, in a random order, to the kind furthest
    below its share ``p_first`` / 1 - ``p_first`` of the schools' pupils with plans, so the
    split follows the LA's placement mix rather than a coin per school (a coin drew all of
    Torbay's as one kind)."""
    if len(kinds) == 1:
        return [kinds[0]] * len(these)
    out = [kinds[0]] * len(these)
    size = [max(1, s.ehc) for s in these]
    total = float(sum(size))
    got = [0.0, 0.0]
    for i in rng.permutation(len(these)).tolist():
        want = (p_first * total - got[0], (1.0 - p_first) * total - got[1])
        k = 0 if want[0] > want[1] or (want[0] == want[1] and rng.uniform() < p_first) else 1
        out[i] = kinds[k]
        got[k] += size[i]
    return out
