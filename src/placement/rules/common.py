"""Array types and small helpers shared by the rule modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from placement.domain import Setting
    from placement.problem import Problem

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def in_sorted(keys: I64, query: I64) -> B:
    """Membership of each ``query`` value in the sorted array ``keys``."""
    if keys.shape[0] == 0:
        return np.zeros(query.shape, np.bool_)
    pos = np.minimum(np.searchsorted(keys, query), keys.shape[0] - 1)
    return np.asarray(keys[pos] == query, np.bool_)


def pair_key(p: Problem, ci: I64, si: I64) -> I64:
    return np.asarray(ci * p.num_settings + si, np.int64)


def ids(p: Problem, i: int, s: int) -> tuple[str, str]:
    return p.children[i].child_id, p.settings[s].setting_id


DESIGNATION_FIELDS = ("designations",)
"""The settings.csv fields a need or need-level finding rests on."""


def estimated(setting: Setting, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """``{"estimated": [...]}``: which of ``fields`` the finding rests on are estimates for this
    setting (``Setting.estimated``; all of them for a synthesised setting), or ``{}``."""
    if "synthetic" in setting.estimated:
        return {}  # a synthetic area's settings are all made up: nothing to single out
    hit = sorted(f for f in fields if f in setting.estimated)
    return {"estimated": hit} if hit else {}
