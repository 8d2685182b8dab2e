"""Primary need: the setting is designated for (or, as mainstream, generally meets) the child's
primary need (s.39(4)(a): unsuitable for the child's SEN). Which designation meets which need
is policy (``models/suitability.toml``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.reasons import Reason, ReasonCode
from placement.rules.common import DESIGNATION_FIELDS, I32, I64, B, estimated, ids

if TYPE_CHECKING:
    from placement.problem import Problem

CODE = ReasonCode.NEED_NOT_MET


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    return np.asarray(p.s_meets[si, p.c_need[ci]] > 0, np.bool_)


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    if int(p.s_meets[s, int(p.c_need[i])]) > 0:
        return None
    c, st = ids(p, i, s)
    sett = p.settings[s]
    return Reason(
        CODE,
        c,
        st,
        {
            "primary_need": p.children[i].primary_need.value,
            "designations": sorted(d.value for d in sett.designations),
            "kind": sett.kind.value,
            **estimated(sett, DESIGNATION_FIELDS),
        },
    )
