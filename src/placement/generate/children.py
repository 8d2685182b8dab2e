"""The children of a synthetic area: a draw from the LA's joint table, their details and
their families' preferences."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from placement.domain import Child, Feature, Location, Need, Preference, Sex
from placement.generate.arrays import ChildArrays, SettingGroups
from placement.generate.calibration import (
    AP,
    F64,
    FE,
    I64,
    MAIN,
    NEED_CODES,
    NEED_IDX,
    NUM_NEEDS,
    NUM_PLACEMENTS,
    OTHER,
    RP,
    SAC,
    SIND,
    SLA,
    SNM,
    SPI,
    TRANSFER_AGES,
    B,
)
from placement.generate.geography import Geography
from placement.generate.nearest import CandidateSearch
from placement.generate.settings import COMPANIONS
from placement.register import AGES, LaProfile

T = TypeVar("T")

BAND_P: Mapping[int, tuple[float, float, float, float, float]] = {
    # need band 1..5 by intended placement (assumption: mainstream meets bands 1-2 with
    # support, units 2-4, special schools 3-5; models/suitability.toml: a child the LA places
    # in mainstream is within what mainstream meets, or a move would leave them unplaced)
    MAIN: (0.40, 0.60, 0.0, 0.0, 0.0),
    RP: (0.0, 0.15, 0.60, 0.25, 0.0),
    SLA: (0.0, 0.0, 0.35, 0.40, 0.25),
    SAC: (0.0, 0.0, 0.35, 0.40, 0.25),
    SIND: (0.0, 0.0, 0.30, 0.45, 0.25),
    SNM: (0.0, 0.0, 0.25, 0.45, 0.30),
    AP: (0.0, 0.15, 0.50, 0.35, 0.0),
    FE: (0.30, 0.45, 0.25, 0.0, 0.0),
    SPI: (0.0, 0.0, 0.20, 0.50, 0.30),
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


def _draw(cum: F64, u: F64) -> I64:
    """Row-wise inverse-CDF draws: ``cum`` (m, K) cumulative, ``u`` (m,) uniform."""
    out: I64 = np.minimum((u[:, None] > cum).sum(1), cum.shape[1] - 1).astype(np.int64)
    return out


def elsewhere_share(la: LaProfile) -> float:
    """Share of the LA's "other" plans that are young people in other arrangements
    (employment, apprenticeships, supported internships, education otherwise than at school,
    elective home education): all of "other" but the children awaiting provision."""
    other = la.placement_totals()["other"]
    return max(0.0, (other - la.awaiting) / other) if other else 0.0


def split_elsewhere(
    la: LaProfile, kids: ChildArrays, rng: np.random.Generator
) -> tuple[ChildArrays, tuple[int, ...]]:
    """The children who hold or seek a place, and how many drawn into "other" are young people
    in other arrangements instead (:func:`elsewhere_share`): they neither hold a place nor
    seek one, so they are not in the area (its notes count them). The rest of "other" are
    children awaiting provision: in the area, seeking what their peers of that age and need
    have, with no place made for them (a baseline leaves about as many unplaced)."""
    away = (kids.group == OTHER) & (rng.uniform(0.0, 1.0, kids.n) < elsewhere_share(la))
    if away.all():  # an area needs a child: keep one
        away[0] = False
    by_age = np.bincount(kids.age[away] - AGES[0], minlength=len(AGES))
    return kids.subset(~away), tuple(int(x) for x in by_age)


def draw_children(
    la: LaProfile,
    joint: F64,
    scale: float,
    transfer: bool,
    geo: Geography,
    rng: np.random.Generator,
) -> tuple[ChildArrays, tuple[int, ...]]:
    """The area's children (:func:`sample_children`, ``scale`` times the LA's plans, or its
    plans in the phase-transfer ages), less the young people in other arrangements, counted by
    age instead (:func:`split_elsewhere`)."""
    base = sum(la.ages[AGES.index(a)] for a in TRANSFER_AGES) if transfer else sum(la.ages)
    n = max(1, round(base * scale))
    return split_elsewhere(la, sample_children(la, joint, n, transfer, geo, rng), rng)


def sample_children(
    la: LaProfile, joint: F64, n: int, transfer: bool, geo: Geography, rng: np.random.Generator
) -> ChildArrays:
    """``n`` children drawn from the LA's joint (age, placement, need) table (only the
    phase-transfer ages when ``transfer``): their placement, the placement they look for, need
    band, home and sex."""
    w = joint.copy()
    if transfer:
        keep = np.isin(np.array(AGES), TRANSFER_AGES)
        w[~keep] = 0.0
    cell = _stratified_cells(w, n, rng)
    a_idx = cell // (NUM_PLACEMENTS * NUM_NEEDS)
    group = (cell // NUM_NEEDS) % NUM_PLACEMENTS
    need = cell % NUM_NEEDS
    age = np.array(AGES, np.int64)[a_idx]
    intended = _intended(joint, group, a_idx, need, rng)
    # settings' statutory ages: special schools to 19, AP 5-16, colleges from 14/16
    # a mainstream school's sixth form ends at 19: a young person the calibration puts in
    # mainstream past 19 (England's age profile spread over the LA's 16-25 count) is 18
    late = (age >= 19) & np.isin(intended, [MAIN, RP])
    age = np.where(late, 18, age)
    # (special schools and AP keep the young people the LA places there past 19 and 16:
    # their estimated age ranges take them)
    intended[(age < 14) & (intended == FE)] = MAIN
    intended[(age < 16) & (intended == SPI)] = SLA
    intended[(age <= 4) & (intended == AP)] = MAIN
    intended[(age <= 3) & (intended == RP)] = MAIN
    band = _bands(group, intended, need, rng)
    xy, _ = geo.sample(n, rng, geo.rural)
    female = rng.uniform(0, 1, n) >= la.male_share
    return ChildArrays(
        age=age,
        group=group.astype(np.int64),
        intended=intended.astype(np.int64),
        need=need.astype(np.int64),
        band=band.astype(np.int64),
        xy=xy,
        female=female,
        transfer=np.isin(age, TRANSFER_AGES),
    )


def _stratified_cells(w: F64, n: int, rng: np.random.Generator) -> I64:
    """``n`` cells of the (age, placement, need) table ``w`` (flat indices, in random order),
    stratified by placement: each placement's count is its share of ``n`` to the child
    (largest remainder, ties at random), so a small LA's placement mix is the LA's, not a
    draw's; ages and needs within a placement are drawn."""
    by_pl = w.sum(axis=(0, 2))
    quota = n * by_pl / by_pl.sum()
    whole = np.floor(quota).astype(np.int64)
    rest = quota - whole
    short = n - int(whole.sum())
    if short:
        order = np.lexsort((rng.uniform(0.0, 1.0, rest.size), -rest))
        whole[order[:short]] += 1
    grid: I64 = np.zeros(w.shape, np.int64)
    for k in np.flatnonzero(whole).tolist():
        cells = w[:, k, :]
        grid[:, k, :] = rng.multinomial(int(whole[k]), (cells / cells.sum()).ravel()).reshape(
            cells.shape
        )
    cell: I64 = np.repeat(np.arange(w.size), grid.ravel())[rng.permutation(n)]
    return cell


def _intended(joint: F64, group: I64, a_idx: I64, need: I64, rng: np.random.Generator) -> I64:
    """The placement each child looks for: its own, but for the children awaiting provision,
    who look for a special school or college place like their peers of that age and need in
    one (the places they lack; a child awaiting a mainstream place is rare). Young people in
    other arrangements are left out later (:func:`split_elsewhere`)."""
    intended = group.copy()
    oth = np.flatnonzero(group == OTHER)
    if oth.size:
        awaited = np.zeros(OTHER)
        awaited[[SLA, SAC, SIND, SNM, SPI]] = 1.0
        ww = joint[a_idx[oth], :OTHER, need[oth]] * awaited
        alt = joint[a_idx[oth], :OTHER, :].sum(2) * awaited
        ww = np.where(ww.sum(1, keepdims=True) > 0, ww, alt)
        ww = np.where(ww.sum(1, keepdims=True) > 0, ww, np.eye(OTHER)[MAIN][None, :])
        cum = np.cumsum(ww / ww.sum(1, keepdims=True), 1)
        intended[oth] = _draw(cum, rng.uniform(0, 1, oth.size))
    return intended


def _bands(group: I64, intended: I64, need: I64, rng: np.random.Generator) -> I64:
    """Need bands by intended placement (:data:`BAND_P`); PMLD and SLD at the top of
    specialist bands; children awaiting provision above what mainstream schools and colleges
    meet with support."""
    band_cum = np.cumsum(np.array([BAND_P[k] for k in range(OTHER)]), 1)
    band = _draw(band_cum[intended], rng.uniform(0, 1, intended.size)) + 1
    spec = (intended != MAIN) & (intended != FE)
    band = np.where(spec & (need == NEED_IDX[Need.PMLD]), np.maximum(band, 4), band)
    band = np.where(spec & (need == NEED_IDX[Need.SLD]), np.maximum(band, 3), band)
    out: I64 = np.where(group == OTHER, np.maximum(band, 4), band)
    return out


@dataclass(frozen=True, slots=True)
class ChildPicks:
    """The settings found for each child before its details are drawn (setting indices; -1
    where there is none)."""

    cands: I64  # (n, 3) nearest settings of the kind the child is bound for
    fallback: I64  # (n,) nearest mainstream school or college for the child's age
    own: I64  # (n,) the specialist setting a placed child is counted at
    groups: SettingGroups


@dataclass(frozen=True, slots=True)
class _Requests:
    """Where each child is now and what its family asks for (setting indices, -1: none)."""

    indep: I64  # an independent special school asked for
    indep_front: B  # ... as the first preference
    to_special: I64  # a special school asked for (band 2 and over, in mainstream)
    current: I64
    new_plan: B
    review_move: B  # an annual review asking for a change of setting
    staying: B  # staying where the plan names, with no request
    stay: B  # the current setting first among the preferences
    swap: B  # the second-nearest candidate first
    n_pref: I64  # settings named (1-3)
    excluded: I64  # permanently excluded from this secondary
    sibling: B  # a sibling at the first preference (a mainstream school)


@dataclass(frozen=True, slots=True)
class _Details:
    """Each child's secondary needs and required features (bitmasks over NEED_CODES and
    Feature), transport eligibility, own journey limit (0: none) and looked-after status."""

    sec_mask: I64
    f_mask: I64
    transport: B
    own_limit: I64
    looked_after: B


def make_children(
    kids: ChildArrays,
    id_of: list[str],
    search: CandidateSearch,
    pick: ChildPicks,
    transfer_cohort: bool,
    rng: np.random.Generator,
) -> tuple[tuple[Child, ...], int]:
    """The children, with their details and preferences (assumptions: module constants), and
    how many have no preference."""

    def u() -> F64:
        return rng.uniform(0.0, 1.0, kids.n)

    req = _requests(kids, search, pick, transfer_cohort, u, rng)
    details = _details(kids, u, rng)
    rows, current, no_pref = _preference_rows(pick, req)
    return _build(kids, id_of, pick.groups, req, details, rows, current), no_pref


def _requests(
    kids: ChildArrays,
    search: CandidateSearch,
    pick: ChildPicks,
    transfer_cohort: bool,
    u: Callable[[], F64],
    rng: np.random.Generator,
) -> _Requests:
    """Where each child is now (not in a transfer year: those are changing setting) and what
    its family asks for, beyond the nearest settings of its kind."""
    n = kids.n
    everyone = np.arange(n, dtype=np.int64)
    it, of = kids.intended, pick.groups.of
    # families asking for an independent special school, or (band 2 in mainstream) a special one
    extra_indep = np.isin(it, [SLA, SAC, SNM, AP]) & (u() < INDEPENDENT_REQUEST_P)
    indep = np.full(n, -1, np.int64)
    rows = everyone[extra_indep]
    indep[rows] = search.nearest(rows, of[SIND], "fit", 1)[:, 0]
    indep_front = u() < 0.7
    to_special = np.full(n, -1, np.int64)
    rows = everyone[(it == MAIN) & (kids.band >= 2) & (u() < 0.04)]
    to_special[rows] = search.nearest(rows, np.union1d(of[SLA], of[SAC]), "fit", 1)[:, 0]
    has_current = (~kids.transfer) & (kids.group != OTHER) & (u() < 0.9)
    if transfer_cohort:
        has_current[:] = False
    current = np.where(kids.specialist & (pick.own >= 0), pick.own, pick.cands[:, 0])
    current = np.where(has_current, current, -1)
    draw = u()
    new_plan = has_current & (draw < NEW_PLAN_P)
    review_move = has_current & ~new_plan & (draw < NEW_PLAN_P + REVIEW_MOVE_P)
    stay = u() < 0.75
    swap = u() < 0.2
    n_pref = rng.choice(3, size=n, p=PREFERENCE_COUNT_P) + 1
    # permanent exclusions from a nearby secondary (SEMH far more often)
    ex_p = np.where(kids.need == NEED_IDX[Need.SEMH], 0.04, 0.008)
    rows = everyone[(kids.age >= 11) & (kids.age < 16) & (u() < ex_p)]
    excluded = np.full(n, -1, np.int64)
    excluded[rows] = search.nearest(rows, pick.groups.secondary, "age", 1)[:, 0]
    sibling = (it == MAIN) & (kids.age >= 4) & (kids.age < 16) & (u() < 0.06)
    return _Requests(
        indep=indep,
        indep_front=indep_front,
        to_special=to_special,
        current=current,
        new_plan=new_plan,
        review_move=review_move,
        staying=has_current & ~new_plan & ~review_move,
        stay=stay,
        swap=swap,
        n_pref=n_pref,
        excluded=excluded,
        sibling=sibling,
    )


def _secondary_weights() -> tuple[F64, F64]:
    """The chance of each secondary need given the primary need (rows: NEED_CODES), for
    children bound for a specialist setting or unit and for the others."""
    w_spec = np.zeros((NUM_NEEDS, NUM_NEEDS))
    w_main = np.zeros((NUM_NEEDS, NUM_NEEDS))
    for k, nd in enumerate(NEED_CODES):
        for x, w in _SECONDARY_SPECIALIST.items():
            w_spec[k, NEED_IDX[x]] += w
        for x in COMPANIONS[nd]:
            if x in NEED_IDX:
                w_spec[k, NEED_IDX[x]] += 0.15 / len(COMPANIONS[nd])
        for x, w in _SECONDARY_MAINSTREAM.items():
            w_main[k, NEED_IDX[x]] += w
    for wm in (w_spec, w_main):
        np.fill_diagonal(wm, 0.0)
        wm /= wm.sum(1, keepdims=True)
    return w_spec, w_main


def _details(kids: ChildArrays, u: Callable[[], F64], rng: np.random.Generator) -> _Details:
    """Secondary needs, required features, transport, own journey limits and looked-after
    status (assumptions: module constants)."""
    n, spec, need, age = kids.n, kids.specialist, kids.need, kids.age
    has_sec = u() < SECONDARY_NEED_SHARE
    w_spec, w_main = _secondary_weights()
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
            hit = (need == NEED_IDX[nd]) & (u() < np.where(spec, p_spec, p_other))
            f_mask |= np.where(hit, 1 << feats.index(f), 0)
    transport = u() < np.where(
        spec,
        TRANSPORT_P["specialist"],
        np.where(kids.intended == FE, TRANSPORT_P["fe"], TRANSPORT_P["mainstream"]),
    )
    own_limit = np.where(spec & (age < 11) & (u() < 0.02), rng.choice([30, 40], size=n), 0)
    return _Details(sec_mask, f_mask, transport, own_limit, u() < LOOKED_AFTER_SHARE)


def _preference_rows(pick: ChildPicks, req: _Requests) -> tuple[list[list[int]], list[int], int]:
    """Each child's preferences (setting indices, first choice first), its current setting
    (-1 if none, or excluded from it) and how many children ask for nothing though they
    need a place."""
    rows: list[list[int]] = []
    current: list[int] = []
    no_pref = 0
    cols = zip(
        pick.cands.tolist(), req.current.tolist(), req.stay.tolist(), req.swap.tolist(),
        req.indep.tolist(), req.indep_front.tolist(), req.to_special.tolist(),
        req.n_pref.tolist(), pick.fallback.tolist(), req.excluded.tolist(),
        req.review_move.tolist(), req.staying.tolist(), strict=True,
    )  # fmt: skip
    for cand, cur, st, sw, ind, front, tsp, npf, fb, ex, rmove, keep in cols:
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
        rows.append(row)
        current.append(cur)
    return rows, current, no_pref


def _build(
    kids: ChildArrays,
    id_of: list[str],
    groups: SettingGroups,
    req: _Requests,
    details: _Details,
    rows: list[list[int]],
    current: list[int],
) -> tuple[Child, ...]:
    """The :class:`Child` objects (ids ``C000001`` ...), sharing the immutable need and
    feature sets and preferences between children."""
    needs_of = _mask_sets(NEED_CODES)
    feats_of = _mask_sets(tuple(Feature))
    prefs: dict[tuple[int, int], Preference] = {}  # immutable: one object per (setting, rank)

    def pref(j: int, rank: int) -> Preference:
        p = prefs.get((j, rank))
        if p is None:
            p = prefs[j, rank] = Preference(id_of[j], rank)
        return p

    width = max(6, len(str(kids.n)))
    placement_of = groups.placement_of.tolist()
    cols = zip(
        rows, current, req.excluded.tolist(), req.sibling.tolist(), kids.xy.tolist(),
        kids.need.tolist(), kids.band.tolist(), kids.age.tolist(), details.sec_mask.tolist(),
        details.f_mask.tolist(), details.transport.tolist(), details.own_limit.tolist(),
        kids.female.tolist(), details.looked_after.tolist(), req.new_plan.tolist(),
        req.review_move.tolist(), strict=True,
    )  # fmt: skip
    out: list[Child] = []
    for i, (row, cur, ex, sib, xy, k, band, a, sm, fm, tr, lim, fem, lac, new, rmove) in enumerate(
        cols
    ):
        sib_id = row[0] if sib and row and placement_of[row[0]] == MAIN else -1
        out.append(
            Child(
                child_id=f"C{i + 1:0{width}d}",
                location=Location(xy[0], xy[1]),
                primary_need=NEED_CODES[k],
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
    return tuple(out)


def _mask_sets(members: tuple[T, ...]) -> Callable[[int], frozenset[T]]:
    """The set of ``members`` a bitmask names, one shared frozenset per mask."""
    sets: dict[int, frozenset[T]] = {}

    def of(mask: int) -> frozenset[T]:
        if mask not in sets:
            sets[mask] = frozenset(m for k, m in enumerate(members) if mask >> k & 1)
        return sets[mask]

    return of
