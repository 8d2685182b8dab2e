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
# How :func:`suitable` evaluates RULES: the rules that read only the child's and the setting's
# attributes on the whole child x setting grid, then exclusions and the journey (a key lookup
# and a distance) on the pairs that passed them. Together, exactly RULES.
GRID_RULES: tuple[Rule, ...] = (need, age, band, sex, secondary, features)
PAIR_RULES: tuple[Rule, ...] = (exclusion, journey)
assert sorted(map(id, GRID_RULES + PAIR_RULES)) == sorted(map(id, RULES))


def eligibility_mask(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    """True where every rule passes. ``ci`` (rows, 1) and ``si`` (1, cols) broadcast."""
    ok: B = np.ones(np.broadcast_shapes(ci.shape, si.shape), np.bool_)
    for rule in RULES:
        ok &= rule.passes(p, ci, si, minutes)
    return ok


def suitable(p: Problem, rows: I64, cols: I64) -> tuple[I64, I64, I32]:
    """(child, setting, journey minutes) of every pair of ``rows`` x ``cols`` (1-D index
    arrays) where every rule passes, in row-major order: the same pairs as
    :func:`eligibility_mask` on the grid, with fewer journeys computed."""
    ci, si = rows[:, None], cols[None, :]
    ok: B = np.ones((rows.shape[0], cols.shape[0]), np.bool_)
    none = np.zeros((1, 1), np.int32)  # grid rules do not read minutes
    for rule in GRID_RULES:
        ok &= rule.passes(p, ci, si, none)
    r, c = np.nonzero(ok)
    ci, si = rows[r], cols[c]
    minutes = journey.journey_minutes(p, ci, si)
    keep = np.ones(ci.shape[0], np.bool_)
    for rule in PAIR_RULES:
        keep &= rule.passes(p, ci, si, minutes)
    return ci[keep], si[keep], minutes[keep]


def why_unsuitable(p: Problem, i: int, s: int) -> list[Reason]:
    """Every rule the pair fails, in legal order, each with its evidence (empty: suitable)."""
    minutes = journey.minutes_between(p, i, s)
    out: list[Reason] = []
    for rule in RULES:
        r = rule.explain(p, i, s, minutes)
        if r is not None:
            out.append(r)
    return out
