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

import numpy as np

from placement.domain import Need
from placement.law import preference_route
from placement.lawful import Standing
from placement.problem import Problem
from placement.reasons import Ground, Reason, ReasonCode
from placement.result import full_reason
from placement.rules import RULES
from placement.rules.common import DESIGNATION_FIELDS, I64, estimated
from placement.rules.journey import evidence, from_matrix, journey_minutes
from placement.tailored.requests import (
    RequestAssessment,
    StatutoryTest,
    assess_requests,
    journey_reason,
    not_this_round,
)
from placement.tailored.scores import (
    AVAILABILITY,
    CHANCES,
    COMPONENTS,
    AreaRun,
    Chance,
    ScoreTable,
    area_run,
    score_table,
    standing_of,
)

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

ADVISORY = (
    "This list is advice, not a decision. The family can ask for any school or college, "
    "including one that is not on this list, and the council must consider the request."
)


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
        journey_reason(p, i, s, k)
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
    head = _head(p, i, run)
    if not p.c_moving[i]:
        return TailoredList(
            allocated_setting_id=c.current_setting_id,
            options=(),
            requests=not_this_round(p, i),
            left_off=(),
            left_off_counts={},
            staying_setting_id=c.current_setting_id,
            recommended_setting_id=c.current_setting_id,
            recommended_because="staying",
            **head,  # type: ignore[arg-type]
        )
    st = standing_of(p, run)
    table = table or score_table(p, run)
    pr = p.pairs
    ranked = _ranked(p, i, table)
    assigned = int(run.assign[i]) if run is not None else -1
    chosen = _chosen(p, ranked, assigned)
    order = [int(x) for x in ranked if int(x) in chosen]
    # availability before wishes that cannot be met: the run's place, then likely, possible,
    # unknown, unlikely; the score within each (ranked is already by score)
    order.sort(key=lambda x: AVAILABILITY[int(table.chance[x])])
    options = tuple(_option(p, i, x, table, run, tuple(chosen[x])) for x in order)
    left, counts = _left_off(p, i, {int(pr.setting[x]) for x in order}, table, st, ranked)
    s33 = None
    if run is not None:
        outcome, reason = st.s33(i)
        s33 = StatutoryTest("mainstream_presumption", Ground.S33, outcome, (reason,))
    recommended, because = _recommended(options)
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


def _head(p: Problem, i: int, run: AreaRun | None) -> dict[str, object]:
    """The child's facts every list starts with."""
    c = p.children[i]
    plan_limit = c.max_journey_min is not None and int(p.c_plan_limit_min[i]) <= int(
        p.c_limit_min[i]
    )
    return {
        "child_id": c.child_id,
        "phase": p.phase(i).label,
        "primary_need": c.primary_need.value,
        "need_band": int(p.c_band[i]),
        "journey_limit_min": int(p.c_limit_min[i]),
        "mechanism": run.allocation.mechanism if run is not None else None,
        "movement": p.movement(i).value,
        "scope": p.scope,
        "journey_limit_source": "plan" if plan_limit else "policy",
    }


def _chosen(p: Problem, ranked: I64, assigned: int) -> dict[int, list[str]]:
    """The pairs listed, each with why: the top k by score; one mainstream option where one
    is suitable (s.33); every setting the family asked for; the area run's place."""
    pr = p.pairs
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
    if assigned >= 0:
        chosen.setdefault(assigned, []).append("area_run")
    return chosen


def _recommended(options: tuple[Option, ...]) -> tuple[str | None, str | None]:
    """The first option, and why: the run's place, the best scored (no run), or the best
    available."""
    if not options:
        return None, None
    chance = options[0].chance
    because = (
        "area_run" if chance == "placed" else "best_scored" if chance == "unknown" else "available"
    )
    return options[0].setting_id, because


def _rule_masks(p: Problem, i: int) -> tuple[I64, list[list[bool]], list[int]]:
    """For child ``i`` and every setting: the first rule it fails (-1: none), which rules it
    fails, and the journey minutes (every rule's vectorised mask, once)."""
    m = p.num_settings
    ci = np.array([[i]], np.int64)
    si = np.arange(m, dtype=np.int64)[None, :]
    minutes = journey_minutes(p, ci, si)
    first = np.full(m, -1, np.int64)
    fails = np.zeros((len(RULES), m), np.bool_)
    for r, rule in enumerate(RULES):
        fails[r] = ~rule.passes(p, ci, si, minutes)[0]
        first[(first < 0) & fails[r]] = r
    return first, fails.T.tolist(), minutes[0].tolist()


def _not_listed(
    p: Problem, i: int, s: int, st: Standing, table: ScoreTable, kth: float
) -> tuple[Reason, ...]:
    """Why a suitable setting is not on the list: full, dear, or ranked below the k-th."""
    k = p.pair_index(i, s)
    full = full_reason(st, i, k, 0)
    reasons: list[Reason] = [full] if full is not None else []
    dear = st.cost_ground(i, k, True)
    if dear is not None:
        reasons.append(replace(dear, route=None))
    if reasons:
        return tuple(reasons)
    facts = {"score": float(table.total[k]), "kth_score": kth, "k": p.policy.objective.list_k}
    return (
        Reason(ReasonCode.RANKED_BELOW, p.children[i].child_id, p.settings[s].setting_id, facts),
    )


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
    first, fails_t, mins = _rule_masks(p, i)
    asked = set(p.pref_setting[p.pref_child == i].tolist())
    kth = (
        float(table.total[ranked[min(len(ranked), p.policy.objective.list_k) - 1]])
        if len(ranked)
        else 0.0
    )
    counts: Counter[str] = Counter()
    out: list[LeftOff] = []
    for s in range(p.num_settings):
        if s in listed:
            continue
        sett = p.settings[s]
        if first[s] < 0:
            reasons = _not_listed(p, i, s, st, table, kth)
            counts[reasons[0].code.value] += 1
            out.append(LeftOff(sett.setting_id, sett.name, reasons))
        elif s in asked or RULES[int(first[s])].CODE is not ReasonCode.AGE_OUT_OF_RANGE:
            # only the rules the vectorised masks say fail: the same reasons as
            # why_unsuitable, in the same order, without testing the others
            why = tuple(
                w
                for x, failed in enumerate(fails_t[s])
                if failed and (w := RULES[x].explain(p, i, s, mins[s])) is not None
            )
            out.append(LeftOff(sett.setting_id, sett.name, why))
            counts[why[0].code.value if why else RULES[int(first[s])].CODE.value] += 1
        else:
            counts[RULES[int(first[s])].CODE.value] += 1
    # nearest first (then the area's order): what a family reads as "schools near you"
    order = {lo.setting_id: (mins[p.setting_index[lo.setting_id]], n) for n, lo in enumerate(out)}
    out.sort(key=lambda lo: order[lo.setting_id])
    return tuple(out), dict(sorted(counts.items()))
