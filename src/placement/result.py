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
from placement.lawful import INF_CLAIM, Standing, taken
from placement.problem import Problem
from placement.reasons import Reason, ReasonCode
from placement.rules import why_unsuitable
from placement.rules.common import I32, I64, estimated

_NEEDS = tuple(Need)

__all__ = [
    "Allocation",
    "Manifest",
    "Metrics",
    "Placement",
    "Refusal",
    "Staying",
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
class Staying:
    """A child who keeps the place the plan names (not placed in this run)."""

    child_id: str
    setting_id: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A family preference ranked above the setting named (or any, if unplaced) that was not
    met, with the grounds that hold in the allocation. ``route`` is ``s38_request`` or
    ``s9_representation``; a refused s.38 request also carries the s.33 assessment of what
    was named instead."""

    child_id: str
    setting_id: str
    rank: int
    route: str
    reasons: tuple[Reason, ...]  # empty only when no lawful ground exists (a validator error)
    mainstream_presumption: Reason | None = None  # s.38 requests: s.33, with its reason


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
    staying: int = 0  # children who keep their place (not placed in this run)
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
    staying: tuple[Staying, ...] = ()
    scope: str = "moving"  # or "from_scratch": every child placed afresh (a planner's study)

    def setting_of(self, child_id: str) -> str | None:
        """One child's setting, a staying child's included (a scan: use :meth:`mapping` for
        many children)."""
        for p in self.placements:
            if p.child_id == child_id:
                return p.setting_id
        for st in self.staying:
            if st.child_id == child_id:
                return st.setting_id
        return None

    def mapping(self) -> dict[str, str | None]:
        """Every child's setting id, None for an unplaced child (what the validator reads);
        a staying child at the setting its plan names."""
        out: dict[str, str | None] = {u.child_id: None for u in self.unplaced}
        out.update((p.child_id, p.setting_id) for p in self.placements)
        out.update((s.child_id, s.setting_id) for s in self.staying)
        return out

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (everything but the internal ``assign`` array)."""
        return {
            "area": self.area,
            "mechanism": self.mechanism,
            "scope": self.scope,
            "staying": [{"child_id": s.child_id, "setting_id": s.setting_id} for s in self.staying],
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
                    **(
                        {"mainstream_presumption": r.mainstream_presumption.as_dict()}
                        if r.mainstream_presumption is not None
                        else {}
                    ),
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
    return taken(p, assign)


def full_reason(st: Standing, i: int, k: int, rank: int) -> Reason | None:
    """The pool or setting of pair ``k`` is full in the allocation (for child ``i``, whose
    claim on it is ``rank``; 0: not a preference): the reason, with who holds the places."""
    p = st.p
    if p.pairs.home[k]:
        return None  # the child's own seat is never full for it
    cid = p.children[i].child_id
    s, pool = int(p.pairs.setting[k]), int(p.pairs.pool[k])
    mine = 1 if int(st.assign[i]) == k else 0
    claim = rank if rank > 0 else INF_CLAIM
    if pool >= 0 and int(st.pool_taken[pool]) - mine >= int(p.pool_free[pool]):
        code = ReasonCode.POOL_FULL
        facts: dict[str, object] = {
            "need": _NEEDS[int(p.pool_need[pool])].value,
            "places_free": int(p.pool_free[pool]),
            "taken_in_run": int(st.pool_taken[pool]),
        }
    elif int(st.set_taken[s]) - mine >= int(p.s_free[s]):
        code = ReasonCode.SETTING_FULL
        facts = {"places_free": int(p.s_free[s]), "taken_in_run": int(st.set_taken[s])}
        pool = -1
    else:
        return None
    lo, hi = int(st.h_start[s]), int(st.h_start[s + 1])
    cl = st.h_claim[lo:hi]
    if code is ReasonCode.POOL_FULL:
        cl = cl[st.h_pool[lo:hi] == pool]
    if rank > 0:
        facts["held_by_equal_or_higher_choice"] = int((cl <= claim).sum())
        facts["held_by_others"] = int((cl > claim).sum())
    staying = int(p.pool_staying[pool]) if pool >= 0 else int(p.s_staying[s])
    if staying:
        facts["staying"] = staying
    # a real school's places are estimated (the census publishes rolls, not places)
    facts.update(estimated(p.settings[s], ("pools",) if pool >= 0 else ("capacity",)))
    return Reason(code, cid, p.settings[s].setting_id, facts)


def preference_ground(
    st: Standing, i: int, s: int, *, pair: int, s38: bool, rank: int
) -> list[Reason]:
    """Every ground on which child ``i``'s preference for setting ``s`` is not met that holds
    in the allocation ``st``, in the statutory order (:mod:`placement.lawful`): unsuitable
    (the rules; for a s.38 request s.39(4)(a), for a representation s.9 efficient
    instruction); full, when no exchange names it within the threshold (s.39(4)(b)
    efficient education of others; s.9: no place); dear against the alternative named or
    with a free place (s.39(4)(b) efficient use of resources; s.9 unreasonable public
    expenditure). ``pair`` is the suitable pair's index (-1: not suitable); ``rank`` the
    preference's rank (0: a setting the family did not ask for). Empty: no lawful ground."""
    route = "s38_request" if s38 else "s9_representation"
    p = st.p
    if pair < 0:
        return [r.for_route(route) for r in why_unsuitable(p, i, s)]
    reasons: list[Reason] = []
    full = full_reason(st, i, pair, rank)
    dear = st.cost_ground(i, pair, s38)
    if full is not None and (
        not s38 or rank == 0 or dear is not None or st.exchange(i, pair) is None
    ):
        reasons.append(full.for_route(route))
    if dear is not None:
        reasons.append(dear)
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


def _refusals(p: Problem, st: Standing) -> list[Refusal]:
    out: list[Refusal] = []
    sel = st.unmet_preferences()
    pairs = preference_pairs(p)[sel].tolist()
    children = p.pref_child[sel].tolist()
    settings = p.pref_setting[sel].tolist()
    ranks = p.pref_rank[sel].tolist()
    s38s = p.pref_route_s38[sel].tolist()
    s33: dict[int, Reason] = {}
    for x, i in enumerate(children):
        reasons = preference_ground(st, i, settings[x], pair=pairs[x], s38=s38s[x], rank=ranks[x])
        presumption = None
        if s38s[x]:
            if i not in s33:
                s33[i] = st.s33(i)[1]
            presumption = s33[i]
        out.append(
            Refusal(
                p.children[i].child_id,
                p.settings[settings[x]].setting_id,
                ranks[x],
                "s38_request" if s38s[x] else "s9_representation",
                tuple(reasons),
                presumption,
            )
        )
    return out


def _unplaced(p: Problem, st: Standing) -> list[Unplaced]:
    out: list[Unplaced] = []
    starts = p.pairs.start
    pr = p.pairs
    room_pair = st.room
    rooms = np.bincount(pr.child[room_pair], minlength=p.num_children)
    for i in np.flatnonzero((st.assign < 0) & p.c_moving).tolist():
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


def _staying(p: Problem) -> tuple[Staying, ...]:
    return tuple(
        Staying(p.children[i].child_id, str(p.children[i].current_setting_id))
        for i in np.flatnonzero(~p.c_moving).tolist()
    )


def compute_metrics(p: Problem, assign: I64, justified_envy: int) -> Metrics:
    """Figures over the children placed in this run (the moving children); ``staying``
    counts the others."""
    n = p.num_children
    moving = p.c_moving
    placed_mask = assign >= 0
    chosen = assign[placed_mask]
    pr = p.pairs
    placed = int(chosen.shape[0])
    travel = pr.travel_min[chosen].astype(np.float64)
    ranks = pr.pref_rank[chosen]
    with_pref = np.zeros(n, np.bool_)
    with_pref[p.pref_child] = True
    with_pref &= moving
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
    has_req = (req_setting >= 0) & moving
    honoured = np.zeros(n, np.bool_)
    honoured[idx] = pr.setting[chosen] == req_setting[idx]
    sett = pr.setting[chosen]
    need_names = [nd.value for nd in Need]
    unplaced_idx = np.flatnonzero(~placed_mask & moving)
    by_need = np.bincount(p.c_need[unplaced_idx], minlength=len(need_names))
    by_phase = np.bincount(p.c_phase[unplaced_idx], minlength=len(Phase))

    def pct(a: int, b: int) -> float:
        return round(100.0 * a / b, 2) if b else 0.0

    n_pref, n_req = int(with_pref.sum()), int(has_req.sum())
    n_first, n_any = int(first[with_pref].sum()), int(anyp[with_pref].sum())
    n_honoured = int(honoured[has_req].sum())
    n_mainstream, n_independent = int(p.s_mainstream[sett].sum()), int(p.s_independent[sett].sum())
    n_moving = int(moving.sum())
    return Metrics(
        children=n_moving,
        placed=placed,
        placed_pct=pct(placed, n_moving),
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
        staying=n - n_moving,
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
    placements = _placements(p, a) if details else ()
    st = Standing(p, a) if details else None
    out_hash = output_hash(p, a)
    manifest = Manifest(
        mechanism=mechanism,
        input_hash=p.input_digest,
        policy_hash=p.policy.digest,
        policy_versions=dict(p.policy.versions),
        package_version=_version("placement"),
        ortools_version=_version("ortools"),
        python_version=platform.python_version(),
        parameters=json.loads(
            json.dumps({**dict(parameters), "scope": p.scope}, sort_keys=True, default=str)
        ),
        seed=seed,
        output_hash=out_hash,
    )
    return Allocation(
        area=p.name,
        mechanism=mechanism,
        placements=placements,
        unplaced=tuple(_unplaced(p, st)) if st is not None else (),
        refusals=tuple(_refusals(p, st)) if st is not None else (),
        metrics=compute_metrics(p, a, justified_envy),
        manifest=manifest,
        cutoffs=dict(cutoffs or {}),
        assign=a,
        staying=_staying(p) if details else (),
        scope=p.scope,
    )
