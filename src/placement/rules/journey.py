"""Journey time and the journey limit.

Minutes come from the router matrix (``travel_minutes.csv``: OSRM ``table`` or r5py output)
where the pair has a row, used as given; else from the straight-line estimate
``ceil((road(km) x mode.factor + mode.extra_min) x peak_factor)``, where ``road`` is the
policy's piecewise-linear fit of road minutes on straight-line km (``[estimate]`` in
``models/travel.toml``, calibrated by ``scripts/calibrate_journeys.py``; docs/journeys.md).
Children eligible for LA transport travel by the transport mode, others by the family mode.
An estimate is labelled as one wherever it is shown (:func:`evidence`, the list's options).

Two limits, as the law has them (DOMAIN.md section 6):

- the LA's journey limit (the policy's maximum by phase: DfE home to school travel guidance,
  45 minutes for primary-age and 75 for secondary-age children as best practice, or the plan's
  own if shorter) bounds the settings the **LA proposes**. It is not one of the s.39(4)
  grounds: a family's **request** for a setting beyond it stays a request (the pair is
  suitable; the LA names it on condition that the family arranges transport, or weighs the
  transport cost under efficient use of resources: see ``models/travel.toml``);
- a limit set in the **child's own plan** (fatigue, medical needs) makes a longer journey
  unsuitable for this child, s.39(4)(a), whoever proposes the setting.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from placement.reasons import Reason, ReasonCode
from placement.rules.common import F64, I32, I64, B, ids, in_sorted, pair_key

if TYPE_CHECKING:
    from placement.policy import RoadFit
    from placement.problem import Problem

CODE = ReasonCode.JOURNEY_OVER_LIMIT


def straight_km(p: Problem, ci: I64, si: I64) -> F64:
    de = p.c_east[ci] - p.s_east[si]
    dn = p.c_north[ci] - p.s_north[si]
    return np.asarray(np.hypot(de, dn) / 1000.0, np.float64)


def road_minutes(fit: RoadFit, km: F64) -> F64:
    """The policy's road fit at each distance: ``np.interp`` through the knots, then linear
    past the last knot."""
    knots = np.asarray(fit.km, np.float64)
    out = np.interp(km, knots, np.asarray(fit.minutes, np.float64))
    out = out + np.maximum(km - knots[-1], 0.0) * fit.min_per_km_beyond
    return np.asarray(out, np.float64)


def estimate_minutes(p: Problem, ci: I64, si: I64) -> I32:
    """The straight-line estimate for each (child, setting), whatever the router matrix says."""
    tv = p.policy.travel
    tr = p.c_transport[ci]
    factor = np.where(tr, tv.transport.factor, tv.family.factor)
    extra = np.where(tr, tv.transport.extra_min, tv.family.extra_min)
    road = road_minutes(tv.estimate, straight_km(p, ci, si))
    return np.ceil((road * factor + extra) * tv.peak_factor - 1e-9).astype(np.int32)


def journey_minutes(p: Problem, ci: I64, si: I64) -> I32:
    """One-way minutes for each (child, setting), broadcasting ``ci`` against ``si``: the
    router's where it has the pair, else the estimate."""
    est = estimate_minutes(p, ci, si)
    if p.matrix_keys.shape[0]:
        key = pair_key(p, ci, si)
        key = np.broadcast_to(key, est.shape)
        pos = np.minimum(np.searchsorted(p.matrix_keys, key), p.matrix_keys.shape[0] - 1)
        hit = p.matrix_keys[pos] == key
        est = np.where(hit, p.matrix_min[pos], est).astype(np.int32)
    return est


def minutes_between(p: Problem, i: int, s: int) -> int:
    """Scalar :func:`journey_minutes` for one pair (the same formula, without array overhead)."""
    if p.matrix_keys.shape[0] and from_matrix(p, i, s):
        k = int(np.searchsorted(p.matrix_keys, i * p.num_settings + s))
        return int(p.matrix_min[k])
    tv = p.policy.travel
    mode = tv.transport if p.c_transport[i] else tv.family
    km = math.hypot(float(p.c_east[i] - p.s_east[s]), float(p.c_north[i] - p.s_north[s])) / 1000.0
    road = float(road_minutes(tv.estimate, np.array([km]))[0])
    return math.ceil((road * mode.factor + mode.extra_min) * tv.peak_factor - 1e-9)


def from_matrix(p: Problem, i: int, s: int) -> bool:
    if p.matrix_keys.shape[0] == 0:
        return False
    key = i * p.num_settings + s
    k = int(np.searchsorted(p.matrix_keys, key))
    return k < p.matrix_keys.shape[0] and int(p.matrix_keys[k]) == key


def passes(p: Problem, ci: I64, si: I64, minutes: I32) -> B:
    """Within the plan's own limit, and within the LA's limit unless the family asked for it."""
    within_plan = minutes <= p.c_plan_limit_min[ci]
    within_la = minutes <= p.c_limit_min[ci]
    if not p.pref_keys.shape[0]:
        return np.asarray(within_plan & within_la, np.bool_)
    asked = in_sorted(p.pref_keys, np.asarray(pair_key(p, ci, si), np.int64))
    return np.asarray(within_plan & (within_la | asked), np.bool_)


def asked_for(p: Problem, i: int, s: int) -> bool:
    key = i * p.num_settings + s
    k = int(np.searchsorted(p.pref_keys, key))
    return k < p.pref_keys.shape[0] and int(p.pref_keys[k]) == key


def evidence(p: Problem, i: int, s: int, minutes: int) -> dict[str, object]:
    """The journey facts an explanation shows: minutes, limit, and whether they come from a
    router or a straight-line estimate (which every wording labels as an estimate)."""
    return {
        "minutes": minutes,
        "limit": int(p.c_limit_min[i]),
        "phase": p.phase(i).label,
        "source": "router matrix" if from_matrix(p, i, s) else "straight-line estimate",
    }


def explain(p: Problem, i: int, s: int, minutes: int) -> Reason | None:
    c, st = ids(p, i, s)
    plan = int(p.c_plan_limit_min[i])
    if minutes > plan:
        facts = evidence(p, i, s, minutes)
        facts["limit"] = plan
        facts["limit_source"] = "plan"
        return Reason(ReasonCode.JOURNEY_OVER_PLAN_LIMIT, c, st, facts)
    if minutes <= int(p.c_limit_min[i]) or asked_for(p, i, s):
        return None
    facts = evidence(p, i, s, minutes)
    facts["limit_source"] = "policy"
    return Reason(CODE, c, st, facts)
