"""Need level: the child's need band is within what the setting can meet for that need
(s.39(4)(a)). Mainstream meets any need "with support" up to the policy's general band;
a designation meets its needs up to its designated band."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.reasons import Reason, ReasonCode
from placement.rules.common import DESIGNATION_FIELDS, I32, I64, B, estimated, ids

if TYPE_CHECKING:
    from placement.problem import Problem

CODE = ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    top = p.s_meets[si, p.c_need[ci]]
    return np.asarray((top == 0) | (p.c_band[ci] <= top), np.bool_)  # need rule reports top==0


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    top = int(p.s_meets[s, int(p.c_need[i])])
    band = int(p.c_band[i])
    if top == 0 or band <= top:
        return None
    c, st = ids(p, i, s)
    return Reason(
        CODE,
        c,
        st,
        {
            "primary_need": p.children[i].primary_need.value,
            "need_band": band,
            "max_band": top,
            "kind": p.settings[s].kind.value,
            **estimated(p.settings[s], DESIGNATION_FIELDS),
        },
    )
