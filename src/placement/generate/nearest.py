"""Vectorised nearest-candidate searches over the settings, for the children: the search
(:class:`CandidateSearch`) and the candidates each child starts from (the nearest settings of
the kind it is bound for, and a mainstream school or college for its age to fall back on)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.spatial import cKDTree

from placement.domain import Entry, Need
from placement.generate.arrays import ChildArrays, SettingGroups
from placement.generate.calibration import (
    F64,
    FE,
    I64,
    MAIN,
    NEED_IDX,
    OTHER,
    RP,
    SAC,
    SLA,
    SNM,
    SPI,
    B,
)
from placement.generate.settings import FAMILY_FIT, SettingDraft

Mode = Literal["none", "age", "fit", "direct"]
_ENTRIES = (Entry.MIXED, Entry.GIRLS, Entry.BOYS)  # CandidateSearch.entry's codes


@dataclass(frozen=True, slots=True)
class CandidateSearch:
    """Settings and children as arrays, for vectorised nearest-candidate searches.

    ``low``, ``high``, ``direct`` and ``fit`` follow the settings' drafts as their estimated
    ages and designations are fitted to the children placed there (:meth:`refresh`)."""

    sxy: F64
    low: I64
    high: I64
    entry: I64  # 0 mixed, 1 girls, 2 boys
    direct: I64  # bitmask over NEED_CODES of designations
    fit: I64  # bitmask of needs a family reads the designations as meeting
    kids: ChildArrays

    @classmethod
    def of_drafts(cls, recs: Sequence[SettingDraft], kids: ChildArrays) -> CandidateSearch:
        """The search over these settings for these children."""
        bits = [designation_bits(r.designations) for r in recs]
        return cls(
            sxy=np.array([[r.x, r.y] for r in recs], np.float64).reshape(len(recs), 2),
            low=np.array([r.low for r in recs], np.int64),
            high=np.array([r.high for r in recs], np.int64),
            entry=np.array([_ENTRIES.index(r.entry) for r in recs]),
            direct=np.array([d for d, _ in bits], np.int64),
            fit=np.array([f for _, f in bits], np.int64),
            kids=kids,
        )

    def refresh(self, j: int, rec: SettingDraft) -> None:
        """Setting ``j``'s ages and designations as its draft ``rec`` now has them."""
        self.low[j], self.high[j] = rec.low, rec.high
        self.direct[j], self.fit[j] = designation_bits(rec.designations)

    def valid(self, rows: I64, s: I64, mode: Mode) -> B:
        """Which settings ``s`` suit the children ``rows`` (broadcast): every mode but
        ``none`` checks the age and the entry (mixed, girls, boys); ``direct`` also needs a
        designation for the child's need, ``fit`` one a family reads as meeting it."""
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


def need_bits(needs: Iterable[Need]) -> int:
    """A bitmask over NEED_CODES of these needs (DS, which no child has, is left out)."""
    return sum(1 << NEED_IDX[n] for n in needs if n in NEED_IDX)


def designation_bits(designations: Iterable[Need]) -> tuple[int, int]:
    """Bitmasks of the needs a setting is designated for, and of the needs a family reads
    those designations as meeting (:data:`~placement.generate.settings.FAMILY_FIT`)."""
    ds = list(designations)
    return need_bits(ds), need_bits([x for d in ds for x in FAMILY_FIT[d]])


def merge_rows(first: I64, second: I64) -> I64:
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


def bound_candidates(search: CandidateSearch, groups: SettingGroups) -> I64:
    """For each child, the three nearest settings of the kind it is bound for (-1 where there
    are fewer): mainstream schools of its phase; units first, then its phase's mainstream
    schools; state special schools of either kind (non-maintained ones with them);
    specialist post-16 institutions and colleges."""
    kids, of = search.kids, groups.of
    n = kids.n
    young = kids.age < 11
    everyone = np.arange(n, dtype=np.int64)
    cands = np.full((n, 3), -1, np.int64)
    for p in range(OTHER):
        sel = everyone[kids.intended == p]
        if p in (MAIN, RP):
            for ph, pool in ((True, groups.primary), (False, groups.secondary)):
                rows = sel[young[sel] == ph]
                if p == RP:  # units first, then the host phase's mainstream schools
                    got = search.nearest(rows, of[RP], "fit")
                    cands[rows] = merge_rows(got, search.nearest(rows, pool, "age"))
                else:
                    cands[rows] = search.nearest(rows, pool, "age")
            continue
        cand = {
            SLA: np.union1d(of[SLA], of[SAC]),
            SAC: np.union1d(of[SLA], of[SAC]),
            SNM: np.union1d(of[SNM], np.union1d(of[SLA], of[SAC])),
            SPI: np.union1d(of[SPI], of[FE]),
        }.get(p, of[p])
        cands[sel] = search.nearest(sel, cand, "age" if p == FE else "fit")
    return cands


def fallback_candidates(search: CandidateSearch, groups: SettingGroups) -> I64:
    """For each child, the nearest mainstream school (or, from 16, college or sixth form) for
    its age: where it asks if nothing of its own kind is near."""
    kids = search.kids
    everyone = np.arange(kids.n, dtype=np.int64)
    fallback = np.full(kids.n, -1, np.int64)
    for rows, pool in (
        (everyone[kids.age < 11], groups.primary),
        (everyone[(kids.age >= 11) & (kids.age < 16)], groups.secondary),
        (everyone[kids.age >= 16], np.union1d(groups.of[FE], groups.secondary)),
    ):
        fallback[rows] = search.nearest(rows, pool, "age", 1)[:, 0]
    return fallback
