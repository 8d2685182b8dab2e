"""The ``optimised`` mechanism: lexicographic min-cost flow (OR-Tools ``SimpleMinCostFlow``).

Network: child -> need pool (or the setting itself when the child's need has no pool) ->
setting -> sink. A child arc has capacity 1; a pool arc the pool's free places; a setting arc
the setting's free places (after the places of children who stay). Only moving children have
arcs (:mod:`placement.cohort`). ``solve_max_flow_with_min_cost`` first places as many children
as possible (exactly), then minimises the arc cost, which packs the remaining tiers in
lexicographic order:

1. the families' s.38 requests, weighted by rank: a child placed at its request ranked ``r``
   scores ``3**(R - r)`` (``R`` the deepest rank counted), so that taking a place from a child
   who asked for the setting at a lower rank, to name a request of a higher rank, always pays
   (the exchange test of :mod:`placement.lawful`). A request counts while it is not out of
   proportion in cost against the child's alternative: at first the cheapest suitable
   setting, then, round by round, the setting the allocation actually names;
2. a mainstream setting where the family has not asked for a specialist one (s.33);
3. the family's other preferences by rank (where not disproportionate in cost);
4. the least annual public cost, then the least journey time (per child: pounds, then minutes).

Each tier's unit outweighs ``2**g`` children's worth of all lower tiers; ``g`` is as large as
int64 allows for the area and is recorded in the manifest.

The tiers are the means; the law is checked on the result (:class:`placement.lawful.Standing`)
and repaired until it holds: any preference refused without a ground that holds in the
allocation (it has room and is not dear against the alternative, or an exchange names it
within the threshold) is forced, with the exchange's moves, and the flow re-solved. Arcs are
pruned to each child's best ``max_arcs_per_child`` plus every preference; the pruning is then
proved safe for the area: a maximum flow over every suitable pair must place no more children,
no child's family may be refused over a free mainstream place outside its kept arcs, and every
pair a repair needs must be an arc; otherwise the missing arcs are added and the area re-solved
(at most ``MISSING_ROUNDS`` times for repairs: a repair still needing a pair the model lacks is
then made on the allocation itself, an exchange applied as :mod:`placement.lawful` finds it,
until every refused preference has a ground; counted as ``repairs_outside_model``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from placement.lawful import Exchange, Standing, per_child_min
from placement.problem import Problem
from placement.result import Allocation, finalise, preference_pairs
from placement.rules.common import I64, B
from placement.solve.priority import count_justified_envy, priority_keys
from placement.solve.repair import name_by_exchange

__all__ = [
    "CostRangeError",
    "FlowModel",
    "FlowState",
    "SolverError",
    "build_flow",
    "finish_optimised",
    "flow_over_pairs",
    "max_flow_pairs",
    "max_placeable",
    "run_optimised",
    "solve_flow",
    "solve_optimised",
]

_COST_BITS = 20  # pounds per arc are clipped at 2**20 - 1 (about £1.05m a year)
_MINUTE_BITS = 8  # minutes per arc are clipped at 255 (limits are at most 240)
_INT_BITS = 62  # leave the sign bit and one more for OR-Tools' internal scaling
_CLAIM_DEPTH = 6  # request ranks beyond this weigh as this one (3**5 = 243: 8 bits)
MAX_REPAIR_ROUNDS = 50
MAX_REPAIR_PASSES = 20  # repairs applied to the allocation between two re-solves
MAX_REBUILDS = 8
MISSING_ROUNDS = 3  # models rebuilt for pairs repairs needed before one with every pair


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
    return per_child_min(p, p.pairs.cost_gbp, 0)


def initial_weighed(p: Problem) -> B:
    """Per pair: a family preference whose cost is not out of proportion against the child's
    cheapest suitable setting (the first estimate of its alternative; it grows round by round
    to the alternative the allocation names)."""
    pr = p.pairs
    alt = _cheapest(p)[pr.child]
    return np.asarray(
        (pr.pref_rank > 0) & ~(pr.cost_gbp - alt > p.policy.funding.extra_cost_threshold_gbp(alt)),
        np.bool_,
    )


@dataclass(frozen=True, slots=True, eq=False)
class _Tiers:
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


def _tiers(
    p: Problem,
    weighed: B,
    extra: I64 | None = None,
    all_arcs: bool = False,
    prev: _Tiers | None = None,
) -> _Tiers:
    """The tiers for the pairs, with ``weighed`` the preferences that count; the arcs kept are
    each child's best ``max_arcs_per_child``, every preference, and ``extra`` (all of them
    when ``all_arcs``). ``prev``: the last tiers; when built from the same ``weighed``
    (the same array), only the extra arcs change."""
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
    cap_n = p.policy.objective.max_arcs_per_child
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
    return _Tiers(req_pen, main_pen, rank_pen, base, bq, bb, br, kept, weighed, kept_base)


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


def build_flow(p: Problem, guard_bits: int | None = None, tiers: _Tiers | None = None) -> FlowModel:
    """The arcs, capacities and tier costs for the problem (see the module docstring).
    ``guard_bits`` caps the guard bits (the solver's own overflow checks may need fewer);
    ``tiers``: this problem's :func:`_tiers`, when already computed."""
    t = tiers or _tiers(p, initial_weighed(p))
    pr = p.pairs
    n, m, npool = p.num_children, p.num_settings, p.num_pools
    nodes = n + npool + m + 1
    spare = _INT_BITS - nodes.bit_length() - t.bb - t.br - 1 - t.bq
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
    sink = n + npool + m
    # a child's own home seat is outside the shared places: straight to the sink
    child_heads = np.where(pr.home[kept], sink, np.where(pool >= 0, n + pool, n + npool + sett))
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
        disproportionate=~t.weighed,
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
    pool = pr.pool.astype(np.int64)
    heads = np.where(
        pr.home, sink, np.where(pool >= 0, n + pool, n + npool + pr.setting.astype(np.int64))
    )
    has = np.flatnonzero(pr.start[1:] > pr.start[:-1]).astype(np.int64)
    tails = np.concatenate(
        [
            np.full(has.shape[0], src, np.int64),
            pr.child.astype(np.int64),
            n + np.arange(npool, dtype=np.int64),
            n + npool + np.arange(m, dtype=np.int64),
        ]
    )
    hd = np.concatenate(
        [has, heads, n + npool + p.pool_setting.astype(np.int64), np.full(m, sink, np.int64)]
    )
    caps = np.concatenate(
        [np.ones(has.shape[0] + len(pr), np.int64), p.pool_free, p.s_free]
    ).astype(np.int64)
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
    pool = pr.pool.astype(np.int64)
    sink = n + npool + m
    heads = np.where(
        pr.home, sink, np.where(pool >= 0, n + pool, n + npool + pr.setting.astype(np.int64))
    )
    tails = np.concatenate(
        [
            pr.child.astype(np.int64),
            n + np.arange(npool, dtype=np.int64),
            n + npool + np.arange(m, dtype=np.int64),
        ]
    )
    hd = np.concatenate(
        [heads, n + npool + p.pool_setting.astype(np.int64), np.full(m, sink, np.int64)]
    )
    caps = np.concatenate([np.ones(len(pr), np.int64), p.pool_free, p.s_free]).astype(np.int64)
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
    missing: set[int] = field(default_factory=set)  # pairs a repair needed that had no arc
    exchanges: int = 0  # preferences named by forcing an exchange's moves
    rebuilds: int = 0  # fresh models after the first (weighed requests, arcs added)
    tiers: _Tiers | None = None  # the tiers the model was built from (to rebuild it)
    clean: bool = True  # the last repair loop ended with no preference refused without a ground
    skipped: bool = False  # the last solve skipped a repair needing a pair with no arc
    outside: int = 0  # repairs made on the allocation, outside the model (see run_optimised)

    def with_fewer_guard_bits(self) -> FlowState:
        """The same model with one guard bit fewer (the same arcs, in the same order, so the
        capacities carry over): for a re-solve whose graph OR-Tools finds too costly to scale.
        Raises :class:`SolverError` below the policy's minimum."""
        assert self.tiers is not None
        fm = build_flow(self.problem, self.fm.guard_bits - 1, self.tiers)
        out = FlowState(
            self.problem, fm, _new_solver(fm), self.caps.copy(), self.assign.copy(),
            self.rounds, dict(self.forced), tiers=self.tiers,
        )  # fmt: skip
        out.rebuilds, out.exchanges = self.rebuilds, self.exchanges
        return out

    def solve(
        self,
        caps: I64,
        fixed: dict[int, int] | None = None,
        forced: dict[int, int] | None = None,
        repair: bool = True,
        stop_on_missing: bool = False,
        solved: I64 | None = None,
    ) -> tuple[I64, int, dict[int, int]]:
        """Solve with these child-arc capacities, then repair until every unmet preference
        has a ground that holds (:meth:`placement.lawful.Standing.violations`). ``fixed``
        maps children to pairs they must take (a what-if): their places are taken out of the
        network first. ``forced``: earlier repairs to keep. ``stop_on_missing``: stop
        repairing once a repair needs a pair that has no arc (:attr:`missing`; the caller
        rebuilds the model with it rather than re-solve one that cannot make the repair).
        ``solved``: this model's solution with exactly these capacities and nothing fixed or
        forced, when it is already known (saves solving it again).
        Returns (assign, repair rounds, forced child -> pair)."""
        p, fm = self.problem, self.fm
        pr = p.pairs
        fixed = fixed or {}
        nc = fm.num_child_arcs
        caps = caps.copy()
        other = fm.caps[nc:].copy()
        starts = np.searchsorted(fm.tails[:nc], np.arange(p.num_children + 1))
        for i, k in fixed.items():
            caps[starts[i] : starts[i + 1]] = 0
            if pr.home[k]:
                continue  # its own seat: none of the shared places
            pool, s = int(pr.pool[k]), int(pr.setting[k])
            if pool >= 0:
                other[pool] -= 1
            other[p.num_pools + s] -= 1
        if (other < 0).any():
            raise SolverError("a fixed placement needs a place where none is free")
        all_arcs = np.arange(fm.tails.shape[0], dtype=np.int64)
        arcs = all_arcs[:nc]
        arc_of_pair = np.full(len(pr), -1, np.int64)
        arc_of_pair[fm.pair_of_arc] = arcs
        forced = dict(forced or {})
        for i, q in forced.items():
            if arc_of_pair[q] >= 0 and i not in fixed:
                caps[starts[i] : starts[i + 1]] = 0
                caps[arc_of_pair[q]] = 1

        def run() -> I64:
            self.smcf.set_arc_capacities(all_arcs, np.concatenate([caps, other]))
            a = solve_flow(self.smcf, fm, p.num_children)
            for i, k in fixed.items():
                a[i] = k
            return a

        self.skipped = False
        reuse = solved is not None and not fixed and not forced
        assign = solved.copy() if solved is not None and reuse else run()
        rounds = 0
        pref_pairs = preference_pairs(p)
        while repair and rounds < MAX_REPAIR_ROUNDS:
            # repairs applied to the allocation itself, pass by pass, until no preference is
            # refused without a ground (each pass re-checks the allocation the last one left:
            # a repair can open or close another); then one re-solve with every repair forced,
            # which the next round checks again
            work = assign.copy()
            acted = False
            pending: list[tuple[int, int]] = []
            ctx = _Repairs(work, fixed, forced, caps, starts, arc_of_pair)
            for _ in range(MAX_REPAIR_PASSES):
                got = self._repair_pass(ctx, pref_pairs, pending)
                if got is None:
                    break
                pending = got
                acted = True
            if not acted or (stop_on_missing and self.missing):
                break
            rounds += 1
            assign = run()
        # clean: the last check found nothing left to repair (not cut short by the rounds'
        # limit, nor by a repair needing a pair with no arc)
        self.clean = not repair or (rounds < MAX_REPAIR_ROUNDS and not self.skipped)
        return assign, rounds, forced

    def _repair_pass(
        self, ctx: _Repairs, pref_pairs: I64, pending: list[tuple[int, int]]
    ) -> list[tuple[int, int]] | None:
        """One pass of repairs on the allocation ``work`` (changed in place): every
        preference refused without a ground is named, its exchange's moves applied, at most
        one repair per child and setting a pass (they are found on the same allocation).
        Each move is also forced in the model (``forced``, ``caps``). ``pending``: the
        violations the last pass found and left (they clashed with another repair), checked
        again first; only when none of them still stands is every preference checked (a
        repair can open or close another anywhere). Returns the violations this pass left,
        or None when nothing was repaired (no violation, or none that can be applied)."""
        # its own copy: the pass changes ``ctx.work`` as it applies repairs
        st = Standing(self.problem, ctx.work.copy())
        viol: list[tuple[int, int, Exchange | None]] = []
        for i, q in pending:
            bad, ex = st.check(i, q)
            if bad:
                viol.append((i, q, ex))
        left = self._apply(st, viol, ctx)
        if left is None:
            viol = [v for v in st.violations(pref_pairs) if v[0] not in ctx.fixed]
            left = self._apply(st, viol, ctx)
        return left

    def _apply(
        self, st: Standing, viol: list[tuple[int, int, Exchange | None]], ctx: _Repairs
    ) -> list[tuple[int, int]] | None:
        """Apply the repairs of ``viol`` (found on ``st``, the allocation ``ctx.work``) that
        do not clash: the violations left, or None when none was applied."""
        work, fixed, forced, caps = ctx.work, ctx.fixed, ctx.forced, ctx.caps
        starts, arc_of_pair = ctx.starts, ctx.arc_of_pair
        p = self.problem
        pr = p.pairs
        pool_taken, set_taken = st.pool_taken.copy(), st.set_taken.copy()
        touched_children: set[int] = set()
        touched_settings: set[int] = set()
        acted = False
        left: list[tuple[int, int]] = []
        usable: B | None = None
        for i, q, ex in viol:
            if i in fixed:
                continue
            moves = [(i, q)] if ex is None else [(m.child_idx, m.to_pair) for m in ex.moves]
            if ex is not None and any(arc_of_pair[t] < 0 for _, t in moves):
                # an exchange this model can make, if there is one (else the model is
                # rebuilt with the arcs the law's cheapest exchange needs)
                if usable is None:
                    usable = arc_of_pair >= 0
                ex2 = st.exchange(i, q, usable)
                if ex2 is not None:
                    moves = [(m.child_idx, m.to_pair) for m in ex2.moves]
            kids = {c for c, _ in moves}
            setts = {int(pr.setting[t]) for _, t in moves}
            if kids & (touched_children | set(fixed)) or setts & touched_settings:
                left.append((i, q))
                continue  # one repair per child and setting a pass
            if any(arc_of_pair[t] < 0 for _, t in moves):
                self.missing.update(t for _, t in moves if arc_of_pair[t] < 0)
                self.skipped = True
                continue
            if ex is None and not pr.home[q]:
                s, pool = int(pr.setting[q]), int(pr.pool[q])
                if set_taken[s] >= p.s_free[s] or (
                    pool >= 0 and pool_taken[pool] >= p.pool_free[pool]
                ):
                    left.append((i, q))
                    continue  # taken by an earlier forced child this pass
                set_taken[s] += 1
                if pool >= 0:
                    pool_taken[pool] += 1
            elif ex is not None:
                self.exchanges += 1
            touched_children |= kids
            touched_settings |= setts
            for c, t in moves:
                forced[c] = t
                work[c] = t
                caps[starts[c] : starts[c + 1]] = 0
                caps[arc_of_pair[t]] = 1
            acted = True
        return left if acted else None

    def arc_of(self, pair: int) -> int:
        k = int(np.searchsorted(self.fm.pair_of_arc, pair))
        if k < self.fm.num_child_arcs and int(self.fm.pair_of_arc[k]) == pair:
            return k
        return -1


@dataclass(slots=True)
class _Repairs:
    """What a round of repairs changes in place: the allocation, the repairs forced so far
    and the child arcs' capacities that force them (with what is needed to find the arcs)."""

    work: I64
    fixed: dict[int, int]
    forced: dict[int, int]
    caps: I64
    starts: I64
    arc_of_pair: I64


def _solve_model(
    p: Problem,
    tiers: _Tiers,
    forced: dict[int, int],
    repair: bool = True,
    guard: int | None = None,
    stop_on_missing: bool = False,
) -> FlowState:
    """Build and solve one flow model (with its repair loop when ``repair``). Starts with
    ``guard`` guard bits, or as many as int64 allows, and drops one at a time while OR-Tools
    reports that its cost scaling could overflow (it bounds potentials along augmenting
    paths, which depends on the graph, not only on the largest cost)."""
    while True:
        fm = build_flow(p, guard, tiers)
        smcf = _new_solver(fm)
        state = FlowState(
            p, fm, smcf, fm.caps[: fm.num_child_arcs].copy(), np.zeros(0, np.int64), 0, {},
            tiers=tiers,
        )  # fmt: skip
        try:
            state.assign, state.rounds, state.forced = state.solve(
                state.caps, forced=forced, repair=repair, stop_on_missing=stop_on_missing
            )
            return state
        except CostRangeError:
            guard = fm.guard_bits - 1  # build_flow raises SolverError below the policy minimum


def _grow(p: Problem, st: Standing, weighed: B, pref_pairs: I64) -> list[int]:
    """Refused preferences that do not count yet but are not out of proportion against the
    alternative the allocation names (or one with a free place)."""
    sel = st.unmet_preferences()
    ks = pref_pairs[sel]
    ok = ks >= 0
    sel, ks = sel[ok], ks[ok]
    sel, ks = sel[~weighed[ks]], ks[~weighed[ks]]
    if sel.shape[0] == 0:
        return []
    dear = st.dear(p.pref_child[sel].astype(np.int64), ks)
    return [int(k) for k in ks[~dear].tolist()]


ROOM_ARCS = 3  # per placed child, its cheapest pairs into places left free (exchange ends)


def _room_pairs(p: Problem, st: Standing) -> I64:
    """Each placed child's ``ROOM_ARCS`` cheapest pairs (other than its own setting) into a
    place free in ``st``."""
    pr = p.pairs
    cand = np.flatnonzero(st.allowed & st.room & (st.assign[pr.child] >= 0))
    if cand.shape[0] == 0:
        return np.zeros(0, np.int64)
    order = cand[np.lexsort((pr.cost_gbp[cand], pr.child[cand]))]
    child = pr.child[order].astype(np.int64)
    first = np.flatnonzero(np.r_[True, child[1:] != child[:-1]])
    pos = np.arange(order.shape[0]) - np.repeat(first, np.diff(np.r_[first, order.shape[0]]))
    return order[pos < ROOM_ARCS].astype(np.int64)


GROWTH_ROUNDS = 3  # fresh models while the requests that count grow; the repair loop does the rest


def run_optimised(p: Problem) -> FlowState:
    """Solve the area and keep the solver for later what-if questions.

    1. The tiers' own answer, in fresh models while the requests that count grow to those
       proportionate against the setting actually named (a few rounds; the growth shrinks
       geometrically).
    2. The repair loop on the last model: every preference refused without a ground that
       holds is named (its exchange forced) and the flow re-solved.
    3. The pruning proved safe for the area: pairs a repair needed become arcs; a child left
       outside mainstream while a free suitable mainstream place it has no arc to exists gets
       those arcs; if a maximum flow over every suitable pair places more children than the
       pruned model, every pair becomes an arc. Then back to 2 on a fresh model (the last
       of ``MAX_REBUILDS`` has every pair).
    4. After ``MISSING_ROUNDS`` models rebuilt for the pairs repairs needed (at scale each
       new model's repairs need a few new ones: a holder moving into the place the
       requester leaves), what the model cannot repair is repaired on the allocation.
    """
    weighed = initial_weighed(p)
    # every model keeps the pairs of one maximum flow over every suitable pair, so that no
    # pruning can cost a placement (checked again below, after the repairs)
    most, extra = max_flow_pairs(p)
    all_arcs = False
    pref_pairs = preference_pairs(p)
    guard: int | None = None
    state: FlowState | None = None
    rebuilds = 0
    tiers: _Tiers | None = None
    for r in range(GROWTH_ROUNDS):
        tiers = _tiers(p, weighed, extra, all_arcs, tiers)
        state = _solve_model(p, tiers, {}, False, guard)
        guard = state.fm.guard_bits
        if r == GROWTH_ROUNDS - 1:
            break  # the last round's model is repaired in place: the repair loop names any
            # request still refused without a ground (with room, or by its exchange)
        st = Standing(p, state.assign)
        grow = _grow(p, st, weighed, pref_pairs)
        if not grow:
            break
        weighed = weighed.copy()
        weighed[np.array(grow, np.int64)] = True
        # the next model also keeps each child's cheapest pair into a place left free here:
        # where an exchange that a repair may need ends
        extra = np.union1d(extra, _room_pairs(p, st))
        state = None
        rebuilds += 1
    exchanges = 0
    forced: dict[int, int] = {}
    missing_rounds = 0
    while True:
        # a repair that needs a pair with no arc ends the repairs on this model while another
        # model, with that arc, may follow (MISSING_ROUNDS); after that the repairs go on
        # without it, and what is left is repaired on the allocation (below)
        stop = not all_arcs and missing_rounds < MISSING_ROUNDS
        if state is None:
            tiers = _tiers(p, weighed, extra, all_arcs, tiers)
            state = _solve_model(p, tiers, forced, True, guard, stop)
            guard = state.fm.guard_bits
        else:  # the last growth round's model: repair it in place
            try:
                state.assign, state.rounds, state.forced = state.solve(
                    state.caps, forced=forced, repair=True, stop_on_missing=stop,
                    solved=state.assign,
                )  # fmt: skip
            except CostRangeError:
                # a repair's forced arcs can make OR-Tools' cost scaling overflow where the
                # growth round's did not: a fresh model with fewer guard bits, repaired anew
                assert state.tiers is not None
                state = _solve_model(p, state.tiers, forced, True, state.fm.guard_bits - 1, stop)
                guard = state.fm.guard_bits
        exchanges += state.exchanges
        forced = state.forced
        again = False
        st = Standing(p, state.assign)
        if state.missing and missing_rounds < MISSING_ROUNDS:
            extra = np.union1d(extra, np.array(sorted(state.missing), np.int64))
            missing_rounds += 1
            again = True
        if state.fm.num_child_arcs < len(p.pairs):
            breach = st.s33_breaches()
            if breach.any():
                pr = p.pairs
                free_main = p.s_mainstream[pr.setting] & ~pr.beyond_limit & st.room
                add = np.flatnonzero(free_main & breach[pr.child])
                extra = np.union1d(extra, add.astype(np.int64))
                again = True
            placed = int((state.assign >= 0).sum())
            if placed < most:
                all_arcs = True
                again = True
        if not again:
            break
        if rebuilds + 1 >= MAX_REBUILDS:
            # the last model: every suitable pair an arc, so that no repair the law asks for
            # can need a pair the model lacks (and no pruning is left to prove)
            all_arcs = True
        state = None
        rebuilds += 1
    assert state is not None
    outside = 0
    if not state.clean:
        # repairs the model could not make (after MISSING_ROUNDS models rebuilt for the
        # pairs they needed, or the rounds ran out): made on the allocation itself, each an
        # exchange the law asks for, until every refused preference has a ground
        state.assign, outside = name_by_exchange(p, state.assign)
    state.exchanges = exchanges
    state.outside = outside
    # keep the repaired capacities so that what-ifs start from the same legal constraints
    caps = state.caps.copy()
    fm = state.fm
    starts = np.searchsorted(fm.tails[: fm.num_child_arcs], np.arange(p.num_children + 1))
    for i, q in state.forced.items():
        a = state.arc_of(q)
        if a >= 0:
            caps[starts[i] : starts[i + 1]] = 0
            caps[a] = 1
    state.caps = caps
    state.rebuilds = rebuilds
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
        "exchanges_forced": state.exchanges,
        "repairs_outside_model": state.outside,
        "rebuilds": state.rebuilds,
        "scope": p.scope,
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
