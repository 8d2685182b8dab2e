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
(at most ``missing_rounds`` times for repairs: a repair still needing a pair the model lacks is
then made on the allocation itself, an exchange applied as :mod:`placement.lawful` finds it,
until every refused preference has a ground; counted as ``repairs_outside_model``).

The network and the tiers are in :mod:`placement.solve.flow`, the model kept in memory and its
repair loop in :mod:`placement.solve.flow_state`; the solve's own settings (rounds, passes,
arcs kept) in :class:`placement.solve.params.SolveParams`, apart from the LA's policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from placement.lawful import Standing
from placement.problem import Problem
from placement.result import Allocation, finalise, preference_pairs
from placement.rules.common import I64, B
from placement.solve.flow import (
    CostRangeError,
    FlowModel,
    SolverError,
    Tiers,
    build_flow,
    flow_over_pairs,
    initial_weighed,
    max_flow_pairs,
    max_placeable,
    solve_flow,
    tiers_for,
)
from placement.solve.flow_state import FlowState, solve_model
from placement.solve.params import DEFAULT_PARAMS, SolveParams
from placement.solve.priority import count_justified_envy, priority_keys
from placement.solve.repair import name_by_exchange

__all__ = [
    "CostRangeError",
    "FlowModel",
    "FlowState",
    "SolveParams",
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


def _room_pairs(p: Problem, st: Standing, room_arcs: int) -> I64:
    """Each placed child's ``room_arcs`` cheapest pairs (other than its own setting) into a
    place free in ``st`` (:attr:`SolveParams.room_arcs`)."""
    pr = p.pairs
    cand = np.flatnonzero(st.allowed & st.room & (st.assign[pr.child] >= 0))
    if cand.shape[0] == 0:
        return np.zeros(0, np.int64)
    order = cand[np.lexsort((pr.cost_gbp[cand], pr.child[cand]))]
    child = pr.child[order].astype(np.int64)
    first = np.flatnonzero(np.r_[True, child[1:] != child[:-1]])
    pos = np.arange(order.shape[0]) - np.repeat(first, np.diff(np.r_[first, order.shape[0]]))
    return order[pos < room_arcs].astype(np.int64)


@dataclass(slots=True, eq=False)
class _Run:
    """What the phases of :func:`run_optimised` share and grow: the preferences that count
    (``weighed``), the arcs every model keeps beyond the pruning (``extra``; every pair when
    ``all_arcs``), the last tiers and guard bits, and the repairs forced so far."""

    p: Problem
    params: SolveParams
    most: int  # the most children any allocation places (a maximum flow over every pair)
    extra: I64
    weighed: B
    pref_pairs: I64
    all_arcs: bool = False
    guard: int | None = None
    tiers: Tiers | None = None
    rebuilds: int = 0
    exchanges: int = 0
    missing_rounds: int = 0
    forced: dict[int, int] = field(default_factory=dict)

    def fresh_model(self, repair: bool, stop_on_missing: bool = False) -> FlowState:
        """A new model from the tiers as they now stand, solved (and repaired)."""
        self.tiers = tiers_for(
            self.p, self.weighed, self.extra, self.all_arcs, self.tiers, self.params
        )
        forced = self.forced if repair else {}
        state = solve_model(
            self.p, self.tiers, forced, repair, self.guard, stop_on_missing, self.params
        )
        self.guard = state.fm.guard_bits
        return state


def run_optimised(p: Problem, params: SolveParams = DEFAULT_PARAMS) -> FlowState:
    """Solve the area and keep the solver for later what-if questions.

    1. The tiers' own answer, in fresh models while the requests that count grow to those
       proportionate against the setting actually named (a few rounds; the growth shrinks
       geometrically): :func:`_grow_requests`.
    2. The repair loop on the last model: every preference refused without a ground that
       holds is named (its exchange forced) and the flow re-solved: :func:`_repaired`.
    3. The pruning proved safe for the area: pairs a repair needed become arcs; a child left
       outside mainstream while a free suitable mainstream place it has no arc to exists gets
       those arcs; if a maximum flow over every suitable pair places more children than the
       pruned model, every pair becomes an arc (:func:`_arcs_lacking`). Then back to 2 on a
       fresh model (the last of ``max_rebuilds`` has every pair).
    4. After ``missing_rounds`` models rebuilt for the pairs repairs needed (at scale each
       new model's repairs need a few new ones: a holder moving into the place the
       requester leaves), what the model cannot repair is repaired on the allocation
       (:func:`_finish`).
    """
    # every model keeps the pairs of one maximum flow over every suitable pair, so that no
    # pruning can cost a placement (checked again below, after the repairs)
    most, extra = max_flow_pairs(p)
    run = _Run(p, params, most, extra, initial_weighed(p), preference_pairs(p))
    state = _grow_requests(run)
    while True:
        state = _repaired(run, state)
        if not _arcs_lacking(run, state):
            break
        if run.rebuilds + 1 >= params.max_rebuilds:
            # the last model: every suitable pair an arc, so that no repair the law asks for
            # can need a pair the model lacks (and no pruning is left to prove)
            run.all_arcs = True
        state = None
        run.rebuilds += 1
    return _finish(run, state)


def _grow_requests(run: _Run) -> FlowState | None:
    """Step 1: fresh models, without repairs, while more requests come to count. Returns the
    last growth round's model (repaired in place next), or None when the requests grew in
    it (the next model is a fresh one)."""
    p = run.p
    state: FlowState | None = None
    for r in range(run.params.growth_rounds):
        state = run.fresh_model(repair=False)
        if r == run.params.growth_rounds - 1:
            break  # the last round's model is repaired in place: the repair loop names any
            # request still refused without a ground (with room, or by its exchange)
        st = Standing(p, state.assign)
        grow = _grow(p, st, run.weighed, run.pref_pairs)
        if not grow:
            break
        run.weighed = run.weighed.copy()
        run.weighed[np.array(grow, np.int64)] = True
        # the next model also keeps each child's cheapest pair into a place left free here:
        # where an exchange that a repair may need ends
        run.extra = np.union1d(run.extra, _room_pairs(p, st, run.params.room_arcs))
        state = None
        run.rebuilds += 1
    return state


def _repaired(run: _Run, state: FlowState | None) -> FlowState:
    """Step 2: the repair loop, on a fresh model (``state`` None) or in place on the last
    growth round's. A repair that needs a pair with no arc ends the repairs on this model
    while another model, with that arc, may follow (``missing_rounds``); after that the
    repairs go on without it, and what is left is repaired on the allocation (step 4)."""
    stop = not run.all_arcs and run.missing_rounds < run.params.missing_rounds
    if state is None:
        state = run.fresh_model(repair=True, stop_on_missing=stop)
    else:
        try:
            state.assign, state.rounds, state.forced = state.solve(
                state.caps, forced=run.forced, repair=True, stop_on_missing=stop,
                solved=state.assign,
            )  # fmt: skip
        except CostRangeError:
            # a repair's forced arcs can make OR-Tools' cost scaling overflow where the
            # growth round's did not: a fresh model with fewer guard bits, repaired anew
            assert state.tiers is not None
            guard = state.fm.guard_bits - 1
            state = solve_model(run.p, state.tiers, run.forced, True, guard, stop, run.params)
            run.guard = state.fm.guard_bits
    run.exchanges += state.exchanges
    run.forced = state.forced
    return state


def _arcs_lacking(run: _Run, state: FlowState) -> bool:
    """Step 3: whether the pruned model lacked arcs the law or the count needs; they are
    added to ``run`` for the next model."""
    p = run.p
    again = False
    st = Standing(p, state.assign)
    if state.missing and run.missing_rounds < run.params.missing_rounds:
        run.extra = np.union1d(run.extra, np.array(sorted(state.missing), np.int64))
        run.missing_rounds += 1
        again = True
    if state.fm.num_child_arcs < len(p.pairs):
        breach = st.s33_breaches()
        if breach.any():
            pr = p.pairs
            free_main = p.s_mainstream[pr.setting] & ~pr.beyond_limit & st.room
            add = np.flatnonzero(free_main & breach[pr.child])
            run.extra = np.union1d(run.extra, add.astype(np.int64))
            again = True
        placed = int((state.assign >= 0).sum())
        if placed < run.most:
            run.all_arcs = True
            again = True
    return again


def _finish(run: _Run, state: FlowState) -> FlowState:
    """Step 4 and the run's record: repairs the model could not make (after
    ``missing_rounds`` models rebuilt for the pairs they needed, or the rounds ran out) are
    made on the allocation itself, each an exchange the law asks for, until every refused
    preference has a ground; the repaired capacities are kept, so that what-ifs start from
    the same legal constraints."""
    p = run.p
    outside = 0
    if not state.clean:
        state.assign, outside = name_by_exchange(p, state.assign, params=run.params)
    state.exchanges = run.exchanges
    state.outside = outside
    caps = state.caps.copy()
    fm = state.fm
    starts = np.searchsorted(fm.tails[: fm.num_child_arcs], np.arange(p.num_children + 1))
    for i, q in state.forced.items():
        a = state.arc_of(q)
        if a >= 0:
            caps[starts[i] : starts[i + 1]] = 0
            caps[a] = 1
    state.caps = caps
    state.rebuilds = run.rebuilds
    return state


def solve_optimised(
    p: Problem, *, seed: int = 0, params: SolveParams = DEFAULT_PARAMS
) -> Allocation:
    """Allocate the area with the optimised mechanism (see the module docstring)."""
    return finish_optimised(run_optimised(p, params), seed=seed)


def finish_optimised(state: FlowState, *, seed: int = 0, details: bool = True) -> Allocation:
    """The Allocation of a solved run (``details``: see :func:`placement.result.finalise`)."""
    p, fm, assign = state.problem, state.fm, state.assign
    keys = priority_keys(p, seed)
    envy = count_justified_envy(p, assign, keys)
    params = {
        "max_arcs_per_child": state.params.arcs_per_child(p.policy),
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
