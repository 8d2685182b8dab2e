"""Age: the setting admits the child's age (s.39(4)(a): unsuitable for the child's age).

A child's age on 31 August before the academic year is ``nc_year + 4``; a setting with statutory
ages ``low``-``high`` (GIAS ``StatutoryLowAge``/``StatutoryHighAge``) takes ages
``low <= age < high`` on that date (a 4-11 primary takes Reception to Year 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.reasons import Reason, ReasonCode
from placement.rules.common import I32, I64, B, ids

if TYPE_CHECKING:
    from placement.problem import Problem

CODE = ReasonCode.AGE_OUT_OF_RANGE


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    age = p.c_year[ci] + 4
    return np.asarray((p.s_low[si] <= age) & (age < p.s_high[si]), np.bool_)


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    age = int(p.c_year[i]) + 4
    lo, hi = int(p.s_low[s]), int(p.s_high[s])
    if lo <= age < hi:
        return None
    c, st = ids(p, i, s)
    return Reason(
        CODE, c, st, {"age": age, "nc_year": int(p.c_year[i]), "low_age": lo, "high_age": hi}
    )
