"""An allocation checker written independently of the solvers and of the vectorised problem.

It reads the area's own objects (children, settings, router rows) and the policy, and checks a
plain ``child_id -> setting_id`` allocation one child at a time with scalar code: capacity per
pool and setting, every eligibility rule, journey limits, and that every family preference
ranked above the setting named has a lawful ground (s.39(4)). It then recomputes the headline
metrics so a solver's own figures can be compared with them. Sharing no code path with
:mod:`placement.problem` and :mod:`placement.rules` is deliberate: a bug in one is caught by the
other. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from placement.area import Area
from placement.domain import Child, Entry, Need, Setting, SettingKind, Sex, nc_year_from_birth
from placement.law import PreferenceRoute, preference_route
from placement.policy import Policy

__all__ = ["Finding", "ValidationReport", "validate_allocation"]


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


class _Checker:
    def __init__(self, area: Area, policy: Policy) -> None:
        self.policy = policy
        self.settings = {s.setting_id: s for s in area.settings}
        self.children = {c.child_id: c for c in area.children}
        self.matrix = {(t.child_id, t.setting_id): t.minutes for t in area.travel}

    # -- facts -------------------------------------------------------------------------
    def year(self, c: Child) -> int:
        if c.date_of_birth is not None:
            return nc_year_from_birth(c.date_of_birth, self.policy.academic_year_start)
        assert c.nc_year is not None
        return c.nc_year

    def limit(self, c: Child) -> int:
        y = self.year(c)
        phase = 0 if y < 0 else 1 if y <= 6 else 2 if y <= 11 else 3
        lim = list(self.policy.travel.max_journey_min.values())[phase]
        return min(lim, c.max_journey_min) if c.max_journey_min else lim

    def km(self, c: Child, s: Setting) -> float:
        return (
            math.hypot(
                c.location.easting - s.location.easting, c.location.northing - s.location.northing
            )
            / 1000.0
        )

    def minutes(self, c: Child, s: Setting) -> int:
        if (c.child_id, s.setting_id) in self.matrix:
            return self.matrix[(c.child_id, s.setting_id)]
        mode = self.policy.travel.transport if c.transport_eligible else self.policy.travel.family
        return math.ceil(
            mode.overhead_min + self.km(c, s) * mode.detour / mode.speed_kmh * 60 - 1e-9
        )

    def meets(self, s: Setting, need: Need) -> int:
        """Highest band at which ``s`` meets ``need`` as a primary need (0: not at all)."""
        suit = self.policy.suitability
        best = suit.general_max_band.get(s.kind, 0)
        for d, band in s.designations.items():
            if need in suit.designation_meets[d]:
                best = max(best, band)
        return best

    def meets_secondary(self, s: Setting, need: Need) -> bool:
        suit = self.policy.suitability
        if suit.general_max_band.get(s.kind, 0) > 0:
            return True
        if s.kind.is_specialist and need in suit.secondary_met_by_any_specialist:
            return True
        return any(need in suit.designation_meets[d] for d in s.designations)

    def pool_of(self, s: Setting, need: Need) -> Need | None:
        if need in s.pools:
            return need
        for d in Need:
            if d in s.pools and need in self.policy.suitability.designation_meets[d]:
                return d
        return None

    def unsuitable(self, c: Child, s: Setting) -> list[str]:
        """Rule codes the pair fails."""
        out: list[str] = []
        age = self.year(c) + 4
        if not s.low_age <= age < s.high_age:
            out.append("age_out_of_range")
        if s.entry is not Entry.MIXED and (s.entry is Entry.GIRLS) != (c.sex is Sex.FEMALE):
            out.append("sex_not_admitted")
        top = self.meets(s, c.primary_need)
        if top == 0:
            out.append("need_not_met")
        elif c.need_band > top:
            out.append("need_level_above_designation")
        if not all(self.meets_secondary(s, n) for n in c.secondary_needs):
            out.append("secondary_need_not_met")
        if not c.required_features <= s.features:
            out.append("feature_missing")
        if s.setting_id in c.excluded_setting_ids:
            out.append("excluded")
        if self.minutes(c, s) > self.limit(c):
            out.append("journey_over_limit")
        return out

    def cost(self, c: Child, s: Setting) -> int:
        f = self.policy.funding
        fee_kind = s.kind.is_independent or (
            s.kind is SettingKind.NON_MAINTAINED_SPECIAL and s.annual_fee_gbp is not None
        )
        if fee_kind:
            high = (
                s.annual_fee_gbp if s.annual_fee_gbp is not None else f.fee_for(s.kind, s.in_area)
            )
        else:
            bands = f.top_up_gbp.get(s.kind, (0, 0, 0, 0, 0))
            high = f.place_funding_gbp[s.kind] + bands[c.need_band - 1]
        school = f.school_contribution_gbp.get(s.kind, 0)
        transport = 0
        if c.transport_eligible:
            km = self.km(c, s) * self.policy.travel.transport.detour
            transport = min(
                f.transport_max_gbp, f.transport_base_gbp + round(km * f.transport_per_km_gbp)
            )
        return int(high + school + transport)


def validate_allocation(
    area: Area,
    policy: Policy,
    allocation: Mapping[str, str | None],
    *,
    claimed_metrics: Mapping[str, object] | None = None,
) -> ValidationReport:
    """Check ``allocation`` (child id -> setting id, or None for unplaced) against the area."""
    ck = _Checker(area, policy)
    findings: list[Finding] = []
    for cid in allocation:
        if cid not in ck.children:
            findings.append(Finding("unknown_child", f"child {cid!r} is not in the area", cid))
    taken: Counter[str] = Counter()
    pool_taken: Counter[tuple[str, Need]] = Counter()
    costs: dict[str, int] = {}
    journeys: dict[str, int] = {}
    for cid, c in sorted(ck.children.items()):
        sid = allocation.get(cid)
        if sid is None:
            continue
        s = ck.settings.get(sid)
        if s is None:
            findings.append(
                Finding("unknown_setting", f"setting {sid!r} is not in the area", cid, sid)
            )
            continue
        for code in ck.unsuitable(c, s):
            findings.append(Finding(code, f"{cid} at {sid}: fails {code}", cid, sid))
        taken[sid] += 1
        pool = ck.pool_of(s, c.primary_need)
        if pool is not None:
            pool_taken[(sid, pool)] += 1
        costs[cid] = ck.cost(c, s)
        journeys[cid] = ck.minutes(c, s)
    for sid, k in sorted(taken.items()):
        s = ck.settings[sid]
        if k > s.free:
            findings.append(
                Finding("setting_over_capacity", f"{sid}: {k} placed, {s.free} free", None, sid)
            )
    for (sid, need), k in sorted(pool_taken.items()):
        free = ck.settings[sid].pools[need].free
        if k > free:
            findings.append(
                Finding(
                    "pool_over_capacity", f"{sid} {need} pool: {k} placed, {free} free", None, sid
                )
            )
    # every preference ranked above the placement needs a lawful ground
    f = policy.funding
    for cid, c in sorted(ck.children.items()):
        sid = allocation.get(cid)
        got = next((p.rank for p in c.preferences if p.setting_id == sid), None)
        for pref in c.preferences:
            if got is not None and pref.rank >= got:
                break
            s = ck.settings[pref.setting_id]
            if ck.unsuitable(c, s):
                continue  # s.39(4)(a) or the travel policy
            pool = ck.pool_of(s, c.primary_need)
            if taken[s.setting_id] >= s.free or (
                pool is not None and pool_taken[(s.setting_id, pool)] >= s.pools[pool].free
            ):
                continue  # s.39(4)(b) efficient education of others
            if sid is not None and sid in ck.settings:
                alt = costs[cid]
                if ck.cost(c, s) - alt > max(
                    f.min_extra_cost_gbp, round(alt * f.max_extra_cost_ratio)
                ):
                    continue  # s.39(4)(b) efficient use of resources / s.9 EA 1996
            route = preference_route(s)
            what = "s.38 request" if route is PreferenceRoute.S38_REQUEST else "s.9 representation"
            findings.append(
                Finding(
                    "preference_refused_without_ground",
                    f"{cid}: preference {pref.rank} ({s.setting_id}, "
                    f"{what}) "
                    "is suitable, has room and is not disproportionate in cost, "
                    f"but {sid or 'no setting'} was named",
                    cid,
                    s.setting_id,
                )
            )
    n = len(ck.children)
    placed = sum(1 for cid in ck.children if allocation.get(cid) in ck.settings)
    with_pref = [c for c in ck.children.values() if c.preferences]
    first = sum(1 for c in with_pref if allocation.get(c.child_id) == c.preferences[0].setting_id)
    metrics: dict[str, float | int] = {
        "children": n,
        "placed": placed,
        "placed_pct": round(100.0 * placed / n, 2) if n else 0.0,
        "first_preference_pct": round(100.0 * first / len(with_pref), 2) if with_pref else 0.0,
        "total_cost_gbp": sum(costs.values()),
        "mean_journey_min": round(sum(journeys.values()) / len(journeys), 2) if journeys else 0.0,
    }
    if claimed_metrics is not None:
        for name, value in metrics.items():
            claimed = claimed_metrics.get(name)
            if isinstance(claimed, (int, float)) and not math.isclose(
                float(claimed), float(value), abs_tol=0.011
            ):
                findings.append(
                    Finding(
                        "metric_mismatch", f"metric {name}: claimed {claimed}, recomputed {value}"
                    )
                )
    return ValidationReport(tuple(findings), metrics)
