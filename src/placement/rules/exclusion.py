"""Exclusions: a child is not placed at a setting that permanently excluded them (the
setting's efficient education of others, s.39(4)(b); School Admissions Code 3.11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from placement.reasons import Reason, ReasonCode
from placement.rules.common import I32, I64, B, ids, in_sorted, pair_key

if TYPE_CHECKING:
    from placement.problem import Problem

CODE = ReasonCode.EXCLUDED


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    return ~in_sorted(p.excluded_keys, pair_key(p, ci, si))


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    c, st = ids(p, i, s)
    if st in p.children[i].excluded_setting_ids:
        return Reason(CODE, c, st, {})
    return None
