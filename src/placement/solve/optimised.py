"""The ``optimised`` mechanism: lexicographic min-cost flow (OR-Tools ``SimpleMinCostFlow``).

Network: child -> need pool (or the setting itself when the child's need has no pool) ->
setting -> sink. A child arc has capacity 1; a pool arc the pool's free places; a setting arc
the setting's free places. ``solve_max_flow_with_min_cost`` first places as many children as
possible (the "unplaced arc" with infinite cost, exactly), then minimises the arc cost, which
packs the remaining tiers in lexicographic order:

1. name the family's s.38 request (their highest-ranked requestable preference) unless it is
   incompatible with the efficient use of resources (it costs more than the child's cheapest
   suitable alternative by more than the policy threshold);
2. a mainstream setting where the family has not asked for a specialist one (s.33);
3. the family's other preferences by rank (where not disproportionate in cost);
4. the least annual public cost, then the least journey time (per child: pounds, then minutes).

Each tier's unit outweighs ``2**g`` children's worth of all lower tiers; ``g`` is as large as
int64 allows for the area and is recorded in the manifest. After the solve a repair loop makes
the legal tier exact: any family preference ranked above the child's placement that is suitable,
has room, and is not disproportionate in cost against the setting actually named is forced and
the flow re-solved, until every unmet preference has a lawful ground (s.39(4)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from placement.problem import Problem
from placement.result import Allocation, finalise, pair_taken
from placement.rules.common import I64
from placement.solve.priority import count_justified_envy, priority_keys

__all__ = [
    "FlowModel",
    "FlowState",
    "SolverError",
    "build_flow",
    "finish_optimised",
    "run_optimised",
    "solve_flow",
    "solve_optimised",
]

_COST_BITS = 20  # pounds per arc are clipped at 2**20 - 1 (about £1.05m a year)
_MINUTE_BITS = 8  # minutes per arc are clipped at 255 (limits are at most 240)
_INT_BITS = 62  # leave the sign bit and one more for OR-Tools' internal scaling
MAX_REPAIR_ROUNDS = 50


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


def _cheapest(p: Problem) -> I64:
    """Each child's cheapest suitable pair cost (0 for children with none)."""
    pr = p.pairs
    n = p.num_children
    out = np.zeros(n, np.int64)
    if len(pr) == 0:
        return out
    has = pr.start[1:] > pr.start[:-1]
    red = np.minimum.reduceat(pr.cost_gbp, pr.start[:-1][has])
    out[has] = red
    return out


def _disproportionate(p: Problem, alt: I64) -> np.ndarray:
    return _disproportionate_against(p, p.pairs.cost_gbp, alt)


@dataclass(frozen=True, slots=True, eq=False)
class _Tiers:
    """Each pair's tier penalties and the arcs kept: everything of a flow model but the
    guard bits, which scale the tiers' weights and not their order."""

    req_pen: np.ndarray
    main_pen: np.ndarray
    rank_pen: I64
    base: I64
    bb: int
    br: int
    kept: I64
    disp: np.ndarray


def _tiers(p: Problem) -> _Tiers:
    pr = p.pairs
    n = p.num_children
    child = pr.child.astype(np.int64)
    cheapest = _cheapest(p)
    disp = (pr.pref_rank > 0) & _disproportionate(p, cheapest[child])

    # tier 1: each child's s.38 request = highest-ranked requestable, proportionate preference
    cand = np.flatnonzero(pr.is_request & ~disp)
    target = np.full(n, -1, np.int64)
    if cand.shape[0]:
        order = cand[np.lexsort((pr.pref_rank[cand], child[cand]))]
        first = np.ones(order.shape[0], np.bool_)
        first[1:] = child[order][1:] != child[order][:-1]
        target[child[order[first]]] = order[first]
    req_pen = (target[child] >= 0) & (target[child] != np.arange(len(pr)))
    # tier 2: s.33, unless the family asked for a setting that is not mainstream
    asked_specialist = np.zeros(n, np.bool_)
    asked_specialist[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
    main_pen = ~asked_specialist[child] & ~p.s_mainstream[pr.setting]
    # tier 3: preference rank
    rmax = int(p.pref_rank.max()) if p.pref_rank.shape[0] else 1
    rank_pen = np.where((pr.pref_rank > 0) & ~disp, pr.pref_rank - 1, rmax).astype(np.int64)
    # tier 4: pounds then minutes
    base = (np.minimum(pr.cost_gbp, (1 << _COST_BITS) - 1) << _MINUTE_BITS) | np.minimum(
        pr.travel_min, (1 << _MINUTE_BITS) - 1
    ).astype(np.int64)
    bb = int(base.max()).bit_length() if len(pr) else 1
    br = max(1, rmax.bit_length())

    keep = np.ones(len(pr), np.bool_)
    cap_n = p.policy.objective.max_arcs_per_child
    if cap_n > 0 and len(pr):
        # each child's cap_n cheapest arcs, ties by pair index. The tier cost orders pairs
        # lexicographically by (request, mainstream, rank, base) whatever the guard bits, so
        # the order is that of the cost with none (g = 0), here packed under the child's index
        # into one key when it fits in 63 bits.
        cost0 = _tier_cost(req_pen, main_pen, rank_pen, base, bb, br, 0)
        width = bb + br + 2
        if width + max(1, n.bit_length()) <= 63:
            order = np.argsort((child << width) | cost0, kind="stable")
        else:
            order = np.lexsort((cost0, child))
        pos = np.arange(len(pr)) - pr.start[child[order]]
        keep = np.zeros(len(pr), np.bool_)
        keep[order[pos < cap_n]] = True
        keep |= pr.pref_rank > 0
    kept = np.flatnonzero(keep).astype(np.int64)
    return _Tiers(req_pen, main_pen, rank_pen, base, bb, br, kept, disp)


def _tier_cost(
    req_pen: np.ndarray,
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


def build_flow(p: Problem, guard_bits: int | None = None, tiers: _Tiers | None = None) -> FlowModel:
    """The arcs, capacities and tier costs for the problem (see the module docstring).
    ``guard_bits`` caps the guard bits (the solver's own overflow checks may need fewer);
    ``tiers``: this problem's :func:`_tiers`, when already computed."""
    t = tiers or _tiers(p)
    pr = p.pairs
    n, m, npool = p.num_children, p.num_settings, p.num_pools
    nodes = n + npool + m + 1
    spare = _INT_BITS - nodes.bit_length() - t.bb - t.br - 2
    g = spare // 3 if guard_bits is None else min(guard_bits, spare // 3)
    if g < p.policy.objective.min_guard_bits:
        raise SolverError(
            f"{n} children are too many to keep the optimised tiers lexicographic in int64 "
            f"(guard bits {g} < objective.optimised.min_guard_bits "
            f"{p.policy.objective.min_guard_bits}); split the area or lower min_guard_bits"
        )
    kept = t.kept
    k = kept
    cost = _tier_cost(t.req_pen[k], t.main_pen[k], t.rank_pen[k], t.base[k], t.bb, t.br, g)

    child = pr.child[kept].astype(np.int64)
    pool = pr.pool[kept].astype(np.int64)
    sett = pr.setting[kept].astype(np.int64)
    child_heads = np.where(pool >= 0, n + pool, n + npool + sett)
    sink = n + npool + m
    tails = np.concatenate(
        [
            child,
            n + np.arange(npool, dtype=np.int64),
            n + npool + np.arange(m, dtype=np.int64),
        ]
    )
    heads = np.concatenate(
        [child_heads, n + npool + p.pool_setting.astype(np.int64), np.full(m, sink, np.int64)]
    )
    caps = np.concatenate([np.ones(kept.shape[0], np.int64), p.pool_free, p.s_free])
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
        disproportionate=t.disp,
    )


def _new_solver(fm: FlowModel) -> min_cost_flow.SimpleMinCostFlow:
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


def _violations(p: Problem, assign: I64) -> list[tuple[int, int]]:
    """(child, pair) for each child with a preference ranked above its placement that has no
    lawful ground to be refused (it is suitable, has room, and is not disproportionate in cost
    against the setting named); the highest-ranked such preference per child."""
    pr = p.pairs
    pool_taken, set_taken = pair_taken(p, assign)
    q = np.flatnonzero(pr.pref_rank > 0)
    i = pr.child[q].astype(np.int64)
    k = assign[i]
    got = np.where(k >= 0, pr.pref_rank[np.maximum(k, 0)], 0)
    above = (got == 0) | (pr.pref_rank[q] < got)
    s, pool = pr.setting[q], pr.pool[q]
    # one sentinel pool at the end so that pool -1 indexes safely (and always has room)
    taken = np.append(pool_taken, 0)
    free = np.append(p.pool_free, 1)
    room = (set_taken[s] < p.s_free[s]) & (taken[pool] < free[pool])
    too_dear = (k >= 0) & _disproportionate_against(
        p, pr.cost_gbp[q], pr.cost_gbp[np.maximum(k, 0)]
    )
    bad = q[above & room & ~too_dear]
    if bad.shape[0] == 0:
        return []
    order = bad[np.lexsort((pr.pref_rank[bad], pr.child[bad]))]
    first = np.ones(order.shape[0], np.bool_)
    first[1:] = pr.child[order][1:] != pr.child[order][:-1]
    return [(int(pr.child[x]), int(x)) for x in order[first]]


def _disproportionate_against(p: Problem, cost: I64, alt: I64) -> np.ndarray:
    """s.39(4)(b): ``cost`` exceeds ``alt`` by more than the policy threshold (vectorised
    :func:`placement.rules.cost.disproportionate`)."""
    f = p.policy.funding
    thr = np.maximum(f.min_extra_cost_gbp, np.rint(alt * f.max_extra_cost_ratio)).astype(np.int64)
    return np.asarray(cost - alt > thr, np.bool_)


@dataclass(slots=True, eq=False)
class FlowState:
    """A solved optimised run kept in memory: the model, the solver (reused for re-solves)
    and the child-arc capacities after the repair loop. Used by what-if questions."""

    problem: Problem
    fm: FlowModel
    smcf: min_cost_flow.SimpleMinCostFlow
    caps: I64
    assign: I64
    rounds: int
    forced: dict[int, int]

    def solve(
        self, caps: I64, fixed: dict[int, int] | None = None
    ) -> tuple[I64, int, dict[int, int]]:
        """Solve with these child-arc capacities, then repair until every unmet preference
        has a lawful ground. ``fixed`` maps children to pairs they must take (a what-if):
        their places are taken out of the network first. Returns (assign, repair rounds,
        forced child -> pair)."""
        p, fm = self.problem, self.fm
        pr = p.pairs
        fixed = fixed or {}
        nc = fm.num_child_arcs
        caps = caps.copy()
        other = fm.caps[nc:].copy()
        starts = np.searchsorted(fm.tails[:nc], np.arange(p.num_children + 1))
        for i, k in fixed.items():
            caps[starts[i] : starts[i + 1]] = 0
            pool, s = int(pr.pool[k]), int(pr.setting[k])
            if pool >= 0:
                other[pool] -= 1
            other[p.num_pools + s] -= 1
        if (other < 0).any():
            raise SolverError("a fixed placement needs a place where none is free")
        all_arcs = np.arange(fm.tails.shape[0], dtype=np.int64)
        arcs = all_arcs[:nc]

        def run() -> I64:
            self.smcf.set_arc_capacities(all_arcs, np.concatenate([caps, other]))
            a = solve_flow(self.smcf, fm, p.num_children)
            for i, k in fixed.items():
                a[i] = k
            return a

        assign = run()
        rounds = 0
        forced: dict[int, int] = {}
        arc_of_pair = np.full(len(pr), -1, np.int64)
        arc_of_pair[fm.pair_of_arc] = arcs
        while rounds < MAX_REPAIR_ROUNDS:
            viol = [(i, q) for i, q in _violations(p, assign) if i not in fixed]
            if not viol:
                break
            rounds += 1
            pool_taken, set_taken = pair_taken(p, assign)
            for i, q in viol:
                s, pool = int(pr.setting[q]), int(pr.pool[q])
                if set_taken[s] >= p.s_free[s] or (
                    pool >= 0 and pool_taken[pool] >= p.pool_free[pool]
                ):
                    continue  # taken by an earlier forced child this round
                set_taken[s] += 1
                if pool >= 0:
                    pool_taken[pool] += 1
                forced[i] = q
                caps[starts[i] : starts[i + 1]] = 0
                caps[arc_of_pair[q]] = 1
            assign = run()
        return assign, rounds, forced

    def arc_of(self, pair: int) -> int:
        k = int(np.searchsorted(self.fm.pair_of_arc, pair))
        if k < self.fm.num_child_arcs and int(self.fm.pair_of_arc[k]) == pair:
            return k
        return -1


def run_optimised(p: Problem) -> FlowState:
    """Solve the area and keep the solver for later what-if questions.

    Starts with as many guard bits as int64 allows and drops one at a time while OR-Tools
    reports that its cost scaling could overflow (it bounds potentials along augmenting
    paths, which depends on the graph, not only on the largest cost)."""
    guard: int | None = None
    tiers = _tiers(p)
    while True:
        fm = build_flow(p, guard, tiers)
        smcf = _new_solver(fm)
        state = FlowState(
            p, fm, smcf, fm.caps[: fm.num_child_arcs].copy(), np.zeros(0, np.int64), 0, {}
        )
        try:
            assign, rounds, forced = state.solve(state.caps)
            break
        except CostRangeError:
            guard = fm.guard_bits - 1  # build_flow raises SolverError below the policy minimum

    state.assign, state.rounds, state.forced = assign, rounds, forced
    # keep the repaired capacities so that what-ifs start from the same legal constraints
    caps = state.caps.copy()
    starts = np.searchsorted(fm.tails[: fm.num_child_arcs], np.arange(p.num_children + 1))
    for i, q in forced.items():
        caps[starts[i] : starts[i + 1]] = 0
        caps[state.arc_of(q)] = 1
    state.caps = caps
    return state


def solve_optimised(p: Problem, *, seed: int = 0) -> Allocation:
    """Allocate the area with the optimised mechanism (see the module docstring)."""
    return finish_optimised(run_optimised(p), seed=seed)


def finish_optimised(state: FlowState, *, seed: int = 0, details: bool = True) -> Allocation:
    """The Allocation of a solved run (``details``: see :func:`placement.result.finalise`)."""
    p, fm, assign = state.problem, state.fm, state.assign
    keys = priority_keys(p, seed)
    envy = count_justified_envy(p, assign, keys)
    params = {
        "max_arcs_per_child": p.policy.objective.max_arcs_per_child,
        "guard_bits": fm.guard_bits,
        "arcs": int(fm.tails.shape[0]),
        "suitable_pairs": len(p.pairs),
        "kept_pairs": fm.num_child_arcs,
        "repair_rounds": state.rounds,
        "forced_preferences": len(state.forced),
    }
    return finalise(
        p,
        "optimised",
        assign,
        parameters=params,
        seed=seed,
        justified_envy=envy,
        details=details,
    )
