"""LA priority between children competing for the same setting (preference-first), and the
justified-envy count both mechanisms report.

First, the family's own claim on the setting: a child whose family asked for it comes before
one whose family asked for it at a lower rank, and both before a child the LA would place
there without being asked (the LA's fallback). A place is never taken from a child who asked
for the setting at an equal or higher rank to name a request (:mod:`placement.lawful`), nor
given to a fallback placement over a child who asked for it. Then the LA's rules from policy
(``objective.preference_first.priority``), in order: looked-after children first (School
Admissions Code 1.7), higher need band first, a sibling at the setting, the child's current
setting (continuity), nearer journey first; a seeded lottery breaks what is left. A key is an
int64 per suitable pair: lower key = higher priority.
"""

from __future__ import annotations

import numpy as np

from placement.problem import Problem
from placement.rules.common import I64, in_sorted

__all__ = ["count_justified_envy", "lottery", "priority_keys"]

_LOTTERY_BITS = 24
_CLAIM_BITS = 5  # ranks 1..30 as themselves; deeper ranks and "not asked" (31) after them


def lottery(p: Problem, seed: int) -> I64:
    """A seeded random number per child, drawn in child-id order (so independent of row order).

    A random permutation of ``0 .. n-1``, so no two children ever draw the same number: the
    lottery breaks every tie left by the rules. (Independent draws from 2**24 would collide for
    about a dozen pairs of children in a 20k area, leaving those ties to child-id order.)
    """
    if p.num_children > 1 << _LOTTERY_BITS:
        raise ValueError(f"{p.num_children} children exceed the {_LOTTERY_BITS}-bit lottery")
    rng = np.random.default_rng(seed)
    return rng.permutation(p.num_children).astype(np.int64)


def priority_keys(p: Problem, seed: int) -> I64:
    """Priority of each suitable pair's child at that pair's setting (lower is higher): the
    family's claim (the rank it gave the setting, or none), the LA's rules, the lottery."""
    pr = p.pairs
    c = pr.child.astype(np.int64)
    s = pr.setting.astype(np.int64)
    claim_cap = (1 << _CLAIM_BITS) - 1
    key = np.where(pr.pref_rank > 0, np.minimum(pr.pref_rank, claim_cap - 1), claim_cap).astype(
        np.int64
    )
    m = p.num_settings
    for rule in p.policy.objective.priority:
        if rule == "looked_after":
            key = (key << 1) | (~p.c_looked_after[c]).astype(np.int64)
        elif rule == "need_band":
            key = (key << 3) | (5 - p.c_band[c]).astype(np.int64)
        elif rule == "sibling":
            key = (key << 1) | (~in_sorted(p.sibling_keys, c * m + s)).astype(np.int64)
        elif rule == "current_setting":
            key = (key << 1) | (~in_sorted(p.current_keys, c * m + s)).astype(np.int64)
        elif rule == "distance":
            key = (key << 8) | np.minimum(pr.travel_min, 255).astype(np.int64)
    return (key << _LOTTERY_BITS) | lottery(p, seed)[c]


def count_justified_envy(p: Problem, assign: I64, keys: I64) -> int:
    """Children with justified envy over their family's preferences.

    Child ``i`` has justified envy when it prefers a suitable setting ``s`` (ranked above its
    own placement, or it is unplaced or placed off its list), ``s`` is full for it, and a child
    ``j`` with lower priority at ``s`` holds a place there that ``i`` could take (in the same
    pool when the pool is full, else anywhere in the setting). A preference refused while a
    place is free (on cost, say) is a refusal with its own ground, not envy.
    """
    pr = p.pairs
    pool_taken = np.zeros(p.num_pools, np.int64)
    set_taken = np.zeros(p.num_settings, np.int64)
    chosen = assign[assign >= 0]
    chosen = chosen[~pr.home[chosen]]  # a child's own seat is none of the shared places
    np.add.at(set_taken, pr.setting[chosen], 1)
    cp = pr.pool[chosen]
    np.add.at(pool_taken, cp[cp >= 0], 1)
    # the worst (largest key) holder per (setting, pool) and per setting
    worst_pool = np.full(p.num_pools, -1, np.int64)
    worst_set = np.full(p.num_settings, -1, np.int64)
    np.maximum.at(worst_set, pr.setting[chosen], keys[chosen])
    if cp.shape[0]:
        ck = keys[chosen]
        np.maximum.at(worst_pool, cp[cp >= 0], ck[cp >= 0])
    k = np.flatnonzero(pr.pref_rank > 0)  # the preferences that are suitable pairs
    own_rank = np.full(p.num_children, 1 << 30, np.int64)
    placed = assign >= 0
    r = pr.pref_rank[assign[placed]].astype(np.int64)
    own_rank[np.flatnonzero(placed)] = np.where(r > 0, r, 1 << 30)
    i = pr.child[k]
    s = pr.setting[k]
    q = pr.pool[k]
    wanted = pr.pref_rank[k] < own_rank[i]  # ranked above the child's own placement
    room_set = set_taken[s] < p.s_free[s]
    # pool -1 (the setting's general places) indexes the appended sentinel: always room
    room_pool = (q < 0) | (np.append(pool_taken, 0)[q] < np.append(p.pool_free, 1)[q])
    holder = np.where(room_pool, worst_set[s], np.append(worst_pool, -1)[q])
    envy = wanted & ~(room_set & room_pool) & (holder > keys[k])
    seen = np.zeros(p.num_children, np.bool_)
    seen[i[envy]] = True
    return int(seen.sum())
