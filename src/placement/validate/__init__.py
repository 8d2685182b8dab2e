"""An allocation checker written independently of the solvers and of the vectorised problem.

It reads the area's own objects (children, settings, router rows) and the policy, and checks a
plain ``child_id -> setting_id`` allocation against the law as :mod:`placement.lawful` states
it, with its own code (sharing no code path with :mod:`placement.problem`,
:mod:`placement.rules`, :mod:`placement.lawful` or the solvers is deliberate: a bug in one is
caught by the other):

- who is placed: a child stays at the setting its plan names unless it moves (a phase-transfer
  year, a new plan, a review asking for a move, no current setting, or a current setting that
  does not take its age); a staying child must be left there, and its place counts as taken
  (unless the allocation is a whole-caseload run "as if from scratch");
- capacity per pool and setting; every eligibility rule; the plan's own journey limit always,
  and the LA's journey limit for every setting the family did not ask for;
- every family preference ranked above the setting named has a ground that holds in this
  allocation: unsuitable; dear against the alternative named, or one with a free place; or
  full, and (for a s.38 request) no **exchange** names it: a chain of moves of children who
  did not ask for the place at an equal or higher rank, ending in a free place or the place
  the requester leaves, whose extra public cost is within the LA's threshold (each finding
  names the child, the setting and the exchange);
- s.33: no child whose family did not ask for specialist provision is named outside
  mainstream (or left unplaced) while a suitable mainstream place is free;
- maximum placement: the number placed against an independent maximum flow over every
  suitable pair and capacity (SciPy's ``maximum_flow``, not the solver's arcs), reporting the
  children it could have placed;

then recomputes the headline metrics so a solver's own figures can be compared with them.
Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from placement.area import Area
from placement.law import PreferenceRoute, preference_route
from placement.policy import Policy
from placement.validate.checker import Checker, Pair
from placement.validate.held import Held, max_placed

__all__ = ["Checker", "Finding", "ValidationReport", "validate_allocation"]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    child_id: str | None = None
    setting_id: str | None = None


@dataclass(frozen=True, slots=True)
class ValidationReport:
    findings: tuple[Finding, ...]
    metrics: Mapping[str, float | int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(slots=True)
class _Named:
    """What the allocation names for each moving child it places: the setting, the cost and
    the journey (an unsuitable setting's too, costed and timed apart)."""

    at: dict[str, str] = field(default_factory=dict)
    costs: dict[str, int] = field(default_factory=dict)
    journeys: dict[str, int] = field(default_factory=dict)


def validate_allocation(
    area: Area,
    policy: Policy,
    allocation: Mapping[str, str | None],
    *,
    claimed_metrics: Mapping[str, object] | None = None,
    from_scratch: bool = False,
) -> ValidationReport:
    """Check ``allocation`` (child id -> setting id, or None for unplaced; a staying child
    may be omitted or mapped to its current setting) against the area. ``from_scratch``: the
    allocation places the whole caseload afresh (a planner's study).

    The checks, in the order their findings are listed: unknown children; who is placed
    where (a staying child moved, an unknown or unsuitable setting); capacity; every
    preference refused without a ground; s.33; maximum placement; the metrics claimed."""
    ck = Checker(area, policy, from_scratch)
    findings = [
        Finding("unknown_child", f"child {cid!r} is not in the area", cid)
        for cid in allocation
        if cid not in ck.children
    ]
    pairs = ck.pairs()
    named = _named(ck, pairs, allocation, findings)
    held = Held(ck, pairs, named.at)
    findings += _over_capacity(held)
    findings += _refused_without_ground(ck, held)
    findings += _s33_breaches(ck, held)
    most, could = max_placed(ck, held)
    placed = len(named.at)
    if most > placed:
        findings.append(
            Finding(
                "not_maximum_placement",
                f"{placed} placed, but {most} could be: for instance "
                f"{', '.join(could[:10]) or 'by moving placed children'}",
                could[0] if could else None,
            )
        )
    metrics = _metrics(ck, named, most)
    if claimed_metrics is not None:
        findings += _mismatches(metrics, claimed_metrics)
    return ValidationReport(tuple(findings), metrics)


def _named(
    ck: Checker,
    pairs: dict[str, dict[str, Pair]],
    allocation: Mapping[str, str | None],
    findings: list[Finding],
) -> _Named:
    """Who is placed where: a staying child left at its place, every setting known and
    suitable (an unsuitable one is added to ``pairs``, costed, so the other checks read it)."""
    out = _Named()
    for cid, c in sorted(ck.children.items()):
        sid = allocation.get(cid)
        if not ck.moving[cid]:
            if sid is not None and sid != c.current_setting_id:
                findings.append(
                    Finding(
                        "staying_child_moved",
                        f"{cid} is not moving this round (the plan names "
                        f"{c.current_setting_id}), but {sid} was named",
                        cid,
                        sid,
                    )
                )
            continue
        if sid is None:
            continue
        s = ck.settings.get(sid)
        if s is None:
            findings.append(
                Finding("unknown_setting", f"setting {sid!r} is not in the area", cid, sid)
            )
            continue
        if sid not in pairs[cid]:
            for code in ck.unsuitable(c, s) or ["unsuitable"]:
                findings.append(Finding(code, f"{cid} at {sid}: fails {code}", cid, sid))
            base, tr = ck.base_cost(c, s)
            out.costs[cid] = base + tr
            out.journeys[cid] = ck.minutes(c, s)
            out.at[cid] = sid
            pool = ck.pool_of(s, c.primary_need)
            pairs[cid][sid] = Pair(out.journeys[cid], out.costs[cid], pool, False)
            continue
        out.at[cid] = sid
        out.costs[cid] = pairs[cid][sid].cost
        out.journeys[cid] = pairs[cid][sid].minutes
    return out


def _over_capacity(held: Held) -> list[Finding]:
    out = []
    for sid in sorted(held.s_taken):
        k = held.s_taken[sid]
        if k > held.s_free[sid]:
            out.append(
                Finding(
                    "setting_over_capacity",
                    f"{sid}: {k} placed, {held.s_free[sid]} free for the children moving",
                    None,
                    sid,
                )
            )
    for (sid, need), k in sorted(held.p_taken.items()):
        free = held.p_free[(sid, need)]
        if k > free:
            out.append(
                Finding(
                    "pool_over_capacity", f"{sid} {need} pool: {k} placed, {free} free", None, sid
                )
            )
    return out


def _refused_without_ground(ck: Checker, held: Held) -> list[Finding]:
    """Every preference ranked above the placement needs a ground that holds here."""
    out: list[Finding] = []
    pairs, at = held.pairs, held.at
    for cid, c in sorted(ck.children.items()):
        if not ck.moving[cid]:
            continue
        sid = at.get(cid)
        got = next((p.rank for p in c.preferences if p.setting_id == sid), None)
        for pref in c.preferences:
            if got is not None and pref.rank >= got:
                break
            t = pref.setting_id
            if t not in pairs[cid]:
                continue  # unsuitable for the child (s.39(4)(a) / s.9), or not admitted
            if held.dear(cid, t):
                continue  # s.39(4)(b) efficient use of resources / s.9 EA 1996
            route = preference_route(ck.settings[t])
            what = "s.38 request" if route is PreferenceRoute.S38_REQUEST else "s.9 representation"
            if held.room(t, pairs[cid][t].pool, cid):
                out.append(
                    Finding(
                        "preference_refused_without_ground",
                        f"{cid}: preference {pref.rank} ({t}, {what}) is suitable, has room "
                        f"and is not disproportionate in cost, but {sid or 'no setting'} was "
                        "named",
                        cid,
                        t,
                    )
                )
                continue
            if route is not PreferenceRoute.S38_REQUEST:
                continue  # s.9: no place available
            ex = held.exchange(cid, t)
            if ex is not None:
                extra, moves = ex
                out.append(
                    Finding(
                        "request_full_but_exchange_names_it",
                        f"{cid}: request {pref.rank} ({t}) was refused as full, but the "
                        f"exchange {'; '.join(moves)} names it, placing as many children, "
                        f"for {extra:,} pounds a year more (within the threshold "
                        f"{ck.threshold(held.cost(cid) if sid else pairs[cid][t].cost):,})",
                        cid,
                        t,
                    )
                )
    return out


def _s33_breaches(ck: Checker, held: Held) -> list[Finding]:
    """s.33: mainstream unless the family asked for specialist, while a place is free."""
    out = []
    for cid, c in sorted(ck.children.items()):
        if not ck.moving[cid]:
            continue
        sid = held.at.get(cid)
        if sid is not None and ck.settings[sid].kind.is_mainstream:
            continue
        if any(not ck.settings[p.setting_id].kind.is_mainstream for p in c.preferences):
            continue
        open_main = [
            t
            for t, q in held.pairs[cid].items()
            if ck.settings[t].kind.is_mainstream and not q.beyond and held.room(t, q.pool, cid)
        ]
        if open_main:
            out.append(
                Finding(
                    "s33_mainstream_available",
                    f"{cid}: the family did not ask for specialist provision and suitable "
                    f"mainstream settings have room ({', '.join(open_main[:3])}), but "
                    f"{sid or 'no setting'} was named",
                    cid,
                    sid,
                )
            )
    return out


def _metrics(ck: Checker, named: _Named, most: int) -> dict[str, float | int]:
    """The headline metrics, recomputed."""
    at, costs, journeys = named.at, named.costs, named.journeys
    placed = len(at)
    n = sum(1 for cid in ck.children if ck.moving[cid])
    with_pref = [c for cid, c in ck.children.items() if ck.moving[cid] and c.preferences]
    first = sum(1 for c in with_pref if at.get(c.child_id) == c.preferences[0].setting_id)
    return {
        "children": n,
        "placed": placed,
        "placed_pct": round(100.0 * placed / n, 2) if n else 0.0,
        "first_preference_pct": round(100.0 * first / len(with_pref), 2) if with_pref else 0.0,
        "total_cost_gbp": sum(costs.values()),
        "mean_journey_min": round(sum(journeys.values()) / len(journeys), 2) if journeys else 0.0,
        "staying": len(ck.children) - n,
        "max_placeable": most,
    }


def _mismatches(
    metrics: Mapping[str, float | int], claimed_metrics: Mapping[str, object]
) -> list[Finding]:
    out = []
    for name, value in metrics.items():
        claimed = claimed_metrics.get(name)
        if isinstance(claimed, (int, float)) and not math.isclose(
            float(claimed), float(value), abs_tol=0.011
        ):
            out.append(
                Finding("metric_mismatch", f"metric {name}: claimed {claimed}, recomputed {value}")
            )
    return out
