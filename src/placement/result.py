"""The result of an area-wide allocation, whichever mechanism produced it.

Solvers produce a choice of suitable pair per child (or none); :func:`finalise` turns that into
an :class:`Allocation`: placements, unplaced children with their reason, every family preference
that was not met with the lawful ground for it, metrics and a manifest. Pure: no I/O.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import metadata
from typing import Any

import numpy as np

from placement.domain import Need, Phase
from placement.problem import Problem
from placement.reasons import Reason, ReasonCode
from placement.rules import why_unsuitable
from placement.rules.common import I32, I64
from placement.rules.cost import disproportionate, threshold_gbp

_NEEDS = tuple(Need)

__all__ = [
    "Allocation",
    "Manifest",
    "Metrics",
    "Placement",
    "Refusal",
    "Unplaced",
    "finalise",
    "pair_taken",
    "preference_ground",
]


@dataclass(frozen=True, slots=True)
class Placement:
    child_id: str
    setting_id: str
    pool_need: str | None  # the designated pool the place comes from, None = general places
    travel_min: int
    cost_high_needs_gbp: int
    cost_school_gbp: int
    cost_transport_gbp: int
    preference_rank: int  # 0 = not one of the family's preferences

    @property
    def cost_gbp(self) -> int:
        return self.cost_high_needs_gbp + self.cost_school_gbp + self.cost_transport_gbp


@dataclass(frozen=True, slots=True)
class Unplaced:
    child_id: str
    reason: Reason  # NO_SUITABLE_SETTING or ALL_SUITABLE_FULL


@dataclass(frozen=True, slots=True)
class Refusal:
    """A family preference ranked above the setting named (or any, if unplaced) that was not
    met, with the grounds. ``route`` is ``s38_request`` or ``s9_representation``."""

    child_id: str
    setting_id: str
    rank: int
    route: str
    reasons: tuple[Reason, ...]  # empty only when no lawful ground exists (a validator error)


@dataclass(frozen=True, slots=True)
class Metrics:
    children: int
    placed: int
    placed_pct: float
    first_preference_pct: float  # of children who expressed a preference
    any_preference_pct: float
    request_honoured_pct: float  # of children with an s.38 request
    mean_journey_min: float
    p95_journey_min: float
    total_cost_gbp: int
    cost_by_payer_gbp: Mapping[str, int]
    mainstream_pct: float  # of placed
    independent_pct: float  # of placed
    justified_envy: int  # children who prefer a setting that placed a lower-priority child
    unmet_by_need: Mapping[str, int]
    unmet_by_phase: Mapping[str, int]
    # the counts behind the percentages (for exports that must round or withhold them)
    with_preference: int = 0  # children who expressed a preference
    first_preference: int = 0  # of them, placed at their first
    any_preference: int = 0  # of them, placed at any of theirs
    with_request: int = 0  # children with an s.38 request
    request_honoured: int = 0  # of them, placed at their request
    mainstream: int = 0  # placed in a mainstream setting
    independent: int = 0  # placed in an independent setting

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = dict(v) if isinstance(v, Mapping) else v
        return out


@dataclass(frozen=True, slots=True)
class Manifest:
    mechanism: str
    input_hash: str
    policy_hash: str
    policy_versions: Mapping[str, str]
    package_version: str
    ortools_version: str
    python_version: str
    parameters: Mapping[str, Any]
    seed: int | None
    output_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "mechanism": self.mechanism,
            "input_hash": self.input_hash,
            "policy_hash": self.policy_hash,
            "policy_versions": dict(self.policy_versions),
            "package_version": self.package_version,
            "ortools_version": self.ortools_version,
            "python_version": self.python_version,
            "parameters": dict(self.parameters),
            "seed": self.seed,
            "output_hash": self.output_hash,
        }


@dataclass(frozen=True, slots=True)
class Allocation:
    """One allocation run. ``assign[i]`` is child ``i``'s pair index, or -1 (unplaced)."""

    area: str
    mechanism: str
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    refusals: tuple[Refusal, ...]
    metrics: Metrics
    manifest: Manifest
    cutoffs: Mapping[str, Any] = field(default_factory=dict)
    assign: I64 = field(default_factory=lambda: np.zeros(0, np.int64))

    def setting_of(self, child_id: str) -> str | None:
        """One child's setting (a scan: use :meth:`mapping` for many children)."""
        for p in self.placements:
            if p.child_id == child_id:
                return p.setting_id
        return None

    def mapping(self) -> dict[str, str | None]:
        """Every child's setting id, None for an unplaced child (what the validator reads)."""
        out: dict[str, str | None] = {u.child_id: None for u in self.unplaced}
        out.update((p.child_id, p.setting_id) for p in self.placements)
        return out

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (everything but the internal ``assign`` array)."""
        return {
            "area": self.area,
            "mechanism": self.mechanism,
            "placements": [
                {
                    "child_id": p.child_id,
                    "setting_id": p.setting_id,
                    "pool_need": p.pool_need,
                    "travel_min": p.travel_min,
                    "cost_high_needs_gbp": p.cost_high_needs_gbp,
                    "cost_school_gbp": p.cost_school_gbp,
                    "cost_transport_gbp": p.cost_transport_gbp,
                    "preference_rank": p.preference_rank,
                }
                for p in self.placements
            ],
            "unplaced": [{"child_id": u.child_id, **u.reason.as_dict()} for u in self.unplaced],
            "refusals": [
                {
                    "child_id": r.child_id,
                    "setting_id": r.setting_id,
                    "rank": r.rank,
                    "route": r.route,
                    "reasons": [x.as_dict() for x in r.reasons],
                }
                for r in self.refusals
            ],
            "metrics": self.metrics.as_dict(),
            "cutoffs": dict(self.cutoffs),
            "manifest": self.manifest.as_dict(),
        }


@functools.cache
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def pair_taken(p: Problem, assign: I64) -> tuple[I64, I64]:
    """Places taken in this run per pool and per setting."""
    chosen = assign[assign >= 0]
    sett = p.pairs.setting[chosen]
    pool = p.pairs.pool[chosen]
    by_setting = np.bincount(sett, minlength=p.num_settings).astype(np.int64)
    by_pool = np.bincount(pool[pool >= 0], minlength=p.num_pools).astype(np.int64)
    return by_pool, by_setting


def preference_ground(
    p: Problem,
    i: int,
    s: int,
    *,
    pair: int,
    s38: bool,
    assigned_pair: int,
    pool_taken: I64,
    setting_taken: I64,
    alternative_gbp: int | None,
) -> list[Reason]:
    """Every lawful ground on which child ``i``'s preference for setting ``s`` is not met,
    in the statutory order: s.39(4)(a) suitability (and the journey limit); s.39(4)(b)
    efficient education of others (the pool or setting is full); s.39(4)(b) efficient use
    of resources (or, for an s.9 representation, unreasonable public expenditure).
    ``pair`` is the suitable pair's index (-1: not suitable); ``alternative_gbp`` the cost of
    the setting named instead (None: unplaced). Empty: no lawful ground."""
    if pair < 0:
        return why_unsuitable(p, i, s)
    reasons: list[Reason] = []
    cid, sid = p.children[i].child_id, p.settings[s].setting_id
    mine = 1 if assigned_pair == pair else 0
    pool = int(p.pairs.pool[pair])
    if pool >= 0 and int(pool_taken[pool]) - mine >= int(p.pool_free[pool]):
        reasons.append(
            Reason(
                ReasonCode.POOL_FULL,
                cid,
                sid,
                {
                    "need": _NEEDS[int(p.pool_need[pool])].value,
                    "places_free": int(p.pool_free[pool]),
                    "taken_in_run": int(pool_taken[pool]),
                },
            )
        )
    if int(setting_taken[s]) - mine >= int(p.s_free[s]):
        reasons.append(
            Reason(
                ReasonCode.SETTING_FULL,
                cid,
                sid,
                {"places_free": int(p.s_free[s]), "taken_in_run": int(setting_taken[s])},
            )
        )
    if alternative_gbp is not None:
        cost = int(p.pairs.cost_gbp[pair])
        if disproportionate(p, cost, alternative_gbp):
            code = (
                ReasonCode.COST_DISPROPORTIONATE
                if s38
                else ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE
            )
            reasons.append(
                Reason(
                    code,
                    cid,
                    sid,
                    {
                        "cost_gbp": cost,
                        "alternative_gbp": alternative_gbp,
                        "extra_gbp": cost - alternative_gbp,
                        "threshold_gbp": threshold_gbp(p, alternative_gbp),
                    },
                )
            )
    return reasons


def preference_pairs(p: Problem) -> I64:
    """For each stored preference, its suitable pair's index (-1: the setting is unsuitable)."""
    pr = p.pairs
    m = p.num_settings
    if len(pr) == 0 or p.pref_child.shape[0] == 0:
        return np.full(p.pref_child.shape[0], -1, np.int64)
    keys = pr.child.astype(np.int64) * m + pr.setting
    want = p.pref_child.astype(np.int64) * m + p.pref_setting
    pos = np.minimum(np.searchsorted(keys, want), keys.shape[0] - 1)
    return np.where(keys[pos] == want, pos, -1).astype(np.int64)


def _refusals(p: Problem, assign: I64, pool_taken: I64, setting_taken: I64) -> list[Refusal]:
    out: list[Refusal] = []
    # the preferences ranked above the child's placement (every one, if unplaced)
    k_all = assign[p.pref_child]
    got = np.append(p.pairs.pref_rank, 0)[k_all]  # unplaced (-1): the appended 0
    sel = np.flatnonzero((got == 0) | (p.pref_rank < got))
    pairs = preference_pairs(p)[sel].tolist()
    children = p.pref_child[sel].tolist()
    settings = p.pref_setting[sel].tolist()
    ranks = p.pref_rank[sel].tolist()
    s38s = p.pref_route_s38[sel].tolist()
    ks = k_all[sel].tolist()
    alts = np.append(p.pairs.cost_gbp, 0)[k_all[sel]].tolist()
    for x, i in enumerate(children):
        k = ks[x]
        reasons = preference_ground(
            p,
            i,
            settings[x],
            pair=pairs[x],
            s38=s38s[x],
            assigned_pair=k,
            pool_taken=pool_taken,
            setting_taken=setting_taken,
            alternative_gbp=alts[x] if k >= 0 else None,
        )
        out.append(
            Refusal(
                p.children[i].child_id,
                p.settings[settings[x]].setting_id,
                ranks[x],
                "s38_request" if s38s[x] else "s9_representation",
                tuple(reasons),
            )
        )
    return out


def _unplaced(p: Problem, assign: I64, pool_taken: I64, setting_taken: I64) -> list[Unplaced]:
    out: list[Unplaced] = []
    starts = p.pairs.start
    pr = p.pairs
    taken = np.append(pool_taken, 0)
    free = np.append(p.pool_free, 1)
    room_pair = (setting_taken[pr.setting] < p.s_free[pr.setting]) & (
        taken[pr.pool] < free[pr.pool]
    )
    rooms = np.bincount(pr.child[room_pair], minlength=p.num_children)
    for i in np.flatnonzero(assign < 0).tolist():
        n_suitable = int(starts[i + 1] - starts[i])
        cid = p.children[i].child_id
        if n_suitable == 0:
            r = Reason(
                ReasonCode.NO_SUITABLE_SETTING,
                cid,
                None,
                {
                    "primary_need": p.children[i].primary_need.value,
                    "need_band": int(p.c_band[i]),
                    "phase": p.phase(i).label,
                    "journey_limit_min": int(p.c_limit_min[i]),
                },
            )
        else:
            if rooms[i] > 0:
                lo, hi = int(starts[i]), int(starts[i + 1])
                s = pr.setting[lo:hi][room_pair[lo:hi]]
                r = Reason(
                    ReasonCode.ROOM_NOT_OFFERED,
                    cid,
                    None,
                    {
                        "suitable_settings": n_suitable,
                        "with_room": [p.settings[int(x)].setting_id for x in s[:10]],
                    },
                )
            else:
                r = Reason(
                    ReasonCode.ALL_SUITABLE_FULL, cid, None, {"suitable_settings": n_suitable}
                )
        out.append(Unplaced(cid, r))
    return out


def compute_metrics(p: Problem, assign: I64, justified_envy: int) -> Metrics:
    n = p.num_children
    placed_mask = assign >= 0
    chosen = assign[placed_mask]
    pr = p.pairs
    placed = int(chosen.shape[0])
    travel = pr.travel_min[chosen].astype(np.float64)
    ranks = pr.pref_rank[chosen]
    with_pref = np.zeros(n, np.bool_)
    with_pref[p.pref_child] = True
    first = np.zeros(n, np.bool_)
    anyp = np.zeros(n, np.bool_)
    idx = np.flatnonzero(placed_mask)
    first[idx[ranks == 1]] = True
    anyp[idx[ranks > 0]] = True
    # a child's "request": the highest-ranked s.38 preference
    req_setting = np.full(n, -1, np.int64)
    order = np.lexsort((p.pref_rank, p.pref_child))
    s38 = order[p.pref_route_s38[order]]  # s.38 preferences by child, then rank
    top = np.ones(s38.shape[0], np.bool_)  # each child's highest-ranked
    top[1:] = p.pref_child[s38][1:] != p.pref_child[s38][:-1]
    req_setting[p.pref_child[s38[top]]] = p.pref_setting[s38[top]]
    has_req = req_setting >= 0
    honoured = np.zeros(n, np.bool_)
    honoured[idx] = pr.setting[chosen] == req_setting[idx]
    sett = pr.setting[chosen]
    need_names = [nd.value for nd in Need]
    unplaced_idx = np.flatnonzero(~placed_mask)
    by_need = np.bincount(p.c_need[unplaced_idx], minlength=len(need_names))
    by_phase = np.bincount(p.c_phase[unplaced_idx], minlength=len(Phase))

    def pct(a: int, b: int) -> float:
        return round(100.0 * a / b, 2) if b else 0.0

    n_pref, n_req = int(with_pref.sum()), int(has_req.sum())
    n_first, n_any = int(first[with_pref].sum()), int(anyp[with_pref].sum())
    n_honoured = int(honoured[has_req].sum())
    n_mainstream, n_independent = int(p.s_mainstream[sett].sum()), int(p.s_independent[sett].sum())
    return Metrics(
        children=n,
        placed=placed,
        placed_pct=pct(placed, n),
        first_preference_pct=pct(n_first, n_pref),
        any_preference_pct=pct(n_any, n_pref),
        request_honoured_pct=pct(n_honoured, n_req),
        mean_journey_min=round(float(travel.mean()), 2) if placed else 0.0,
        p95_journey_min=round(float(np.percentile(travel, 95)), 2) if placed else 0.0,
        total_cost_gbp=int(pr.cost_gbp[chosen].sum()),
        cost_by_payer_gbp={
            "high_needs_block": int(pr.cost_high_needs_gbp[chosen].sum()),
            "schools": int(pr.cost_school_gbp[chosen].sum()),
            "transport": int(pr.cost_transport_gbp[chosen].sum()),
        },
        mainstream_pct=pct(n_mainstream, placed),
        independent_pct=pct(n_independent, placed),
        justified_envy=justified_envy,
        unmet_by_need={need_names[k]: int(v) for k, v in enumerate(by_need) if v},
        unmet_by_phase={Phase(k).label: int(v) for k, v in enumerate(by_phase) if v},
        with_preference=n_pref,
        first_preference=n_first,
        any_preference=n_any,
        with_request=n_req,
        request_honoured=n_honoured,
        mainstream=n_mainstream,
        independent=n_independent,
    )


def _placements(p: Problem, a: I64) -> tuple[Placement, ...]:
    pr = p.pairs
    idx = np.flatnonzero(a >= 0)
    k = a[idx]
    need_names = [nd.value for nd in Need]
    pool = pr.pool[k]
    pool_need = np.where(pool >= 0, np.append(p.pool_need, 0)[pool], -1).tolist()
    return tuple(
        Placement(
            child_id=p.children[i].child_id,
            setting_id=p.settings[s].setting_id,
            pool_need=need_names[q] if q >= 0 else None,
            travel_min=t,
            cost_high_needs_gbp=hn,
            cost_school_gbp=sc,
            cost_transport_gbp=tr,
            preference_rank=r,
        )
        for i, s, q, t, hn, sc, tr, r in zip(
            idx.tolist(),
            pr.setting[k].tolist(),
            pool_need,
            pr.travel_min[k].tolist(),
            pr.cost_high_needs_gbp[k].tolist(),
            pr.cost_school_gbp[k].tolist(),
            pr.cost_transport_gbp[k].tolist(),
            pr.pref_rank[k].tolist(),
            strict=True,
        )
    )


def output_hash(p: Problem, assign: I64) -> str:
    ids = [s.setting_id for s in p.settings]
    ids.append("-")  # unplaced: index -1
    sett = np.where(assign >= 0, np.append(p.pairs.setting, 0)[assign], -1).tolist()
    text = "".join(f"{c.child_id}->{ids[s]};" for c, s in zip(p.children, sett, strict=True))
    return hashlib.sha256(text.encode()).hexdigest()


def finalise(
    p: Problem,
    mechanism: str,
    assign: I64 | I32,
    *,
    parameters: Mapping[str, Any],
    seed: int | None,
    justified_envy: int,
    cutoffs: Mapping[str, Any] | None = None,
    details: bool = True,
) -> Allocation:
    """Build the result of a run from each child's chosen pair (-1: unplaced).

    ``details=False`` leaves out the placements, unplaced children and refusals (empty): for
    callers that read only the metrics, the manifest and ``assign`` (a national sweep)."""
    a = np.asarray(assign, np.int64)
    if a.shape != (p.num_children,):
        raise ValueError(f"assign has shape {a.shape}, expected ({p.num_children},)")
    pool_taken, setting_taken = pair_taken(p, a)
    placements = _placements(p, a) if details else ()
    out_hash = output_hash(p, a)
    manifest = Manifest(
        mechanism=mechanism,
        input_hash=p.input_digest,
        policy_hash=p.policy.digest,
        policy_versions=dict(p.policy.versions),
        package_version=_version("placement"),
        ortools_version=_version("ortools"),
        python_version=platform.python_version(),
        parameters=json.loads(json.dumps(dict(parameters), sort_keys=True, default=str)),
        seed=seed,
        output_hash=out_hash,
    )
    return Allocation(
        area=p.name,
        mechanism=mechanism,
        placements=placements,
        unplaced=tuple(_unplaced(p, a, pool_taken, setting_taken)) if details else (),
        refusals=tuple(_refusals(p, a, pool_taken, setting_taken)) if details else (),
        metrics=compute_metrics(p, a, justified_envy),
        manifest=manifest,
        cutoffs=dict(cutoffs or {}),
        assign=a,
    )
