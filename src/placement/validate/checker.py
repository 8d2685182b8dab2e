"""The validator's own reading of the area (:mod:`placement.validate`): who moves, journeys,
suitability, costs and the cost threshold, from the area's objects and the policy, and every
suitable pair of the moving children. Written apart from :mod:`placement.problem`,
:mod:`placement.rules` and :mod:`placement.lawful` on purpose. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from placement.area import Area
from placement.domain import (
    Child,
    Entry,
    Feature,
    Need,
    Setting,
    SettingKind,
    Sex,
    nc_year_from_birth,
)
from placement.policy import Policy, RoadFit

__all__ = ["Checker", "Pair"]


def _road_minutes(fit: RoadFit, km: float) -> float:
    """The policy's road fit at one distance, found by walking the knots (written apart from
    ``rules.journey``, which interpolates arrays)."""
    ks, ms = fit.km, fit.minutes
    for j in range(1, len(ks)):
        if km <= ks[j]:
            return ms[j - 1] + (km - ks[j - 1]) * (ms[j] - ms[j - 1]) / (ks[j] - ks[j - 1])
    return ms[-1] + (km - ks[-1]) * fit.min_per_km_beyond


def _road_minutes_array(fit: RoadFit, km: np.ndarray) -> np.ndarray:
    """:func:`_road_minutes` over an array: the segment each distance falls in, by search."""
    ks, ms = np.asarray(fit.km), np.asarray(fit.minutes)
    j = np.clip(np.searchsorted(ks, km, side="left"), 1, len(ks) - 1)
    inside = ms[j - 1] + (km - ks[j - 1]) * (ms[j] - ms[j - 1]) / (ks[j] - ks[j - 1])
    past = ms[-1] + (km - ks[-1]) * fit.min_per_km_beyond
    return np.asarray(np.where(km > ks[-1], past, inside), np.float64)


@dataclass(slots=True)
class Pair:
    minutes: int
    cost: int
    pool: Need | None
    beyond: bool  # over the LA's journey limit (a family's preference)


class Checker:
    """The facts of the area the checks read (each computed its own way)."""

    def __init__(self, area: Area, policy: Policy, from_scratch: bool) -> None:
        self.policy = policy
        self.settings = {s.setting_id: s for s in area.settings}
        self.children = {c.child_id: c for c in area.children}
        self.matrix = {(t.child_id, t.setting_id): t.minutes for t in area.travel}
        self.from_scratch = from_scratch
        self.moving = {cid: self.moves(c) for cid, c in self.children.items()}

    # -- facts -------------------------------------------------------------------------
    def year(self, c: Child) -> int:
        if c.date_of_birth is not None:
            return nc_year_from_birth(c.date_of_birth, self.policy.academic_year_start)
        assert c.nc_year is not None
        return c.nc_year

    def moves(self, c: Child) -> bool:
        if self.from_scratch or c.current_setting_id is None:
            return True
        y = self.year(c)
        if y in self.policy.objective.transfer_years or c.new_plan or c.move_requested:
            return True
        cur = self.settings[c.current_setting_id]
        return not cur.low_age <= y + 4 < cur.high_age

    def home(self, c: Child) -> str | None:
        """A moving child's current setting that still takes its age: its place there stands
        unless it moves (None in a study from scratch, where nobody has a place)."""
        if self.from_scratch or c.current_setting_id is None:
            return None
        cur = self.settings[c.current_setting_id]
        return cur.setting_id if cur.low_age <= self.year(c) + 4 < cur.high_age else None

    def la_limit(self, c: Child) -> int:
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
        tv = self.policy.travel
        mode = tv.transport if c.transport_eligible else tv.family
        road = _road_minutes(tv.estimate, self.km(c, s))
        return math.ceil((road * mode.factor + mode.extra_min) * tv.peak_factor - 1e-9)

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
        """Rule codes the pair fails (the LA's journey limit counts unless the family asked
        for the setting)."""
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
        t = self.minutes(c, s)
        if c.max_journey_min is not None and t > c.max_journey_min:
            out.append("journey_over_plan_limit")
        elif t > self.la_limit(c) and all(p.setting_id != s.setting_id for p in c.preferences):
            out.append("journey_over_limit")
        return out

    def base_cost(self, c: Child, s: Setting) -> tuple[int, int]:
        """(cost without transport, LA transport cost)."""
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
            km = self.km(c, s) * self.policy.travel.detour
            transport = min(
                f.transport_max_gbp, f.transport_base_gbp + round(km * f.transport_per_km_gbp)
            )
        return int(high + school), int(transport)

    def threshold(self, alt: int) -> int:
        # its own copy of Funding.extra_cost_threshold_gbp, on purpose: the validator is the
        # specification and shares no code with the solvers or the legal tests it checks
        f = self.policy.funding
        return max(f.min_extra_cost_gbp, round(alt * f.max_extra_cost_ratio))

    # -- every suitable pair of the moving children ---------------------------------------
    def pairs(self) -> dict[str, dict[str, Pair]]:
        """child id -> setting id -> the pair, for every suitable pair (one setting at a time
        over the moving children's attributes, in NumPy; the same rules as
        :meth:`unsuitable`)."""
        movers = [c for cid, c in sorted(self.children.items()) if self.moving[cid]]
        out: dict[str, dict[str, Pair]] = {c.child_id: {} for c in movers}
        if not movers:
            return out
        mv = _Movers.of(self, movers)
        for s in sorted(self.settings.values(), key=lambda x: x.setting_id):
            ok = self._admits(s, mv)
            if not ok.any():
                continue
            km = np.hypot(mv.east - s.location.easting, mv.north - s.location.northing) / 1000.0
            mins = self._journeys(s, mv, ok, km)
            beyond = mins > mv.la_limit
            ok &= (mins <= mv.plan) & (~beyond | mv.asked_for(s.setting_id))
            cost = self._costs(s, mv, km)
            pools = {n: self.pool_of(s, n) for n in Need}
            for x in np.flatnonzero(ok).tolist():
                c = movers[x]
                out[c.child_id][s.setting_id] = Pair(
                    int(mins[x]), int(cost[x]), pools[c.primary_need], bool(beyond[x])
                )
        if self.policy.travel.beyond_limit_requests == "family_transport":
            self._family_transport(movers, out)
        return out

    def _admits(self, s: Setting, mv: _Movers) -> np.ndarray:
        """Per mover: every rule but the journey passes at ``s``."""
        needs = list(Need)
        ok = (s.low_age <= mv.age) & (mv.age < s.high_age)
        if s.entry is Entry.GIRLS:
            ok &= mv.female
        elif s.entry is Entry.BOYS:
            ok &= ~mv.female
        top = np.array([self.meets(s, n) for n in needs])
        ok &= (top[mv.need] > 0) & (mv.band <= top[mv.need])
        met = sum(1 << k for k, n in enumerate(needs) if self.meets_secondary(s, n))
        ok &= (mv.sec & ~met) == 0
        have = sum(1 << mv.feats.index(x) for x in s.features)
        ok &= (mv.fmask & ~have) == 0
        ok[mv.excluded.get(s.setting_id, [])] = False
        return np.asarray(ok, np.bool_)

    def _journeys(self, s: Setting, mv: _Movers, ok: np.ndarray, km: np.ndarray) -> np.ndarray:
        """Per mover: minutes to ``s`` (router rows, else the estimate; the estimate only
        where the other rules pass: the rest stay out whatever it is)."""
        tv = self.policy.travel
        t, fm = tv.transport, tv.family
        sel = np.flatnonzero(ok)
        road = _road_minutes_array(tv.estimate, km[sel])
        mins = np.full(mv.age.shape[0], 1 << 30, np.int64)
        mins[sel] = np.where(
            mv.transport[sel],
            np.ceil((road * t.factor + t.extra_min) * tv.peak_factor - 1e-9),
            np.ceil((road * fm.factor + fm.extra_min) * tv.peak_factor - 1e-9),
        )
        for x, m in mv.routed.get(s.setting_id, []):
            mins[x] = m
        return mins

    def _costs(self, s: Setting, mv: _Movers, km: np.ndarray) -> np.ndarray:
        """Per mover: the whole annual cost at ``s``: fee, or place funding and top-up; the
        school's part; LA transport for an eligible child."""
        f = self.policy.funding
        fee_kind = s.kind.is_independent or (
            s.kind is SettingKind.NON_MAINTAINED_SPECIAL and s.annual_fee_gbp is not None
        )
        if fee_kind:
            fee = s.annual_fee_gbp if s.annual_fee_gbp is not None else f.fee_for(s.kind, s.in_area)
            high = np.full(mv.age.shape[0], fee)
        else:
            bands = np.array(f.top_up_gbp.get(s.kind, (0, 0, 0, 0, 0)))
            high = f.place_funding_gbp[s.kind] + bands[mv.band - 1]
        road_km = km * self.policy.travel.detour
        tr = np.where(
            mv.transport,
            np.minimum(
                f.transport_max_gbp,
                f.transport_base_gbp + np.rint(road_km * f.transport_per_km_gbp),
            ),
            0,
        )
        return np.asarray(high + f.school_contribution_gbp.get(s.kind, 0) + tr)

    def _family_transport(self, movers: Sequence[Child], out: dict[str, dict[str, Pair]]) -> None:
        """A request over the LA's limit, named on condition that the family arranges the
        journey (s.508B: free transport is to the nearest suitable school, and one is nearer):
        no LA transport cost."""
        for c in movers:
            ps = out[c.child_id]
            if not c.transport_eligible or not ps:
                continue
            nearest = min(q.minutes for q in ps.values())
            for sid, q in ps.items():
                if q.beyond and q.minutes > nearest:
                    q.cost -= self.base_cost(c, self.settings[sid])[1]


@dataclass(frozen=True, slots=True, eq=False)
class _Movers:
    """The moving children's attributes as arrays, one row a child (by id), and who asked
    for, is excluded from or has a router row to each setting."""

    age: np.ndarray
    female: np.ndarray
    need: np.ndarray
    band: np.ndarray
    sec: np.ndarray
    fmask: np.ndarray
    feats: list[Feature]
    east: np.ndarray
    north: np.ndarray
    transport: np.ndarray
    la_limit: np.ndarray
    plan: np.ndarray
    asked: dict[str, list[int]]
    excluded: dict[str, list[int]]
    routed: dict[str, list[tuple[int, int]]]

    @staticmethod
    def of(ck: Checker, movers: Sequence[Child]) -> _Movers:
        needs = list(Need)
        feats: list[Feature] = sorted(
            {f for c in movers for f in c.required_features}
            | {f for s in ck.settings.values() for f in s.features}
        )
        pos = {c.child_id: x for x, c in enumerate(movers)}
        asked: dict[str, list[int]] = defaultdict(list)
        excluded: dict[str, list[int]] = defaultdict(list)
        routed: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for x, c in enumerate(movers):
            for p in c.preferences:
                asked[p.setting_id].append(x)
            for sid in c.excluded_setting_ids:
                excluded[sid].append(x)
        for (cid, sid), row_min in ck.matrix.items():
            if cid in pos:
                routed[sid].append((pos[cid], row_min))
        return _Movers(
            age=np.array([ck.year(c) + 4 for c in movers]),
            female=np.array([c.sex is Sex.FEMALE for c in movers]),
            need=np.array([needs.index(c.primary_need) for c in movers]),
            band=np.array([c.need_band for c in movers]),
            sec=np.array([sum(1 << needs.index(n) for n in c.secondary_needs) for c in movers]),
            fmask=np.array([sum(1 << feats.index(f) for f in c.required_features) for c in movers]),
            feats=feats,
            east=np.array([c.location.easting for c in movers]),
            north=np.array([c.location.northing for c in movers]),
            transport=np.array([c.transport_eligible for c in movers]),
            la_limit=np.array([ck.la_limit(c) for c in movers]),
            plan=np.array([c.max_journey_min or 100_000 for c in movers]),
            asked=asked,
            excluded=excluded,
            routed=routed,
        )

    def asked_for(self, sid: str) -> np.ndarray:
        """Per mover: the family asked for setting ``sid``."""
        mine = np.zeros(self.age.shape[0], np.bool_)
        mine[self.asked.get(sid, [])] = True
        return mine
