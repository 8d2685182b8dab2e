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

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from placement.area import Area
from placement.domain import Child, Entry, Need, Setting, SettingKind, Sex, nc_year_from_birth
from placement.law import PreferenceRoute, preference_route
from placement.policy import Policy, RoadFit

__all__ = ["Finding", "ValidationReport", "validate_allocation"]

_ASKED_NONE = 1 << 20  # the claim of a child on a setting its family did not ask for


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
class _Pair:
    minutes: int
    cost: int
    pool: Need | None
    beyond: bool  # over the LA's journey limit (a family's preference)


class _Checker:
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
    def pairs(self) -> dict[str, dict[str, _Pair]]:
        """child id -> setting id -> the pair, for every suitable pair (one setting at a time
        over the moving children's attributes, in NumPy; the same rules as
        :meth:`unsuitable`)."""
        movers = [c for cid, c in sorted(self.children.items()) if self.moving[cid]]
        out: dict[str, dict[str, _Pair]] = {c.child_id: {} for c in movers}
        if not movers:
            return out
        needs = list(Need)
        feats = sorted(
            {f for c in movers for f in c.required_features}
            | {f for s in self.settings.values() for f in s.features}
        )
        age = np.array([self.year(c) + 4 for c in movers])
        female = np.array([c.sex is Sex.FEMALE for c in movers])
        need = np.array([needs.index(c.primary_need) for c in movers])
        band = np.array([c.need_band for c in movers])
        sec = np.array([sum(1 << needs.index(n) for n in c.secondary_needs) for c in movers])
        fmask = np.array([sum(1 << feats.index(f) for f in c.required_features) for c in movers])
        east = np.array([c.location.easting for c in movers])
        north = np.array([c.location.northing for c in movers])
        transport = np.array([c.transport_eligible for c in movers])
        la_limit = np.array([self.la_limit(c) for c in movers])
        plan = np.array([c.max_journey_min or 100_000 for c in movers])
        pos = {c.child_id: x for x, c in enumerate(movers)}
        asked: dict[str, list[int]] = defaultdict(list)
        excluded: dict[str, list[int]] = defaultdict(list)
        routed: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for x, c in enumerate(movers):
            for p in c.preferences:
                asked[p.setting_id].append(x)
            for sid in c.excluded_setting_ids:
                excluded[sid].append(x)
        for (cid, sid), row_min in self.matrix.items():
            if cid in pos:
                routed[sid].append((pos[cid], row_min))
        tv = self.policy.travel
        t, fm = tv.transport, tv.family
        f = self.policy.funding
        for s in sorted(self.settings.values(), key=lambda x: x.setting_id):
            ok = (s.low_age <= age) & (age < s.high_age)
            if s.entry is Entry.GIRLS:
                ok &= female
            elif s.entry is Entry.BOYS:
                ok &= ~female
            top = np.array([self.meets(s, n) for n in needs])
            ok &= (top[need] > 0) & (band <= top[need])
            met = sum(1 << k for k, n in enumerate(needs) if self.meets_secondary(s, n))
            ok &= (sec & ~met) == 0
            have = sum(1 << feats.index(x) for x in s.features)
            ok &= (fmask & ~have) == 0
            ok[excluded.get(s.setting_id, [])] = False
            if not ok.any():
                continue
            km = np.hypot(east - s.location.easting, north - s.location.northing) / 1000.0
            # the estimate only where the other rules pass (the rest stay out whatever it is)
            sel = np.flatnonzero(ok)
            road = _road_minutes_array(tv.estimate, km[sel])
            mins = np.full(len(movers), 1 << 30, np.int64)
            mins[sel] = np.where(
                transport[sel],
                np.ceil((road * t.factor + t.extra_min) * tv.peak_factor - 1e-9),
                np.ceil((road * fm.factor + fm.extra_min) * tv.peak_factor - 1e-9),
            )
            for x, m in routed.get(s.setting_id, []):
                mins[x] = m
            mine = np.zeros(len(movers), np.bool_)
            mine[asked.get(s.setting_id, [])] = True
            beyond = mins > la_limit
            ok &= (mins <= plan) & (~beyond | mine)
            # the whole annual cost: fee, or place funding and top-up; the school's part;
            # LA transport for an eligible child
            fee_kind = s.kind.is_independent or (
                s.kind is SettingKind.NON_MAINTAINED_SPECIAL and s.annual_fee_gbp is not None
            )
            if fee_kind:
                fee = (
                    s.annual_fee_gbp
                    if s.annual_fee_gbp is not None
                    else f.fee_for(s.kind, s.in_area)
                )
                high = np.full(len(movers), fee)
            else:
                bands = np.array(f.top_up_gbp.get(s.kind, (0, 0, 0, 0, 0)))
                high = f.place_funding_gbp[s.kind] + bands[band - 1]
            road_km = km * tv.detour
            tr = np.where(
                transport,
                np.minimum(
                    f.transport_max_gbp,
                    f.transport_base_gbp + np.rint(road_km * f.transport_per_km_gbp),
                ),
                0,
            )
            cost = high + f.school_contribution_gbp.get(s.kind, 0) + tr
            pools = {n: self.pool_of(s, n) for n in needs}
            for x in np.flatnonzero(ok).tolist():
                c = movers[x]
                out[c.child_id][s.setting_id] = _Pair(
                    int(mins[x]), int(cost[x]), pools[c.primary_need], bool(beyond[x])
                )
        # a request over the LA's limit, named on condition that the family arranges the
        # journey (s.508B: free transport is to the nearest suitable school, and one is nearer)
        if self.policy.travel.beyond_limit_requests == "family_transport":
            for c in movers:
                ps = out[c.child_id]
                if not c.transport_eligible or not ps:
                    continue
                nearest = min(q.minutes for q in ps.values())
                for sid, q in ps.items():
                    if q.beyond and q.minutes > nearest:
                        q.cost -= self.base_cost(c, self.settings[sid])[1]
        return out


class _Run:
    """The allocation as the checks read it: who holds which place, and what is free."""

    def __init__(self, ck: _Checker, pairs: dict[str, dict[str, _Pair]], at: dict[str, str]):
        self.ck = ck
        self.pairs = pairs
        self.at = at  # moving child -> setting (placed)
        self.s_free: dict[str, int] = {}
        self.p_free: dict[tuple[str, Need], int] = {}
        staying_s: Counter[str] = Counter()
        staying_p: Counter[tuple[str, Need]] = Counter()
        # seats kept: a staying child's, and a moving child's at a home setting that still
        # takes it and is suitable (its own, whether it uses it or moves)
        self.home: dict[str, str] = {}
        for cid, c in ck.children.items():
            kept = c.current_setting_id if not ck.moving[cid] else None
            if ck.moving[cid]:
                h = ck.home(c)
                if h is not None and h in pairs[cid]:
                    self.home[cid] = kept = h
            if kept is not None:
                s = ck.settings[kept]
                staying_s[s.setting_id] += 1
                q = ck.pool_of(s, c.primary_need)
                if q is not None:
                    staying_p[(s.setting_id, q)] += 1
        for sid, s in ck.settings.items():
            self.s_free[sid] = max(0, s.free - staying_s[sid])
            for need, pool in s.pools.items():
                self.p_free[(sid, need)] = max(0, pool.free - staying_p[(sid, need)])
        self.s_taken: Counter[str] = Counter()
        self.p_taken: Counter[tuple[str, Need]] = Counter()
        self.holders: dict[str, list[str]] = defaultdict(list)
        for cid, sid in at.items():
            if self.home.get(cid) == sid:
                continue  # its own seat, kept above
            self.s_taken[sid] += 1
            q = pairs[cid][sid].pool if sid in pairs[cid] else None
            if q is not None:
                self.p_taken[(sid, q)] += 1
            self.holders[sid].append(cid)

    def cost(self, cid: str) -> int:
        sid = self.at.get(cid)
        return self.pairs[cid][sid].cost if sid is not None and sid in self.pairs[cid] else 0

    def pool_full(self, sid: str, q: Need | None) -> bool:
        return q is not None and self.p_taken[(sid, q)] >= self.p_free[(sid, q)]

    def room(self, sid: str, q: Need | None, cid: str | None = None) -> bool:
        if cid is not None and self.home.get(cid) == sid:
            return True  # a child's own seat is always there for it
        return self.s_taken[sid] < self.s_free[sid] and not self.pool_full(sid, q)

    def claim(self, cid: str, sid: str) -> int:
        for p in self.ck.children[cid].preferences:
            if p.setting_id == sid:
                return p.rank
        return _ASKED_NONE

    def may_go(self, cid: str, sid: str) -> bool:
        """A move the LA may make for a child in an exchange: a suitable setting other than
        its own; a child in mainstream whose family did not ask for specialist stays there."""
        here = self.at.get(cid)
        if sid == here or sid not in self.pairs[cid]:
            return False
        if here is None or not self.ck.settings[here].kind.is_mainstream:
            return True
        c = self.ck.children[cid]
        asked_spec = any(
            not self.ck.settings[p.setting_id].kind.is_mainstream for p in c.preferences
        )
        return asked_spec or self.ck.settings[sid].kind.is_mainstream

    def displaceable(self, sid: str, q: Need | None, claim: int) -> list[str]:
        """Holders an entrant with ``claim`` (needing pool ``q``) may take a place from."""
        out = []
        full_pool = self.pool_full(sid, q)
        for h in self.holders[sid]:
            if self.home.get(h) == sid:
                continue  # nobody takes a child's own seat
            if full_pool and self.pairs[h][sid].pool != q:
                continue
            if self.claim(h, sid) > claim:
                out.append(h)
        return out

    def exchange(self, cid: str, sid: str) -> tuple[int, list[str]] | None:
        """The cheapest exchange naming ``cid``'s request for ``sid`` (full), within the
        threshold: (extra cost, the moves as text), or None."""
        me = self.pairs[cid][sid]
        here = self.at.get(cid)
        own = me.cost - self.cost(cid) if here is not None else 0
        alt = self.cost(cid) if here is not None else me.cost
        thr = self.ck.threshold(alt)
        budget = thr - own
        if budget < 0:
            return None
        if here is not None and self.home.get(cid) == here:
            here = None  # its own seat: it leaves no place another child may take
        vac_pool = self.pairs[cid][here].pool if here is not None else None
        r = self.claim(cid, sid)
        dist: dict[str, int] = {}
        prev: dict[str, tuple[str, str]] = {}
        heap: list[tuple[int, str]] = []
        for h in self.displaceable(sid, me.pool, r):
            if h != cid:
                dist[h] = 0
                prev[h] = (cid, sid)
                heap.append((0, h))
        heapq.heapify(heap)
        done: set[str] = set()

        def chain(last: str, to: str) -> list[str]:
            steps = [f"{last} -> {to}"]
            j = last
            while True:
                mover, where = prev[j]
                steps.append(f"{mover} -> {where}")
                if mover == cid:
                    break
                j = mover
            return steps[::-1]

        while heap:
            d, j = heapq.heappop(heap)
            if j in done or d > budget:
                continue
            done.add(j)
            base = self.cost(j)
            best: tuple[int, str] | None = None
            for t, q in self.pairs[j].items():
                if not self.may_go(j, t):
                    continue
                step = max(q.cost - base, 0)
                fits = self.room(t, q.pool, j) or (
                    t == here
                    and (q.pool is None or q.pool == vac_pool or not self.pool_full(t, q.pool))
                )
                if fits and d + step <= budget and (best is None or d + step < best[0]):
                    best = (d + step, t)
            if best is not None:
                return own + best[0], chain(j, best[1])
            for p in self.ck.children[j].preferences:
                t = p.setting_id
                if not self.may_go(j, t):
                    continue
                q = self.pairs[j][t]
                nd = d + max(q.cost - base, 0)
                if nd > budget:
                    continue
                for h in self.displaceable(t, q.pool, p.rank):
                    if h != cid and h not in done and nd < dist.get(h, 1 << 62):
                        dist[h] = nd
                        prev[h] = (j, t)
                        heapq.heappush(heap, (nd, h))
        return None

    def dear(self, cid: str, sid: str) -> bool:
        """Its cost exceeds the setting named, or the cheapest other suitable one with a free
        place, by more than the threshold."""
        cost = self.pairs[cid][sid].cost
        alts = []
        here = self.at.get(cid)
        if here is not None and here in self.pairs[cid]:
            alts.append(self.pairs[cid][here].cost)
        free = [
            q.cost
            for t, q in self.pairs[cid].items()
            if t not in (sid, here) and self.room(t, q.pool, cid)
        ]
        if free:
            alts.append(min(free))
        return any(cost - a > self.ck.threshold(a) for a in alts)


def _max_placed(ck: _Checker, run: _Run) -> tuple[int, list[str]]:
    """A maximum flow over every suitable pair (source -> child -> pool -> setting -> sink)
    and the children it places that the allocation leaves unplaced."""
    kids = sorted(run.pairs)
    sids = sorted(ck.settings)
    pools = sorted(run.p_free)
    n, m, k = len(kids), len(sids), len(pools)
    src, sink = 0, 1 + n + k + m
    s_node = {sid: 1 + n + k + j for j, sid in enumerate(sids)}
    p_node = {key: 1 + n + x for x, key in enumerate(pools)}
    rows: list[int] = []
    cols: list[int] = []
    caps: list[int] = []
    for x, cid in enumerate(kids):
        if run.pairs[cid]:
            rows.append(src)
            cols.append(1 + x)
            caps.append(1)
        for sid, q in run.pairs[cid].items():
            rows.append(1 + x)
            if run.home.get(cid) == sid:
                cols.append(sink)  # its own seat
            else:
                cols.append(s_node[sid] if q.pool is None else p_node[(sid, q.pool)])
            caps.append(1)
    for key in pools:
        rows.append(p_node[key])
        cols.append(s_node[key[0]])
        caps.append(run.p_free[key])
    for sid in sids:
        rows.append(s_node[sid])
        cols.append(sink)
        caps.append(run.s_free[sid])
    size = sink + 1
    g = sp.csr_matrix(
        (np.array(caps, np.int32), (np.array(rows), np.array(cols))), shape=(size, size)
    )
    res = maximum_flow(g, src, sink)
    flow = res.flow.tocsr()
    could = []
    for x, cid in enumerate(kids):
        if cid not in run.at and run.pairs[cid] and flow[src, 1 + x] > 0:
            could.append(cid)
    return int(res.flow_value), could


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
    allocation places the whole caseload afresh (a planner's study)."""
    ck = _Checker(area, policy, from_scratch)
    findings: list[Finding] = []
    for cid in allocation:
        if cid not in ck.children:
            findings.append(Finding("unknown_child", f"child {cid!r} is not in the area", cid))
    pairs = ck.pairs()
    at: dict[str, str] = {}
    costs: dict[str, int] = {}
    journeys: dict[str, int] = {}
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
            costs[cid] = base + tr
            journeys[cid] = ck.minutes(c, s)
            at[cid] = sid
            pairs[cid][sid] = _Pair(journeys[cid], costs[cid], ck.pool_of(s, c.primary_need), False)
            continue
        at[cid] = sid
        costs[cid] = pairs[cid][sid].cost
        journeys[cid] = pairs[cid][sid].minutes
    run = _Run(ck, pairs, at)
    for sid in sorted(run.s_taken):
        k = run.s_taken[sid]
        if k > run.s_free[sid]:
            findings.append(
                Finding(
                    "setting_over_capacity",
                    f"{sid}: {k} placed, {run.s_free[sid]} free for the children moving",
                    None,
                    sid,
                )
            )
    for (sid, need), k in sorted(run.p_taken.items()):
        free = run.p_free[(sid, need)]
        if k > free:
            findings.append(
                Finding(
                    "pool_over_capacity", f"{sid} {need} pool: {k} placed, {free} free", None, sid
                )
            )
    # every preference ranked above the placement needs a ground that holds here
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
            if run.dear(cid, t):
                continue  # s.39(4)(b) efficient use of resources / s.9 EA 1996
            s = ck.settings[t]
            route = preference_route(s)
            what = "s.38 request" if route is PreferenceRoute.S38_REQUEST else "s.9 representation"
            if run.room(t, pairs[cid][t].pool, cid):
                findings.append(
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
            ex = run.exchange(cid, t)
            if ex is not None:
                extra, moves = ex
                findings.append(
                    Finding(
                        "request_full_but_exchange_names_it",
                        f"{cid}: request {pref.rank} ({t}) was refused as full, but the "
                        f"exchange {'; '.join(moves)} names it, placing as many children, "
                        f"for {extra:,} pounds a year more (within the threshold "
                        f"{ck.threshold(run.cost(cid) if sid else pairs[cid][t].cost):,})",
                        cid,
                        t,
                    )
                )
    # s.33: mainstream unless the family asked for specialist, while a place is free
    for cid, c in sorted(ck.children.items()):
        if not ck.moving[cid]:
            continue
        sid = at.get(cid)
        if sid is not None and ck.settings[sid].kind.is_mainstream:
            continue
        if any(not ck.settings[p.setting_id].kind.is_mainstream for p in c.preferences):
            continue
        open_main = [
            t
            for t, q in pairs[cid].items()
            if ck.settings[t].kind.is_mainstream and not q.beyond and run.room(t, q.pool, cid)
        ]
        if open_main:
            findings.append(
                Finding(
                    "s33_mainstream_available",
                    f"{cid}: the family did not ask for specialist provision and suitable "
                    f"mainstream settings have room ({', '.join(open_main[:3])}), but "
                    f"{sid or 'no setting'} was named",
                    cid,
                    sid,
                )
            )
    # maximum placement
    most, could = _max_placed(ck, run)
    placed = len(at)
    if most > placed:
        findings.append(
            Finding(
                "not_maximum_placement",
                f"{placed} placed, but {most} could be: for instance "
                f"{', '.join(could[:10]) or 'by moving placed children'}",
                could[0] if could else None,
            )
        )
    n = sum(1 for cid in ck.children if ck.moving[cid])
    with_pref = [c for cid, c in ck.children.items() if ck.moving[cid] and c.preferences]
    first = sum(1 for c in with_pref if at.get(c.child_id) == c.preferences[0].setting_id)
    metrics: dict[str, float | int] = {
        "children": n,
        "placed": placed,
        "placed_pct": round(100.0 * placed / n, 2) if n else 0.0,
        "first_preference_pct": round(100.0 * first / len(with_pref), 2) if with_pref else 0.0,
        "total_cost_gbp": sum(costs.values()),
        "mean_journey_min": round(sum(journeys.values()) / len(journeys), 2) if journeys else 0.0,
        "staying": len(ck.children) - n,
        "max_placeable": most,
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
