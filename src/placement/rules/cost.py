"""Annual public cost of a child-setting pair, split by who pays.

- high-needs block (the LA): place funding (element 2, or a setting's fee) plus top-up
  (element 3) by kind and need band; a fee replaces place funding and top-up;
- the school (mainstream): its notional SEN budget contribution (element 2 threshold);
- the LA's general fund: home-to-school transport for a transport-eligible child,
  ``min(max, base + per_km x straight-line km x travel.detour)``.

Figures are policy (``models/funding.toml``), each with its source there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.domain import SettingKind
from placement.rules.common import I64, B
from placement.rules.journey import straight_km

if TYPE_CHECKING:
    from placement.problem import Problem

__all__ = ["charges_fee", "pair_costs"]


def charges_fee(p: Problem) -> B:
    """Settings whose fee replaces place funding and top-up."""
    return np.array(
        [
            s.kind.is_independent
            or (s.kind is SettingKind.NON_MAINTAINED_SPECIAL and s.annual_fee_gbp is not None)
            for s in p.settings
        ],
        np.bool_,
    )


def pair_costs(p: Problem, ci: I64, si: I64) -> tuple[I64, I64, I64]:
    """(high-needs, school, transport) annual pounds for each pair (ci[k], si[k])."""
    fee = charges_fee(p)[si]
    top = p.top_up[p.s_kind[si], p.c_band[ci] - 1]
    high = p.s_base_cost_gbp[si] + np.where(fee, 0, top)
    school = p.s_school_gbp[si].copy()
    f = p.policy.funding
    km = straight_km(p, ci, si) * p.policy.travel.detour
    tr = np.minimum(
        f.transport_max_gbp, f.transport_base_gbp + np.rint(km * f.transport_per_km_gbp)
    )
    transport = np.where(p.c_transport[ci], tr, 0)
    return high.astype(np.int64), school.astype(np.int64), transport.astype(np.int64)
