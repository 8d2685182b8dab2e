"""The suitable child-setting pairs of a problem (the arcs every mechanism chooses among):
enumerated by the rules (:func:`suitable_pairs`), given their pools, costs and the family's
preference rank (:func:`make_pairs`), and carried over from another problem of the same area
where the children and settings are unchanged (:func:`carried_pairs`, for
:meth:`placement.problem.Problem.with_changes`). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from placement.dense import NO_LIMIT
from placement.domain import Phase
from placement.rules.common import I32, I64, B

if TYPE_CHECKING:
    from placement.problem import Problem

__all__ = [
    "BLOCK_CELLS",
    "Pairs",
    "carried_pairs",
    "empty_pairs",
    "make_pairs",
    "suitable_pairs",
    "with_pairs",
]


BLOCK_CELLS = 1 << 21  # child x setting cells per block when enumerating pairs (bounds memory)


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


def empty_pairs(n: int) -> Pairs:
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


# the arrays a pair's suitability, journey and cost are computed from (with the policy's travel
# modes and funding, compared whole); a child's exclusions and the router rows are compared apart
_CHILD_PAIR_FIELDS = (
    "c_east",
    "c_north",
    "c_year",
    "c_phase",
    "c_need",
    "c_band",
    "c_secondary",
    "c_features",
    "c_transport",
    "c_limit_min",
    "c_plan_limit_min",
    "c_female",
    "c_moving",
    "c_home",
)
_SETTING_PAIR_FIELDS = (
    "s_east",
    "s_north",
    "s_kind",
    "s_low",
    "s_high",
    "s_entry",
    "s_meets",
    "s_secondary",
    "s_features",
    "s_base_cost_gbp",
    "s_school_gbp",
)


def _same_rows(a: np.ndarray, b: np.ndarray, new_to_old: I64) -> np.ndarray:
    """For each row of ``a``: it has a row in ``b`` (``new_to_old`` >= 0) and they are equal."""
    ok = new_to_old >= 0
    out = np.zeros(a.shape[0], np.bool_)
    if ok.any():
        eq = a[ok] == b[new_to_old[ok]]
        out[ok] = eq.reshape(eq.shape[0], -1).all(axis=1)
    return out


def _old_index(ids: list[str], old: Mapping[str, int]) -> I64:
    return np.array([old.get(x, -1) for x in ids], np.int64)


def _unchanged(base: Problem, q: Problem) -> tuple[I64, I64]:
    """Per child and per setting of ``q``: its index in ``base`` where its pair inputs are
    unchanged there, else -1."""
    from placement.rules.cost import charges_fee

    old_c = _old_index([c.child_id for c in q.children], base.child_index)
    old_s = _old_index([s.setting_id for s in q.settings], base.setting_index)
    same_c = old_c >= 0
    for f in _CHILD_PAIR_FIELDS:
        same_c &= _same_rows(getattr(q, f), getattr(base, f), old_c)
    for i in np.flatnonzero(same_c).tolist():
        a, b = q.children[i], base.children[int(old_c[i])]
        if a is not b and (
            a.excluded_setting_ids != b.excluded_setting_ids
            or {x.setting_id for x in a.preferences} != {x.setting_id for x in b.preferences}
        ):
            same_c[i] = False  # the journey rule reads which settings the family asked for
    same_s = old_s >= 0
    for f in _SETTING_PAIR_FIELDS:
        same_s &= _same_rows(getattr(q, f), getattr(base, f), old_s)
    same_s &= _same_rows(charges_fee(q), charges_fee(base), old_s)
    return np.where(same_c, old_c, -1), np.where(same_s, old_s, -1)


def carried_pairs(base: Problem, q: Problem) -> Pairs:
    """The pairs of ``q`` (a resolved problem without pairs: :func:`placement.problem.resolve`)
    from those of ``base``, a problem of the same area before some change: exactly what
    :func:`suitable_pairs` and :func:`make_pairs` give for ``q``, with the pairs enumerated
    (by the same rule code) only for the children and settings whose pair inputs changed.

    The pairs of a child and a setting depend only on their rows of the problem's arrays, the
    child's exclusions, the router rows and the policy's travel modes and funding; a pair
    whose child and setting are unchanged in all of these is copied (journey included).
    Pools, preference ranks, routes and costs are recomputed for every pair. The caller
    makes sure neither problem has router rows and the travel modes and funding are the same
    (:meth:`placement.problem.Problem.carries_pairs_to`)."""
    m = q.num_settings
    old_c, old_s = _unchanged(base, q)
    same_c, same_s = old_c >= 0, old_s >= 0
    # the baseline's pairs between unchanged children and unchanged settings, re-indexed
    new_c = np.full(base.num_children, -1, np.int64)
    new_c[old_c[same_c]] = np.flatnonzero(same_c)
    new_s = np.full(base.num_settings, -1, np.int64)
    new_s[old_s[same_s]] = np.flatnonzero(same_s)
    pr = base.pairs
    kc, ks = new_c[pr.child], new_s[pr.setting]
    keep = np.flatnonzero((kc >= 0) & (ks >= 0))
    # new rows (changed or added children x every setting), new columns (the other children
    # x changed or added settings)
    rows_c, rows_s, rows_t = suitable_pairs(q, np.flatnonzero(~same_c))
    cols_c, cols_s, cols_t = suitable_pairs(q, np.flatnonzero(same_c), np.flatnonzero(~same_s))
    child = np.concatenate([kc[keep], rows_c, cols_c]).astype(np.int64)
    sett = np.concatenate([ks[keep], rows_s, cols_s]).astype(np.int64)
    order = np.argsort(child * m + sett, kind="stable")
    travel = np.concatenate([pr.travel_min[keep], rows_t, cols_t])[order]
    # costs are recomputed for every pair (cheap, vectorised): a pair's transport cost also
    # depends on the child's other pairs (who arranges a journey beyond the LA's limit)
    return make_pairs(
        q,
        child[order].astype(np.int32),
        sett[order].astype(np.int32),
        travel.astype(np.int32),
    )
