"""An area from its parts: geography, settings, children, places and preferences."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from placement.area import Area
from placement.domain import Entry, Need, SettingKind
from placement.generate.calibration import (
    AP,
    FE,
    I64,
    MAIN,
    NEED_CODES,
    OTHER,
    RP,
    SAC,
    SIND,
    SLA,
    SNM,
    SPECIALIST,
    SPECIALIST_IDX,
    SPI,
    TRANSFER_AGES,
    _joint,
)
from placement.generate.children import _children, _Picks, _sample_children, split_elsewhere
from placement.generate.geography import _geography
from placement.generate.nearest import Mode, _bits, _Ctx, _merge
from placement.generate.schools import has_real_schools, schools_within_reach
from placement.generate.settings import (
    _FAMILY_FIT,
    _S,
    COLLEGE_SLACK,
    MAINSTREAM_SLACK,
    REAL_SIZE_WEIGHT,
    TIGHTNESS,
    _apportion,
    _build_settings,
    _pool_need,
)
from placement.register import AGES, PLACEMENTS, LaProfile, resolve_la

Schools = Literal["auto", "real", "synthetic"]


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
    schools: str = "synthetic"  # "real" or "synthetic": what the settings were built on
    real_settings: int = 0  # settings that are real schools (URNs from the school census)
    elsewhere: int = 0
    """Plans drawn into "other" that are young people in other arrangements (employment,
    apprenticeships, education otherwise, elsewhere): not in the area, counted here."""
    elsewhere_ages: tuple[int, ...] = ()  # the same by age on 31 August (AGES)

    @property
    def specialist_ratio(self) -> float:
        return self.specialist_free_places / max(1, self.specialist_bound)


def _estimated(rec: _S, field: str) -> bool:
    return field in rec.estimated or "synthetic" in rec.estimated


def _fit_own(recs: list[_S], ctx: _Ctx, rows: I64, got: I64) -> None:
    """Make the estimated ages and designations of the settings where the LA places children
    (``got``, each child's own setting) take those children's ages, needs and need levels:
    the LA places them there, so the school meets them (what the public data lacks is
    calibrated to who is placed where). Known ages and designations are left as they are."""
    kids = ctx.kids
    for i, j in zip(rows.tolist(), got.tolist(), strict=True):
        if j < 0:
            continue
        rec, age = recs[j], int(kids.age[i])
        if not rec.low <= age < rec.high and _estimated(rec, "low_age"):
            rec.low, rec.high = min(rec.low, age), max(rec.high, age + 1)
            ctx.low[j], ctx.high[j] = rec.low, rec.high
        if not _estimated(rec, "designations"):
            continue
        need, band = NEED_CODES[int(kids.need[i])], int(kids.band[i])
        if rec.designations.get(need, 0) < band:
            rec.designations[need] = max(band, rec.designations.get(need, 0))
            ctx.direct[j] = _bits(list(rec.designations))
            ctx.fit[j] = _bits([x for d in rec.designations for x in _FAMILY_FIT[d]])


def generate_area(
    like: str,
    *,
    seed: int,
    cohort: Literal["caseload", "transfer"] = "caseload",
    scale: float = 1.0,
    academic_year_start: int = 2026,
    schools: Schools = "auto",
) -> Area:
    """A synthetic area like ``like`` (an LA name or code); see the module docstring.

    Raises :class:`UnknownAreaError` for an unknown LA and ``ValueError`` for a bad argument.
    """
    return generate_with_report(
        like,
        seed=seed,
        cohort=cohort,
        scale=scale,
        academic_year_start=academic_year_start,
        schools=schools,
    )[0]


def generate_with_report(
    like: str,
    *,
    seed: int,
    cohort: Literal["caseload", "transfer"] = "caseload",
    scale: float = 1.0,
    academic_year_start: int = 2026,
    schools: Schools = "auto",
) -> tuple[Area, GenerationReport]:
    """:func:`generate_area` and a :class:`GenerationReport` of what it drew.

    ``schools``: ``"real"`` builds the area on the LA's real schools and its neighbours'
    within reach (:mod:`placement.generate.schools`), synthesising only what the public data
    lacks; ``"synthetic"`` makes every setting up; ``"auto"`` (the default) is real wherever
    the LA has schools with points (all 153 do).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed {seed!r} must be a whole number >= 0")
    if not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale {scale!r} must be a number greater than 0")
    if cohort not in ("caseload", "transfer"):
        raise ValueError(f"cohort {cohort!r} must be 'caseload' or 'transfer'")
    if not isinstance(academic_year_start, int) or not 2000 <= academic_year_start <= 2100:
        raise ValueError(f"academic_year_start {academic_year_start!r} must be 2000 to 2100")
    if schools not in ("auto", "real", "synthetic"):
        raise ValueError(f"schools {schools!r} must be 'auto', 'real' or 'synthetic'")
    la = resolve_la(like)
    if schools == "real" and not has_real_schools(la.old_la_code):
        raise ValueError(f"no real schools with points for {la.la_name}: use schools='synthetic'")
    use_real = schools != "synthetic" and has_real_schools(la.old_la_code)
    transfer = cohort == "transfer"
    r_geo, r_kid, r_cap, r_pref = np.random.default_rng(int(seed)).spawn(4)
    geo = _geography(la, r_geo)
    joint = _joint(la.la_code)
    real = schools_within_reach(la.old_la_code, geo.home_xy) if use_real else []
    recs = _build_settings(la, geo, joint, scale, r_geo, real)
    base = sum(la.ages[AGES.index(a)] for a in TRANSFER_AGES) if transfer else sum(la.ages)
    n = max(1, round(base * scale))
    drawn = _sample_children(la, joint, n, transfer, geo, r_kid)
    kids, elsewhere_ages = split_elsewhere(la, drawn, r_kid)
    elsewhere = sum(elsewhere_ages)
    n = kids.n

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
    # schools taking primary (secondary) ages: all-through schools are both
    primary_s = np.flatnonzero((placement_of == MAIN) & (ctx.low < 11))
    secondary_s = np.flatnonzero((placement_of == MAIN) & (ctx.high > 11))
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
    state_special = np.union1d(of[SLA], of[SAC])
    spare = {  # where a kind has no setting (real schools: all of an LA's state special
        SLA: of[SAC],  # schools may be drawn as academies), its children's places go
        SAC: of[SLA],
        SNM: state_special,
        SIND: np.union1d(state_special, of[SNM]),
    }
    for p, r in tight.items():
        rows = everyone[placed & (kids.intended == p)]
        cand = of[p]
        if cand.size == 0 and rows.size:
            cand = spare.get(p, cand)
        got = np.full(rows.size, -1, np.int64)
        for mode2 in ("direct", "fit", "age", "none"):
            left = np.flatnonzero(got < 0)
            if left.size == 0 or cand.size == 0:
                break
            got[left] = ctx.nearest(rows[left], cand, mode2, 1)[:, 0]
        own[rows] = got
        _fit_own(recs, ctx, rows, got)
        keys: list[tuple[int, Need]] = [
            (int(j), d) for j in cand for d in recs[int(j)].designations
        ]
        key_at = {k: i for i, k in enumerate(keys)}
        # a place for each child counted at a setting, in the pool it takes; the spare
        # places (tightness over 1) where the children are and where real schools are big
        counted = np.zeros(len(keys), np.int64)
        for j, k in zip(got.tolist(), kids.need[rows].tolist(), strict=True):
            if j >= 0:
                counted[key_at[(j, _pool_need(recs[j], NEED_CODES[k]))]] += 1
        spare_w = counted.astype(np.float64) + 0.25
        for i_key, (j, _d) in enumerate(keys):  # a real school's own size counts too
            rec_j = recs[j]
            if rec_j.ehc and rec_j.in_area:
                spare_w[i_key] += REAL_SIZE_WEIGHT * rec_j.ehc / len(rec_j.designations) * scale
        free = counted + _apportion(max(0, round(r * rows.size) - int(counted.sum())), spare_w)
        if transfer:  # the rest of the caseload is on roll
            whole = float(joint[:, p, :].sum()) * scale * r
            rolls = _apportion(
                max(0, round(whole) - int(free.sum())), free.astype(np.float64) + 0.5
            )
        else:  # children placed by other LAs (cross-border), 0-6%
            rolls = np.rint(free * r_cap.uniform(0.0, 0.06, free.size)).astype(np.int64)
        for (j, d), f, ro in zip(keys, free.tolist(), rolls.tolist(), strict=True):
            acc = recs[j].pools.setdefault(d, [0, 0])  # a spare kind's add to its own
            acc[0] += int(f)
            acc[1] += int(ro)
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
            slack = MAINSTREAM_SLACK if p == MAIN else COLLEGE_SLACK
            rec.free = math.ceil(nearby[j] * float(r_cap.uniform(*slack))) + int(
                r_cap.integers(1, 4)
            )
            if p == MAIN:
                if rec.real:  # its own roll (school census) and the free places
                    rec.roll = rec.size
                else:
                    capacity = max(rec.size, math.ceil(rec.free / 0.15))
                    rec.roll = capacity - rec.free
            else:
                rec.roll = rec.size

    pick = _Picks(cands, fallback, own, of, secondary_s, placement_of)
    children, no_pref = _children(kids, [r.setting_id for r in recs], ctx, pick, transfer, r_pref)
    for i, j in enumerate(own.tolist()):  # the provision a placed child's plan requires
        if j >= 0 and children[i].required_features and _estimated(recs[j], "features"):
            recs[j].features |= children[i].required_features
    settings = tuple(rec.freeze() for rec in recs)

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
        schools="real" if use_real else "synthetic",
        real_settings=sum(1 for r in recs if r.real),
        elsewhere=elsewhere,
        elsewhere_ages=elsewhere_ages,
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
        f"other arrangements: {elsewhere:,} more plans drawn for young people in employment, "
        "apprenticeships, supported internships, education otherwise than at school or "
        "elsewhere hold no place and seek none, so are not in the area; the rest of the "
        f"LA's 'other' column ({by_p['other']:,} here) are children awaiting provision, who "
        "seek a place with no place made for them",
        f"specialist places: {report.specialist_free_places:,} free for "
        f"{report.specialist_bound:,} children the placement mix sends to specialist settings "
        f"({report.specialist_ratio:.0%})",
        (
            f"settings: {report.real_settings:,} real schools (their URNs, names, points and "
            "rolls: DfE school census 2024/25, Open Government Licence v3.0) and "
            f"{m - report.real_settings:,} synthesised; settings.csv's `estimated` column "
            "names what is estimated"
            if use_real
            else "settings: all synthesised (schools = synthetic)"
        ),
        "synthetic: no real child is represented; generated by placement.generate",
    )
    return Area(name, children, settings, (), la.old_la_code, notes), report
