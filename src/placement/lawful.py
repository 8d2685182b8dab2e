"""The law applied to a finished allocation: whether each family preference that was not met
has a ground that holds **in that allocation**, and whether s.33 is respected.

A s.38 request ranked above the setting named (or any, if the child is unplaced) may be refused
only on one of the three grounds of s.39(4) CFA 2014, each tested here against the allocation
itself, not against a guess made before it:

(a) **unsuitable**: from the child's own needs, age, ability or aptitude, or a journey limit
    set in the child's plan (the rules in :mod:`placement.rules`; a pair that is not suitable);
(b) **efficient use of resources**: its whole public cost exceeds an alternative that the LA
    actually names for this child in this allocation, or could name (a suitable setting with
    a free place), by more than the LA's threshold (``models/funding.toml``); both costs shown;
(b) **efficient education of others** ("full"): the pool or setting has no free place, **and
    no exchange** names the request. An exchange moves children along a chain: the requester
    takes a place at the setting from a holder who did not ask for it at an equal or higher
    rank; that holder moves to another setting it is suitable for (the LA may name it: within
    the LA's journey limit or one the family asked for; a child whose family did not ask for
    specialist provision and who is in mainstream stays in mainstream), either into a free
    place, into the place the requester left, or taking a place from a holder there who asked
    for it at a lower rank than the mover did; and so on. An exchange places no fewer
    children, and is allowed only while its extra public cost (the request's own extra cost
    over the requester's alternative, plus every increase of a moved child's cost; savings
    are not credited, as the LA could make them anyway) is within the threshold.

An s.9 EA 1996 representation (an independent setting off the s.41 list, or alternative
provision) is not a s.38 request: s.39 does not apply. It is weighed under s.9 (efficient
instruction: the same suitability facts; unreasonable public expenditure: the same cost test;
and a setting with no place to offer). The allocation must still name it where it is suitable,
has a place and is not unreasonably dear (the family-friendly reading the mechanisms apply).

s.33: where the family has not asked for a specialist setting, the child is named in
mainstream unless no suitable mainstream place is free. Each assessment carries its reasons.

The functions here serve the solvers (to repair an allocation) and the explanations (to give
the evidence). :mod:`placement.validate` re-checks all of it with its own, scalar code.
Pure: no I/O.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Literal

import numpy as np

from placement.domain import NEED_INDEX, Need
from placement.problem import Problem
from placement.reasons import Reason, ReasonCode
from placement.rules.common import I64, B

__all__ = [
    "INF_CLAIM",
    "Exchange",
    "Move",
    "Standing",
    "per_child_min",
]

INF_CLAIM = 1 << 20  # the claim of a child on a setting its family did not ask for
_INF = np.iinfo(np.int64).max // 4
_NEEDS = tuple(Need)
# exchange searches on one allocation past which the per-pair facts are read area-wide: at
# least this many, and more in a large area (area-wide costs in proportion to its pairs; a
# search child by child reads a few children's pairs)
_MANY_SEARCHES = 64
_PAIRS_PER_SEARCH = 2500


def per_child_min(p: Problem, values: I64, empty: int = _INF) -> I64:
    """Per child, the least of ``values`` (one per pair) over its pairs; ``empty`` for a child
    with none. Pairs are stored by child, so it is one reduction per child's run."""
    start = p.pairs.start
    has = np.flatnonzero(start[1:] > start[:-1])
    out = np.full(p.num_children, empty, np.int64)
    if has.shape[0]:
        out[has] = np.minimum.reduceat(values, start[:-1][has])
    return out


def taken(p: Problem, assign: I64) -> tuple[I64, I64]:
    """Places taken in this run per pool and per setting, of those the moving children share
    (a child at its own home seat takes none of them)."""
    chosen = assign[assign >= 0]
    chosen = chosen[~p.pairs.home[chosen]]
    sett = p.pairs.setting[chosen]
    pool = p.pairs.pool[chosen]
    by_setting = np.bincount(sett, minlength=p.num_settings).astype(np.int64)
    by_pool = np.bincount(pool[pool >= 0], minlength=p.num_pools).astype(np.int64)
    return by_pool, by_setting


@dataclass(frozen=True, slots=True)
class Move:
    child_idx: int
    from_pair: int  # -1: the requester was unplaced
    to_pair: int


@dataclass(frozen=True, slots=True)
class Exchange:
    """A chain of moves that would name a refused request (the first move is the request)."""

    moves: tuple[Move, ...]
    extra_gbp: int
    threshold_gbp: int


S33Outcome = Literal["met", "not_met", "not_applicable"]


@dataclass(frozen=True, slots=True, eq=False)
class _Fixed:
    """What the tests read of a problem whatever the allocation (computed once a problem)."""

    pairs: object  # the Pairs these belong to (identity check)
    child: I64
    claim: I64  # each pair's claim: the rank the family gave it, else INF_CLAIM
    asked_specialist: B
    pref_idx: I64  # preference pairs, by child
    pref_start: I64


_FIXED: list[_Fixed] = []


def _facts(p: Problem) -> _Fixed:
    pr = p.pairs
    for f in _FIXED:
        if f.pairs is pr:
            return f
    n = p.num_children
    claim = np.where(pr.pref_rank > 0, pr.pref_rank, INF_CLAIM).astype(np.int64)
    asked = np.zeros(n, np.bool_)
    asked[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
    pref_idx = np.flatnonzero(claim < INF_CLAIM).astype(np.int64)
    f = _Fixed(
        pr,
        pr.child.astype(np.int64),
        claim,
        asked,
        pref_idx,
        np.searchsorted(pr.child[pref_idx], np.arange(n + 1)).astype(np.int64),
    )
    _FIXED.insert(0, f)
    del _FIXED[4:]  # the last few problems (a run and its what-ifs, a scenario's two sides)
    return f


class Standing:
    """The facts of one allocation that the legal tests read, computed once (vectorised).

    ``assign[i]`` is child ``i``'s pair index or -1 (unplaced, or staying: a staying child has
    no pairs and holds its place outside the run).
    """

    def __init__(self, p: Problem, assign: I64) -> None:
        self.p = p
        self.assign = np.asarray(assign, np.int64)
        pr = p.pairs
        a = self.assign
        self.pool_taken, self.set_taken = taken(p, a)
        n = p.num_children
        fixed = _facts(p)
        placed = a >= 0
        self.cur_cost = np.zeros(n, np.int64)
        self.cur_cost[placed] = pr.cost_gbp[a[placed]]
        self.cur_setting = np.full(n, -1, np.int64)
        self.cur_setting[placed] = pr.setting[a[placed]]
        self.claim = fixed.claim
        self._keep_main = np.zeros(n, np.bool_)
        self._keep_main[placed] = p.s_mainstream[self.cur_setting[placed]]
        self._keep_main &= ~fixed.asked_specialist
        self.asked_specialist = fixed.asked_specialist
        self._ptaken = np.append(self.pool_taken, 0)
        self._pfree = np.append(p.pool_free, 1)
        self._fixed = fixed
        # the per-pair arrays are built on first use (whole area), or per child (a recheck)
        self._room: B | None = None
        self._allowed: B | None = None
        self._best_room: I64 | None = None
        self._best_of: dict[int, int] = {}
        # holders of each setting's shared places in this run, with their pool and their claim
        # on it (a child at its own home seat holds none of them: nobody can take it)
        who = np.flatnonzero(placed)
        who = who[~pr.home[a[who]]]
        hk = a[who]
        order = np.lexsort((who, pr.setting[hk]))
        self.h_child = who[order]
        self.h_pool = pr.pool[hk][order].astype(np.int64)
        self.h_claim = self.claim[hk][order]
        self.h_start = np.searchsorted(pr.setting[hk][order], np.arange(p.num_settings + 1)).astype(
            np.int64
        )
        self.pref_idx, self.pref_start = fixed.pref_idx, fixed.pref_start
        self._into: dict[int, dict[int, int]] = {}  # setting -> child -> pair (lazily)
        self._searches = 0  # exchange searches so far (many: read per-pair facts area-wide)
        self._many = max(_MANY_SEARCHES, len(pr) // _PAIRS_PER_SEARCH)
        self._scopes: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        self._cheapest_room: I64 | None = None

    # -- per pair: room, where a moved child may go ---------------------------------------
    def _room_for(self, sel: slice) -> B:
        """Room for pairs ``sel``: its pool (if any) and its setting both have a free place,
        or it is the child's own home seat (always there for it)."""
        p = self.p
        pr = p.pairs
        st, q = pr.setting[sel], pr.pool[sel]
        return np.asarray(
            ((self.set_taken[st] < p.s_free[st]) & (self._ptaken[q] < self._pfree[q]))
            | pr.home[sel],
            np.bool_,
        )

    def _allowed_for(self, sel: slice) -> B:
        """Where a moved child may go (pairs ``sel``): not its own setting; a child in
        mainstream whose family did not ask for specialist provision stays in mainstream."""
        p = self.p
        pr = p.pairs
        c, st = self._fixed.child[sel], pr.setting[sel]
        return np.asarray(
            (st != self.cur_setting[c]) & (~self._keep_main[c] | p.s_mainstream[st]), np.bool_
        )

    @property
    def room(self) -> B:
        if self._room is None:
            self._room = self._room_for(slice(None))
        return self._room

    @property
    def allowed(self) -> B:
        if self._allowed is None:
            self._allowed = self._allowed_for(slice(None))
        return self._allowed

    def room_slice(self, lo: int, hi: int) -> B:
        return self._room[lo:hi] if self._room is not None else self._room_for(slice(lo, hi))

    def allowed_slice(self, lo: int, hi: int) -> B:
        if self._allowed is not None:
            return self._allowed[lo:hi]
        return self._allowed_for(slice(lo, hi))

    def room_at(self, k: int) -> bool:
        return bool(self.room_slice(k, k + 1)[0])

    def allowed_at(self, k: int) -> bool:
        return bool(self.allowed_slice(k, k + 1)[0])

    def _moves_with_room(self, j: int, usable: B | None = None) -> tuple[int, int]:
        """Child ``j``'s cheapest move into a free place (its cost increase, clamped at 0),
        and the pair (-1: none): the pair :func:`placement.solve.optimised.run_optimised`
        keeps first."""
        pr = self.p.pairs
        lo, hi = int(pr.start[j]), int(pr.start[j + 1])
        if hi == lo:
            return int(_INF), -1
        ok = self.allowed_slice(lo, hi) & self.room_slice(lo, hi)
        if usable is not None:
            ok &= usable[lo:hi]
        # the cheapest such place: its increase is the least (the increase grows with the
        # cost), and where several cost no more than now it saves the most
        costs = np.where(ok, pr.cost_gbp[lo:hi], _INF)
        x = int(costs.argmin())
        if not ok[x]:
            return int(_INF), -1
        return max(int(costs[x]) - int(self.cur_cost[j]), 0), lo + x

    @property
    def best_room(self) -> I64:
        """Per child: the cheapest cost increase of a move into a free place (whole area)."""
        if self._best_room is None:
            pr = self.p.pairs
            delta = np.maximum(pr.cost_gbp - self.cur_cost[self._fixed.child], 0)
            self._best_room = per_child_min(self.p, np.where(self.allowed & self.room, delta, _INF))
        return self._best_room

    @property
    def cheapest_room(self) -> I64:
        """Per child: the least cost of any of its pairs with room (its own seat too;
        ``_INF``: none). A bound on the free-place alternative of :meth:`alternatives`."""
        if self._cheapest_room is None:
            cost = self.p.pairs.cost_gbp
            self._cheapest_room = per_child_min(self.p, np.where(self.room, cost, _INF))
        return self._cheapest_room

    def best_room_of(self, j: int) -> int:
        if self._best_room is not None:
            return int(self._best_room[j])
        got = self._best_of.get(j)
        if got is None:
            got = self._best_of[j] = self._moves_with_room(j)[0]
        return got

    # -- single facts ------------------------------------------------------------------
    def pool_full(self, pool: int) -> bool:
        return pool >= 0 and int(self.pool_taken[pool]) >= int(self.p.pool_free[pool])

    def setting_full(self, s: int) -> bool:
        return int(self.set_taken[s]) >= int(self.p.s_free[s])

    def alternatives(self, i: int, k: int) -> list[tuple[int, str]]:
        """The alternatives a request's cost is weighed against: the pair the allocation
        names for the child (``"named"``), and its cheapest other suitable pair with a free
        place (``"free_place"``)."""
        p = self.p
        out: list[tuple[int, str]] = []
        a = int(self.assign[i])
        if a >= 0 and a != k:
            out.append((a, "named"))
        lo, hi = int(p.pairs.start[i]), int(p.pairs.start[i + 1])
        costs = np.where(self.room_slice(lo, hi), p.pairs.cost_gbp[lo:hi], _INF)
        costs[k - lo] = _INF
        if a >= 0:
            costs[a - lo] = _INF
        if hi > lo and int(costs.min()) < _INF:
            out.append((lo + int(costs.argmin()), "free_place"))
        return out

    def cost_ground(self, i: int, k: int, s38: bool) -> Reason | None:
        """s.39(4)(b) efficient use of resources (s.9: unreasonable public expenditure):
        the request's cost against an alternative named or with a free place."""
        p = self.p
        cost = int(p.pairs.cost_gbp[k])
        for alt_pair, how in self.alternatives(i, k):
            alt = int(p.pairs.cost_gbp[alt_pair])
            thr = p.policy.funding.extra_cost_threshold_gbp(alt)
            if cost - alt > thr:
                return Reason(
                    ReasonCode.COST_DISPROPORTIONATE
                    if s38
                    else ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE,
                    p.children[i].child_id,
                    p.settings[int(p.pairs.setting[k])].setting_id,
                    {
                        "cost_gbp": cost,
                        "alternative_gbp": alt,
                        "alternative_setting_id": p.settings[
                            int(p.pairs.setting[alt_pair])
                        ].setting_id,
                        "alternative_is": how,
                        "kind": p.settings[int(p.pairs.setting[k])].kind.value,
                        "extra_gbp": cost - alt,
                        "threshold_gbp": thr,
                        "transport_counted": bool(p.c_transport[i])
                        and not bool(p.pairs.family_transport[k]),
                    },
                    "s38_request" if s38 else "s9_representation",
                )
        return None

    def dear(self, i: I64, k: I64) -> B:
        """Per row, exactly whether :meth:`cost_ground` finds a ground for child ``i[x]``'s
        request at pair ``k[x]`` (``k`` not the pair named), vectorised: the named
        alternative for every row; the free-place alternative only where the child's
        cheapest pair with room could make it dear (the test is monotone in the
        alternative's cost: a dearer alternative allows more)."""
        p = self.p
        pr = p.pairs
        named = self.assign[i]
        alt = np.where(named >= 0, self.cur_cost[i], 0)
        out = np.asarray(
            (named >= 0) & (pr.cost_gbp[k] - alt > p.policy.funding.extra_cost_threshold_gbp(alt)),
            np.bool_,
        )
        rest = np.flatnonzero(~out)
        if rest.shape[0] > self._many:
            c1 = self.cheapest_room[i[rest]]
            c1v = np.where(c1 < _INF, c1, 0)
            rest = rest[
                (c1 < _INF)
                & (pr.cost_gbp[k[rest]] - c1v > p.policy.funding.extra_cost_threshold_gbp(c1v))
            ]
        for x in rest.tolist():
            if self.cost_ground(int(i[x]), int(k[x]), True) is not None:
                out[x] = True
        return out

    # -- the exchange test ---------------------------------------------------------------
    def _scope(self, s: int, pool: int) -> tuple[list[int], list[int]]:
        """Holders that an entrant needing a place at ``s`` (in ``pool``) would displace:
        the pool's holders when the pool is full, else any of the setting's; with their
        claims (kept for the allocation: many searches meet the same settings)."""
        key = (s, pool if self.pool_full(pool) else -1)
        got = self._scopes.get(key)
        if got is None:
            lo, hi = int(self.h_start[s]), int(self.h_start[s + 1])
            ch, po, cl = self.h_child[lo:hi], self.h_pool[lo:hi], self.h_claim[lo:hi]
            if key[1] >= 0:
                sel = po == pool
                ch, cl = ch[sel], cl[sel]
            got = self._scopes[key] = (ch.tolist(), cl.tolist())
        return got

    def exchange(self, i: int, k: int, usable: B | None = None) -> Exchange | None:
        """The cheapest exchange (see the module docstring) that names child ``i``'s request
        at pair ``k`` within the threshold, or None. ``k`` must be full for ``i``.
        ``usable``: per pair, whether a move may use it (a solver asks for a chain its
        model can make; None: any suitable pair, as the law asks)."""
        self._searches += 1
        if self._searches == self._many:
            self._area_wide()
        p = self.p
        pr = p.pairs
        a = int(self.assign[i])
        r_i = int(self.claim[k])
        s, q = int(pr.setting[k]), int(pr.pool[k])
        own_extra = int(pr.cost_gbp[k]) - int(self.cur_cost[i]) if a >= 0 else 0
        alt = int(self.cur_cost[i]) if a >= 0 else int(pr.cost_gbp[k])
        thr = p.policy.funding.extra_cost_threshold_gbp(alt)
        budget = thr - own_extra
        if budget < 0:
            return None
        # the place the requester leaves (not its own seat: that is kept for it alone)
        vac_s = int(pr.setting[a]) if a >= 0 and not pr.home[a] else -1
        vac_pool = int(pr.pool[a]) if a >= 0 else -1
        # Dijkstra over displaced children; every step's cost is >= 0 (savings not credited)
        dist: dict[int, int] = {}
        parent: dict[int, tuple[int, int]] = {}  # displaced child -> (mover before, its pair)
        heap: list[tuple[int, int]] = []
        ch, cl = self._scope(s, q)
        for j, c in zip(ch, cl, strict=True):
            if c > r_i and j != i and j not in dist:
                dist[j] = 0
                parent[j] = (i, k)
                heap.append((0, j))
        heapq.heapify(heap)
        done: set[int] = set()
        while heap:
            d, j = heapq.heappop(heap)
            if j in done or d > budget:
                continue
            done.add(j)
            cur = int(self.assign[j])
            base = int(self.cur_cost[j])
            # a free place anywhere it may go
            if usable is not None:
                step, t = self._moves_with_room(j, usable)
                if t >= 0 and d + step <= budget:
                    return self._chain(i, k, parent, j, t, d + step, thr, own_extra)
            elif d + self.best_room_of(j) <= budget:
                step, t = self._moves_with_room(j)
                return self._chain(i, k, parent, j, t, d + step, thr, own_extra)
            # the place the requester left
            if vac_s >= 0 and vac_s != int(pr.setting[cur]):
                t = self._pair_at(j, vac_s)
                if t >= 0 and self.allowed_at(t) and (usable is None or usable[t]):
                    tp = int(pr.pool[t])
                    fits = tp < 0 or tp == vac_pool or not self.pool_full(tp)
                    step = max(int(pr.cost_gbp[t]) - base, 0)
                    if fits and d + step <= budget:
                        return self._chain(i, k, parent, j, t, d + step, thr, own_extra)
            # a setting its family asked for, taking a place from a holder with a weaker claim
            plo, phi = int(self.pref_start[j]), int(self.pref_start[j + 1])
            for t in self.pref_idx[plo:phi].tolist():
                c_t = int(self.claim[t])
                if not self.allowed_at(t) or (usable is not None and not usable[t]):
                    continue
                step = max(int(pr.cost_gbp[t]) - base, 0)
                if d + step > budget:
                    continue
                hc, hcl = self._scope(int(pr.setting[t]), int(pr.pool[t]))
                for h, c in zip(hc, hcl, strict=True):
                    if c <= c_t or h == i or h in done:
                        continue
                    nd = d + step
                    if nd < dist.get(h, _INF):
                        dist[h] = nd
                        parent[h] = (j, t)
                        heapq.heappush(heap, (nd, h))
        return None

    def _pair_at(self, j: int, s: int) -> int:
        """Child ``j``'s pair into setting ``s``, or -1 (its pairs are sorted by setting)."""
        pr = self.p.pairs
        lo, hi = int(pr.start[j]), int(pr.start[j + 1])
        x = lo + int(pr.setting[lo:hi].searchsorted(s))
        return x if x < hi and int(pr.setting[x]) == s else -1

    def _area_wide(self) -> None:
        """Compute the per-pair facts the exchange search reads (where a moved child may go,
        each child's cheapest move into a free place) for the whole area at once: cheaper
        than child by child once there are many searches on one allocation."""
        _ = self.allowed, self.best_room

    def into(self, s: int) -> dict[int, int]:
        """Child -> its pair into setting ``s`` (the children who could take a place there)."""
        got = self._into.get(s)
        if got is None:
            pr = self.p.pairs
            k = np.flatnonzero(pr.setting == s)
            got = self._into[s] = dict(zip(pr.child[k].tolist(), k.tolist(), strict=True))
        return got

    def _chain(
        self,
        i: int,
        k: int,
        parent: dict[int, tuple[int, int]],
        last: int,
        last_pair: int,
        cost: int,
        thr: int,
        own_extra: int,
    ) -> Exchange:
        moves = [Move(last, int(self.assign[last]), last_pair)]
        j = last
        while True:
            mover, pair = parent[j]
            moves.append(Move(mover, int(self.assign[mover]), pair))
            if mover == i:
                break
            j = mover
        moves.reverse()
        return Exchange(tuple(moves), own_extra + cost, thr)

    def check(self, i: int, k: int) -> tuple[bool, Exchange | None]:
        """Is child ``i``'s preference at pair ``k`` refused without a ground here? With the
        exchange that names it (None: it simply has room)."""
        pr = self.p.pairs
        a = int(self.assign[i])
        if a == k:
            return False, None
        if a >= 0 and 0 < int(pr.pref_rank[a]) <= int(pr.pref_rank[k]):
            return False, None  # not ranked above the setting named
        s38 = bool(pr.is_request[k])
        if self.cost_ground(i, k, s38) is not None:
            return False, None
        if self.room_at(k):
            return True, None
        if s38:
            ex = self.exchange(i, k)
            return ex is not None, ex
        return False, None

    # -- every preference at once ----------------------------------------------------------
    def unmet_preferences(self) -> I64:
        """Indices into the problem's preference arrays of every preference ranked above
        the setting named for a moving child (every one, if unplaced)."""
        p = self.p
        if p.pref_child.shape[0] == 0:
            return np.zeros(0, np.int64)
        k_all = self.assign[p.pref_child]
        got = np.append(p.pairs.pref_rank, 0)[k_all]
        sel = (got == 0) | (p.pref_rank < got)
        sel &= p.c_moving[p.pref_child]
        return np.flatnonzero(sel).astype(np.int64)

    def violations(self, pref_pairs: I64) -> list[tuple[int, int, Exchange | None]]:
        """Every preference refused without a ground that holds here: (child, pair, the
        exchange that names it, or None when the pair simply has room). ``pref_pairs``: each
        stored preference's pair index (-1: unsuitable)."""
        p = self.p
        sel = self.unmet_preferences()
        k = pref_pairs[sel]
        ok = k >= 0
        sel, k = sel[ok], k[ok]
        if sel.shape[0] == 0:
            return []
        i = p.pref_child[sel].astype(np.int64)
        s38 = p.pref_route_s38[sel]
        if sel.shape[0] > self._many:
            self._area_wide()
        dear = self.dear(i, k)
        out: list[tuple[int, int, Exchange | None]] = []
        for x in np.flatnonzero(~dear).tolist():
            ii, kk = int(i[x]), int(k[x])
            if self.room_at(kk):
                out.append((ii, kk, None))
            elif s38[x]:
                ex = self.exchange(ii, kk)
                if ex is not None:
                    out.append((ii, kk, ex))
        return out

    # -- s.33 -------------------------------------------------------------------------------
    def s33(self, i: int) -> tuple[S33Outcome, Reason]:
        """The mainstream presumption for child ``i`` in this allocation, with its reason."""
        p = self.p
        pr = p.pairs
        cid = p.children[i].child_id
        a = int(self.assign[i])
        if self.asked_specialist[i]:
            asked = p.pref_setting[p.pref_child == i]
            spec = [p.settings[int(s)].setting_id for s in asked if not p.s_mainstream[int(s)]]
            return "not_applicable", Reason(
                ReasonCode.S33_FAMILY_ASKED_SPECIALIST, cid, None, {"asked": spec}
            )
        if a >= 0 and p.s_mainstream[int(pr.setting[a])]:
            sid = p.settings[int(pr.setting[a])].setting_id
            return "met", Reason(ReasonCode.S33_MAINSTREAM_NAMED, cid, sid, {})
        lo, hi = int(pr.start[i]), int(pr.start[i + 1])
        main = p.s_mainstream[pr.setting[lo:hi]] & ~pr.beyond_limit[lo:hi]
        if not main.any():
            need = NEED_INDEX[p.children[i].primary_need]
            age = int(p.c_year[i]) + 4
            for_age = p.s_mainstream & (p.s_low <= age) & (age < p.s_high)
            top = int(p.s_meets[for_age, need].max()) if for_age.any() else 0
            return "met", Reason(
                ReasonCode.S33_NO_SUITABLE_MAINSTREAM,
                cid,
                None,
                {
                    "primary_need": p.children[i].primary_need.value,
                    "need_band": int(p.c_band[i]),
                    "mainstream_for_age": int(for_age.sum()),
                    "mainstream_max_band": top,
                    "journey_limit_min": int(p.c_limit_min[i]),
                },
            )
        free = main & self.room_slice(lo, hi)
        if free.any():
            ids = [p.settings[int(s)].setting_id for s in pr.setting[lo:hi][free][:10]]
            return "not_met", Reason(
                ReasonCode.S33_MAINSTREAM_AVAILABLE, cid, None, {"with_room": ids}
            )
        return "met", Reason(
            ReasonCode.S33_MAINSTREAM_FULL,
            cid,
            None,
            {"suitable_mainstream": int(main.sum())},
        )

    def s33_breaches(self) -> B:
        """Per child: named outside mainstream (or unplaced) though the family did not ask for
        specialist provision and a suitable mainstream place is free."""
        p = self.p
        pr = p.pairs
        child = pr.child.astype(np.int64)
        a = self.assign
        placed_main = np.zeros(p.num_children, np.bool_)
        placed_main[a >= 0] = p.s_mainstream[pr.setting[a[a >= 0]]]
        free_main = p.s_mainstream[pr.setting] & ~pr.beyond_limit & self.room
        has = np.zeros(p.num_children, np.bool_)
        has[child[free_main]] = True
        return np.asarray(has & ~placed_main & ~self.asked_specialist & p.c_moving, np.bool_)


def pool_need(p: Problem, pool: int) -> str:
    return _NEEDS[int(p.pool_need[pool])].value
