"""Gender of entry: a single-sex setting admits only its sex.

This is a fact about the school's admission arrangements, not a finding that the school is
unsuitable for the child's age, ability, aptitude or SEN: its ground is ``ADMISSIONS``, never
s.39(4)(a) (DOMAIN.md section 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.reasons import Reason, ReasonCode
from placement.rules.common import I32, I64, B, ids

if TYPE_CHECKING:
    from placement.problem import Problem

CODE = ReasonCode.SEX_NOT_ADMITTED
MIXED, GIRLS, BOYS = 0, 1, 2


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    e = p.s_entry[si]
    f = p.c_female[ci]
    return np.asarray((e == MIXED) | ((e == GIRLS) & f) | ((e == BOYS) & ~f), np.bool_)


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    e = int(p.s_entry[s])
    f = bool(p.c_female[i])
    if e == MIXED or (e == GIRLS) == f:
        return None
    c, st = ids(p, i, s)
    return Reason(CODE, c, st, {"entry": p.settings[s].entry.value, "sex": p.children[i].sex.value})
