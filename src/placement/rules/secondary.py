"""Secondary needs: each is met by the setting (mainstream meets all at its general band;
specialist settings meet the needs they are designated for and the policy's list of needs any
specialist meets) (s.39(4)(a))."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.domain import Need
from placement.reasons import Reason, ReasonCode
from placement.rules.common import I32, I64, B, ids

if TYPE_CHECKING:
    from placement.problem import Problem

CODE = ReasonCode.SECONDARY_NEED_NOT_MET
_NEEDS = tuple(Need)


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    return np.asarray((p.c_secondary[ci] & ~p.s_secondary[si]) == 0, np.bool_)


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    unmet = int(p.c_secondary[i]) & ~int(p.s_secondary[s])
    if unmet == 0:
        return None
    c, st = ids(p, i, s)
    return Reason(CODE, c, st, {"unmet": [n.value for k, n in enumerate(_NEEDS) if unmet >> k & 1]})
