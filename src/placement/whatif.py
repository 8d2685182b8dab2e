"""What if this child were placed at that setting? Exact, for the optimised mechanism.

The child's place is taken out of the network (its arcs closed, one place removed from the
setting and its pool) and the rest of the area is re-solved with the same solver, tiers and
repair loop as the area run (a warm re-solve of the kept OR-Tools model; a repair the model
cannot make, for want of an arc, is made on the allocation as the run makes it, the child
kept where the what-if puts it). The answer is the
change in each tier of the objective and every child who would move or lose their place.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.problem import Problem
from placement.reasons import Reason, ReasonCode
from placement.rules import why_unsuitable
from placement.rules.common import I64, estimated
from placement.solve.optimised import CostRangeError, FlowState
from placement.solve.repair import name_by_exchange

__all__ = ["Move", "Tiers", "WhatIf", "resolve_with", "tiers", "what_if"]


@dataclass(frozen=True, slots=True)
class Tiers:
    """The objective's tiers for an assignment, in lexicographic order."""

    placed: int
    requests_named: int
    mainstream_presumption_kept: int  # children not asking for specialist placed in mainstream
    preferences_met: int
    cost_gbp: int
    travel_min: int


@dataclass(frozen=True, slots=True)
class Move:
    child_id: str
    from_setting: str | None
    to_setting: str | None


@dataclass(frozen=True, slots=True)
class WhatIf:
    child_id: str
    setting_id: str
    possible: bool
    reasons: tuple[Reason, ...]  # why it is not possible (unsuitable, or no place at all)
    before: Tiers | None
    after: Tiers | None
    moves: tuple[Move, ...]  # other children whose setting changes (None: unplaced)

    @property
    def change(self) -> dict[str, int]:
        if self.before is None or self.after is None:
            return {}
        return {
            f: getattr(self.after, f) - getattr(self.before, f)
            for f in self.before.__dataclass_fields__
        }


def tiers(p: Problem, assign: I64) -> Tiers:
    pr = p.pairs
    chosen = assign[assign >= 0]
    n = p.num_children
    req = np.full(n, -1, np.int64)
    order = np.lexsort((p.pref_rank, p.pref_child))
    for k in order[::-1].tolist():
        if p.pref_route_s38[k]:
            req[int(p.pref_child[k])] = int(p.pref_setting[k])
    placed_idx = np.flatnonzero(assign >= 0)
    asked_specialist = np.zeros(n, np.bool_)
    asked_specialist[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
    sett = pr.setting[chosen]
    return Tiers(
        placed=int(chosen.shape[0]),
        requests_named=int((sett == req[placed_idx]).sum()),
        mainstream_presumption_kept=int(
            (p.s_mainstream[sett] & ~asked_specialist[placed_idx]).sum()
        ),
        preferences_met=int((pr.pref_rank[chosen] > 0).sum()),
        cost_gbp=int(pr.cost_gbp[chosen].sum()),
        travel_min=int(pr.travel_min[chosen].sum()),
    )


def what_if(state: FlowState, child_id: str, setting_id: str) -> WhatIf:
    """Place ``child_id`` at ``setting_id`` and re-solve the rest of the area exactly."""
    p = state.problem
    i = p.child_index[child_id]
    s = p.setting_index[setting_id]
    if not p.c_moving[i]:
        stay = Reason(
            ReasonCode.STAYING,
            child_id,
            setting_id,
            {"current_setting_id": p.children[i].current_setting_id},
        )
        return WhatIf(child_id, setting_id, False, (stay,), None, None, ())
    k = p.pair_index(i, s)
    if k < 0:
        return WhatIf(child_id, setting_id, False, tuple(why_unsuitable(p, i, s)), None, None, ())
    before = tiers(p, state.assign)
    if int(state.assign[i]) == k:
        return WhatIf(child_id, setting_id, True, (), before, before, ())
    pool = int(p.pairs.pool[k])
    if not p.pairs.home[k] and (p.s_free[s] == 0 or (pool >= 0 and p.pool_free[pool] == 0)):
        facts: dict[str, object] = {"places_free": 0, "taken_in_run": 0}
        code = ReasonCode.SETTING_FULL if p.s_free[s] == 0 else ReasonCode.POOL_FULL
        if code is ReasonCode.POOL_FULL:
            facts["need"] = p.children[i].primary_need.value
        full = ("capacity",) if code is ReasonCode.SETTING_FULL else ("pools",)
        facts.update(estimated(p.settings[s], full))  # a real school's places are estimated
        return WhatIf(
            child_id,
            setting_id,
            False,
            (Reason(code, child_id, setting_id, facts),),
            before,
            None,
            (),
        )
    assign = resolve_with(state, i, k)
    pr = p.pairs

    def where(a: I64, c: int) -> str | None:
        return p.settings[int(pr.setting[a[c]])].setting_id if a[c] >= 0 else None

    changed = np.flatnonzero(
        np.where(assign >= 0, pr.setting[np.maximum(assign, 0)], -1)
        != np.where(state.assign >= 0, pr.setting[np.maximum(state.assign, 0)], -1)
    )
    moves = tuple(
        Move(p.children[c].child_id, where(state.assign, c), where(assign, c))
        for c in changed.tolist()
        if c != i
    )
    return WhatIf(child_id, setting_id, True, (), before, tiers(p, assign), moves)


def resolve_with(state: FlowState, i: int, k: int) -> I64:
    """The area re-solved with child ``i`` fixed at pair ``k``: the kept model, its tiers and
    the run's forced repairs, then the repair loop; a repair the model cannot make (a pair
    it has no arc for) is made on the allocation, as the run does, with ``i`` kept at ``k``."""
    p = state.problem
    solver = state
    while True:
        try:
            assign, _, _ = solver.solve(solver.caps, {i: k}, forced=solver.forced)
            break
        except CostRangeError:
            # the fixed child changes the graph: OR-Tools may need fewer guard bits for it
            # (raises SolverError below the policy's minimum, which callers report)
            solver = solver.with_fewer_guard_bits()
        finally:
            solver.smcf.set_arc_capacities(
                np.arange(solver.fm.tails.shape[0], dtype=np.int64),
                np.concatenate([solver.caps, solver.fm.caps[solver.fm.num_child_arcs :]]),
            )
    if not solver.clean:
        assign, _ = name_by_exchange(p, assign, frozenset({i}), params=state.params)
    return assign
