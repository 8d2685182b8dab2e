"""Vectorised nearest-candidate searches over the settings, for the children."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.spatial import cKDTree

from placement.domain import Need
from placement.generate.calibration import _N, F64, I64, B
from placement.generate.children import _Kids

Mode = Literal["none", "age", "fit", "direct"]


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Settings and children as arrays, for vectorised nearest-candidate searches."""

    sxy: F64
    low: I64
    high: I64
    entry: I64  # 0 mixed, 1 girls, 2 boys
    direct: I64  # bitmask over NEED_CODES of designations
    fit: I64  # bitmask of needs a family reads the designations as meeting
    kids: _Kids

    def valid(self, rows: I64, s: I64, mode: Mode) -> B:
        if mode == "none":
            return np.ones(np.broadcast_shapes(rows.shape, s.shape), np.bool_)
        age = self.kids.age[rows]
        fem = self.kids.female[rows]
        e = self.entry[s]
        ok = (self.low[s] <= age) & (age < self.high[s])
        ok &= (e == 0) | ((e == 1) & fem) | ((e == 2) & ~fem)
        if mode != "age":
            bits = self.direct[s] if mode == "direct" else self.fit[s]
            ok &= ((bits >> self.kids.need[rows]) & 1) == 1
        return np.asarray(ok, np.bool_)

    def nearest(self, rows: I64, cand: I64, mode: Mode, k_out: int = 3) -> I64:
        """For each child in ``rows``, the ``k_out`` nearest of ``cand`` passing ``mode``
        (setting indices, nearest first; -1 where there are fewer)."""
        out = np.full((rows.size, k_out), -1, np.int64)
        if rows.size == 0 or cand.size == 0:
            return out
        k = min(cand.size, 32)
        _, j = cKDTree(self.sxy[cand]).query(self.kids.xy[rows], k=k)
        s = cand[np.asarray(j, np.int64).reshape(rows.size, k)]
        self._pick(out, np.arange(rows.size), rows, s, mode)
        short = np.flatnonzero((out[:, -1] < 0) & (k < cand.size))
        step = max(1, 4_000_000 // cand.size)
        for lo in range(0, short.size, step):  # the rest: every candidate, nearest first
            sel = short[lo : lo + step]
            d = np.hypot(
                self.kids.xy[rows[sel], 0][:, None] - self.sxy[cand, 0][None, :],
                self.kids.xy[rows[sel], 1][:, None] - self.sxy[cand, 1][None, :],
            )
            s2 = cand[np.argsort(d, axis=1, kind="stable")]
            self._pick(out, sel, rows[sel], s2, mode)
        return out

    def _pick(self, out: I64, at: I64, rows: I64, s: I64, mode: Mode) -> None:
        ok = self.valid(rows[:, None], s, mode)
        k_out = out.shape[1]
        order = np.argsort(~ok, axis=1, kind="stable")[:, :k_out]
        sel = np.take_along_axis(s, order, 1)
        good = np.take_along_axis(ok, order, 1)
        res = np.where(good, sel, -1)
        if res.shape[1] < k_out:
            res = np.pad(res, ((0, 0), (0, k_out - res.shape[1])), constant_values=-1)
        out[at] = res


def _bits(needs: Sequence[Need] | frozenset[Need]) -> int:
    return sum(1 << _N[n] for n in needs if n in _N)


def _merge(first: I64, second: I64) -> I64:
    """Row-wise: ``first``'s entries, then ``second``'s not already there, up to the width."""
    out = np.full_like(first, -1)
    for i in range(first.shape[0]):
        row: list[int] = []
        for j in (*first[i].tolist(), *second[i].tolist()):
            if j >= 0 and j not in row:
                row.append(j)
        row = row[: first.shape[1]]
        out[i, : len(row)] = row
    return out
