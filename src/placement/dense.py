"""An area's children and settings resolved against a policy as dense arrays: the fields of
:class:`placement.problem.Problem` that do not depend on the suitable pairs, each group by one
function (children; settings with their pools, staying children and costs; the sparse facts;
the preferences). :func:`placement.problem.resolve` puts them together. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from placement.area import Area
from placement.cohort import MOVEMENTS, Movement, Scope, movement
from placement.domain import (
    FEATURE_BIT,
    NEED_INDEX,
    Child,
    DomainError,
    Entry,
    Need,
    Phase,
    Setting,
    SettingKind,
    Sex,
    nc_year_from_birth,
    phase_of_year,
)
from placement.law import PreferenceRoute, preference_route
from placement.policy import Policy
from placement.rules.common import I32, I64

__all__ = [
    "KIND_INDEX",
    "KIND_LIST",
    "NO_LIMIT",
    "NUM_NEEDS",
    "child_arrays",
    "preference_arrays",
    "setting_arrays",
    "sparse_keys",
]


KIND_LIST: tuple[SettingKind, ...] = tuple(SettingKind)
KIND_INDEX = {k: i for i, k in enumerate(KIND_LIST)}
NUM_NEEDS = len(Need)
ENTRY_CODE = {Entry.MIXED: 0, Entry.GIRLS: 1, Entry.BOYS: 2}
NO_LIMIT = 10_000  # minutes: no journey limit in the child's plan
NEED_BIT: Mapping[object, int] = {nd: 1 << NEED_INDEX[nd] for nd in Need}


def _bits(items: Sequence[object], table: Mapping[Any, int]) -> int:
    out = 0
    for x in items:
        out |= table[x]
    return out


def _bits_each(sets: Sequence[frozenset[Any]], table: Mapping[Any, int]) -> I64:
    """:func:`_bits` of each set (computed once per distinct set)."""
    seen: dict[frozenset[Any], int] = {}
    out = np.zeros(len(sets), np.int64)
    for i, x in enumerate(sets):
        if x:
            b = seen.get(x)
            if b is None:
                b = seen[x] = _bits(list(x), table)
            out[i] = b
    return out


# -- children ----------------------------------------------------------------------------


def _years(children: Sequence[Child], ay: int) -> I32:
    """Each child's national curriculum year, from the date of birth where there is one.
    Raises :class:`DomainError` when the year given disagrees with it."""
    years = np.empty(len(children), np.int32)
    for i, c in enumerate(children):
        y = c.nc_year
        if c.date_of_birth is not None:
            yb = nc_year_from_birth(c.date_of_birth, ay)
            if y is not None and y != yb:
                raise DomainError(
                    "nc_year",
                    f"child {c.child_id}: Year {y} disagrees with date of birth "
                    f"{c.date_of_birth} (Year {yb} in {ay}/{(ay + 1) % 100:02d})",
                )
            y = yb
        assert y is not None
        years[i] = y
    return years


def _movement(
    children: Sequence[Child],
    years: I32,
    settings: Sequence[Setting],
    policy: Policy,
    scope: Scope,
) -> dict[str, Any]:
    """Why each child moves (or stays), whether it is placed in this run, and the current
    setting whose place still stands for it (``c_home``; -1: none)."""
    n = len(children)
    by_id = {s.setting_id: s for s in settings}
    si = {s.setting_id: j for j, s in enumerate(settings)}
    transfer = policy.objective.transfer_years
    moves = [
        movement(
            c,
            int(years[i]),
            by_id[c.current_setting_id] if c.current_setting_id else None,
            transfer,
        )
        for i, c in enumerate(children)
    ]
    mv_index = {mv: k for k, mv in enumerate(MOVEMENTS)}
    c_movement = np.array([mv_index[mv] for mv in moves], np.int32)
    c_moving = np.ones(n, np.bool_) if scope == "from_scratch" else c_movement != 0
    # a moving child keeps a seat at its current setting while that setting still takes it
    # (not in a study from scratch, where nobody has a place)
    keeps = (
        (Movement.TRANSFER_YEAR, Movement.NEW_PLAN, Movement.REVIEW_REQUESTED_MOVE)
        if scope == "moving"
        else ()
    )
    c_home = np.array(
        [
            si[c.current_setting_id]
            if mv in keeps
            and c.current_setting_id is not None
            and by_id[c.current_setting_id].low_age
            <= int(years[i]) + 4
            < by_id[c.current_setting_id].high_age
            else -1
            for i, (c, mv) in enumerate(zip(children, moves, strict=True))
        ],
        np.int32,
    )
    return {"c_movement": c_movement, "c_moving": c_moving, "c_home": c_home}


def child_arrays(
    children: Sequence[Child], settings: Sequence[Setting], policy: Policy, scope: Scope
) -> dict[str, Any]:
    """The ``c_*`` fields of the problem (children and settings sorted by id)."""
    years = _years(children, policy.academic_year_start)
    phase_of = {int(y): int(phase_of_year(int(y))) for y in np.unique(years)}
    phases = np.array([phase_of[y] for y in years.tolist()], np.int32)
    phase_limit = np.array([policy.travel.max_journey_min[p] for p in Phase], np.int32)
    limit = phase_limit[phases]
    own = np.array([c.max_journey_min or NO_LIMIT for c in children], np.int32)
    limit = np.minimum(limit, own).astype(np.int32)
    return {
        "c_east": np.array([c.location.easting for c in children], np.float64),
        "c_north": np.array([c.location.northing for c in children], np.float64),
        "c_year": years,
        "c_phase": phases,
        "c_need": np.array([NEED_INDEX[c.primary_need] for c in children], np.int32),
        "c_band": np.array([c.need_band for c in children], np.int32),
        "c_secondary": _bits_each([c.secondary_needs for c in children], NEED_BIT),
        "c_features": _bits_each([c.required_features for c in children], FEATURE_BIT),
        "c_transport": np.array([c.transport_eligible for c in children], np.bool_),
        "c_limit_min": limit,
        "c_plan_limit_min": own,
        "c_female": np.array([c.sex is Sex.FEMALE for c in children], np.bool_),
        "c_looked_after": np.array([c.looked_after for c in children], np.bool_),
        **_movement(children, years, settings, policy, scope),
    }


# -- settings ----------------------------------------------------------------------------


def _needs_met(settings: Sequence[Setting], policy: Policy) -> dict[str, Any]:
    """The band to which each setting meets each primary need, the secondary needs it meets,
    and its pools (numbered setting by setting, need by need) with the pool serving each
    need there (its own, else one designated for a need that meets it; -1: none)."""
    m = len(settings)
    suit = policy.suitability
    meets = np.zeros((m, NUM_NEEDS), np.int32)
    sec = np.zeros(m, np.int64)
    pool_of = np.full((m, NUM_NEEDS), -1, np.int32)
    pool_setting: list[int] = []
    pool_need: list[int] = []
    pool_free: list[int] = []
    all_needs = (1 << NUM_NEEDS) - 1
    anyspec = _bits(list(suit.secondary_met_by_any_specialist), NEED_BIT)
    for j, s in enumerate(settings):
        general = suit.general_max_band.get(s.kind, 0)
        if general > 0:
            meets[j, :] = general
            sec[j] = all_needs
        elif s.kind.is_specialist:
            sec[j] |= anyspec
        for d, band in s.designations.items():
            for nd in suit.designation_meets[d]:
                meets[j, NEED_INDEX[nd]] = max(meets[j, NEED_INDEX[nd]], band)
                sec[j] |= NEED_BIT[nd]
        pidx: dict[Need, int] = {}
        for d in Need:  # fixed order: deterministic pool numbering
            if d in s.pools:
                pidx[d] = len(pool_setting)
                pool_setting.append(j)
                pool_need.append(NEED_INDEX[d])
                pool_free.append(s.pools[d].free)
        for nd in Need:
            if nd in pidx:
                pool_of[j, NEED_INDEX[nd]] = pidx[nd]
                continue
            for d, p in pidx.items():
                if nd in suit.designation_meets[d]:
                    pool_of[j, NEED_INDEX[nd]] = p
                    break
    return {
        "s_meets": meets,
        "s_secondary": sec,
        "s_pool_of_need": pool_of,
        "pool_setting": np.array(pool_setting, np.int32),
        "pool_need": np.array(pool_need, np.int32),
        "pool_places_free": np.array(pool_free, np.int64),
    }


def _staying(
    children: Sequence[Child],
    settings: Sequence[Setting],
    c_moving: Any,
    pool_of: I32,
    num_pools: int,
) -> tuple[I64, I64]:
    """Places taken by children who stay (not placed in this run): per setting, and in the
    pool that fits each one's need there."""
    si = {s.setting_id: j for j, s in enumerate(settings)}
    s_staying = np.zeros(len(settings), np.int64)
    pool_staying = np.zeros(num_pools, np.int64)
    for i in np.flatnonzero(~c_moving).tolist():
        c = children[i]
        assert c.current_setting_id is not None
        j = si[c.current_setting_id]
        s_staying[j] += 1
        q = int(pool_of[j, NEED_INDEX[c.primary_need]])
        if q >= 0:
            pool_staying[q] += 1
    return s_staying, pool_staying


def _costs(settings: Sequence[Setting], policy: Policy) -> dict[str, Any]:
    """Each setting's place funding or fee (the high-needs block), its school contribution,
    and the top-up by kind and band."""
    m = len(settings)
    fund = policy.funding
    base = np.zeros(m, np.int64)
    school = np.zeros(m, np.int64)
    for j, s in enumerate(settings):
        school[j] = fund.school_contribution_gbp.get(s.kind, 0)
        if s.kind.is_independent:
            base[j] = (
                s.annual_fee_gbp
                if s.annual_fee_gbp is not None
                else fund.fee_for(s.kind, s.in_area)
            )
        elif s.kind is SettingKind.NON_MAINTAINED_SPECIAL and s.annual_fee_gbp is not None:
            base[j] = s.annual_fee_gbp
        else:
            base[j] = fund.place_funding_gbp[s.kind]
    top_up = np.zeros((len(KIND_LIST), 5), np.int64)
    for k, bands in fund.top_up_gbp.items():
        top_up[KIND_INDEX[k], :] = bands
    return {"s_base_cost_gbp": base, "s_school_gbp": school, "top_up": top_up}


def setting_arrays(
    settings: Sequence[Setting], children: Sequence[Child], c_moving: Any, policy: Policy
) -> dict[str, Any]:
    """The ``s_*`` and ``pool_*`` fields of the problem and ``top_up``: places free for this
    run are the places less the children who stay (home seats are taken later, with the
    pairs: :func:`placement.pairs.with_pairs`)."""
    m = len(settings)
    needs = _needs_met(settings, policy)
    pool_places = needs.pop("pool_places_free")
    s_staying, pool_staying = _staying(
        children, settings, c_moving, needs["s_pool_of_need"], pool_places.shape[0]
    )
    s_free = np.maximum(np.array([s.free for s in settings], np.int64) - s_staying, 0)
    return {
        "s_east": np.array([s.location.easting for s in settings], np.float64),
        "s_north": np.array([s.location.northing for s in settings], np.float64),
        "s_kind": np.array([KIND_INDEX[s.kind] for s in settings], np.int32),
        "s_low": np.array([s.low_age for s in settings], np.int32),
        "s_high": np.array([s.high_age for s in settings], np.int32),
        "s_entry": np.array([ENTRY_CODE[s.entry] for s in settings], np.int32),
        "s_features": np.array([_bits(list(s.features), FEATURE_BIT) for s in settings], np.int64),
        "s_free": s_free,
        "s_staying": s_staying,
        "s_home_seats": np.zeros(m, np.int64),
        "s_mainstream": np.array([s.kind.is_mainstream for s in settings], np.bool_),
        "s_independent": np.array([s.kind.is_independent for s in settings], np.bool_),
        "s_in_area": np.array([s.in_area for s in settings], np.bool_),
        "pool_free": np.maximum(pool_places - pool_staying, 0),
        "pool_staying": pool_staying,
        "pool_home_seats": np.zeros(pool_places.shape[0], np.int64),
        **needs,
        **_costs(settings, policy),
    }


# -- sparse facts and preferences --------------------------------------------------------


def sparse_keys(
    area: Area, children: Sequence[Child], ci: Mapping[str, int], si: Mapping[str, int]
) -> dict[str, Any]:
    """Sorted ``child_idx * S + setting_idx`` keys of the exclusions, siblings' settings,
    current settings and router rows (with the router's minutes)."""
    m = len(si)

    def keys(pairs: list[tuple[int, int]]) -> I64:
        arr = np.array(sorted(a * m + b for a, b in pairs), np.int64)
        return np.unique(arr)

    excluded = keys([(ci[c.child_id], si[s]) for c in children for s in c.excluded_setting_ids])
    siblings = keys([(ci[c.child_id], si[s]) for c in children for s in c.sibling_setting_ids])
    current = keys(
        [(ci[c.child_id], si[c.current_setting_id]) for c in children if c.current_setting_id]
    )
    mk: dict[int, int] = {}
    for t in area.travel:
        mk[ci[t.child_id] * m + si[t.setting_id]] = t.minutes
    return {
        "excluded_keys": excluded,
        "sibling_keys": siblings,
        "current_keys": current,
        "matrix_keys": np.array(sorted(mk), np.int64),
        "matrix_min": np.array([mk[k] for k in sorted(mk)], np.int32),
    }


def preference_arrays(
    children: Sequence[Child], settings: Sequence[Setting], si: Mapping[str, int]
) -> dict[str, Any]:
    """Every family preference, flattened by child then rank, with its route (a s.38
    request or not) and the sorted keys of the preferred pairs."""
    m = len(settings)
    s38 = [preference_route(s) is PreferenceRoute.S38_REQUEST for s in settings]
    pc: list[int] = []
    ps: list[int] = []
    pr: list[int] = []
    p38: list[bool] = []
    for i, c in enumerate(children):
        for pref in c.preferences:
            j = si[pref.setting_id]
            pc.append(i)
            ps.append(j)
            pr.append(pref.rank)
            p38.append(s38[j])
    pref_keys = np.unique(np.array(pc, np.int64) * m + np.array(ps, np.int64))
    return {
        "pref_child": np.array(pc, np.int32),
        "pref_setting": np.array(ps, np.int32),
        "pref_rank": np.array(pr, np.int32),
        "pref_route_s38": np.array(p38, np.bool_),
        "pref_keys": pref_keys.astype(np.int64),
    }
