"""An allocation as the validator reads it (:mod:`placement.validate`): who holds which place
and what is free, the exchange and cost tests of a refused preference, and an independent
maximum flow (SciPy's ``maximum_flow``, not the solver's arcs). Pure: no I/O.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from placement.domain import Need
from placement.validate.checker import Checker, Pair

__all__ = ["Held", "max_placed"]

_ASKED_NONE = 1 << 20  # the claim of a child on a setting its family did not ask for


class Held:
    """The allocation as the checks read it: who holds which place, and what is free."""

    def __init__(self, ck: Checker, pairs: dict[str, dict[str, Pair]], at: dict[str, str]):
        self.ck = ck
        self.pairs = pairs
        self.at = at  # moving child -> setting (placed)
        self.s_free: dict[str, int] = {}
        self.p_free: dict[tuple[str, Need], int] = {}
        staying_s: Counter[str] = Counter()
        staying_p: Counter[tuple[str, Need]] = Counter()
        # seats kept: a staying child's, and a moving child's at a home setting that still
        # takes it and is suitable (its own, whether it uses it or moves)
        self.home: dict[str, str] = {}
        for cid, c in ck.children.items():
            kept = c.current_setting_id if not ck.moving[cid] else None
            if ck.moving[cid]:
                h = ck.home(c)
                if h is not None and h in pairs[cid]:
                    self.home[cid] = kept = h
            if kept is not None:
                s = ck.settings[kept]
                staying_s[s.setting_id] += 1
                q = ck.pool_of(s, c.primary_need)
                if q is not None:
                    staying_p[(s.setting_id, q)] += 1
        for sid, s in ck.settings.items():
            self.s_free[sid] = max(0, s.free - staying_s[sid])
            for need, pool in s.pools.items():
                self.p_free[(sid, need)] = max(0, pool.free - staying_p[(sid, need)])
        self.s_taken: Counter[str] = Counter()
        self.p_taken: Counter[tuple[str, Need]] = Counter()
        self.holders: dict[str, list[str]] = defaultdict(list)
        for cid, sid in at.items():
            if self.home.get(cid) == sid:
                continue  # its own seat, kept above
            self.s_taken[sid] += 1
            q = pairs[cid][sid].pool if sid in pairs[cid] else None
            if q is not None:
                self.p_taken[(sid, q)] += 1
            self.holders[sid].append(cid)

    def cost(self, cid: str) -> int:
        sid = self.at.get(cid)
        return self.pairs[cid][sid].cost if sid is not None and sid in self.pairs[cid] else 0

    def pool_full(self, sid: str, q: Need | None) -> bool:
        return q is not None and self.p_taken[(sid, q)] >= self.p_free[(sid, q)]

    def room(self, sid: str, q: Need | None, cid: str | None = None) -> bool:
        if cid is not None and self.home.get(cid) == sid:
            return True  # a child's own seat is always there for it
        return self.s_taken[sid] < self.s_free[sid] and not self.pool_full(sid, q)

    def claim(self, cid: str, sid: str) -> int:
        for p in self.ck.children[cid].preferences:
            if p.setting_id == sid:
                return p.rank
        return _ASKED_NONE

    def may_go(self, cid: str, sid: str) -> bool:
        """A move the LA may make for a child in an exchange: a suitable setting other than
        its own; a child in mainstream whose family did not ask for specialist stays there."""
        here = self.at.get(cid)
        if sid == here or sid not in self.pairs[cid]:
            return False
        if here is None or not self.ck.settings[here].kind.is_mainstream:
            return True
        c = self.ck.children[cid]
        asked_spec = any(
            not self.ck.settings[p.setting_id].kind.is_mainstream for p in c.preferences
        )
        return asked_spec or self.ck.settings[sid].kind.is_mainstream

    def displaceable(self, sid: str, q: Need | None, claim: int) -> list[str]:
        """Holders an entrant with ``claim`` (needing pool ``q``) may take a place from."""
        out = []
        full_pool = self.pool_full(sid, q)
        for h in self.holders[sid]:
            if self.home.get(h) == sid:
                continue  # nobody takes a child's own seat
            if full_pool and self.pairs[h][sid].pool != q:
                continue
            if self.claim(h, sid) > claim:
                out.append(h)
        return out

    def exchange(self, cid: str, sid: str) -> tuple[int, list[str]] | None:
        """The cheapest exchange naming ``cid``'s request for ``sid`` (full), within the
        threshold: (extra cost, the moves as text), or None."""
        me = self.pairs[cid][sid]
        here = self.at.get(cid)
        own = me.cost - self.cost(cid) if here is not None else 0
        alt = self.cost(cid) if here is not None else me.cost
        thr = self.ck.threshold(alt)
        budget = thr - own
        if budget < 0:
            return None
        if here is not None and self.home.get(cid) == here:
            here = None  # its own seat: it leaves no place another child may take
        vac_pool = self.pairs[cid][here].pool if here is not None else None
        r = self.claim(cid, sid)
        dist: dict[str, int] = {}
        prev: dict[str, tuple[str, str]] = {}
        heap: list[tuple[int, str]] = []
        for h in self.displaceable(sid, me.pool, r):
            if h != cid:
                dist[h] = 0
                prev[h] = (cid, sid)
                heap.append((0, h))
        heapq.heapify(heap)
        done: set[str] = set()

        def chain(last: str, to: str) -> list[str]:
            steps = [f"{last} -> {to}"]
            j = last
            while True:
                mover, where = prev[j]
                steps.append(f"{mover} -> {where}")
                if mover == cid:
                    break
                j = mover
            return steps[::-1]

        while heap:
            d, j = heapq.heappop(heap)
            if j in done or d > budget:
                continue
            done.add(j)
            base = self.cost(j)
            best: tuple[int, str] | None = None
            for t, q in self.pairs[j].items():
                if not self.may_go(j, t):
                    continue
                step = max(q.cost - base, 0)
                fits = self.room(t, q.pool, j) or (
                    t == here
                    and (q.pool is None or q.pool == vac_pool or not self.pool_full(t, q.pool))
                )
                if fits and d + step <= budget and (best is None or d + step < best[0]):
                    best = (d + step, t)
            if best is not None:
                return own + best[0], chain(j, best[1])
            for p in self.ck.children[j].preferences:
                t = p.setting_id
                if not self.may_go(j, t):
                    continue
                q = self.pairs[j][t]
                nd = d + max(q.cost - base, 0)
                if nd > budget:
                    continue
                for h in self.displaceable(t, q.pool, p.rank):
                    if h != cid and h not in done and nd < dist.get(h, 1 << 62):
                        dist[h] = nd
                        prev[h] = (j, t)
                        heapq.heappush(heap, (nd, h))
        return None

    def dear(self, cid: str, sid: str) -> bool:
        """Its cost exceeds the setting named, or the cheapest other suitable one with a free
        place, by more than the threshold."""
        cost = self.pairs[cid][sid].cost
        alts = []
        here = self.at.get(cid)
        if here is not None and here in self.pairs[cid]:
            alts.append(self.pairs[cid][here].cost)
        free = [
            q.cost
            for t, q in self.pairs[cid].items()
            if t not in (sid, here) and self.room(t, q.pool, cid)
        ]
        if free:
            alts.append(min(free))
        return any(cost - a > self.ck.threshold(a) for a in alts)


def max_placed(ck: Checker, run: Held) -> tuple[int, list[str]]:
    """A maximum flow over every suitable pair (source -> child -> pool -> setting -> sink)
    and the children it places that the allocation leaves unplaced."""
    kids = sorted(run.pairs)
    sids = sorted(ck.settings)
    pools = sorted(run.p_free)
    n, m, k = len(kids), len(sids), len(pools)
    src, sink = 0, 1 + n + k + m
    s_node = {sid: 1 + n + k + j for j, sid in enumerate(sids)}
    p_node = {key: 1 + n + x for x, key in enumerate(pools)}
    rows: list[int] = []
    cols: list[int] = []
    caps: list[int] = []
    for x, cid in enumerate(kids):
        if run.pairs[cid]:
            rows.append(src)
            cols.append(1 + x)
            caps.append(1)
        for sid, q in run.pairs[cid].items():
            rows.append(1 + x)
            if run.home.get(cid) == sid:
                cols.append(sink)  # its own seat
            else:
                cols.append(s_node[sid] if q.pool is None else p_node[(sid, q.pool)])
            caps.append(1)
    for key in pools:
        rows.append(p_node[key])
        cols.append(s_node[key[0]])
        caps.append(run.p_free[key])
    for sid in sids:
        rows.append(s_node[sid])
        cols.append(sink)
        caps.append(run.s_free[sid])
    size = sink + 1
    g = sp.csr_matrix(
        (np.array(caps, np.int32), (np.array(rows), np.array(cols))), shape=(size, size)
    )
    res = maximum_flow(g, src, sink)
    flow = res.flow.tocsr()
    could = []
    for x, cid in enumerate(kids):
        if cid not in run.at and run.pairs[cid] and flow[src, 1 + x] > 0:
            could.append(cid)
    return int(res.flow_value), could
