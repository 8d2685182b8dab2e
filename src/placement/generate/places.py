"""The places of a synthetic area's settings, sized to its children (see
:mod:`placement.generate`, "Free places").

Specialist and unit places are a little over the children the placement mix sends there
(:data:`TIGHTNESS`), each counted at the nearest suitable setting of its kind and in the pool
it takes there; the spare places go where the children are and where real schools are big.
Mainstream schools and colleges have free places for the children nearest them, plus slack.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from placement.domain import Need
from placement.generate.arrays import ChildArrays, SettingGroups
from placement.generate.calibration import (
    AP,
    F64,
    FE,
    I64,
    MAIN,
    NEED_CODES,
    OTHER,
    RP,
    SAC,
    SIND,
    SLA,
    SNM,
    SPECIALIST_IDX,
)
from placement.generate.nearest import CandidateSearch
from placement.generate.settings import FAMILY_FIT, SettingDraft, apportion

__all__ = [
    "COLLEGE_SLACK",
    "MAINSTREAM_SLACK",
    "REAL_SIZE_WEIGHT",
    "TIGHTNESS",
    "pool_need",
    "size_mainstream_places",
    "size_specialist_places",
]

TIGHTNESS = (1.0, 1.01)
"""Specialist and unit free places per child the placement mix sends there (uniform draw per
area and placement): a place for each (at the setting the child is counted at, in the pool it
takes) and 0-1% spare, none for the children awaiting provision. Tight, as about two-thirds of
state special schools are at or over capacity (DfE school capacity 2023-24) and LAs place
children out of area and in independent schools for want of places (DOMAIN.md section 4);
no tighter, since the DfE counts only the awaiting-provision children as without a place, and
a baseline run should leave about as many unplaced (calibrated by scripts/placement_mix.py:
at 0.90-0.98 a baseline left 2-6 points more unplaced than the LA's real share)."""
MAINSTREAM_SLACK = (1.3, 2.0)
"""Free mainstream and college places per nearby child with a plan who is bound there (uniform
per school): plentiful, since only about 1 in 40 pupils has a plan (DfE SEN in England 2025)."""
COLLEGE_SLACK = (1.05, 1.2)
"""Free college places per nearby young person with a plan bound there (uniform per college):
a few spare, since an LA commissions its colleges' high-needs places (ESFA place funding,
element 2) for the young people it expects. At the mainstream schools' slack, colleges took
the young people the LA places in special schools and specialist colleges (a baseline run
sent 1-4 points more of an LA's plans to college than the LA does)."""
REAL_SIZE_WEIGHT = 0.5
"""Weight of a real special school's own pupils with plans (per designation) beside the
children nearest it when its places are apportioned (assumption: half and half)."""


def pool_need(rec: SettingDraft, need: Need) -> Need:
    """The designation (pool) of ``rec`` a child with ``need`` takes a place in."""
    if need in rec.designations:
        return need
    for d in rec.designations:
        if need in FAMILY_FIT[d]:
            return d
    return next(iter(rec.designations))


def size_specialist_places(
    recs: Sequence[SettingDraft],
    search: CandidateSearch,
    groups: SettingGroups,
    joint: F64,
    scale: float,
    transfer: bool,
    rng: np.random.Generator,
) -> I64:
    """The pools of the units and specialist settings: tight (:data:`TIGHTNESS`), where the
    children are. Returns the setting each placed child bound there is counted at (-1: none,
    and for every other child); the settings' estimated ages and designations are fitted to
    those children (:func:`_fit_own`). In a ``transfer`` cohort the pools' rolls hold the rest
    of the LA's caseload; otherwise 0-6% of the places hold children placed by other LAs."""
    kids = search.kids
    tight = {p: float(rng.uniform(*TIGHTNESS)) for p in (RP, *SPECIALIST_IDX)}
    placed = kids.group != OTHER
    everyone = np.arange(kids.n, dtype=np.int64)
    own = np.full(kids.n, -1, np.int64)
    spare = _spare_kinds(groups.of)
    for p, r in tight.items():
        rows = everyone[placed & (kids.intended == p)]
        cand = groups.of[p]
        if cand.size == 0 and rows.size:
            cand = spare.get(p, cand)
        got = _nearest_suitable(search, rows, cand)
        own[rows] = got
        _fit_own(recs, search, rows, got)
        keys = [(int(j), d) for j in cand for d in recs[int(j)].designations]
        free = _free_places(recs, keys, got, kids.need[rows], round(r * rows.size), scale)
        if transfer:  # the rest of the caseload is on roll
            whole = float(joint[:, p, :].sum()) * scale * r
            rolls = apportion(max(0, round(whole) - int(free.sum())), free.astype(np.float64) + 0.5)
        else:  # children placed by other LAs (cross-border), 0-6%
            rolls = np.rint(free * rng.uniform(0.0, 0.06, free.size)).astype(np.int64)
        for (j, d), f, ro in zip(keys, free.tolist(), rolls.tolist(), strict=True):
            acc = recs[j].pools.setdefault(d, [0, 0])  # a spare kind's add to its own
            acc[0] += int(f)
            acc[1] += int(ro)
        if p == AP:  # most pupils in AP have no plan
            for j in cand.tolist():
                d0 = next(iter(recs[j].designations))
                recs[j].pools[d0][1] += int(rng.integers(10, 41))
    return own


def _spare_kinds(of: dict[int, I64]) -> dict[int, I64]:
    """Where a kind has no setting (real schools: all of an LA's state special schools may be
    drawn as academies), the settings its children's places go to."""
    state_special = np.union1d(of[SLA], of[SAC])
    return {
        SLA: of[SAC],
        SAC: of[SLA],
        SNM: state_special,
        SIND: np.union1d(state_special, of[SNM]),
    }


def _nearest_suitable(search: CandidateSearch, rows: I64, cand: I64) -> I64:
    """For each child in ``rows``, the nearest of ``cand`` designated for its need, else the
    nearest a family reads as meeting it, else the nearest for its age, else the nearest."""
    got = np.full(rows.size, -1, np.int64)
    for mode in ("direct", "fit", "age", "none"):
        left = np.flatnonzero(got < 0)
        if left.size == 0 or cand.size == 0:
            break
        got[left] = search.nearest(rows[left], cand, mode, 1)[:, 0]
    return got


def _fit_own(recs: Sequence[SettingDraft], search: CandidateSearch, rows: I64, got: I64) -> None:
    """Make the estimated ages and designations of the settings where the LA places children
    (``got``, each child's own setting) take those children's ages, needs and need levels:
    the LA places them there, so the school meets them (what the public data lacks is
    calibrated to who is placed where). Known ages and designations are left as they are."""
    kids: ChildArrays = search.kids
    for i, j in zip(rows.tolist(), got.tolist(), strict=True):
        if j < 0:
            continue
        rec, age = recs[j], int(kids.age[i])
        if not rec.low <= age < rec.high and rec.is_estimated("low_age"):
            rec.low, rec.high = min(rec.low, age), max(rec.high, age + 1)
            search.refresh(j, rec)
        if not rec.is_estimated("designations"):
            continue
        need, band = NEED_CODES[int(kids.need[i])], int(kids.band[i])
        if rec.designations.get(need, 0) < band:
            rec.designations[need] = max(band, rec.designations.get(need, 0))
            search.refresh(j, rec)


def _free_places(
    recs: Sequence[SettingDraft],
    keys: Sequence[tuple[int, Need]],
    got: I64,
    needs: I64,
    target: int,
    scale: float,
) -> I64:
    """Free places in each pool ``keys`` (setting, designation): a place for each child
    counted at a setting (``got``), in the pool it takes, and the spare places up to
    ``target`` where the children are and where real schools are big."""
    key_at = {k: i for i, k in enumerate(keys)}
    counted = np.zeros(len(keys), np.int64)
    for j, k in zip(got.tolist(), needs.tolist(), strict=True):
        if j >= 0:
            counted[key_at[(j, pool_need(recs[j], NEED_CODES[k]))]] += 1
    spare_w = counted.astype(np.float64) + 0.25
    for i_key, (j, _d) in enumerate(keys):  # a real school's own size counts too
        rec_j = recs[j]
        if rec_j.ehc and rec_j.in_area:
            spare_w[i_key] += REAL_SIZE_WEIGHT * rec_j.ehc / len(rec_j.designations) * scale
    free: I64 = counted + apportion(max(0, target - int(counted.sum())), spare_w)
    return free


def size_mainstream_places(
    recs: Sequence[SettingDraft],
    kids: ChildArrays,
    groups: SettingGroups,
    cands: I64,
    rng: np.random.Generator,
) -> None:
    """Free places at mainstream schools and colleges for the children nearest them
    (``cands``' first column), with slack (:data:`MAINSTREAM_SLACK`,
    :data:`COLLEGE_SLACK`), and their rolls: a real school's own (school census), else the
    rest of a school's capacity."""
    everyone = np.arange(kids.n, dtype=np.int64)
    for p in (MAIN, FE):
        rows = everyone[kids.intended == p]
        near = cands[rows, 0]
        nearby = np.bincount(near[near >= 0], minlength=len(recs))
        slack = MAINSTREAM_SLACK if p == MAIN else COLLEGE_SLACK
        for j in groups.of[p].tolist():
            rec = recs[j]
            rec.free = math.ceil(nearby[j] * float(rng.uniform(*slack))) + int(rng.integers(1, 4))
            if p == MAIN and not rec.real:
                capacity = max(rec.size, math.ceil(rec.free / 0.15))
                rec.roll = capacity - rec.free
            else:
                rec.roll = rec.size
