"""What a tailored list reads of an area run (:class:`AreaRun`), and the score, places left and
chance band of every suitable pair at once (:class:`ScoreTable`; see :mod:`placement.tailored`
for the score's components and the chance bands). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from placement.domain import NEED_INDEX, Need
from placement.lawful import Standing
from placement.problem import Problem
from placement.result import Allocation
from placement.rules.common import F64, I64, in_sorted
from placement.solve.priority import priority_keys

__all__ = [
    "AVAILABILITY",
    "CHANCES",
    "COMPONENTS",
    "AreaRun",
    "Chance",
    "ScoreTable",
    "area_run",
    "score_table",
    "standing_of",
]

Chance = Literal["likely", "possible", "unlikely", "placed", "unknown"]
COMPONENTS = (
    "need_fit",
    "journey",
    "cost",
    "preference",
    "mainstream",
    "continuity",
    "capacity_pressure",
)
_LOTTERY_BITS = 24  # priority keys end in the lottery draw (placement.solve.priority)


@dataclass(frozen=True, slots=True, eq=False)
class AreaRun:
    """The facts of an area allocation that lists read: who holds which place."""

    allocation: Allocation
    assign: I64
    standing: Standing
    pool_taken: I64
    setting_taken: I64
    keys: I64 | None  # priority keys (preference-first)
    holder_worst_pool: I64  # worst (largest) priority key among each pool's holders
    holder_worst_setting: I64
    free_cost_pool: I64  # optimised: cheapest extra cost of moving one holder out of the pool
    free_cost_setting: I64


_INF = np.iinfo(np.int64).max // 4


def area_run(p: Problem, alloc: Allocation) -> AreaRun:
    """Precompute what the lists need from an area run (once per run, vectorised)."""
    a = alloc.assign
    if a.shape != (p.num_children,):
        raise ValueError("the allocation is not of this problem")
    st = Standing(p, a)
    pool_taken, setting_taken = st.pool_taken, st.set_taken
    pr = p.pairs
    placed = np.flatnonzero(a >= 0)
    held = a[placed]
    keys: I64 | None = None
    worst_pool = np.full(p.num_pools, -1, np.int64)
    worst_set = np.full(p.num_settings, -1, np.int64)
    if alloc.mechanism == "preference-first":
        keys = priority_keys(p, alloc.manifest.seed or 0)
        np.maximum.at(worst_set, pr.setting[held], keys[held])
        hp = pr.pool[held]
        np.maximum.at(worst_pool, hp[hp >= 0], keys[held][hp >= 0])
    # optimised counterfactual: cheapest way to free one place by moving a holder elsewhere
    room = _room(p, pool_taken, setting_taken)
    child = pr.child.astype(np.int64)
    own = np.where(a[child] >= 0, pr.cost_gbp[np.maximum(a[child], 0)], 0)
    delta = np.where(
        room & (a[child] >= 0) & (np.arange(len(pr)) != a[child]), pr.cost_gbp - own, _INF
    )
    best_move = np.full(p.num_children, _INF, np.int64)
    np.minimum.at(best_move, child, delta)
    free_pool = np.full(p.num_pools, _INF, np.int64)
    free_set = np.full(p.num_settings, _INF, np.int64)
    np.minimum.at(free_set, pr.setting[held], best_move[placed])
    hp = pr.pool[held]
    np.minimum.at(free_pool, hp[hp >= 0], best_move[placed][hp >= 0])
    return AreaRun(
        alloc, a, st, pool_taken, setting_taken, keys, worst_pool, worst_set, free_pool, free_set
    )


def _room(p: Problem, pool_taken: I64, setting_taken: I64) -> np.ndarray:
    pr = p.pairs
    taken = np.append(pool_taken, 0)
    free = np.append(p.pool_free, 1)
    return np.asarray(
        (setting_taken[pr.setting] < p.s_free[pr.setting]) & (taken[pr.pool] < free[pr.pool]),
        np.bool_,
    )


@dataclass(frozen=True, slots=True, eq=False)
class ScoreTable:
    """Score components (points) for every suitable pair; ``total`` is their sum."""

    components: dict[str, F64]
    total: F64
    places_left: I64
    chance: np.ndarray  # per pair: index into CHANCES


CHANCES: tuple[Chance, ...] = ("likely", "possible", "unlikely", "placed", "unknown")
# the order options are listed in, by chance: the run's place first, a wish that cannot be met last
AVAILABILITY = tuple(
    ("placed", "likely", "possible", "unknown", "unlikely").index(c) for c in CHANCES
)


def _need_fit(p: Problem) -> F64:
    pr = p.pairs
    suit = p.policy.suitability
    exact = np.zeros((p.num_settings, len(Need)), np.bool_)
    designated = np.zeros((p.num_settings, len(Need)), np.bool_)
    for j, s in enumerate(p.settings):
        for d in s.designations:
            exact[j, NEED_INDEX[d]] = True
            for nd in suit.designation_meets[d]:
                designated[j, NEED_INDEX[nd]] = True
    need = p.c_need[pr.child]
    base = np.where(exact[pr.setting, need], 1.0, np.where(designated[pr.setting, need], 0.8, 0.6))
    over = np.maximum(p.s_meets[pr.setting, need] - p.c_band[pr.child], 0)
    return np.asarray(np.maximum(base - 0.1 * over, 0.0), np.float64)


def score_table(p: Problem, run: AreaRun | None = None) -> ScoreTable:
    """Every suitable pair's score components, total, places left and chance band."""
    pr = p.pairs
    w = p.policy.objective.list_weights
    child = pr.child.astype(np.int64)
    n = p.num_children
    cheapest = np.full(n, _INF, np.int64)
    np.minimum.at(cheapest, child, pr.cost_gbp)
    asked_specialist = np.zeros(n, np.bool_)
    asked_specialist[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
    key = child * p.num_settings + pr.setting
    current = in_sorted(p.current_keys, key)
    sibling = in_sorted(p.sibling_keys, key)
    comps: dict[str, object] = {
        "need_fit": w["need_fit"] * _need_fit(p),
        "journey": w["journey"] * np.clip(1.0 - pr.travel_min / p.c_limit_min[child], 0.0, 1.0),
        "cost": w["cost"] * cheapest[child] / np.maximum(pr.cost_gbp, 1),
        "preference": w["preference"]
        * np.where(pr.pref_rank > 0, 1.0 / np.maximum(pr.pref_rank, 1), 0.0),
        "mainstream": w["mainstream"] * (p.s_mainstream[pr.setting] & ~asked_specialist[child]),
        "continuity": w["continuity"] * np.where(current, 1.0, np.where(sibling, 0.5, 0.0)),
    }
    places_left = np.zeros(len(pr), np.int64)
    chance = np.full(len(pr), CHANCES.index("unknown"), np.int8)
    if run is None:
        comps["capacity_pressure"] = np.zeros(len(pr), np.float64)
        free = np.where(pr.pool >= 0, np.append(p.pool_free, 0)[pr.pool], p.s_free[pr.setting])
        places_left = np.minimum(free, p.s_free[pr.setting]).astype(np.int64)
        places_left[pr.home] = np.maximum(places_left[pr.home], 1)  # its own seat
    else:
        pool = pr.pool
        ptaken = np.append(run.pool_taken, 0)[pool]
        pfree = np.append(p.pool_free, 1 << 40)[pool]
        stak = run.setting_taken[pr.setting]
        sfree = p.s_free[pr.setting]
        left = np.minimum(np.where(pool >= 0, pfree - ptaken, sfree - stak), sfree - stak)
        places_left = np.maximum(left, 0).astype(np.int64)
        places_left[pr.home] = np.maximum(places_left[pr.home], 1)  # its own seat
        share = np.where(pool >= 0, ptaken / np.maximum(pfree, 1), stak / np.maximum(sfree, 1))
        comps["capacity_pressure"] = -w["capacity_pressure"] * np.clip(share, 0.0, 1.0)
        chance = _chance(p, run, places_left)
    rounded: dict[str, F64] = {
        k: np.asarray(np.round(np.asarray(v, np.float64), 1), np.float64) for k, v in comps.items()
    }
    total = np.zeros(len(pr), np.float64)
    for v in rounded.values():
        total += v
    total = np.asarray(np.round(total, 1), np.float64)
    return ScoreTable(rounded, total, places_left, chance)


def _chance(p: Problem, run: AreaRun, places_left: I64) -> np.ndarray:
    pr = p.pairs
    n_pairs = len(pr)
    child = pr.child.astype(np.int64)
    a = run.assign
    out = np.full(n_pairs, CHANCES.index("unlikely"), np.int8)
    room = places_left > 0
    pool_full = (pr.pool >= 0) & (
        np.append(run.pool_taken, 0)[pr.pool] >= np.append(p.pool_free, 1 << 40)[pr.pool]
    )
    if run.keys is not None:  # preference-first: against the cutoff
        holder = np.where(
            pool_full,
            np.append(run.holder_worst_pool, -1)[pr.pool],
            run.holder_worst_setting[pr.setting],
        )
        mine = run.keys
        beats = mine < holder
        same_class = (mine >> _LOTTERY_BITS) == (holder >> _LOTTERY_BITS)
        out[same_class] = CHANCES.index("possible")
        out[beats | room] = CHANCES.index("likely")
    else:  # optimised: counterfactual cost of naming it
        own = np.where(a[child] >= 0, pr.cost_gbp[np.maximum(a[child], 0)], 0)
        extra = pr.cost_gbp - own
        free_cost = np.where(
            pool_full,
            np.append(run.free_cost_pool, _INF)[pr.pool],
            run.free_cost_setting[pr.setting],
        )
        counterfactual = np.where(room, extra, np.where(free_cost >= _INF, _INF, extra + free_cost))
        thr = p.policy.funding.extra_cost_threshold_gbp(own)
        # possible: a place can be freed and the option itself is not out of proportion in
        # cost; likely: naming it (freeing a place included) stays within the threshold
        out[(counterfactual < _INF) & (extra <= thr)] = CHANCES.index("possible")
        out[counterfactual <= thr] = CHANCES.index("likely")
    placed_here = a[child] == np.arange(n_pairs)
    out[pr.home] = CHANCES.index("likely")  # the child's own seat stands for it
    out[placed_here] = CHANCES.index("placed")
    return out


def standing_of(p: Problem, run: AreaRun | None) -> Standing:
    """The run's standing, or (no run yet) an empty allocation: every place free, so a
    request's cost is weighed against the child's cheapest suitable setting."""
    if run is not None:
        return run.standing
    return Standing(p, np.full(p.num_children, -1, np.int64))
