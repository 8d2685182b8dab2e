"""The ``preference-first`` mechanism: the Green Paper's "first available place in order of the
family's preference", as child-proposing deferred acceptance (Gale-Shapley, hospitals/residents
with capacities) over **suitable** settings only.

Proposal lists
    Each moving child proposes down one list: its family's preferences that are suitable
    pairs, by rank; then, when ``objective.preference_first.extend_with_nearest`` is true,
    every other suitable setting (within the LA's journey limit) in the LA's order: for a
    child whose family has not asked for a specialist setting, mainstream settings first
    (s.33 CFA 2014), each group by journey minutes (ties by setting index, i.e. setting id):
    the "nearest suitable school" (s.508B EA 1996). Unsuitable preferences are never
    proposed to (they are refused on s.39(4)(a) grounds, which the result explains).

Priority
    A setting ranks its applicants first by the family's claim on it (the rank it gave the
    setting; a fallback proposal has none and comes last), then by the LA's rules and the
    lottery (:mod:`placement.solve.priority`). So a fallback placement never takes a place
    from a child who asked for the setting, and a place goes to a child who asked for it at a
    higher rank before one who asked at a lower rank.

Two-level capacity and choice
    A pair whose need has a pool at the setting needs a place in that pool
    (``Problem.pool_free``) **and** in the setting (``Problem.s_free``); a pair without a pool
    needs only the setting. A setting ranks every applicant by ``priority_keys(p, seed)`` at that
    pair (lower is higher). The lottery is a permutation, so two children never tie; should a
    policy ever produce one, the lower child index (child id) goes first.
    Its choice from a set of applicants is *greedy*: take applicants in priority order and admit
    each while its pool (if any) and the setting both have room. Pools are disjoint and nested in
    the setting, so the feasible sets form a laminar matroid and the greedy choice is its
    max-priority basis: substitutable, path-independent and size-monotone.

    Incrementally, with the held set ``H`` already the setting's choice, a proposal ``x`` is
    accepted tentatively; if ``x``'s pool is then over capacity the worst holder in the pool is
    rejected (which also brings the setting back within its total); otherwise if the setting is
    over its total the worst holder in the whole setting is rejected. This equals the greedy
    choice from ``H + {x}`` (and by path independence from everything ever proposed).
    Max-heaps (``heapq`` on negated keys) per setting and per pool with lazy deletion find the
    worst holder: an entry is live only while its child is still held at that setting.

What the result guarantees
    1. Feasibility: no pool or setting takes more than its free places.
    2. Stability with respect to the proposal lists: there is no child ``i`` and setting ``s``
       that ``i``'s list ranks above its placement (or ``i`` is unplaced) such that ``s`` would
       choose ``i`` from its holders plus ``i``, i.e. (a) both ``i``'s pool at ``s`` and ``s``
       have room (no waste), or (b) ``i``'s pool is full and ``i`` outranks the worst holder in
       that pool, or (c) only the setting is full and ``i`` outranks the worst holder in the
       setting. Because family preferences come before the fallback on every list, this
       implies **zero justified envy** as :func:`~placement.solve.priority.count_justified_envy`
       counts it (family preferences only). With the fallback on, it also means no child is
       sent further (or left unplaced) while a nearer suitable setting holds a lower-priority
       child in the place the child would need; and an unplaced child has been refused by every
       suitable setting, so each is full for it (``all_suitable_full`` is literally true).
       With the fallback off, an unplaced child may have suitable settings with room that its
       family did not list: the LA must then name one outside this mechanism.
    3. Child-optimality: each child gets the best setting on its list that it gets in any
       stable allocation (Hatfield-Milgrom: substitutable, size-monotone choice functions), and
       the outcome does not depend on the order children propose in. Reporting the true
       ranking is a dominant strategy for a family with respect to the list as submitted (the
       fallback order is the LA's, not the family's).
    4. Determinism: the same problem and seed give the same allocation (children and settings
       are sorted by id in the problem; the lottery is drawn in child-id order).

It does **not** weigh cost: a preference refused here is refused because others with higher
priority took the places (s.39(4)(b), efficient education of others); the result's refusals
report any cost ground as well.

Completion
    Deferred acceptance can leave a child unplaced although another allocation would place
    everyone it places and that child too (a child holds the only setting another can use,
    while it could go elsewhere). The LA's duty to every child comes first, so when a maximum
    flow over every suitable pair places more children, the allocation is completed by a
    min-cost maximum flow that keeps every child placed at a family preference where it is
    (a family's preference yields only when no allocation places as many children without
    it: counted as ``preferences_yielded``), keeps s.33, and otherwise moves as few
    fallback placements as it can. Any preference the completion leaves without a lawful
    ground (:mod:`placement.lawful`) is then named by applying its exchange. Justified envy
    can then be non-zero only for children whose preference yielded.

Cutoffs: for every setting (and each of its pools), whether it is full at the end, its free
places, the number admitted, and for a full one the priority facts of the last (lowest-priority)
child admitted. Read them as admissions cutoffs: a child who asked for the setting would have
been admitted had it outranked the pool's last admitted child when its pool is full, or else the
setting's last admitted child when the setting is full.
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np

from placement.domain import Need
from placement.problem import Problem
from placement.result import Allocation, finalise
from placement.rules.common import I64, in_sorted
from placement.solve.flow import flow_over_pairs, max_placeable
from placement.solve.params import DEFAULT_PARAMS, SolveParams
from placement.solve.priority import count_justified_envy, lottery, priority_keys
from placement.solve.repair import name_by_exchange

__all__ = ["DeferredAcceptance", "deferred_acceptance", "publish_cutoffs", "solve_preference_first"]

MECHANISM = "preference-first"


@dataclass(frozen=True, slots=True, eq=False)
class DeferredAcceptance:
    """The outcome of :func:`deferred_acceptance`."""

    assign: I64  # per child: pair index, or -1 (unplaced)
    prio: I64  # per pair: strict priority (lower is higher), unique within a setting
    proposals: int
    rejections: int


def strict_priority(p: Problem, keys: I64) -> I64:
    """``keys`` refined to a strict order within each setting: key first, then child index.

    Normally ``key * n + child``; if that could overflow int64 (a policy with many rules), the
    keys are first replaced by their dense ranks, which keeps their order.
    """
    n = max(1, p.num_children)
    child = p.pairs.child.astype(np.int64)
    if keys.shape[0] == 0:
        return np.zeros(0, np.int64)
    if int(keys.min()) < 0 or int(keys.max()) >= (1 << 62) // n:
        _, keys = np.unique(keys, return_inverse=True)
        keys = keys.astype(np.int64)
    return np.asarray(keys * n + child, np.int64)


def proposal_order(p: Problem, extend_with_nearest: bool) -> tuple[I64, I64]:
    """Every child's proposal list, all at once: ``(order, start)`` where
    ``order[start[i]:start[i + 1]]`` are child ``i``'s pair indices in proposal order.

    Suitable family preferences by rank; then (if ``extend_with_nearest``) the other suitable
    pairs, mainstream first unless the family asked for a specialist setting (s.33), each by
    journey minutes, then setting index. One argsort of a unique int64 key
    ``child | rank-or-(s.33, minutes) | setting``.
    """
    pr = p.pairs
    n = p.num_children
    rank = pr.pref_rank.astype(np.int64)
    if extend_with_nearest:
        sel = np.arange(len(pr), dtype=np.int64)
        rmax = int(rank.max()) if rank.shape[0] else 0
        asked_specialist = np.zeros(n, np.bool_)
        asked_specialist[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
        later = (~asked_specialist[pr.child] & ~p.s_mainstream[pr.setting]).astype(np.int64)
        # the child's own home seat right after its family's preferences (its place stands)
        val = np.where(
            rank > 0,
            rank,
            np.where(pr.home, rmax + 1, rmax + 2 + (later << 16) + pr.travel_min.astype(np.int64)),
        )
    else:
        sel = np.flatnonzero((rank > 0) | pr.home).astype(np.int64)
        rmax = int(rank.max()) if rank.shape[0] else 0
        val = np.where(rank[sel] > 0, rank[sel], rmax + 1)
    child = pr.child[sel].astype(np.int64)
    sett = pr.setting[sel].astype(np.int64)
    sbits = max(1, p.num_settings.bit_length())
    vbits = max(1, int(val.max()).bit_length()) if val.shape[0] else 1
    if n.bit_length() + vbits + sbits <= 63:
        order = sel[np.argsort((child << (vbits + sbits)) | (val << sbits) | sett)]
    else:  # pragma: no cover - beyond any English area
        order = sel[np.lexsort((sett, val, child))]
    start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(pr.child[order], minlength=n), out=start[1:])
    return order.astype(np.int64), start


def _as_array(a: I64) -> array[int]:
    """A numpy int64 vector as an ``array('q')`` (a memcpy): indexing gives Python ints fast."""
    out: array[int] = array("q")
    out.frombytes(np.ascontiguousarray(a, np.int64).tobytes())
    return out


def deferred_acceptance(
    p: Problem, *, seed: int = 0, keys: I64 | None = None
) -> DeferredAcceptance:
    """Child-proposing deferred acceptance with pool and setting capacities (see the module
    docstring). ``keys`` defaults to ``priority_keys(p, seed)``."""
    if keys is None:
        keys = priority_keys(p, seed)
    prio = strict_priority(p, keys)
    n = p.num_children
    order, start = proposal_order(p, p.policy.objective.extend_with_nearest)
    pr = p.pairs
    set_o = _as_array(pr.setting[order].astype(np.int64))
    pool_o = _as_array(pr.pool[order].astype(np.int64))
    prio_o = _as_array(prio[order])
    home_o = pr.home[order].tolist()
    ptr = start[:-1].tolist()
    end = start[1:].tolist()
    s_room: list[int] = p.s_free.tolist()
    q_room: list[int] = p.pool_free.tolist()
    s_heap: list[list[int]] = [[] for _ in range(p.num_settings)]
    q_heap: list[list[int]] = [[] for _ in range(p.num_pools)]
    held_s = [-1] * n  # setting holding each child (-1: none)
    held_t = [-1] * n  # its position in ``order``
    push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace

    for first in range(n):
        i = first
        while True:
            t = ptr[i]
            if t == end[i]:
                break  # list exhausted: unplaced
            ptr[i] = t + 1
            s = set_o[t]
            if home_o[t]:  # its own seat: kept for it alone, nobody competes for it
                held_s[i] = s
                held_t[i] = t
                break
            q = pool_o[t]
            e = -prio_o[t]  # heap entry: max-heap on priority key (worst on top)
            if q >= 0 and q_room[q] <= 0:
                # the pool is full: displace its worst holder if i outranks them
                h = q_heap[q]
                while h and held_s[-h[0] % n] != s:
                    pop(h)
                if not h or e < h[0]:
                    continue  # i proposes to its next setting
                j = -h[0] % n
                replace(h, e)
                push(s_heap[s], e)  # j's entry there goes stale
                held_s[j] = -1
                held_s[i] = s
                held_t[i] = t
                i = j
                continue
            if s_room[s] > 0:
                s_room[s] -= 1
                push(s_heap[s], e)
                if q >= 0:
                    q_room[q] -= 1
                    push(q_heap[q], e)
                held_s[i] = s
                held_t[i] = t
                break
            # the pool (if any) has room, the setting is full: displace its worst holder
            h = s_heap[s]
            while h and held_s[-h[0] % n] != s:
                pop(h)
            if not h or e < h[0]:
                continue
            j = -h[0] % n
            replace(h, e)
            qj = pool_o[held_t[j]]
            if qj >= 0:
                q_room[qj] += 1  # j's pool entry goes stale
            if q >= 0:
                q_room[q] -= 1
                push(q_heap[q], e)
            held_s[j] = -1
            held_s[i] = s
            held_t[i] = t
            i = j

    hs = np.array(held_s, np.int64)
    ht = np.array(held_t, np.int64)
    assign = np.full(n, -1, np.int64)
    placed = hs >= 0
    assign[placed] = order[ht[placed]]
    # each proposal that is not refused either fills a new place (held places never empty:
    # a displacement swaps one holder for another) or displaces a holder
    proposals = int(np.sum(np.array(ptr, np.int64) - start[:-1]))
    return DeferredAcceptance(assign, prio, proposals, proposals - int(placed.sum()))


def _facts(p: Problem, k: int, lot: I64) -> dict[str, Any]:
    """The priority facts of pair ``k``'s child at that pair's setting."""
    i = int(p.pairs.child[k])
    s = int(p.pairs.setting[k])
    key = np.array([i * p.num_settings + s], np.int64)
    return {
        "choice_rank": int(p.pairs.pref_rank[k]),  # 0: the family did not ask for it
        "looked_after": bool(p.c_looked_after[i]),
        "need_band": int(p.c_band[i]),
        "sibling": bool(in_sorted(p.sibling_keys, key)[0]),
        "current_setting": bool(in_sorted(p.current_keys, key)[0]),
        "journey_min": int(p.pairs.travel_min[k]),
        "lottery": int(lot[i]),
    }


def publish_cutoffs(p: Problem, assign: I64, prio: I64, seed: int) -> dict[str, Any]:
    """Per setting id: ``{"full", "places", "admitted", "last_admitted"?, "pools": {need: {...}}}``.

    ``places`` are the places free for this run; ``last_admitted`` (only when full and someone
    was admitted) holds the priority facts of the lowest-priority child admitted: looked after,
    need band, sibling, current setting, journey minutes and lottery draw. No child id is
    published. A pool's entry is the same, over the children admitted to that pool.
    """
    pr = p.pairs
    chosen = assign[assign >= 0]
    chosen = chosen[~pr.home[chosen]]  # own seats are outside the competition
    sett = pr.setting[chosen].astype(np.int64)
    pool = pr.pool[chosen].astype(np.int64)
    cp = prio[chosen]
    m, npool = p.num_settings, p.num_pools
    s_taken = np.bincount(sett, minlength=m)
    q_taken = np.bincount(pool[pool >= 0], minlength=npool)
    # the last admitted per setting / pool: the largest priority key among its holders
    s_last = np.full(m, -1, np.int64)
    o = np.lexsort((cp, sett))
    if o.shape[0]:
        last = np.ones(o.shape[0], np.bool_)
        last[:-1] = sett[o][1:] != sett[o][:-1]
        s_last[sett[o][last]] = chosen[o][last]
    q_last = np.full(npool, -1, np.int64)
    inq = np.flatnonzero(pool >= 0)
    o = inq[np.lexsort((cp[inq], pool[inq]))]
    if o.shape[0]:
        last = np.ones(o.shape[0], np.bool_)
        last[:-1] = pool[o][1:] != pool[o][:-1]
        q_last[pool[o][last]] = chosen[o][last]
    lot = lottery(p, seed)
    needs = list(Need)

    def entry(places: int, admitted: int, last_pair: int) -> dict[str, Any]:
        full = admitted >= places
        out: dict[str, Any] = {"full": full, "places": places, "admitted": admitted}
        if full and last_pair >= 0:
            out["last_admitted"] = _facts(p, last_pair, lot)
        return out

    cut: dict[str, Any] = {}
    pools_of: list[list[int]] = [[] for _ in range(m)]
    for q, s in enumerate(p.pool_setting.tolist()):
        pools_of[s].append(q)
    for s in range(m):
        e = entry(int(p.s_free[s]), int(s_taken[s]), int(s_last[s]))
        e["pools"] = {
            needs[int(p.pool_need[q])].value: entry(
                int(p.pool_free[q]), int(q_taken[q]), int(q_last[q])
            )
            for q in pools_of[s]
        }
        cut[p.settings[s].setting_id] = e
    return cut


def complete(p: Problem, assign: I64) -> tuple[I64, int]:
    """The completion (see the module docstring): ``(assign, preferences yielded)``."""
    placed = int((assign >= 0).sum())
    if placed >= int(p.c_moving.sum()) or max_placeable(p) <= placed:
        return assign, 0
    pr = p.pairs
    child = pr.child.astype(np.int64)
    own = assign[child] == np.arange(len(pr))
    at_pref = np.zeros(p.num_children, np.bool_)
    at_pref[assign >= 0] = pr.pref_rank[assign[assign >= 0]] > 0
    asked_specialist = np.zeros(p.num_children, np.bool_)
    asked_specialist[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
    main_pen = (~asked_specialist[child] & ~p.s_mainstream[pr.setting]).astype(np.int64)
    w_keep = 1 << 11  # more than any journey's minutes
    w_main = w_keep << 1
    lower = w_main + w_keep + w_keep
    w_yield = lower * (p.num_children + 1)
    # a child at its own home seat keeps it like a preference (its place stands)
    at_pref[assign >= 0] |= pr.home[assign[assign >= 0]]
    cost = np.where(
        at_pref[child],
        np.where(own, 0, w_yield),
        main_pen * w_main + np.where(own, 0, w_keep) + pr.travel_min.astype(np.int64),
    ).astype(np.int64)
    out = flow_over_pairs(p, cost)
    held = np.flatnonzero(at_pref)
    yielded = int((out[held] != assign[held]).sum())
    return out, yielded


def solve_preference_first(
    p: Problem, *, seed: int = 0, details: bool = True, params: SolveParams = DEFAULT_PARAMS
) -> Allocation:
    """Allocate the area by child-proposing deferred acceptance (see the module docstring;
    ``details``: see :func:`placement.result.finalise`)."""
    keys = priority_keys(p, seed)
    da = deferred_acceptance(p, seed=seed, keys=keys)
    assign, yielded = complete(p, da.assign)
    assign, exchanged = name_by_exchange(p, assign, params=params)
    envy = count_justified_envy(p, assign, keys)
    obj = p.policy.objective
    record = {
        "priority": [*obj.priority, "lottery", "child_id"],
        "extend_with_nearest": obj.extend_with_nearest,
        "proposals": da.proposals,
        "rejections": da.rejections,
        "suitable_pairs": len(p.pairs),
        "placed_by_completion": int((assign >= 0).sum()) - int((da.assign >= 0).sum()),
        "preferences_yielded": yielded,
        "exchanges_applied": exchanged,
    }
    return finalise(
        p,
        MECHANISM,
        assign,
        parameters=record,
        seed=seed,
        justified_envy=envy,
        cutoffs=publish_cutoffs(p, assign, da.prio, seed),
        details=details,
    )
