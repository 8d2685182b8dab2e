"""The optimised mechanism's flow network (OR-Tools ``SimpleMinCostFlow``,
``SimpleMaxFlow``): child -> need pool (or the setting itself when the child's need has no
pool) -> setting -> sink, and the tiers packed into one int64 arc cost (see
:mod:`placement.solve.optimised` for the tiers and the repair loop around them).

A child arc has capacity 1; a pool arc the pool's free places; a setting arc the setting's
free places (after the places of children who stay). A moving child's own home seat is
outside the shared places: its arc goes straight to the sink. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from placement.lawful import per_child_min
from placement.problem import Problem
from placement.rules.common import I64, B
from placement.solve.params import DEFAULT_PARAMS, SolveParams

__all__ = [
    "CostRangeError",
    "FlowModel",
    "SolverError",
    "Tiers",
    "build_flow",
    "flow_over_pairs",
    "initial_weighed",
    "max_flow_pairs",
    "max_placeable",
    "new_solver",
    "solve_flow",
    "tiers_for",
]

_COST_BITS = 20  # pounds per arc are clipped at 2**20 - 1 (about £1.05m a year)
_MINUTE_BITS = 8  # minutes per arc are clipped at 255 (limits are at most 240)
_INT_BITS = 62  # leave the sign bit and one more for OR-Tools' internal scaling
_CLAIM_DEPTH = 6  # request ranks beyond this weigh as this one (3**5 = 243: 8 bits)


class SolverError(RuntimeError):
    """The flow could not be solved (a policy or size that int64 tiers cannot represent)."""


class CostRangeError(SolverError):
    """OR-Tools' cost scaling would overflow: retry with fewer guard bits."""


@dataclass(frozen=True, slots=True, eq=False)
class FlowModel:
    """The arcs of one solve: child arcs first (one per kept pair), then pool, then setting."""

    pair_of_arc: I64  # pair index of each child arc
    tails: I64
    heads: I64
    caps: I64
    costs: I64
    supply_nodes: I64
    supplies: I64
    num_child_arcs: int
    guard_bits: int
    disproportionate: np.ndarray  # per pair: a preference whose cost is out of proportion


def initial_weighed(p: Problem) -> B:
    """Per pair: a family preference whose cost is not out of proportion against the child's
    cheapest suitable setting (the first estimate of its alternative; it grows round by round
    to the alternative the allocation names)."""
    pr = p.pairs
    alt = per_child_min(p, pr.cost_gbp, 0)[pr.child]  # the cheapest
    return np.asarray(
        (pr.pref_rank > 0) & ~(pr.cost_gbp - alt > p.policy.funding.extra_cost_threshold_gbp(alt)),
        np.bool_,
    )


@dataclass(frozen=True, slots=True, eq=False)
class Tiers:
    """Each pair's tier penalties and the arcs kept: everything of a flow model but the
    guard bits, which scale the tiers' weights and not their order."""

    req_pen: I64
    main_pen: np.ndarray
    rank_pen: I64
    base: I64
    bq: int  # bits of the request tier
    bb: int
    br: int
    kept: I64
    weighed: B
    kept_base: I64  # kept without ``extra``


def tiers_for(
    p: Problem,
    weighed: B,
    extra: I64 | None = None,
    all_arcs: bool = False,
    prev: Tiers | None = None,
    params: SolveParams = DEFAULT_PARAMS,
) -> Tiers:
    """The tiers for the pairs, with ``weighed`` the preferences that count; the arcs kept are
    each child's best ``max_arcs_per_child`` (:class:`SolveParams`), every preference, and
    ``extra`` (all of them when ``all_arcs``). ``prev``: the last tiers; when built from the
    same ``weighed`` (the same array), only the extra arcs change."""
    if prev is not None and prev.weighed is weighed and not all_arcs:
        kept = prev.kept_base
        if extra is not None and extra.shape[0] and kept.shape[0] < len(p.pairs):
            kept = np.union1d(kept, extra).astype(np.int64)
        return replace(prev, kept=kept)
    pr = p.pairs
    n = p.num_children
    child = pr.child.astype(np.int64)
    # tier 1: requests by rank, 3**(R - r) for rank r <= R (R = _CLAIM_DEPTH)
    depth = min(_CLAIM_DEPTH, int(p.pref_rank.max()) if p.pref_rank.shape[0] else 1)
    top = 3 ** (depth - 1)
    rank = np.minimum(pr.pref_rank.astype(np.int64), depth)
    score = np.where(pr.is_request & weighed & (rank > 0), 3 ** (depth - np.maximum(rank, 1)), 0)
    req_pen = (top - score).astype(np.int64)
    # tier 2: s.33, unless the family asked for a setting that is not mainstream
    asked_specialist = np.zeros(n, np.bool_)
    asked_specialist[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
    main_pen = ~asked_specialist[child] & ~p.s_mainstream[pr.setting]
    # tier 3: preference rank
    rmax = int(p.pref_rank.max()) if p.pref_rank.shape[0] else 1
    # then the child's own home seat (its place stands if no request is named), then the rest
    rank_pen = np.where(
        (pr.pref_rank > 0) & weighed, pr.pref_rank - 1, np.where(pr.home, rmax, rmax + 1)
    ).astype(np.int64)
    # tier 4: pounds then minutes
    base = (np.minimum(pr.cost_gbp, (1 << _COST_BITS) - 1) << _MINUTE_BITS) | np.minimum(
        pr.travel_min, (1 << _MINUTE_BITS) - 1
    ).astype(np.int64)
    bb = int(base.max()).bit_length() if len(pr) else 1
    br = max(1, (rmax + 1).bit_length())
    bq = max(1, top.bit_length())

    keep = np.ones(len(pr), np.bool_)
    cap_n = params.arcs_per_child(p.policy)
    if cap_n > 0 and len(pr) and not all_arcs:
        # each child's cap_n cheapest arcs, ties by pair index. The tier cost orders pairs
        # lexicographically by (request, mainstream, rank, base) whatever the guard bits, so
        # the order is that of the cost with none (g = 0), here packed under the child's index
        # into one key when it fits in 63 bits.
        cost0 = _tier_cost(req_pen, main_pen, rank_pen, base, bb, br, 0)
        width = bb + br + 1 + bq
        if width + max(1, n.bit_length()) <= 63:
            order = np.argsort((child << width) | cost0, kind="stable")
        else:
            order = np.lexsort((cost0, child))
        pos = np.arange(len(pr)) - pr.start[child[order]]
        keep = np.zeros(len(pr), np.bool_)
        keep[order[pos < cap_n]] = True
        keep |= pr.pref_rank > 0
    kept_base = np.flatnonzero(keep).astype(np.int64)
    if extra is not None and extra.shape[0]:
        keep[extra] = True
    kept = np.flatnonzero(keep).astype(np.int64)
    return Tiers(req_pen, main_pen, rank_pen, base, bq, bb, br, kept, weighed, kept_base)


def _tier_cost(
    req_pen: I64,
    main_pen: np.ndarray,
    rank_pen: I64,
    base: I64,
    bb: int,
    br: int,
    g: int,
) -> I64:
    """One integer cost: each tier's unit outweighs ``2**g`` children's worth of the tiers
    below it (base < 2**bb, rank penalty < 2**br)."""
    w_rank = 1 << (bb + g)
    w_main = 1 << (bb + g + br + g)
    w_req = 1 << (bb + g + br + g + 1 + g)
    return np.asarray(req_pen * w_req + main_pen * w_main + rank_pen * w_rank + base, np.int64)


def build_flow(
    p: Problem,
    guard_bits: int | None = None,
    tiers: Tiers | None = None,
    params: SolveParams = DEFAULT_PARAMS,
) -> FlowModel:
    """The arcs, capacities and tier costs for the problem (see the module docstring).
    ``guard_bits`` caps the guard bits (the solver's own overflow checks may need fewer);
    ``tiers``: this problem's :func:`tiers_for`, when already computed."""
    t = tiers or tiers_for(p, initial_weighed(p), params=params)
    n, m, npool = p.num_children, p.num_settings, p.num_pools
    nodes = n + npool + m + 1
    spare = _INT_BITS - nodes.bit_length() - t.bb - t.br - 1 - t.bq
    g = spare // 3 if guard_bits is None else min(guard_bits, spare // 3)
    floor = params.guard_floor(p.policy)
    if g < floor:
        raise SolverError(
            f"{n} children are too many to keep the optimised tiers lexicographic in int64 "
            f"(guard bits {g} < objective.optimised.min_guard_bits "
            f"{floor}); split the area or lower min_guard_bits"
        )
    kept = t.kept
    cost = _tier_cost(
        t.req_pen[kept], t.main_pen[kept], t.rank_pen[kept], t.base[kept], t.bb, t.br, g
    )

    sink = n + npool + m
    tails, heads, caps = _network(p, kept, sink)
    child = tails[: kept.shape[0]]
    costs = np.concatenate([cost, np.zeros(npool + m, np.int64)])
    # kept pairs are sorted by child: the children with an arc, in order
    first = np.ones(child.shape[0], np.bool_)
    first[1:] = child[1:] != child[:-1]
    active = child[first]
    supply_nodes = np.concatenate([active, [sink]]).astype(np.int64)
    supplies = np.concatenate([np.ones(active.shape[0], np.int64), [-active.shape[0]]])
    return FlowModel(
        pair_of_arc=kept,
        tails=tails,
        heads=heads,
        caps=caps,
        costs=costs.astype(np.int64),
        supply_nodes=supply_nodes,
        supplies=supplies.astype(np.int64),
        num_child_arcs=int(kept.shape[0]),
        guard_bits=g,
        disproportionate=~t.weighed,
    )


def _network(p: Problem, kept: I64 | slice, sink: int) -> tuple[I64, I64, I64]:
    """The arcs of a network over pairs ``kept``: one child arc a pair (capacity 1, to its
    pool, else its setting; a child's own home seat straight to ``sink``), then each pool's
    arc to its setting (its free places), then each setting's to ``sink`` (its free places).
    Returns (tails, heads, capacities); nodes: children, pools, settings, then the sink."""
    pr = p.pairs
    n, m, npool = p.num_children, p.num_settings, p.num_pools
    child = pr.child[kept].astype(np.int64)
    pool = pr.pool[kept].astype(np.int64)
    sett = pr.setting[kept].astype(np.int64)
    child_heads = np.where(pr.home[kept], sink, np.where(pool >= 0, n + pool, n + npool + sett))
    tails = np.concatenate(
        [child, n + np.arange(npool, dtype=np.int64), n + npool + np.arange(m, dtype=np.int64)]
    )
    heads = np.concatenate(
        [child_heads, n + npool + p.pool_setting.astype(np.int64), np.full(m, sink, np.int64)]
    )
    caps = np.concatenate([np.ones(child.shape[0], np.int64), p.pool_free, p.s_free])
    return tails, heads, caps.astype(np.int64)


def new_solver(fm: FlowModel) -> min_cost_flow.SimpleMinCostFlow:
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(fm.tails, fm.heads, fm.caps, fm.costs)
    smcf.set_nodes_supplies(fm.supply_nodes, fm.supplies)
    return smcf


def solve_flow(smcf: min_cost_flow.SimpleMinCostFlow, fm: FlowModel, n: int) -> I64:
    """Solve and read back each child's pair (-1: unplaced)."""
    status = smcf.solve_max_flow_with_min_cost()
    if status == smcf.BAD_COST_RANGE:
        raise CostRangeError("OR-Tools found the arc costs too large for its cost scaling")
    if status != smcf.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status!r}")
    flows = smcf.flows(np.arange(fm.num_child_arcs, dtype=np.int64))
    used = fm.pair_of_arc[flows > 0]
    assign = np.full(n, -1, np.int64)
    assign[_child_of(fm, used)] = used
    return assign


def _child_of(fm: FlowModel, pairs: I64) -> I64:
    # child arcs' tails are the child nodes
    idx = np.searchsorted(fm.pair_of_arc, pairs)
    return fm.tails[idx]


def max_placeable(p: Problem) -> int:
    """The most children any allocation can place: a maximum flow over every suitable pair
    (OR-Tools ``SimpleMaxFlow``; a separate check of the pruned min-cost model)."""
    return max_flow_pairs(p)[0]


def max_flow_pairs(p: Problem) -> tuple[int, I64]:
    """A maximum flow over every suitable pair (OR-Tools ``SimpleMaxFlow``): the most children
    any allocation can place, and the pairs one such allocation uses. A model that keeps those
    pairs as arcs can place as many children as any allocation (its own maximum flow is at
    least this one), whatever else it prunes."""
    pr = p.pairs
    n, m, npool = p.num_children, p.num_settings, p.num_pools
    if len(pr) == 0:
        return 0, np.zeros(0, np.int64)
    src, sink = n + npool + m, n + npool + m + 1
    has = np.flatnonzero(pr.start[1:] > pr.start[:-1]).astype(np.int64)
    tails, heads, caps = _network(p, slice(None), sink)
    tails = np.concatenate([np.full(has.shape[0], src, np.int64), tails])
    hd = np.concatenate([has, heads])
    caps = np.concatenate([np.ones(has.shape[0], np.int64), caps])
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(tails, hd, caps)
    if mf.solve(src, sink) != mf.OPTIMAL:
        raise SolverError("the maximum-flow check did not solve")
    child_arcs = has.shape[0] + np.arange(len(pr), dtype=np.int64)
    used = np.flatnonzero(mf.flows(child_arcs) > 0).astype(np.int64)
    return int(mf.optimal_flow()), used


def flow_over_pairs(p: Problem, cost: I64) -> I64:
    """A min-cost maximum flow over every suitable pair with the given per-pair costs (each
    child's chosen pair, -1: unplaced)."""
    pr = p.pairs
    n, m, npool = p.num_children, p.num_settings, p.num_pools
    if len(pr) == 0:
        return np.full(n, -1, np.int64)
    sink = n + npool + m
    tails, hd, caps = _network(p, slice(None), sink)
    costs = np.concatenate([cost.astype(np.int64), np.zeros(npool + m, np.int64)])
    active = np.flatnonzero(pr.start[1:] > pr.start[:-1]).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, hd, caps, costs)
    smcf.set_nodes_supplies(
        np.concatenate([active, [sink]]).astype(np.int64),
        np.concatenate([np.ones(active.shape[0], np.int64), [-active.shape[0]]]),
    )
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status!r}")
    flows = smcf.flows(np.arange(len(pr), dtype=np.int64))
    used = np.flatnonzero(flows > 0).astype(np.int64)
    assign = np.full(n, -1, np.int64)
    assign[pr.child[used]] = used
    return assign
