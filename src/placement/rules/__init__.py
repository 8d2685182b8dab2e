"""Eligibility rules: each rule lives in one module and gives both its part of the optimisation
(a vectorised ``passes`` mask that decides which child-setting pairs become arcs) and its part of
the explanation (``explain``, a :class:`~placement.reasons.Reason` with the evidence).

A setting is suitable for a child only if every rule in :data:`RULES` passes. Rules run in the
order a tribunal would test them: s.39(4)(a) suitability (age, sex, need, level, secondary
needs, features), then exclusions, then the LA's journey limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from placement.rules import age, band, exclusion, features, journey, need, secondary, sex
from placement.rules.common import I32, I64, B

if TYPE_CHECKING:
    from placement.problem import Problem
    from placement.reasons import Reason, ReasonCode

__all__ = [
    "GRID_RULES",
    "PAIR_RULES",
    "RULES",
    "Rule",
    "eligibility_mask",
    "suitable",
    "why_unsuitable",
]


class Rule(Protocol):
    """What every rule module provides."""

    CODE: ReasonCode

    def passes(self, p: Problem, ci: I64, si: I64, minutes: I32) -> B: ...

    def explain(self, p: Problem, i: int, s: int, minutes: int) -> Reason | None: ...


RULES: tuple[Rule, ...] = (age, sex, need, band, secondary, features, exclusion, journey)
# How :func:`suitable` evaluates RULES: the rules that read a child only through its attribute
# arrays (``c_*`` but its home) and the setting's on the child x setting grid, then exclusions
# and the journey (a key lookup and a distance) on the pairs that passed them. Together,
# exactly RULES.
GRID_RULES: tuple[Rule, ...] = (need, age, band, sex, secondary, features)
PAIR_RULES: tuple[Rule, ...] = (exclusion, journey)
assert sorted(map(id, GRID_RULES + PAIR_RULES)) == sorted(map(id, RULES))


def eligibility_mask(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    """True where every rule passes. ``ci`` (rows, 1) and ``si`` (1, cols) broadcast."""
    ok: B = np.ones(np.broadcast_shapes(ci.shape, si.shape), np.bool_)
    for rule in RULES:
        ok &= rule.passes(p, ci, si, minutes)
    return ok


def suitable(p: Problem, rows: I64, cols: I64, block_cells: int = 1 << 21) -> tuple[I64, I64, I32]:
    """(child, setting, journey minutes) of every pair of ``rows`` x ``cols`` (1-D index
    arrays) where every rule passes, in row-major order: the same pairs as
    :func:`eligibility_mask` on the grid, with less work. The grid rules run once per
    distinct combination of the children's attributes (on one child with it: they read
    nothing else of a child), the pair rules only on the pairs that passed them.
    ``block_cells`` bounds the cells of each step (memory)."""
    # each child's combination of attributes as one integer (kept below len(rows))
    key = np.zeros(rows.shape[0], np.int64)
    for f in _child_attributes():
        _, v = np.unique(getattr(p, f)[rows], return_inverse=True)
        key = key * (int(v.max()) + 1 if v.shape[0] else 1) + v.reshape(-1)
        _, key = np.unique(key, return_inverse=True)
        key = key.reshape(-1)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    cls = inv.reshape(-1)
    reps = rows[first]
    step = max(1, block_cells // max(1, cols.shape[0]))
    ok_cls: B = np.ones((reps.shape[0], cols.shape[0]), np.bool_)
    none = np.zeros((1, 1), np.int32)  # grid rules do not read minutes
    for lo in range(0, reps.shape[0], step):
        part = ok_cls[lo : lo + step]
        for rule in GRID_RULES:
            part &= rule.passes(p, reps[lo : lo + step, None], cols[None, :], none)
    parts: list[tuple[I64, I64, I32]] = []
    for lo in range(0, rows.shape[0], step):
        r, c = np.nonzero(ok_cls[cls[lo : lo + step]])
        ci, si = rows[lo + r], cols[c]
        minutes = journey.journey_minutes(p, ci, si)
        keep = np.ones(ci.shape[0], np.bool_)
        for rule in PAIR_RULES:
            keep &= rule.passes(p, ci, si, minutes)
        parts.append((ci[keep], si[keep], minutes[keep]))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    return (
        np.concatenate([x[0] for x in parts]),
        np.concatenate([x[1] for x in parts]),
        np.concatenate([x[2] for x in parts]).astype(np.int32),
    )


def _child_attributes() -> list[str]:
    """The problem's per-child arrays a grid rule may read: every ``c_*`` but the home."""
    from placement.problem import Problem

    return [f for f in Problem.__slots__ if f.startswith("c_") and f not in ("c_east", "c_north")]


def why_unsuitable(p: Problem, i: int, s: int) -> list[Reason]:
    """Every rule the pair fails, in legal order, each with its evidence (empty: suitable)."""
    minutes = journey.minutes_between(p, i, s)
    out: list[Reason] = []
    for rule in RULES:
        r = rule.explain(p, i, s, minutes)
        if r is not None:
            out.append(r)
    return out
