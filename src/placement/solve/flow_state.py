"""A solved optimised run kept in memory (:class:`FlowState`): the flow model, the OR-Tools
solver (reused for re-solves, as the what-ifs do) and the repair loop that makes the flow's
answer lawful: every family preference refused without a ground that holds in the
allocation (:meth:`placement.lawful.Standing.violations`) is named, with its exchange's
moves, and the flow re-solved with those repairs forced. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from placement.lawful import Exchange, Standing
from placement.problem import Problem
from placement.result import preference_pairs
from placement.rules.common import I64, B
from placement.solve.flow import (
    CostRangeError,
    FlowModel,
    SolverError,
    Tiers,
    build_flow,
    new_solver,
    solve_flow,
)
from placement.solve.params import DEFAULT_PARAMS, SolveParams

__all__ = ["FlowState", "solve_model"]


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
    tiers: Tiers | None = None  # the tiers the model was built from (to rebuild it)
    clean: bool = True  # the last repair loop ended with no preference refused without a ground
    skipped: bool = False  # the last solve skipped a repair needing a pair with no arc
    outside: int = 0  # repairs made on the allocation, outside the model (see run_optimised)
    params: SolveParams = field(default_factory=SolveParams)  # the solve's own settings

    def with_fewer_guard_bits(self) -> FlowState:
        """The same model with one guard bit fewer (the same arcs, in the same order, so the
        capacities carry over): for a re-solve whose graph OR-Tools finds too costly to scale.
        Raises :class:`SolverError` below the policy's minimum."""
        assert self.tiers is not None
        fm = build_flow(self.problem, self.fm.guard_bits - 1, self.tiers, self.params)
        out = FlowState(
            self.problem, fm, new_solver(fm), self.caps.copy(), self.assign.copy(),
            self.rounds, dict(self.forced), tiers=self.tiers, params=self.params,
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
        fixed = fixed or {}
        forced = dict(forced or {})
        ctx, other = self._constrained(caps, fixed, forced)
        all_arcs = np.arange(fm.tails.shape[0], dtype=np.int64)

        def run() -> I64:
            self.smcf.set_arc_capacities(all_arcs, np.concatenate([ctx.caps, other]))
            a = solve_flow(self.smcf, fm, p.num_children)
            for i, k in fixed.items():
                a[i] = k
            return a

        self.skipped = False
        reuse = solved is not None and not fixed and not forced
        assign = solved.copy() if solved is not None and reuse else run()
        rounds = 0
        pref_pairs = preference_pairs(p)
        most = self.params.max_repair_rounds
        while repair and rounds < most:
            # repairs applied to the allocation itself, pass by pass (:meth:`_repair_round`);
            # then one re-solve with every repair forced, which the next round checks again
            if not self._repair_round(ctx, assign, pref_pairs) or (
                stop_on_missing and self.missing
            ):
                break
            rounds += 1
            assign = run()
        # clean: the last check found nothing left to repair (not cut short by the rounds'
        # limit, nor by a repair needing a pair with no arc)
        self.clean = not repair or (rounds < most and not self.skipped)
        return assign, rounds, forced

    def _constrained(
        self, caps: I64, fixed: dict[int, int], forced: dict[int, int]
    ) -> tuple[_Repairs, I64]:
        """The child arcs' capacities (a copy of ``caps``) with each ``fixed`` child's arcs
        closed and each ``forced`` repair's arc the child's only one, and the pool and
        setting arcs' capacities less the places the fixed children take."""
        p, fm = self.problem, self.fm
        pr = p.pairs
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
        arc_of_pair = np.full(len(pr), -1, np.int64)
        arc_of_pair[fm.pair_of_arc] = np.arange(nc, dtype=np.int64)
        for i, q in forced.items():
            if arc_of_pair[q] >= 0 and i not in fixed:
                caps[starts[i] : starts[i + 1]] = 0
                caps[arc_of_pair[q]] = 1
        empty = np.zeros(0, np.int64)
        return _Repairs(empty, fixed, forced, caps, starts, arc_of_pair), other

    def _repair_round(self, ctx: _Repairs, assign: I64, pref_pairs: I64) -> bool:
        """Repairs applied to a copy of ``assign``, pass by pass, until no preference is
        refused without a ground (each pass re-checks the allocation the last one left: a
        repair can open or close another). Whether any repair was made."""
        ctx.work = assign.copy()
        acted = False
        pending: list[tuple[int, int]] = []
        for _ in range(self.params.max_repair_passes):
            got = self._repair_pass(ctx, pref_pairs, pending)
            if got is None:
                break
            pending = got
            acted = True
        return acted

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


def solve_model(
    p: Problem,
    tiers: Tiers,
    forced: dict[int, int],
    repair: bool = True,
    guard: int | None = None,
    stop_on_missing: bool = False,
    params: SolveParams = DEFAULT_PARAMS,
) -> FlowState:
    """Build and solve one flow model (with its repair loop when ``repair``). Starts with
    ``guard`` guard bits, or as many as int64 allows, and drops one at a time while OR-Tools
    reports that its cost scaling could overflow (it bounds potentials along augmenting
    paths, which depends on the graph, not only on the largest cost)."""
    while True:
        fm = build_flow(p, guard, tiers, params)
        smcf = new_solver(fm)
        state = FlowState(
            p, fm, smcf, fm.caps[: fm.num_child_arcs].copy(), np.zeros(0, np.int64), 0, {},
            tiers=tiers, params=params,
        )  # fmt: skip
        try:
            state.assign, state.rounds, state.forced = state.solve(
                state.caps, forced=forced, repair=repair, stop_on_missing=stop_on_missing
            )
            return state
        except CostRangeError:
            guard = fm.guard_bits - 1  # build_flow raises SolverError below the policy minimum
