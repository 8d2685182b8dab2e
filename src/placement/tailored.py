"""Tailored lists: for one child, the suitable settings ranked by a documented score, with the
reasons for each option, the reason each other setting is left off, and the statutory tests
for each of the family's requests. Advisory: a family may always ask for any setting.

The score is a sum of named components (weights in ``models/objective.toml``
``[tailored_list.weights]``), computed for every suitable pair at once:

- ``need_fit``: designated for the child's primary need (1.0), for a related need (0.8), or
  mainstream with support (0.6); less 0.1 per band the setting is built for above the child's;
- ``journey``: the share of the child's journey limit left;
- ``cost``: the child's cheapest suitable annual cost over this option's;
- ``preference``: 1 / rank for the family's preferences;
- ``mainstream``: the s.33 presumption, where the family has not asked for a specialist setting;
- ``continuity``: the child's current setting (a sibling there counts half);
- ``capacity_pressure``: minus the share of the setting's (or pool's) places the area run filled.

The list is the top ``k`` by score, plus always: one mainstream option where one is suitable
(s.33); every setting the family asked for; the setting the area run gives the child (so the list
and the run never disagree). Each option carries a chance band from the area run: for
``preference-first`` from the published cutoff (the child's priority against the last child
admitted); for ``optimised`` from the counterfactual cost of naming it (the option's extra cost
over the child's placement, plus the cheapest way to free a place by moving one holder to a
setting with room). Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from placement.domain import NEED_INDEX, Need
from placement.law import PreferenceRoute, preference_route
from placement.lawful import Standing
from placement.problem import Problem
from placement.reasons import Ground, Reason, ReasonCode
from placement.result import Allocation, full_reason, preference_ground
from placement.rules import RULES, why_unsuitable
from placement.rules.common import DESIGNATION_FIELDS, F64, I64, estimated, in_sorted
from placement.rules.journey import evidence, from_matrix, journey_minutes
from placement.solve.priority import priority_keys

__all__ = [
    "ADVISORY",
    "CHANCES",
    "COMPONENTS",
    "AreaRun",
    "LeftOff",
    "Option",
    "RequestAssessment",
    "ScoreTable",
    "StatutoryTest",
    "TailoredList",
    "area_run",
    "assess_requests",
    "score_table",
    "tailored_list",
    "top_k_all",
]

Chance = Literal["likely", "possible", "unlikely", "placed", "unknown"]
COMPONENTS = (
    "need_fit",
    "journey",
    "cost",
    "preference",
    "mainstream",
    "continuity",
    "capacity_pressure",
)
ADVISORY = (
    "This list is advice, not a decision. The family can ask for any school or college, "
    "including one that is not on this list, and the council must consider the request."
)
_LOTTERY_BITS = 24  # priority keys end in the lottery draw (placement.solve.priority)


@dataclass(frozen=True, slots=True, eq=False)
class AreaRun:
    """The facts of an area allocation that lists read: who holds which place."""

    allocation: Allocation
    assign: I64
    standing: Standing
    pool_taken: I64
    setting_taken: I64
    keys: I64 | None  # priority keys (preference-first)
    holder_worst_pool: I64  # worst (largest) priority key among each pool's holders
    holder_worst_setting: I64
    free_cost_pool: I64  # optimised: cheapest extra cost of moving one holder out of the pool
    free_cost_setting: I64


_INF = np.iinfo(np.int64).max // 4


def area_run(p: Problem, alloc: Allocation) -> AreaRun:
    """Precompute what the lists need from an area run (once per run, vectorised)."""
    a = alloc.assign
    if a.shape != (p.num_children,):
        raise ValueError("the allocation is not of this problem")
    st = Standing(p, a)
    pool_taken, setting_taken = st.pool_taken, st.set_taken
    pr = p.pairs
    placed = np.flatnonzero(a >= 0)
    held = a[placed]
    keys: I64 | None = None
    worst_pool = np.full(p.num_pools, -1, np.int64)
    worst_set = np.full(p.num_settings, -1, np.int64)
    if alloc.mechanism == "preference-first":
        keys = priority_keys(p, alloc.manifest.seed or 0)
        np.maximum.at(worst_set, pr.setting[held], keys[held])
        hp = pr.pool[held]
        np.maximum.at(worst_pool, hp[hp >= 0], keys[held][hp >= 0])
    # optimised counterfactual: cheapest way to free one place by moving a holder elsewhere
    room = _room(p, pool_taken, setting_taken)
    child = pr.child.astype(np.int64)
    own = np.where(a[child] >= 0, pr.cost_gbp[np.maximum(a[child], 0)], 0)
    delta = np.where(
        room & (a[child] >= 0) & (np.arange(len(pr)) != a[child]), pr.cost_gbp - own, _INF
    )
    best_move = np.full(p.num_children, _INF, np.int64)
    np.minimum.at(best_move, child, delta)
    free_pool = np.full(p.num_pools, _INF, np.int64)
    free_set = np.full(p.num_settings, _INF, np.int64)
    np.minimum.at(free_set, pr.setting[held], best_move[placed])
    hp = pr.pool[held]
    np.minimum.at(free_pool, hp[hp >= 0], best_move[placed][hp >= 0])
    return AreaRun(
        alloc, a, st, pool_taken, setting_taken, keys, worst_pool, worst_set, free_pool, free_set
    )


def _room(p: Problem, pool_taken: I64, setting_taken: I64) -> np.ndarray:
    pr = p.pairs
    taken = np.append(pool_taken, 0)
    free = np.append(p.pool_free, 1)
    return np.asarray(
        (setting_taken[pr.setting] < p.s_free[pr.setting]) & (taken[pr.pool] < free[pr.pool]),
        np.bool_,
    )


@dataclass(frozen=True, slots=True, eq=False)
class ScoreTable:
    """Score components (points) for every suitable pair; ``total`` is their sum."""

    components: dict[str, F64]
    total: F64
    places_left: I64
    chance: np.ndarray  # per pair: index into CHANCES


CHANCES: tuple[Chance, ...] = ("likely", "possible", "unlikely", "placed", "unknown")
# the order options are listed in, by chance: the run's place first, a wish that cannot be met last
_AVAILABILITY = tuple(
    ("placed", "likely", "possible", "unknown", "unlikely").index(c) for c in CHANCES
)


def _need_fit(p: Problem) -> F64:
    pr = p.pairs
    suit = p.policy.suitability
    exact = np.zeros((p.num_settings, len(Need)), np.bool_)
    designated = np.zeros((p.num_settings, len(Need)), np.bool_)
    for j, s in enumerate(p.settings):
        for d in s.designations:
            exact[j, NEED_INDEX[d]] = True
            for nd in suit.designation_meets[d]:
                designated[j, NEED_INDEX[nd]] = True
    need = p.c_need[pr.child]
    base = np.where(exact[pr.setting, need], 1.0, np.where(designated[pr.setting, need], 0.8, 0.6))
    over = np.maximum(p.s_meets[pr.setting, need] - p.c_band[pr.child], 0)
    return np.asarray(np.maximum(base - 0.1 * over, 0.0), np.float64)


def score_table(p: Problem, run: AreaRun | None = None) -> ScoreTable:
    """Every suitable pair's score components, total, places left and chance band."""
    pr = p.pairs
    w = p.policy.objective.list_weights
    child = pr.child.astype(np.int64)
    n = p.num_children
    cheapest = np.full(n, _INF, np.int64)
    np.minimum.at(cheapest, child, pr.cost_gbp)
    asked_specialist = np.zeros(n, np.bool_)
    asked_specialist[p.pref_child[~p.s_mainstream[p.pref_setting]]] = True
    key = child * p.num_settings + pr.setting
    current = in_sorted(p.current_keys, key)
    sibling = in_sorted(p.sibling_keys, key)
    comps: dict[str, object] = {
        "need_fit": w["need_fit"] * _need_fit(p),
        "journey": w["journey"] * np.clip(1.0 - pr.travel_min / p.c_limit_min[child], 0.0, 1.0),
        "cost": w["cost"] * cheapest[child] / np.maximum(pr.cost_gbp, 1),
        "preference": w["preference"]
        * np.where(pr.pref_rank > 0, 1.0 / np.maximum(pr.pref_rank, 1), 0.0),
        "mainstream": w["mainstream"] * (p.s_mainstream[pr.setting] & ~asked_specialist[child]),
        "continuity": w["continuity"] * np.where(current, 1.0, np.where(sibling, 0.5, 0.0)),
    }
    places_left = np.zeros(len(pr), np.int64)
    chance = np.full(len(pr), CHANCES.index("unknown"), np.int8)
    if run is None:
        comps["capacity_pressure"] = np.zeros(len(pr), np.float64)
        free = np.where(pr.pool >= 0, np.append(p.pool_free, 0)[pr.pool], p.s_free[pr.setting])
        places_left = np.minimum(free, p.s_free[pr.setting]).astype(np.int64)
        places_left[pr.home] = np.maximum(places_left[pr.home], 1)  # its own seat
    else:
        pool = pr.pool
        ptaken = np.append(run.pool_taken, 0)[pool]
        pfree = np.append(p.pool_free, 1 << 40)[pool]
        stak = run.setting_taken[pr.setting]
        sfree = p.s_free[pr.setting]
        left = np.minimum(np.where(pool >= 0, pfree - ptaken, sfree - stak), sfree - stak)
        places_left = np.maximum(left, 0).astype(np.int64)
        places_left[pr.home] = np.maximum(places_left[pr.home], 1)  # its own seat
        share = np.where(pool >= 0, ptaken / np.maximum(pfree, 1), stak / np.maximum(sfree, 1))
        comps["capacity_pressure"] = -w["capacity_pressure"] * np.clip(share, 0.0, 1.0)
        chance = _chance(p, run, places_left)
    rounded: dict[str, F64] = {
        k: np.asarray(np.round(np.asarray(v, np.float64), 1), np.float64) for k, v in comps.items()
    }
    total = np.zeros(len(pr), np.float64)
    for v in rounded.values():
        total += v
    total = np.asarray(np.round(total, 1), np.float64)
    return ScoreTable(rounded, total, places_left, chance)


def _chance(p: Problem, run: AreaRun, places_left: I64) -> np.ndarray:
    pr = p.pairs
    n_pairs = len(pr)
    child = pr.child.astype(np.int64)
    a = run.assign
    out = np.full(n_pairs, CHANCES.index("unlikely"), np.int8)
    room = places_left > 0
    pool_full = (pr.pool >= 0) & (
        np.append(run.pool_taken, 0)[pr.pool] >= np.append(p.pool_free, 1 << 40)[pr.pool]
    )
    if run.keys is not None:  # preference-first: against the cutoff
        holder = np.where(
            pool_full,
            np.append(run.holder_worst_pool, -1)[pr.pool],
            run.holder_worst_setting[pr.setting],
        )
        mine = run.keys
        beats = mine < holder
        same_class = (mine >> _LOTTERY_BITS) == (holder >> _LOTTERY_BITS)
        out[same_class] = CHANCES.index("possible")
        out[beats | room] = CHANCES.index("likely")
    else:  # optimised: counterfactual cost of naming it
        own = np.where(a[child] >= 0, pr.cost_gbp[np.maximum(a[child], 0)], 0)
        extra = pr.cost_gbp - own
        free_cost = np.where(
            pool_full,
            np.append(run.free_cost_pool, _INF)[pr.pool],
            run.free_cost_setting[pr.setting],
        )
        counterfactual = np.where(room, extra, np.where(free_cost >= _INF, _INF, extra + free_cost))
        thr = p.policy.funding.extra_cost_threshold_gbp(own)
        # possible: a place can be freed and the option itself is not out of proportion in
        # cost; likely: naming it (freeing a place included) stays within the threshold
        out[(counterfactual < _INF) & (extra <= thr)] = CHANCES.index("possible")
        out[counterfactual <= thr] = CHANCES.index("likely")
    placed_here = a[child] == np.arange(n_pairs)
    out[pr.home] = CHANCES.index("likely")  # the child's own seat stands for it
    out[placed_here] = CHANCES.index("placed")
    return out


# -- the list for one child ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    setting_id: str
    name: str
    kind: str
    mainstream: bool
    journey_min: int
    journey_source: str  # "router" (travel_minutes.csv) or "estimate" (straight-line)
    transport_provided: bool
    cost_gbp: int
    cost_by_payer_gbp: dict[str, int]
    places_left: int
    pool_need: str | None
    score: float
    components: dict[str, float]
    chance: Chance
    preference_rank: int
    route: str  # s38_request or s9_representation
    included_because: tuple[str, ...]  # top_k, mainstream, family_asked, area_run
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class StatutoryTest:
    """One test of a preference, under the statute it really applies (``ground``).

    s.38 request: ``suitability`` s.39(4)(a), ``efficient_education_of_others`` and
    ``efficient_use_of_resources`` s.39(4)(b), then ``mainstream_presumption`` s.33 when the
    request is refused. s.9 representation: ``s9_efficient_instruction``, ``s9_place_available``
    and ``s9_public_expenditure`` (s.9 EA 1996). Facts that are not refusal grounds are their
    own tests: ``gender_of_entry`` (a single-sex school) and ``journey_beyond_la_limit``.
    ``outcome``: ``met`` (passes; for s.33, the presumption is kept, with its reason),
    ``not_met`` (a ground to refuse; for s.33, breached), ``not_applicable``.
    """

    name: str
    ground: Ground
    outcome: Literal["met", "not_met", "not_applicable"]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class RequestAssessment:
    setting_id: str
    setting_name: str
    rank: int
    route: str
    tests: tuple[StatutoryTest, ...]
    # not_this_round: the child stays where the plan names (ask for a review to move)
    outcome: Literal["can_be_named", "named", "refused", "not_this_round"]
    grounds: tuple[Ground, ...]  # the grounds it fails on, in statutory order


@dataclass(frozen=True, slots=True)
class LeftOff:
    setting_id: str
    name: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class TailoredList:
    child_id: str
    phase: str
    primary_need: str
    need_band: int
    journey_limit_min: int
    mechanism: str | None
    allocated_setting_id: str | None
    options: tuple[Option, ...]
    requests: tuple[RequestAssessment, ...]
    left_off: tuple[LeftOff, ...]  # with evidence (all but other-age settings not asked for)
    left_off_counts: dict[str, int]  # every other setting, by its first reason code
    advisory: str = ADVISORY
    movement: str = "no_current_setting"  # placement.cohort.Movement
    staying_setting_id: str | None = None  # a staying child's setting (the place stands)
    scope: str = "moving"  # "from_scratch": a planner's whole-caseload study
    mainstream_presumption: StatutoryTest | None = None  # s.33 for the setting the run names
    journey_limit_source: str = "policy"  # or "plan": the child's plan sets the limit
    # the option recommended, and why: "area_run" (the run plans this place), "available"
    # (the best-scored option with a place likely), "best_scored" (no run yet), "staying"
    recommended_setting_id: str | None = None
    recommended_because: str | None = None


def _inclusion_reasons(
    p: Problem, i: int, s: int, k: int, table: ScoreTable, run: AreaRun | None
) -> tuple[Reason, ...]:
    pr = p.pairs
    c, sett = p.children[i], p.settings[s]
    journey = evidence(p, i, s, int(pr.travel_min[k]))
    journey["transport"] = bool(p.c_transport[i]) and not bool(pr.family_transport[k])
    out = [
        Reason(
            ReasonCode.MEETS_NEEDS,
            c.child_id,
            sett.setting_id,
            {
                "primary_need": c.primary_need.value,
                "need_band": c.need_band,
                "max_band": int(p.s_meets[s, int(p.c_need[i])]),
                "designations": sorted(d.value for d in sett.designations),
                "kind": sett.kind.value,
                **estimated(sett, DESIGNATION_FIELDS),
            },
        ),
        _journey_reason(p, i, s, k)
        if pr.beyond_limit[k]
        else Reason(ReasonCode.WITHIN_JOURNEY, c.child_id, sett.setting_id, journey),
    ]
    if pr.pref_rank[k] > 0:
        out.append(
            Reason(
                ReasonCode.FAMILY_PREFERENCE,
                c.child_id,
                sett.setting_id,
                {"rank": int(pr.pref_rank[k]), "route": preference_route(sett).value},
            )
        )
    if table.components["mainstream"][k] > 0:
        out.append(Reason(ReasonCode.MAINSTREAM_PRESUMPTION, c.child_id, sett.setting_id, {}))
    if table.components["continuity"][k] > 0:
        current = c.current_setting_id == sett.setting_id
        out.append(
            Reason(
                ReasonCode.CONTINUITY,
                c.child_id,
                sett.setting_id,
                {"current_setting": current, "sibling": not current},
            )
        )
    if run is not None and int(run.assign[i]) == k:
        out.append(
            Reason(
                ReasonCode.AREA_RUN_PLACE,
                c.child_id,
                sett.setting_id,
                {"mechanism": run.allocation.mechanism, "scope": p.scope},
            )
        )
    return tuple(out)


def _journey_reason(p: Problem, i: int, s: int, k: int) -> Reason:
    """A family's request over the LA's journey limit: still a request; who arranges the
    journey, and whether the LA's transport cost is counted."""
    pr = p.pairs
    facts = evidence(p, i, s, int(pr.travel_min[k]))
    facts["transport_eligible"] = bool(p.c_transport[i])
    facts["family_arranges_transport"] = bool(pr.family_transport[k])
    facts["transport_cost_gbp"] = int(pr.cost_transport_gbp[k])
    return Reason(
        ReasonCode.BEYOND_JOURNEY_LIMIT,
        p.children[i].child_id,
        p.settings[s].setting_id,
        facts,
    )


def _option(
    p: Problem, i: int, k: int, table: ScoreTable, run: AreaRun | None, because: tuple[str, ...]
) -> Option:
    pr = p.pairs
    s = int(pr.setting[k])
    sett = p.settings[s]
    pool = int(pr.pool[k])
    return Option(
        setting_id=sett.setting_id,
        name=sett.name,
        kind=sett.kind.value,
        mainstream=bool(p.s_mainstream[s]),
        journey_min=int(pr.travel_min[k]),
        journey_source="router" if from_matrix(p, i, s) else "estimate",
        transport_provided=bool(p.c_transport[i]) and not bool(pr.family_transport[k]),
        cost_gbp=int(pr.cost_gbp[k]),
        cost_by_payer_gbp={
            "high_needs_block": int(pr.cost_high_needs_gbp[k]),
            "schools": int(pr.cost_school_gbp[k]),
            "transport": int(pr.cost_transport_gbp[k]),
        },
        places_left=int(table.places_left[k]),
        pool_need=list(Need)[int(p.pool_need[pool])].value if pool >= 0 else None,
        score=float(table.total[k]),
        components={c: float(table.components[c][k]) for c in COMPONENTS},
        chance=CHANCES[int(table.chance[k])],
        preference_rank=int(pr.pref_rank[k]),
        route=preference_route(sett).value,
        included_because=because,
        reasons=_inclusion_reasons(p, i, s, k, table, run),
    )


def _ranked(p: Problem, i: int, table: ScoreTable) -> I64:
    lo, hi = int(p.pairs.start[i]), int(p.pairs.start[i + 1])
    idx = np.arange(lo, hi, dtype=np.int64)
    # best score first; ties: shorter journey, then setting id order
    return idx[np.lexsort((p.pairs.setting[idx], p.pairs.travel_min[idx], -table.total[idx]))]


def top_k_all(p: Problem, table: ScoreTable) -> I64:
    """Every child's top-k pair indices by score (-1 padded), shape (children, k): the
    vectorised core of all lists at once."""
    k = p.policy.objective.list_k
    pr = p.pairs
    # one stable argsort of a packed key: child, then score (tenths, best first), then journey;
    # pairs are stored by child then setting, so stability breaks the last ties by setting
    tenths = np.rint(table.total * 10).astype(np.int64)
    score_key = (tenths.max() if len(pr) else 0) - tenths  # >= 0, smaller is better
    packed = (
        (pr.child.astype(np.int64) << 40)
        | (np.minimum(score_key, (1 << 24) - 1) << 16)
        | np.minimum(pr.travel_min, (1 << 16) - 1).astype(np.int64)
    )
    order = np.argsort(packed, kind="stable")
    pos = np.arange(len(pr)) - pr.start[pr.child[order]]
    keep = order[pos < k]
    out = np.full((p.num_children, k), -1, np.int64)
    out[pr.child[keep], (np.arange(len(pr)) - pr.start[pr.child[order]])[pos < k]] = keep
    return out


def _standing(p: Problem, run: AreaRun | None) -> Standing:
    """The run's standing, or (no run yet) an empty allocation: every place free, so a
    request's cost is weighed against the child's cheapest suitable setting."""
    if run is not None:
        return run.standing
    return Standing(p, np.full(p.num_children, -1, np.int64))


def tailored_list(
    p: Problem,
    child_id: str,
    *,
    run: AreaRun | None = None,
    table: ScoreTable | None = None,
) -> TailoredList:
    """The tailored list for one child (see the module docstring)."""
    if child_id not in p.child_index:
        raise KeyError(child_id)
    i = p.child_index[child_id]
    c = p.children[i]
    movement = p.movement(i)
    plan_limit = c.max_journey_min is not None and int(p.c_plan_limit_min[i]) <= int(
        p.c_limit_min[i]
    )
    head = {
        "child_id": child_id,
        "phase": p.phase(i).label,
        "primary_need": c.primary_need.value,
        "need_band": int(p.c_band[i]),
        "journey_limit_min": int(p.c_limit_min[i]),
        "mechanism": run.allocation.mechanism if run is not None else None,
        "movement": movement.value,
        "scope": p.scope,
        "journey_limit_source": "plan" if plan_limit else "policy",
    }
    if not p.c_moving[i]:
        return TailoredList(
            allocated_setting_id=c.current_setting_id,
            options=(),
            requests=_not_this_round(p, i),
            left_off=(),
            left_off_counts={},
            staying_setting_id=c.current_setting_id,
            recommended_setting_id=c.current_setting_id,
            recommended_because="staying",
            **head,  # type: ignore[arg-type]
        )
    st = _standing(p, run)
    table = table or score_table(p, run)
    pr = p.pairs
    ranked = _ranked(p, i, table)
    k = p.policy.objective.list_k
    chosen: dict[int, list[str]] = {int(x): ["top_k"] for x in ranked[:k]}
    mainstream = [
        int(x) for x in ranked if p.s_mainstream[int(pr.setting[x])] and not pr.beyond_limit[x]
    ]
    if mainstream and not any(p.s_mainstream[int(pr.setting[x])] for x in chosen):
        chosen.setdefault(mainstream[0], []).append("mainstream")
    for x in ranked:
        if pr.pref_rank[x] > 0:
            chosen.setdefault(int(x), []).append("family_asked")
    assigned = int(run.assign[i]) if run is not None else -1
    if assigned >= 0:
        chosen.setdefault(assigned, []).append("area_run")
    order = [int(x) for x in ranked if int(x) in chosen]
    # availability before wishes that cannot be met: the run's place, then likely, possible,
    # unknown, unlikely; the score within each (ranked is already by score)
    order.sort(key=lambda x: _AVAILABILITY[int(table.chance[x])])
    options = tuple(_option(p, i, x, table, run, tuple(chosen[x])) for x in order)
    recommended, because = None, None
    if options:
        recommended = options[0].setting_id
        because = (
            "area_run"
            if options[0].chance == "placed"
            else "best_scored"
            if options[0].chance == "unknown"
            else "available"
        )
    listed = {int(pr.setting[x]) for x in order}
    left, counts = _left_off(p, i, listed, table, st, ranked)
    s33 = None
    if run is not None:
        outcome, reason = st.s33(i)
        s33 = StatutoryTest("mainstream_presumption", Ground.S33, outcome, (reason,))
    return TailoredList(
        allocated_setting_id=p.settings[int(pr.setting[assigned])].setting_id
        if assigned >= 0
        else None,
        options=options,
        requests=assess_requests(p, i, run),
        left_off=left,
        left_off_counts=counts,
        mainstream_presumption=s33,
        recommended_setting_id=recommended,
        recommended_because=because,
        **head,  # type: ignore[arg-type]
    )


def _not_this_round(p: Problem, i: int) -> tuple[RequestAssessment, ...]:
    """A staying child's preferences: not assessed in this run (the place the plan names
    stands; a review asking for a move makes the child one who moves)."""
    c = p.children[i]
    out: list[RequestAssessment] = []
    for pref in c.preferences:
        sett = p.settings[p.setting_index[pref.setting_id]]
        reason = Reason(
            ReasonCode.STAYING,
            c.child_id,
            sett.setting_id,
            {"current_setting_id": c.current_setting_id},
        )
        test = StatutoryTest("staying", Ground.NONE, "not_applicable", (reason,))
        out.append(
            RequestAssessment(
                sett.setting_id,
                sett.name,
                pref.rank,
                preference_route(sett).value,
                (test,),
                "not_this_round",
                (),
            )
        )
    return tuple(out)


def _left_off(
    p: Problem,
    i: int,
    listed: set[int],
    table: ScoreTable,
    st: Standing,
    ranked: I64,
) -> tuple[tuple[LeftOff, ...], dict[str, int]]:
    """Why each setting is not on the list, with evidence, nearest first; settings for other
    ages that the family did not ask about are only counted (by their first reason)."""
    m = p.num_settings
    ci = np.array([[i]], np.int64)
    si = np.arange(m, dtype=np.int64)[None, :]
    minutes = journey_minutes(p, ci, si)
    first = np.full(m, -1, np.int64)
    fails = np.zeros((len(RULES), m), np.bool_)
    for r, rule in enumerate(RULES):
        fails[r] = ~rule.passes(p, ci, si, minutes)[0]
        first[(first < 0) & fails[r]] = r
    mins = minutes[0].tolist()
    fails_t = fails.T.tolist()
    asked = set(p.pref_setting[p.pref_child == i].tolist())
    kth = (
        float(table.total[ranked[min(len(ranked), p.policy.objective.list_k) - 1]])
        if len(ranked)
        else 0.0
    )
    counts: Counter[str] = Counter()
    out: list[LeftOff] = []
    c = p.children[i]
    for s in range(m):
        if s in listed:
            continue
        if first[s] >= 0:
            if s in asked or RULES[int(first[s])].CODE is not ReasonCode.AGE_OUT_OF_RANGE:
                # only the rules the vectorised masks say fail: the same reasons as
                # why_unsuitable, in the same order, without testing the others
                why = tuple(
                    w
                    for x, failed in enumerate(fails_t[s])
                    if failed and (w := RULES[x].explain(p, i, s, mins[s])) is not None
                )
                out.append(LeftOff(p.settings[s].setting_id, p.settings[s].name, why))
                counts[why[0].code.value if why else RULES[int(first[s])].CODE.value] += 1
            else:
                counts[RULES[int(first[s])].CODE.value] += 1
            continue
        k = p.pair_index(i, s)
        full = full_reason(st, i, k, 0)
        reasons: list[Reason] = [full] if full is not None else []
        dear = st.cost_ground(i, k, True)
        if dear is not None:
            reasons.append(replace(dear, route=None))
        if not reasons:
            reasons = [
                Reason(
                    ReasonCode.RANKED_BELOW,
                    c.child_id,
                    p.settings[s].setting_id,
                    {
                        "score": float(table.total[k]),
                        "kth_score": kth,
                        "k": p.policy.objective.list_k,
                    },
                )
            ]
        counts[reasons[0].code.value] += 1
        out.append(LeftOff(p.settings[s].setting_id, p.settings[s].name, tuple(reasons)))
    # nearest first (then the area's order): what a family reads as "schools near you"
    order = {lo.setting_id: (mins[p.setting_index[lo.setting_id]], n) for n, lo in enumerate(out)}
    out.sort(key=lambda lo: order[lo.setting_id])
    return tuple(out), dict(sorted(counts.items()))


def assess_requests(p: Problem, i: int, run: AreaRun | None) -> tuple[RequestAssessment, ...]:
    """The statutory tests, in order, for each of the family's preferences (see
    :class:`StatutoryTest`), each against the area run (without one: every place free, and a
    request's cost weighed against the child's cheapest suitable setting).

    A s.38 request is tested under s.39(4), then s.33 if it is refused; an s.9 EA 1996
    representation (an independent setting off the s.41 list, or AP) under s.9 only. A
    request beyond the LA's journey limit stays a request: the journey test says who would
    arrange the transport.
    """
    if not p.c_moving[i]:
        return _not_this_round(p, i)
    pr = p.pairs
    st = _standing(p, run)
    out: list[RequestAssessment] = []
    assigned = int(st.assign[i])
    first = int(np.searchsorted(p.pref_child, i, "left"))
    last = int(np.searchsorted(p.pref_child, i, "right"))
    s33: StatutoryTest | None = None
    na: Literal["not_applicable"] = "not_applicable"
    for x in range(first, last):
        s = int(p.pref_setting[x])
        k = p.pair_index(i, s)
        sett = p.settings[s]
        route = preference_route(sett)
        s38 = route is PreferenceRoute.S38_REQUEST
        rank = int(p.pref_rank[x])
        tests: list[StatutoryTest] = []
        unsuit = [r.for_route(route.value) for r in why_unsuitable(p, i, s)] if k < 0 else []
        entry = [r for r in unsuit if r.code is ReasonCode.SEX_NOT_ADMITTED]
        unsuit = [r for r in unsuit if r.code is not ReasonCode.SEX_NOT_ADMITTED]
        grounds = (
            preference_ground(st, i, s, pair=k, s38=s38, rank=rank)
            if k >= 0 and assigned != k
            else []
        )
        full = tuple(
            r for r in grounds if r.code in (ReasonCode.POOL_FULL, ReasonCode.SETTING_FULL)
        )
        dear = tuple(r for r in grounds if r not in full)
        names = (
            ("suitability", "efficient_education_of_others", "efficient_use_of_resources")
            if s38
            else ("s9_efficient_instruction", "s9_place_available", "s9_public_expenditure")
        )
        g = (
            (Ground.S39_4_A, Ground.S39_4_B_OTHERS, Ground.S39_4_B_RESOURCES)
            if s38
            else (Ground.S9_INSTRUCTION, Ground.S9_NO_PLACE, Ground.S9_EA1996)
        )
        tests.append(StatutoryTest(names[0], g[0], "not_met" if unsuit else "met", tuple(unsuit)))
        if entry:
            tests.append(
                StatutoryTest("gender_of_entry", Ground.ADMISSIONS, "not_met", tuple(entry))
            )
        if k >= 0 and pr.beyond_limit[k]:
            tests.append(
                StatutoryTest(
                    "journey_beyond_la_limit",
                    Ground.TRAVEL_POLICY,
                    na,
                    (_journey_reason(p, i, s, k),),
                )
            )
        tests.append(
            StatutoryTest(names[1], g[1], na if k < 0 else ("not_met" if full else "met"), full)
        )
        tests.append(
            StatutoryTest(names[2], g[2], na if k < 0 else ("not_met" if dear else "met"), dear)
        )
        failed = tuple(t.ground for t in tests if t.outcome == "not_met")
        named = assigned >= 0 and int(pr.setting[assigned]) == s
        outcome: Literal["can_be_named", "named", "refused", "not_this_round"] = (
            "named" if named else ("refused" if failed else "can_be_named")
        )
        if outcome == "refused" and s38 and run is not None:
            # s.39(5): the LA names another setting, and s.33 applies to it (ME v Southwark)
            if s33 is None:
                o, reason = st.s33(i)
                s33 = StatutoryTest("mainstream_presumption", Ground.S33, o, (reason,))
            tests.append(s33)
        out.append(
            RequestAssessment(
                sett.setting_id,
                sett.name,
                rank,
                route.value,
                tuple(tests),
                outcome,
                failed,
            )
        )
    return tuple(out)
