"""The immutable, index-based problem: dense arrays over children and settings, and the
suitable child-setting pairs with their journey, cost, pool and preference.

Children and settings are sorted by id, so the same area gives the same problem (and the same
allocation) whatever order its rows came in. ``*_idx`` are dense indices into these arrays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

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

__all__ = [
    "KIND_LIST",
    "Pairs",
    "Problem",
    "build_problem",
    "child_line",
    "input_digest",
    "make_pairs",
    "resolve",
    "suitable_pairs",
    "with_pairs",
]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

KIND_LIST: tuple[SettingKind, ...] = tuple(SettingKind)
KIND_INDEX = {k: i for i, k in enumerate(KIND_LIST)}
NUM_NEEDS = len(Need)
ENTRY_CODE = {Entry.MIXED: 0, Entry.GIRLS: 1, Entry.BOYS: 2}
BLOCK_CELLS = 1 << 21  # child x setting cells per block when enumerating pairs (bounds memory)
NO_LIMIT = 10_000  # minutes: no journey limit in the child's plan


@dataclass(frozen=True, slots=True, eq=False)
class Pairs:
    """Suitable child-setting pairs (the arcs), sorted by child then setting.

    ``start[i]:start[i+1]`` are child ``i``'s pairs. Money in whole pounds, time in minutes.
    """

    child: I32
    setting: I32
    pool: I32  # -1 where the child's need has no pool at that setting (setting total only)
    travel_min: I32
    cost_high_needs_gbp: I64
    cost_school_gbp: I64
    cost_transport_gbp: I64
    pref_rank: I32  # 0 = not a family preference
    is_request: B  # a s.38 request (rank > 0 and requestable)
    start: I64
    cost_gbp: I64  # the whole annual public cost: high-needs + school + transport
    # a family's preference over the LA's journey limit (the LA would not propose it)
    beyond_limit: B
    # ... that the LA would name on condition that the family arranges the journey (its
    # transport cost is then 0 here: s.508B EA 1996 free transport is to the nearest suitable
    # school, and a nearer one exists)
    family_transport: B
    # the moving child's own current setting, which still takes it: its place there stands
    # unless it moves (a seat kept for it alone, outside the places the others share)
    home: B

    def __len__(self) -> int:
        return int(self.child.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Problem:
    """An area, resolved against a policy, as dense arrays. Build with :func:`build_problem`."""

    name: str
    policy: Policy
    scope: Scope  # "moving": only moving children are placed; "from_scratch": every child
    children: tuple[Child, ...]
    settings: tuple[Setting, ...]
    child_index: dict[str, int]
    setting_index: dict[str, int]
    # children
    c_east: F64
    c_north: F64
    c_year: I32
    c_phase: I32
    c_need: I32
    c_band: I32
    c_secondary: I64  # bitmask over Need
    c_features: I64  # bitmask over Feature
    c_transport: B
    c_limit_min: I32  # journey limit for the LA's proposals: policy by phase, or the plan's own
    c_plan_limit_min: I32  # the limit the child's plan sets (NO_LIMIT: none)
    c_female: B
    c_looked_after: B
    c_movement: I32  # index into placement.cohort.MOVEMENTS (why the child moves, or stays)
    c_moving: B  # placed in this run (every child in a from-scratch run)
    c_home: I32  # a moving child's current setting that still takes its age (-1: none)
    # settings
    s_east: F64
    s_north: F64
    s_kind: I32
    s_low: I32
    s_high: I32
    s_entry: I32
    s_meets: I32  # (S, NUM_NEEDS): highest band at which s meets a child's primary need, 0 = no
    s_secondary: I64  # bitmask of needs s meets as secondary needs
    s_features: I64
    s_free: I64  # places free for this run (capacity - roll - staying children there)
    s_staying: I64  # children in the area who stay at the setting (not placed in this run)
    s_home_seats: I64  # seats kept for moving children whose place there stands (home pairs)
    s_mainstream: B
    s_independent: B
    s_in_area: B
    s_base_cost_gbp: I64  # place funding or fee (fee kinds): high-needs block
    s_school_gbp: I64
    s_pool_of_need: I32  # (S, NUM_NEEDS) -> pool index or -1
    # pools
    pool_setting: I32
    pool_need: I32
    pool_free: I64  # places - roll - staying children - home seats in the pool
    pool_staying: I64
    pool_home_seats: I64
    # sparse facts
    excluded_keys: I64  # sorted child_idx * S + setting_idx
    sibling_keys: I64
    current_keys: I64
    matrix_keys: I64  # sorted child_idx * S + setting_idx with a router time
    matrix_min: I32
    top_up: I64  # (len(KIND_LIST), 5)
    # preferences: flattened, ranked
    pref_child: I32
    pref_setting: I32
    pref_rank: I32
    pref_route_s38: B
    pref_keys: I64  # sorted child_idx * S + setting_idx of every preference
    pairs: Pairs
    input_digest: str

    @property
    def num_children(self) -> int:
        return len(self.children)

    @property
    def num_settings(self) -> int:
        return len(self.settings)

    @property
    def num_pools(self) -> int:
        return int(self.pool_setting.shape[0])

    def phase(self, child_idx: int) -> Phase:
        return Phase(int(self.c_phase[child_idx]))

    def movement(self, child_idx: int) -> Movement:
        return MOVEMENTS[int(self.c_movement[child_idx])]

    @property
    def moving_children(self) -> I64:
        """Indices of the children placed in this run."""
        return np.flatnonzero(self.c_moving).astype(np.int64)

    def pair_index(self, child_idx: int, setting_idx: int) -> int:
        """Index into :attr:`pairs` of a suitable pair, or -1 when the pair is not suitable."""
        lo, hi = int(self.pairs.start[child_idx]), int(self.pairs.start[child_idx + 1])
        k = lo + int(np.searchsorted(self.pairs.setting[lo:hi], setting_idx))
        if k < hi and int(self.pairs.setting[k]) == setting_idx:
            return k
        return -1

    def preferences_of(self, child_idx: int) -> list[tuple[int, int, bool]]:
        """(setting_idx, rank, is_s38_request) for a child's preferences, by rank."""
        lo = int(np.searchsorted(self.pref_child, child_idx, "left"))
        hi = int(np.searchsorted(self.pref_child, child_idx, "right"))
        sel = range(lo, hi)  # preferences are stored by child, then rank
        return [
            (int(self.pref_setting[k]), int(self.pref_rank[k]), bool(self.pref_route_s38[k]))
            for k in sel
        ]


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


def build_problem(
    area: Area, policy: Policy, *, digest: bool = True, scope: Scope = "moving"
) -> Problem:
    """Resolve an area against a policy and enumerate every suitable pair.

    ``scope``: ``"moving"`` places only the children who move this round (a staying child's
    place counts as taken); ``"from_scratch"`` places the whole caseload afresh (a planner's
    study). ``digest=False`` leaves the input digest empty (for runs whose manifests nobody
    reads: a national sweep's counts). Raises :class:`DomainError` when a child's date of
    birth and year disagree.
    """
    prob = resolve(area, policy, scope)
    child, sett, travel = suitable_pairs(prob)
    pairs = make_pairs(prob, child, sett, travel)
    return with_pairs(prob, pairs, input_digest(prob) if digest else "")


def with_pairs(prob: Problem, pairs: Pairs, digest: str) -> Problem:
    """The resolved problem with its pairs: each home pair's seat (a moving child at a current
    setting that still takes it and is suitable) is kept for that child alone, so it leaves
    the places the others share (``s_free``, ``pool_free``). If the child moves, its seat is
    not offered to another child in the same run: the place named in its plan stands until
    the plan is amended."""
    seat = np.flatnonzero(pairs.home)
    s_home = np.bincount(pairs.setting[seat], minlength=prob.num_settings).astype(np.int64)
    q = pairs.pool[seat]
    q_home = np.bincount(q[q >= 0], minlength=prob.num_pools).astype(np.int64)
    return replace(
        prob,
        pairs=pairs,
        input_digest=digest,
        s_free=np.maximum(prob.s_free - s_home, 0),
        s_home_seats=s_home,
        pool_free=np.maximum(prob.pool_free - q_home, 0),
        pool_home_seats=q_home,
    )


def resolve(area: Area, policy: Policy, scope: Scope = "moving") -> Problem:
    """The area resolved against the policy as dense arrays, without its pairs (empty) or
    input digest (""): :func:`build_problem` less :func:`suitable_pairs`."""
    if scope not in ("moving", "from_scratch"):
        raise ValueError(f"scope {scope!r} must be 'moving' or 'from_scratch'")
    children = tuple(sorted(area.children, key=lambda c: c.child_id))
    settings = tuple(sorted(area.settings, key=lambda s: s.setting_id))
    ci = {c.child_id: i for i, c in enumerate(children)}
    si = {s.setting_id: j for j, s in enumerate(settings)}
    n, m = len(children), len(settings)
    need_bit: dict[object, int] = {nd: 1 << NEED_INDEX[nd] for nd in Need}
    feat_bit: Mapping[Any, int] = FEATURE_BIT
    ay = policy.academic_year_start

    years = np.empty(n, np.int32)
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
    phase_of = {int(y): int(phase_of_year(int(y))) for y in np.unique(years)}
    phases = np.array([phase_of[y] for y in years.tolist()], np.int32)
    phase_limit = np.array([policy.travel.max_journey_min[p] for p in Phase], np.int32)
    limit = phase_limit[phases]
    own = np.array([c.max_journey_min or NO_LIMIT for c in children], np.int32)
    limit = np.minimum(limit, own).astype(np.int32)
    by_id = {s.setting_id: s for s in settings}
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

    suit = policy.suitability
    meets = np.zeros((m, NUM_NEEDS), np.int32)
    sec = np.zeros(m, np.int64)
    pool_of = np.full((m, NUM_NEEDS), -1, np.int32)
    pool_setting: list[int] = []
    pool_need: list[int] = []
    pool_free: list[int] = []
    all_needs = (1 << NUM_NEEDS) - 1
    anyspec = _bits(list(suit.secondary_met_by_any_specialist), need_bit)
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
                sec[j] |= need_bit[nd]
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

    # a staying child's place is taken: in the pool that fits its need there, and the setting
    s_staying = np.zeros(m, np.int64)
    pool_staying = np.zeros(len(pool_setting), np.int64)
    for i in np.flatnonzero(~c_moving).tolist():
        c = children[i]
        assert c.current_setting_id is not None
        j = si[c.current_setting_id]
        s_staying[j] += 1
        q = int(pool_of[j, NEED_INDEX[c.primary_need]])
        if q >= 0:
            pool_staying[q] += 1
    s_free = np.maximum(np.array([s.free for s in settings], np.int64) - s_staying, 0)
    pool_free_arr = np.maximum(np.array(pool_free, np.int64) - pool_staying, 0)

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
    matrix_keys = np.array(sorted(mk), np.int64)
    matrix_min = np.array([mk[k] for k in sorted(mk)], np.int32)

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
    prob = Problem(
        name=area.name,
        policy=policy,
        scope=scope,
        children=children,
        settings=settings,
        child_index=ci,
        setting_index=si,
        c_east=np.array([c.location.easting for c in children], np.float64),
        c_north=np.array([c.location.northing for c in children], np.float64),
        c_year=years,
        c_phase=phases,
        c_need=np.array([NEED_INDEX[c.primary_need] for c in children], np.int32),
        c_band=np.array([c.need_band for c in children], np.int32),
        c_secondary=_bits_each([c.secondary_needs for c in children], need_bit),
        c_features=_bits_each([c.required_features for c in children], feat_bit),
        c_transport=np.array([c.transport_eligible for c in children], np.bool_),
        c_limit_min=limit,
        c_plan_limit_min=own,
        c_female=np.array([c.sex is Sex.FEMALE for c in children], np.bool_),
        c_looked_after=np.array([c.looked_after for c in children], np.bool_),
        c_movement=c_movement,
        c_moving=c_moving,
        c_home=c_home,
        s_east=np.array([s.location.easting for s in settings], np.float64),
        s_north=np.array([s.location.northing for s in settings], np.float64),
        s_kind=np.array([KIND_INDEX[s.kind] for s in settings], np.int32),
        s_low=np.array([s.low_age for s in settings], np.int32),
        s_high=np.array([s.high_age for s in settings], np.int32),
        s_entry=np.array([ENTRY_CODE[s.entry] for s in settings], np.int32),
        s_meets=meets,
        s_secondary=sec,
        s_features=np.array([_bits(list(s.features), feat_bit) for s in settings], np.int64),
        s_free=s_free,
        s_staying=s_staying,
        s_home_seats=np.zeros(m, np.int64),
        s_mainstream=np.array([s.kind.is_mainstream for s in settings], np.bool_),
        s_independent=np.array([s.kind.is_independent for s in settings], np.bool_),
        s_in_area=np.array([s.in_area for s in settings], np.bool_),
        s_base_cost_gbp=base,
        s_school_gbp=school,
        s_pool_of_need=pool_of,
        pool_setting=np.array(pool_setting, np.int32),
        pool_need=np.array(pool_need, np.int32),
        pool_free=pool_free_arr,
        pool_staying=pool_staying,
        pool_home_seats=np.zeros(len(pool_setting), np.int64),
        excluded_keys=excluded,
        sibling_keys=siblings,
        current_keys=current,
        matrix_keys=matrix_keys,
        matrix_min=matrix_min,
        top_up=top_up,
        pref_child=np.array(pc, np.int32),
        pref_setting=np.array(ps, np.int32),
        pref_rank=np.array(pr, np.int32),
        pref_route_s38=np.array(p38, np.bool_),
        pref_keys=pref_keys.astype(np.int64),
        pairs=_empty_pairs(n),
        input_digest="",
    )
    return prob


def _empty_pairs(n: int) -> Pairs:
    z32 = np.zeros(0, np.int32)
    z64 = np.zeros(0, np.int64)
    return Pairs(
        z32,
        z32,
        z32,
        z32,
        z64,
        z64,
        z64,
        z32,
        np.zeros(0, np.bool_),
        np.zeros(n + 1, np.int64),
        z64,
        np.zeros(0, np.bool_),
        np.zeros(0, np.bool_),
        np.zeros(0, np.bool_),
    )


def suitable_pairs(
    prob: Problem, rows: I64 | None = None, cols: I64 | None = None
) -> tuple[I32, I32, I32]:
    """(child, setting, journey minutes) of every suitable pair among the moving children
    ``rows`` and settings ``cols`` (default all; each ascending), sorted by child then setting.
    A staying child has no pairs: it is not placed in this run."""
    from placement.rules import suitable

    m = prob.num_settings
    r_all = prob.moving_children if rows is None else rows.astype(np.int64)
    r_all = r_all[prob.c_moving[r_all]]
    c_all = np.arange(m, dtype=np.int64) if cols is None else cols.astype(np.int64)
    ci, si, minutes = suitable(prob, r_all, c_all, BLOCK_CELLS)
    return ci.astype(np.int32), si.astype(np.int32), minutes.astype(np.int32)


def make_pairs(
    prob: Problem,
    child: I32,
    sett: I32,
    travel: I32,
    costs: tuple[I64, I64, I64] | None = None,
) -> Pairs:
    """The :class:`Pairs` of suitable (child, setting) pairs sorted by child then setting:
    pools, costs (``costs`` when known, else :func:`placement.rules.cost.pair_costs`) and the
    family's preference rank and route."""
    from placement.rules.cost import pair_costs

    n, m = prob.num_children, prob.num_settings
    pool = prob.s_pool_of_need[sett, prob.c_need[child]].astype(np.int32)
    hn, sc, tr = costs or pair_costs(prob, child.astype(np.int64), sett.astype(np.int64))
    # only a family's preference can be over the LA's journey limit (rules.journey)
    policy_limit = np.minimum(
        np.array([prob.policy.travel.max_journey_min[ph] for ph in Phase], np.int32)[
            prob.c_phase[child]
        ],
        NO_LIMIT,
    )
    beyond = travel > policy_limit
    family_transport = np.zeros(child.shape[0], np.bool_)
    if beyond.any() and prob.policy.travel.beyond_limit_requests == "family_transport":
        nearest = np.full(n, NO_LIMIT, np.int64)
        if bool((child[1:] >= child[:-1]).all()):
            # sorted by child (as build_problem makes them): each child's pairs are one run,
            # so its nearest is one reduceat (np.minimum.at is about 20x slower at 7M pairs)
            first = np.flatnonzero(np.r_[True, child[1:] != child[:-1]])
            nearest[child[first]] = np.minimum(np.minimum.reduceat(travel, first), NO_LIMIT)
        else:
            np.minimum.at(nearest, child, travel)
        family_transport = beyond & prob.c_transport[child] & (travel > nearest[child])
        tr = np.where(family_transport, 0, tr).astype(np.int64)
    rank = np.zeros(child.shape[0], np.int32)
    req = np.zeros(child.shape[0], np.bool_)
    if prob.pref_child.shape[0] and child.shape[0]:
        key = child.astype(np.int64) * m + sett
        pkey = prob.pref_child.astype(np.int64) * m + prob.pref_setting
        order = np.argsort(pkey)
        pos = np.searchsorted(pkey[order], key)
        pos = np.minimum(pos, pkey.shape[0] - 1)
        hit = pkey[order][pos] == key
        rank[hit] = prob.pref_rank[order][pos[hit]]
        req[hit] = prob.pref_route_s38[order][pos[hit]]
    start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(child, minlength=n), out=start[1:])
    home = prob.c_home[child] == sett
    return Pairs(
        child, sett, pool, travel, hn, sc, tr, rank, req, start, hn + sc + tr, beyond,
        family_transport, home,
    )  # fmt: skip


def child_line(c: Child) -> str:
    """Every field of a child in a fixed order, sets sorted (independent of the hash seed).
    Need, Feature and Sex are StrEnums: each member is its value as a str."""
    loc = c.location
    return "|".join(
        (
            c.child_id,
            repr(loc.easting),
            repr(loc.northing),
            c.primary_need,
            str(c.need_band),
            str(c.nc_year),
            str(c.date_of_birth),
            ",".join(sorted(c.secondary_needs)) if c.secondary_needs else "",
            ",".join(sorted(c.required_features)) if c.required_features else "",
            str(c.transport_eligible),
            str(c.max_journey_min),
            c.sex,
            str(c.current_setting_id),
            ",".join(sorted(c.excluded_setting_ids)) if c.excluded_setting_ids else "",
            ",".join([f"{p.setting_id}:{p.rank}" for p in c.preferences]),
            str(c.looked_after),
            ",".join(sorted(c.sibling_setting_ids)) if c.sibling_setting_ids else "",
            str(c.new_plan),
            str(c.move_requested),
        )
    )


def _setting_line(s: Setting) -> str:
    """Every field of a setting in a fixed order, mappings and sets sorted."""
    return "|".join(
        (
            s.setting_id,
            s.name,
            s.kind.value,
            repr(s.location.easting),
            repr(s.location.northing),
            str(s.low_age),
            str(s.high_age),
            str(s.capacity),
            str(s.roll),
            s.entry.value,
            ",".join(sorted(f"{n.value}:{b}" for n, b in s.designations.items())),
            ",".join(sorted(f.value for f in s.features)),
            ",".join(sorted(f"{n.value}:{q.places}/{q.roll}" for n, q in s.pools.items())),
            str(s.s41_approved),
            s.la_code,
            str(s.in_area),
            str(s.annual_fee_gbp),
        )
    )


def input_digest(prob: Problem) -> str:
    """SHA-256 of the input: every field of every child and setting (sorted by id, sets
    sorted, so independent of row order and of Python's per-process hash seed) and the router
    rows."""
    h = hashlib.sha256()
    h.update("\n".join(child_line(c) for c in prob.children).encode())
    h.update(b"\x00")
    h.update("\n".join(_setting_line(s) for s in prob.settings).encode())
    h.update(prob.matrix_keys.tobytes())
    h.update(prob.matrix_min.tobytes())
    return h.hexdigest()
