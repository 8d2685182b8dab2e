"""Repairs made on an allocation itself: every family preference refused without a ground
that holds in the allocation (:meth:`placement.lawful.Standing.violations`) is named by the
exchange (or free place) the law finds, until none is left, then s.33 is applied to any child
the exchanges left outside mainstream while a suitable mainstream place is free.

Used by both mechanisms: preference-first after its completion, the optimised run for what its
pruned flow model cannot repair (and a what-if after its re-solve, with its child kept).
Pure: no I/O.
"""

from __future__ import annotations

import numpy as np

from placement.lawful import Exchange, Standing
from placement.problem import Problem
from placement.result import preference_pairs
from placement.rules.common import I64, B
from placement.solve.params import DEFAULT_PARAMS, SolveParams

__all__ = ["name_by_exchange"]


def name_by_exchange(
    p: Problem,
    assign: I64,
    fixed: frozenset[int] = frozenset(),
    *,
    params: SolveParams = DEFAULT_PARAMS,
) -> tuple[I64, int]:
    """Apply the exchange (or free place) that names each preference left without a lawful
    ground (:meth:`placement.lawful.Standing.violations`), one after another: a violation
    found on an allocation that an earlier application has since changed (a child or setting
    it touches) is checked again first. Then move any child the exchanges left outside
    mainstream while a suitable mainstream place is free (s.33). Each application gives a
    family a setting it ranked higher at the expense only of weaker claims, or a child the
    mainstream place the law presumes, so the rounds end. ``fixed``: children that stay where
    they are (a what-if's): never moved, by an exchange or for s.33. ``params``: at most
    ``params.max_exchange_rounds`` rounds."""
    ex = _Exchanges(p, assign.copy(), fixed)
    applied = 0
    for _ in range(params.max_exchange_rounds):
        st, viol = ex.violations()
        if not viol:
            # a place freed by an exchange may be a mainstream one that a child outside
            # mainstream (not asking for specialist) must now have (s.33)
            if not ex.to_mainstream(st):
                break
            continue
        applied += ex.apply(viol)
    return ex.a, applied


Violation = tuple[int, int, Exchange | None]  # child, the pair refused, the exchange naming it


class _Exchanges:
    """The allocation ``a`` (changed in place) and the children that stay where they are."""

    def __init__(self, p: Problem, a: I64, fixed: frozenset[int]) -> None:
        self.p, self.a, self.fixed = p, a, fixed
        self.pref_pairs = preference_pairs(p)
        pr = p.pairs
        self.keep: B | None = None  # pairs a move may use: none of a fixed child's
        if fixed:
            self.keep = np.ones(len(pr), np.bool_)
            for c in fixed:
                self.keep[int(pr.start[c]) : int(pr.start[c + 1])] = False

    def without_fixed(
        self, st: Standing, i: int, k: int, ex: Exchange | None
    ) -> tuple[bool, Exchange | None]:
        """The violation as it may be repaired with the fixed children where they are."""
        if i in self.fixed:
            return False, None
        if ex is None or self.keep is None or not any(m.child_idx in self.fixed for m in ex.moves):
            return True, ex
        other = st.exchange(i, k, self.keep)
        return other is not None, other

    def violations(self) -> tuple[Standing, list[Violation]]:
        """The allocation's standing and every preference refused without a ground that can
        be repaired with the fixed children kept."""
        st = Standing(self.p, self.a.copy())
        viol = []
        for i, k, ex in st.violations(self.pref_pairs):
            ok, ex = self.without_fixed(st, i, k, ex)
            if ok:
                viol.append((i, k, ex))
        return st, viol

    def to_mainstream(self, st: Standing) -> bool:
        """Move each child outside mainstream (not asking for specialist, not fixed) into the
        nearest free suitable mainstream place, one child a setting. False when no child is
        left to move."""
        p, fixed = self.p, self.fixed
        pr = p.pairs
        breach = np.flatnonzero(st.s33_breaches())
        if breach.shape[0] == 0:
            return False
        free_main = p.s_mainstream[pr.setting] & ~pr.beyond_limit & st.room
        used: set[int] = set()
        breach = breach[~np.isin(breach, np.fromiter(fixed, np.int64, len(fixed)))]
        if breach.shape[0] == 0:
            return False
        for i in breach.tolist():
            lo, hi = int(pr.start[i]), int(pr.start[i + 1])
            cand = [k for k in range(lo, hi) if free_main[k] and int(pr.setting[k]) not in used]
            if cand:
                k = min(cand, key=lambda x: (int(pr.travel_min[x]), x))
                used.add(int(pr.setting[k]))
                self.a[i] = k
        return True

    def _moves(
        self, i: int, k: int, ex: Exchange | None
    ) -> tuple[list[tuple[int, int]], set[int], set[int]]:
        """A repair's moves, the children they move and the settings they touch (left and
        entered)."""
        a, pr = self.a, self.p.pairs
        moves = [(i, k)] if ex is None else [(mv.child_idx, mv.to_pair) for mv in ex.moves]
        kids = {c for c, _ in moves}
        setts = {int(pr.setting[t]) for _, t in moves}
        setts |= {int(pr.setting[a[c]]) for c, _ in moves if a[c] >= 0}
        return moves, kids, setts

    def apply(self, viol: list[Violation]) -> int:
        """Apply the repairs one after another: one found on an allocation an earlier one
        has since changed (a child or setting it touches) is checked again first (one
        touching none of them still holds as found). Returns the repairs applied."""
        touched_c: set[int] = set()
        touched_s: set[int] = set()
        fresh: Standing | None = None  # the allocation as it is now (None: changed since)
        applied = 0
        for i, k, ex in viol:
            moves, kids, setts = self._moves(i, k, ex)
            if kids & touched_c or setts & touched_s:
                if fresh is None:
                    fresh = Standing(self.p, self.a.copy())
                bad, ex = fresh.check(i, k)
                if bad:
                    bad, ex = self.without_fixed(fresh, i, k, ex)
                if not bad:
                    continue
                moves, kids, setts = self._moves(i, k, ex)
            touched_c |= kids
            touched_s |= setts
            for c, t in moves:
                self.a[c] = t
            fresh = None
            applied += 1
        return applied
