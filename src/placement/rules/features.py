"""Provision features: the setting offers every feature the child's plan requires, such as
wheelchair access or on-site nursing (s.39(4)(a))."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.domain import FEATURE_BIT
from placement.reasons import Reason, ReasonCode
from placement.rules.common import I32, I64, B, estimated, ids

if TYPE_CHECKING:
    from placement.problem import Problem

CODE = ReasonCode.FEATURE_MISSING


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    return np.asarray((p.c_features[ci] & ~p.s_features[si]) == 0, np.bool_)


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    missing = int(p.c_features[i]) & ~int(p.s_features[s])
    if missing == 0:
        return None
    c, st = ids(p, i, s)
    return Reason(
        CODE,
        c,
        st,
        {
            "missing": [f.value for f, b in FEATURE_BIT.items() if missing & b],
            **estimated(p.settings[s], ("features",)),
        },
    )
