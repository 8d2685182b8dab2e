"""The calibration: the joint (age, placement, need) model of each LA's EHC plans.

The LAs' published statistics are the register's (:mod:`placement.register`); here they are
indexed as the generator draws from them, and each LA's joint table is fitted by iterative
proportional fitting (see :mod:`placement.generate`)."""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt

from placement.data import vendored_rows
from placement.domain import Need
from placement.register import AGES, GROUPS, NEEDS, PLACEMENTS, list_las

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

# -- the calibration's vocabulary, as the generator indexes it ----------------------------------

NEED_CODES: Final = tuple(Need(n.upper()) for n in NEEDS)
SPECIALIST: Final = frozenset(
    {
        "special_la",
        "special_academy",
        "special_independent",
        "special_nm",
        "ap",
        "post16_specialist",
    }
)
"""Placements whose settings are specialist (:attr:`SettingKind.is_specialist`)."""
TRANSFER_YEARS: Final = (0, 7, 12)  # Reception, Year 7, Year 12
TRANSFER_AGES: Final = tuple(y + 4 for y in TRANSFER_YEARS)

MAIN, RP, SLA, SAC, SIND, SNM, AP, FE, SPI, OTHER = range(len(PLACEMENTS))
SPECIALIST_IDX: Final = tuple(k for k, p in enumerate(PLACEMENTS) if p in SPECIALIST)
NUM_PLACEMENTS, NUM_NEEDS, NUM_AGES = len(PLACEMENTS), len(NEEDS), len(AGES)
NEED_IDX = {n: k for k, n in enumerate(NEED_CODES)}


# -- the joint model ---------------------------------------------------------------------------


def _div(a: F64, b: F64) -> F64:
    out: F64 = np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > 0)
    return out


@cache
def _national_age_placement() -> F64:
    rows = vendored_rows("national_age_placement.csv")
    return np.array([[float(r[p]) for p in PLACEMENTS] for r in rows], np.float64)


_AGE_GROUP = np.array([0 if a <= 4 else 1 if a <= 10 else 2 if a <= 15 else 3 for a in AGES])


@cache
def joint_table(la_code: str) -> F64:
    """Expected plans by (age, placement, need), shape (24, 10, 12), summing to ``plans``.

    Iterative proportional fitting of a uniform start to the LA's three two-way tables, then
    single years within each age group from England's placement-by-age profile fitted to the
    LA's ages and the group's placements (see the module docstring).
    """
    la = next(x for x in list_las() if x.la_code == la_code)
    gp = np.array([la.placements[g] for g in GROUPS], np.float64)  # (4, 10)
    gn = np.array([la.needs[g] for g in GROUPS], np.float64)  # (4, 12)
    pn = np.array([la.need_by_placement[p] for p in PLACEMENTS], np.float64)  # (10, 12)
    mix = np.array([la.need_mix[n] for n in NEEDS], np.float64) + 1e-9
    # make the margins agree: unknown needs are spread like the known ones
    gn = np.where(gn.sum(1, keepdims=True) > 0, gn, mix[None, :])
    gn = gn * _div(gp.sum(1), gn.sum(1))[:, None]
    pn = np.where(pn.sum(1, keepdims=True) > 0, pn, mix[None, :])
    pn = pn * _div(gp.sum(0), pn.sum(1))[:, None]
    t = np.ones((4, NUM_PLACEMENTS, NUM_NEEDS), np.float64)
    for _ in range(60):
        t *= _div(gn, t.sum(1))[:, None, :]
        t *= _div(pn, t.sum(0))[None, :, :]
        t *= _div(gp, t.sum(2))[:, :, None]  # last: the placement table holds exactly
    nat = _national_age_placement()
    ages = np.array(la.ages, np.float64)
    out = np.zeros((NUM_AGES, NUM_PLACEMENTS, NUM_NEEDS), np.float64)
    for g in range(4):
        rows = np.flatnonzero(np.equal(_AGE_GROUP, g))
        q = nat[rows] + 1e-6
        target_p = t[g].sum(1)
        for _ in range(100):
            q *= _div(target_p, q.sum(0))[None, :]
            q *= _div(ages[rows], q.sum(1))[:, None]
        need_given_p = _div(t[g], t[g].sum(1)[:, None])
        out[rows] = q[:, :, None] * need_given_p[None, :, :]
    total = out.sum()
    if total > 0:
        out *= la.plans / total
    return out
