"""Apply a scenario's changes to an area: a new, validated :class:`~placement.area.Area`.

Every change derives new frozen objects (``dataclasses.replace``); nothing is mutated. Changes
that pick settings by query (``select``, ``at``, ``near``) resolve against the area itself, so
the same file works on any generated LA, and ties always break by setting id: the same area
and file give the same result.

Choices documented here (and in ``docs/scenarios.md``):

- **closing** a setting removes it; children lose it from their preferences (later ranks move
  up), siblings, exclusions and current setting. Children it held in this run need a place.
- **a fee cap** sets each capped setting's own ``annual_fee_gbp`` to the cap (a setting with no
  fee of its own is capped from the policy's default fee). It assumes providers accept the
  capped price, so it is the most a cap could save, not a forecast of providers' response.
- **demand growth** clones children who match (need, phase) with fresh ids and homes jittered
  by about 800 m, keeping needs, band, year, features and preferences; a negative rate removes
  children. Chosen by a generator seeded from the base seed and the change, so deterministic.
- **"largest gaps"** ranks candidate sites by the children within 10 km whose need the place
  would meet (of the right age) less the free places already designated for it there, and
  picks greedily so that successive sites cover different children.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial import cKDTree

from placement.area import Area, suggest
from placement.domain import (
    Child,
    DomainError,
    Location,
    Need,
    Phase,
    Pool,
    Preference,
    Setting,
    nc_year_from_birth,
    phase_of_year,
)
from placement.files.errors import InputError
from placement.policy import Policy
from placement.scenarios.changes import (
    AddPlaces,
    CapFees,
    Change,
    CloseSetting,
    DemandGrowth,
    OpenSetting,
    Redesignate,
    Scenario,
    Select,
)

__all__ = ["Applied", "apply_changes", "setting_phase", "towns"]

GAP_RADIUS_M = 10_000.0
JITTER_M = 800.0
MAX_CHILDREN = 250_000
"""The most children demand growth may leave in a scenario's area (Kent at scale 10 has about
206,000). Growth compounds over changes, so a few tables of ``rate = 1.0, years = 10`` would
otherwise ask for millions of children and be killed for want of memory."""


@dataclass(frozen=True, slots=True)
class Applied:
    """The scenario's area and what each change did, in words a planner reads."""

    area: Area
    notes: tuple[str, ...]
    changed_setting_ids: frozenset[str]


def setting_phase(s: Setting) -> str:
    """primary, secondary, post16 or all-through, from the setting's age range."""
    if s.low_age >= 16:
        return "post16"
    if s.low_age >= 11:
        return "secondary"
    if s.high_age <= 12:
        return "primary"
    return "all-through"


def towns(settings: Iterable[Setting]) -> dict[str, Location]:
    """Town centres of a generated area: the mean location of the in-area settings whose
    names end ", Town" (the generator names schools that way)."""
    pts: dict[str, list[Location]] = {}
    for s in settings:
        if "," in s.name and s.in_area:
            t = s.name.rsplit(",", 1)[1].strip()
            if t and t != "out of area":
                pts.setdefault(t, []).append(s.location)
    return {
        t: Location(sum(p.easting for p in v) / len(v), sum(p.northing for p in v) / len(v))
        for t, v in sorted(pts.items())
    }


def _year(c: Child, ay: int) -> int:
    if c.nc_year is not None:
        return c.nc_year
    assert c.date_of_birth is not None
    return nc_year_from_birth(c.date_of_birth, ay)


class _Work:
    def __init__(self, area: Area, scenario: Scenario, policy: Policy) -> None:
        self.children = list(area.children)
        self.settings: dict[str, Setting] = {s.setting_id: s for s in area.settings}
        self.sc = scenario
        self.policy = policy
        self.notes: list[str] = []
        self.changed: set[str] = set()
        self.area = area

    def fail(self, c: Change, what: str, msg: str) -> InputError:
        return InputError(self.sc.file, c.line, None, f"{what}: {msg}")

    # -- locating ---------------------------------------------------------------------
    def centre(self) -> Location:
        pts = self.children or []
        if not pts:
            ss = list(self.settings.values())
            return Location(
                sum(s.location.easting for s in ss) / max(1, len(ss)),
                sum(s.location.northing for s in ss) / max(1, len(ss)),
            )
        return Location(
            sum(c.location.easting for c in pts) / len(pts),
            sum(c.location.northing for c in pts) / len(pts),
        )

    def point(self, c: Change, what: str, near: str) -> Location | None:
        """A named place: 'centre', a town or a setting id (None: 'largest gaps')."""
        if near == "centre":
            return self.centre()
        if near == "largest gaps":
            return None
        t = towns(self.settings.values())
        if near in t:
            return t[near]
        if near in self.settings:
            return self.settings[near].location
        choices = ["centre", "largest gaps", *t, *sorted(self.settings)]
        raise self.fail(
            c,
            what,
            f"near {near!r} is not 'centre', 'largest gaps', a town of this area "
            f"({', '.join(t) or 'none'}) or a setting id{suggest(near, choices)}",
        )

    def gap_order(
        self, sites: Sequence[Location], needs: Iterable[Need], ages: tuple[int, int], k: int
    ) -> list[int]:
        """Greedy: the ``k`` sites with the largest unmet local demand for ``needs``."""
        if not sites:
            return []
        meets: set[Need] = set()
        for d in needs:
            meets |= self.policy.suitability.designation_meets[d]
        ay = self.policy.academic_year_start
        lo, hi = ages
        kids = [c for c in self.children if c.primary_need in meets and lo <= _year(c, ay) + 5 < hi]
        sxy = np.array([[p.easting, p.northing] for p in sites], np.float64)
        score_supply = np.zeros(len(sites), np.float64)
        sup = [
            s
            for s in self.settings.values()
            if any(d in meets for d in s.designations) and s.in_area
        ]
        if sup:
            tree_s = cKDTree(np.array([[s.location.easting, s.location.northing] for s in sup]))
            free = np.array(
                [sum(p.free for d, p in s.pools.items() if d in meets) or s.free for s in sup],
                np.float64,
            )
            for j, hits in enumerate(tree_s.query_ball_point(sxy, GAP_RADIUS_M)):
                score_supply[j] = free[hits].sum() if hits else 0.0
        if not kids:
            return list(np.argsort(score_supply, kind="stable")[:k])
        cxy = np.array([[c.location.easting, c.location.northing] for c in kids], np.float64)
        tree = cKDTree(cxy)
        covers = tree.query_ball_point(sxy, GAP_RADIUS_M)
        alive = np.ones(len(kids), np.bool_)
        chosen: list[int] = []
        for _ in range(min(k, len(sites))):
            best, best_score = -1, -math.inf
            for j, hits in enumerate(covers):
                if j in chosen:
                    continue
                sc = float(alive[hits].sum()) - score_supply[j] if hits else -score_supply[j]
                if sc > best_score:
                    best, best_score = j, sc
            chosen.append(best)
            if covers[best]:
                alive[covers[best]] = False
        return chosen

    def select(self, c: Change, what: str, sel: Select) -> list[Setting]:
        cand = [
            s
            for s in sorted(self.settings.values(), key=lambda s: s.setting_id)
            if (not sel.kinds or s.kind in sel.kinds)
            and (sel.phase == "any" or setting_phase(s) == sel.phase)
            and (sel.need is None or sel.need in s.designations)
            and (sel.in_area is None or s.in_area == sel.in_area)
        ]
        if not cand:
            self.notes.append(f"{what}: no setting matched {_describe(sel)}; nothing changed")
            return []
        if len(cand) < sel.count:
            self.notes.append(
                f"{what}: only {len(cand)} settings matched {_describe(sel)} (asked for "
                f"{sel.count})"
            )
        if sel.near == "largest gaps":
            needs = [sel.need] if sel.need else sorted({d for s in cand for d in s.designations})
            lo = min(s.low_age for s in cand)
            hi = max(s.high_age for s in cand)
            order = self.gap_order(
                [s.location for s in cand], needs or list(Need), (lo, hi), sel.count
            )
            return [cand[j] for j in order]
        p = self.point(c, what, sel.near)
        assert p is not None
        cand.sort(
            key=lambda s: (
                round(math.hypot(s.location.easting - p.easting, s.location.northing - p.northing)),
                s.setting_id,
            )
        )
        return cand[: sel.count]

    def targets(self, c: Change, what: str, sid: str | None, sel: Select | None) -> list[Setting]:
        if sid is not None:
            if sid not in self.settings:
                raise self.fail(
                    c, what, f"unknown setting {sid!r}{suggest(sid, sorted(self.settings))}"
                )
            return [self.settings[sid]]
        assert sel is not None
        return self.select(c, what, sel)

    def put(self, c: Change, what: str, s: Setting, **kw: object) -> None:
        try:
            new = replace(s, **kw)  # type: ignore[arg-type]
        except DomainError as e:
            raise self.fail(c, what, f"setting {s.setting_id}: {e}") from None
        self.settings[s.setting_id] = new
        self.changed.add(s.setting_id)

    # -- changes ----------------------------------------------------------------------
    def close(self, c: CloseSetting) -> None:
        gone = {s.setting_id for s in self.targets(c, "close_setting", c.setting_id, c.select)}
        for sid in sorted(gone):
            self.notes.append(f"close_setting: closed {sid} ({self.settings[sid].name})")
            del self.settings[sid]
        if not gone:
            return
        out = []
        for ch in self.children:
            prefs = [p.setting_id for p in ch.preferences if p.setting_id not in gone]
            out.append(
                replace(
                    ch,
                    preferences=tuple(Preference(s, r + 1) for r, s in enumerate(prefs)),
                    excluded_setting_ids=ch.excluded_setting_ids - gone,
                    sibling_setting_ids=ch.sibling_setting_ids - gone,
                    current_setting_id=None
                    if ch.current_setting_id in gone
                    else ch.current_setting_id,
                )
            )
        self.children = out

    def redesignate(self, c: Redesignate) -> None:
        for s in self.targets(c, "redesignate", c.setting_id, c.select):
            if c.pools is not None:
                pools = {nd: Pool(n) for nd, n in c.pools.items()}
            else:
                pools = {nd: p for nd, p in s.pools.items() if nd in c.designations}
            cap = max(s.capacity, sum(p.places for p in pools.values()))
            if cap > s.capacity:
                self.notes.append(
                    f"redesignate: {s.setting_id} capacity raised to {cap} to hold its pools"
                )
            self.put(
                c, "redesignate", s, designations=dict(c.designations), pools=pools, capacity=cap
            )
            des = ", ".join(f"{k.value} to band {v}" for k, v in c.designations.items())
            self.notes.append(f"redesignate: {s.setting_id} ({s.name}) now {des}")

    def add(self, c: AddPlaces) -> None:
        for s in self.targets(c, "add_places", c.setting_id, c.select):
            n = c.places
            if c.need is None:
                cap = s.capacity + n
                biggest = max((p.places for p in s.pools.values()), default=0)
                if cap < max(0, biggest):
                    raise self.fail(
                        c,
                        "add_places",
                        f"setting {s.setting_id} has {s.capacity} places; "
                        f"removing {-n} would leave {cap} (below zero or its largest pool)",
                    )
                self.put(c, "add_places", s, capacity=cap)
                what = "general places"
            else:
                if c.need not in s.designations:
                    des = ", ".join(d.value for d in s.designations) or "none"
                    raise self.fail(
                        c,
                        "add_places",
                        f"setting {s.setting_id} is not designated for "
                        f"{c.need.value} (designations: {des}); redesignate it first",
                    )
                old = s.pools.get(c.need)
                places = (old.places if old else 0) + n
                if places < 0:
                    have = old.places if old else 0
                    raise self.fail(
                        c,
                        "add_places",
                        f"setting {s.setting_id} has {have} {c.need.value} "
                        f"places; removing {-n} would leave {places}",
                    )
                pools = dict(s.pools)
                pools[c.need] = Pool(places, old.roll if old else 0)
                cap = max(0, s.capacity + n)
                self.put(c, "add_places", s, pools=pools, capacity=max(cap, places))
                what = f"{c.need.value} places"
            verb = "added" if n > 0 else "removed"
            self.notes.append(f"add_places: {verb} {abs(n)} {what} at {s.setting_id} ({s.name})")

    def open(self, c: OpenSetting) -> None:
        what = f"open_setting {c.setting_id}"
        hosts: list[tuple[str, str, Location, str, str]] = []
        if c.at is not None:
            for h in self.select(c, what, c.at):
                hosts.append(
                    (
                        f"{c.setting_id}-{h.setting_id}",
                        f"{c.name} at {h.name}",
                        h.location,
                        h.la_code,
                        "",
                    )
                )
        else:
            if c.easting is not None and c.northing is not None:
                loc: Location | None = Location(c.easting, c.northing)
            else:
                assert c.near is not None
                loc = self.point(c, what, c.near)
            if loc is None:  # largest gaps: among the area's in-area school sites
                sites = sorted(
                    {s.location for s in self.settings.values() if s.in_area},
                    key=lambda p: (p.easting, p.northing),
                )
                j = self.gap_order(sites, c.designations or list(Need), (c.low_age, c.high_age), 1)
                loc = sites[j[0]] if j else self.centre()
            hosts.append((c.setting_id, c.name, loc, self.area.la_code, self.where(loc)))
        for sid, name, loc, la, where in hosts:
            if sid in self.settings:
                raise self.fail(c, what, f"id {sid!r} is already a setting of this area")
            try:
                s = Setting(
                    sid,
                    name,
                    c.kind,
                    loc,
                    c.low_age,
                    c.high_age,
                    c.capacity,
                    designations=dict(c.designations),
                    pools={nd: Pool(n) for nd, n in c.pools.items()},
                    annual_fee_gbp=c.annual_fee_gbp,
                    s41_approved=c.s41_approved,
                    la_code=la,
                    in_area=True,
                )
            except DomainError as e:
                raise self.fail(c, what, str(e)) from None
            self.settings[sid] = s
            self.changed.add(sid)
            self.notes.append(
                f"open_setting: opened {sid} ({name}), {c.capacity} places, {c.kind.value}, "
                f"at E{loc.easting:.0f} N{loc.northing:.0f}{where}"
            )

    def where(self, loc: Location) -> str:
        """A new setting's place in words for its note: the site of the setting already there
        (", on the site of Oak School"), else the nearest town of a generated area."""
        here = sorted((s.setting_id, s.name) for s in self.settings.values() if s.location == loc)
        if here:
            return f", on the site of {here[0][1]}"
        t = towns(self.settings.values())
        if not t:
            return ""
        name = min(
            t, key=lambda k: math.hypot(t[k].easting - loc.easting, t[k].northing - loc.northing)
        )
        return f", near {name}"

    def cap_fees(self, c: CapFees) -> None:
        n = 0
        fund = self.policy.funding
        for s in sorted(self.settings.values(), key=lambda s: s.setting_id):
            if s.kind not in c.kinds:
                continue
            fee = s.annual_fee_gbp
            if fee is None and s.kind.is_independent:
                fee = fund.fee_for(s.kind, s.in_area)
            if fee is not None and fee > c.max_annual_fee_gbp:
                self.put(c, "cap_fees", s, annual_fee_gbp=c.max_annual_fee_gbp)
                n += 1
        self.notes.append(
            f"cap_fees: {n} settings' annual fees capped at £{c.max_annual_fee_gbp:,}"
        )

    def grow(self, c: DemandGrowth, index: int) -> None:
        ay = self.policy.academic_year_start
        match = [
            k
            for k, ch in enumerate(self.children)
            if (c.need is None or ch.primary_need is c.need)
            and (c.phase is None or phase_of_year(_year(ch, ay)) is Phase[c.phase.upper()])
        ]
        factor = (1.0 + c.rate) ** c.years
        extra = round(len(match) * (factor - 1.0))
        label = f"{c.need.value if c.need else 'all needs'}" + (f", {c.phase}" if c.phase else "")
        h = hashlib.sha256(
            f"{self.sc.base.seed}|growth|{index}|{label}|{c.rate}|{c.years}".encode()
        ).digest()
        rng = np.random.default_rng(int.from_bytes(h[:8], "little"))
        if extra == 0 or not match:
            self.notes.append(f"demand_growth: {label}: no change ({len(match)} children)")
            return
        if len(self.children) + extra > MAX_CHILDREN:
            raise self.fail(
                c,
                "demand_growth",
                f"{label}: {len(match):,} children would become {len(match) + extra:,}, "
                f"leaving {len(self.children) + extra:,} in the area: more than the "
                f"{MAX_CHILDREN:,} a scenario can hold",
            )
        if extra < 0:
            drop = {int(match[j]) for j in rng.choice(len(match), size=-extra, replace=False)}
            self.children = [ch for k, ch in enumerate(self.children) if k not in drop]
        else:
            pick = rng.choice(len(match), size=extra, replace=extra > len(match))
            jit = rng.normal(0.0, JITTER_M, (extra, 2))
            used = {ch.child_id for ch in self.children}
            for j, src in enumerate(pick.tolist()):
                ch = self.children[match[src]]
                cid = _fresh(f"G{index}-{j + 1}-{ch.child_id}"[:64], used)
                loc = Location(
                    float(np.clip(ch.location.easting + jit[j, 0], 1000, 699_000)),
                    float(np.clip(ch.location.northing + jit[j, 1], 1000, 1_299_000)),
                )
                self.children.append(
                    replace(
                        ch,
                        child_id=cid,
                        location=loc,
                        current_setting_id=None,
                        sibling_setting_ids=frozenset(),
                    )
                )
        self.notes.append(
            f"demand_growth: {label}: {c.rate:+.0%} a year for {c.years} years: "
            f"{len(match):,} children become {len(match) + extra:,} ({extra:+,})"
        )


def _fresh(cid: str, used: set[str]) -> str:
    cid = re.sub(r"[^A-Za-z0-9_.\-]", "_", cid)
    out, k = cid, 1
    while out in used:
        k += 1
        out = f"{cid[:58]}.{k}"
    used.add(out)
    return out


def _describe(sel: Select) -> str:
    bits = []
    if sel.kinds:
        bits.append("kind " + "/".join(k.value for k in sel.kinds))
    if sel.phase != "any":
        bits.append(f"phase {sel.phase}")
    if sel.need:
        bits.append(f"designated {sel.need.value}")
    return ", ".join(bits) or "any setting"


def apply_changes(area: Area, scenario: Scenario, policy: Policy) -> Applied:
    """The scenario's area: ``area`` with every change applied, in the fixed order of
    :func:`placement.scenarios.spec.parse_scenario`. ``policy`` is the scenario's policy (it
    gives default fees and which designations meet which needs). Raises
    :class:`~placement.files.errors.InputError` at the change's line for a change that
    cannot apply (an unknown setting id, removing more places than there are)."""
    w = _Work(area, scenario, policy)
    for k, c in enumerate(scenario.changes):
        if isinstance(c, CloseSetting):
            w.close(c)
        elif isinstance(c, Redesignate):
            w.redesignate(c)
        elif isinstance(c, AddPlaces):
            w.add(c)
        elif isinstance(c, OpenSetting):
            w.open(c)
        elif isinstance(c, CapFees):
            w.cap_fees(c)
        else:
            w.grow(c, k)
    if scenario.policy:
        w.notes.append("policy: " + "; ".join(_flatten(scenario.policy)))
    kids = {c.child_id for c in w.children}
    try:
        new = Area(
            f"{area.name}+{_slug(scenario.name)}",
            tuple(w.children),
            tuple(sorted(w.settings.values(), key=lambda s: s.setting_id)),
            tuple(t for t in area.travel if t.setting_id in w.settings and t.child_id in kids),
            area.la_code,
            area.notes,
        )
    except DomainError as e:
        raise InputError(scenario.file, None, None, f"the changed area is not valid: {e}") from None
    return Applied(new, tuple(w.notes), frozenset(w.changed))


def _flatten(m: object, prefix: str = "") -> list[str]:
    if isinstance(m, dict):
        out: list[str] = []
        for k, v in m.items():
            out += _flatten(v, f"{prefix}{k}.")
        return out
    return [f"{prefix.rstrip('.')} = {m!r}"]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "scenario"
