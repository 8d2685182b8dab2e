"""The geography of an area: where people live, towns, a region around them, neighbours.

Where people live comes from the LA's own LSOAs (``placement/data/lsoa.csv.gz``, built by
``scripts/build_lsoa.py``: the ONS population-weighted centroids of the LSOAs 2011 and their
mid-year populations, each LSOA assigned to its LA by its district's name): a home is an LSOA
drawn by population within the LA, and a point :data:`JITTER_M` around its centroid. Towns are
the densest places, at least :data:`TOWN_SEPARATION_M` apart; an LSOA with fewer than
:data:`RURAL_DENSITY` people per km² within :data:`LOCAL_RADIUS_M` is rural. The region (an
ellipse of the LA's land area around its representative point) only bounds where settings over
the border go. An LA without LSOAs (none of the 153) falls back to synthetic towns on the
ellipse (see :func:`_geography`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from placement.data import vendored_rows
from placement.generate.calibration import F64, I64, B
from placement.generate.names import _TOWN_A, _TOWN_B
from placement.register import LaProfile, list_las

URBAN_DENSITY = 3_500.0  # people per km² in a built-up area (ONS built-up areas 2022)
CITY_DENSITY = 2_500.0  # an LA denser than this is one city with district centres
JITTER_M = 300.0
"""Spread (standard deviation on each axis, metres) of a home around its LSOA's
population-weighted centroid: an LSOA holds about 1,600 people, within a few hundred metres of
its centroid in a town (assumption)."""
LOCAL_RADIUS_M = 2_000.0  # the neighbourhood over which an LSOA's density is read
RURAL_DENSITY = 600.0
"""People per km² within :data:`LOCAL_RADIUS_M` of an LSOA's centroid below which it counts as
rural (assumption: with it 15.7% of England's people are rural, near Defra's 17%)."""
TOWN_SEPARATION_M = 6_000.0  # town centres are at least this far apart (assumption)

_EMPTY_XY: F64 = np.zeros((0, 2), np.float64)


@dataclass(frozen=True, slots=True)
class _Geo:
    cx: float
    cy: float
    a: float  # semi-axes, metres
    b: float
    theta: float
    towns: F64  # (T, 2)
    weights: F64  # (T,) town shares of the urban population
    sigma: F64  # (T,) metres
    names: tuple[str, ...]
    rural: float  # share of people outside the towns
    # where people live (LSOAs): centroids, populations, rural flags and each one's town (-1:
    # rural); empty for the synthetic-town fallback
    home_xy: F64 = field(default_factory=lambda: _EMPTY_XY)
    home_pop: F64 = field(default_factory=lambda: np.zeros(0, np.float64))
    home_rural: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    home_town: I64 = field(default_factory=lambda: np.zeros(0, np.int64))

    def _axes(self) -> tuple[F64, F64]:
        c, s = math.cos(self.theta), math.sin(self.theta)
        return np.array([c, s]), np.array([-s, c])

    def inside(self, pts: F64) -> B:
        e1, e2 = self._axes()
        d = pts - np.array([self.cx, self.cy])
        u = d @ e1 / self.a
        v = d @ e2 / self.b
        return np.asarray(u * u + v * v <= 1.0, np.bool_)

    def uniform(self, n: int, rng: np.random.Generator, frac: float = 1.0) -> F64:
        e1, e2 = self._axes()
        r = np.sqrt(rng.uniform(0, 1, n)) * frac
        ph = rng.uniform(0, 2 * math.pi, n)
        u = (r * np.cos(ph) * self.a)[:, None]
        v = (r * np.sin(ph) * self.b)[:, None]
        out: F64 = np.array([self.cx, self.cy]) + u * e1 + v * e2
        return out

    def sample(self, n: int, rng: np.random.Generator, rural: float) -> tuple[F64, I64]:
        """``n`` points like the population, ``rural`` of them outside the towns. Returns the
        points and each point's town (-1 = rural).

        With LSOAs: an LSOA drawn by population (rural and town LSOAs reweighted so that
        ``rural`` of the draws are rural; ``rural = self.rural`` is the population itself),
        then a point :data:`JITTER_M` around its centroid. Without: around synthetic towns by
        size, the rural share anywhere in the region."""
        if self.home_xy.shape[0]:
            w = self.home_pop.copy()
            if 0.0 < self.rural < 1.0 and rural != self.rural:
                w *= np.where(self.home_rural, rural / self.rural, (1 - rural) / (1 - self.rural))
            idx = rng.choice(w.size, size=n, p=w / w.sum())
            pts = self.home_xy[idx] + rng.normal(0.0, JITTER_M, (n, 2))
            return _clip(pts), self.home_town[idx]
        w = np.append(self.weights * (1.0 - rural), rural)
        town = rng.choice(len(w), size=n, p=w / w.sum())
        town = np.where(town == len(self.weights), -1, town).astype(np.int64)
        pts = self.uniform(n, rng)
        urb = np.flatnonzero(town >= 0)
        for _ in range(6):  # redraw points that fall outside the region
            if urb.size == 0:
                break
            t = town[urb]
            pts[urb] = self.towns[t] + rng.normal(0, 1, (urb.size, 2)) * self.sigma[t][:, None]
            urb = urb[~self.inside(pts[urb])]
        if urb.size:
            pts[urb] = self.uniform(urb.size, rng)
        return _clip(pts), town

    def spread(self, k: int, rng: np.random.Generator) -> tuple[F64, I64]:
        """``k`` sites spread over where people live, as an LA plans specialist provision:
        k-means++ seeding over a sample of the population (each next site drawn with
        probability proportional to the squared distance to the nearest site so far)."""
        pts, town = self.sample(max(64, 40 * k), rng, self.rural)
        chosen = [int(rng.integers(pts.shape[0]))]
        d2 = ((pts - pts[chosen[0]]) ** 2).sum(1)
        for _ in range(1, k):
            j = int(rng.choice(pts.shape[0], p=d2 / d2.sum())) if d2.sum() > 0 else 0
            chosen.append(j)
            d2 = np.minimum(d2, ((pts - pts[j]) ** 2).sum(1))
        idx = np.array(chosen, np.int64)
        return pts[idx], town[idx]

    def beyond(self, n: int, rng: np.random.Generator, lo_m: float, hi_m: float) -> F64:
        """``n`` points ``lo_m``-``hi_m`` beyond the boundary, in random directions."""
        e1, e2 = self._axes()
        ph = rng.uniform(0, 2 * math.pi, n)
        edge = (np.cos(ph) * self.a)[:, None] * e1 + (np.sin(ph) * self.b)[:, None] * e2
        r = np.hypot(edge[:, 0], edge[:, 1])
        grow = (r + rng.uniform(lo_m, hi_m, n)) / r
        centre = np.array([self.cx, self.cy])
        pts = centre + edge * grow[:, None]
        if self.home_xy.shape[0] and n:  # at least lo_m from the LA's nearest home
            tree = cKDTree(self.home_xy)
            for _ in range(60):
                d, _j = tree.query(pts)
                bad = np.flatnonzero(np.asarray(d) < lo_m)
                if bad.size == 0:
                    break
                v = pts[bad] - centre
                rv = np.maximum(np.hypot(v[:, 0], v[:, 1]), 1.0)
                pts[bad] = centre + v * ((rv + 5_000.0) / rv)[:, None]
        return _clip(pts)


def _clip(pts: F64) -> F64:
    """Keep points inside the British National Grid (domain.Location bounds)."""
    out: F64 = np.column_stack(
        [np.clip(pts[:, 0], 1_000.0, 699_000.0), np.clip(pts[:, 1], 1_000.0, 1_299_000.0)]
    )
    return out


def _rural_share(density: float) -> float:
    """Share of people outside towns by people per km² (assumption; England ~17% rural)."""
    for limit, share in ((150, 0.32), (300, 0.24), (600, 0.16), (1500, 0.08)):
        if density < limit:
            return share
    return 0.03


@cache
def _lsoa_table() -> tuple[F64, F64, npt.NDArray[np.str_]]:
    """Every LSOA's centroid (BNG metres), population and LA number (old code)."""
    rows = vendored_rows("lsoa.csv.gz")
    xy = np.array([[float(r["x"]), float(r["y"])] for r in rows], np.float64)
    pop = np.array([float(r["population"]) for r in rows], np.float64)
    return xy, pop, np.array([r["la"] for r in rows])


@cache
def _all_homes() -> tuple[cKDTree, F64]:
    xy, pop, _ = _lsoa_table()
    return cKDTree(xy), pop


def lsoas_of(old_la_code: str) -> tuple[F64, F64]:
    """The centroids (BNG metres) and populations of the LSOAs in one LA (old code)."""
    xy, pop, la = _lsoa_table()
    sel = np.flatnonzero(la == old_la_code)
    return xy[sel], pop[sel]


def _geography(la: LaProfile, rng: np.random.Generator) -> _Geo:
    area = max(la.area_km2, 1.0)
    pop = max(la.population, 1_000)
    aspect = float(rng.uniform(1.0, 1.6 if area > 200 else 1.3))
    a = math.sqrt(area / math.pi * aspect) * 1000.0
    b = math.sqrt(area / math.pi / aspect) * 1000.0
    theta = float(rng.uniform(0, math.pi))
    margin = a + 45_000.0  # room for out-of-area settings inside Great Britain's grid
    cx = float(np.clip(la.x, margin, 700_000.0 - margin)) if 2 * margin < 700_000 else 350_000.0
    cy = float(np.clip(la.y, margin, 1_300_000.0 - margin))
    density = pop / area
    rural = _rural_share(density)
    t = int(np.clip(round(math.sqrt(pop / 10_000)), 1, 24))
    home_xy, home_pop = lsoas_of(la.old_la_code)
    if home_xy.shape[0]:
        return _lsoa_geography(la, rng, (cx, cy, a, b, theta), t, home_xy, home_pop)
    w = 1.0 / np.arange(1, t + 1)
    w /= w.sum()
    shape = _Geo(cx, cy, a, b, theta, np.zeros((0, 2)), w, w, (), rural)
    towns = shape.uniform(t, rng, frac=0.8)
    if density > CITY_DENSITY or t == 1:
        towns[0] = (cx, cy)
    town_pop = pop * (1.0 - rural) * w
    sigma = np.clip(np.sqrt(town_pop / URBAN_DENSITY / math.pi) * 1000.0, 400.0, 0.5 * b)
    combos = [x + y for x in _TOWN_A for y in _TOWN_B]
    pick = rng.choice(len(combos), size=t, replace=False)
    names = tuple(combos[int(k)] for k in pick)
    return _Geo(cx, cy, a, b, theta, _clip(towns), w, sigma, names, rural)


@cache
def _la_points() -> F64:
    return np.array([[la.x, la.y] for la in list_las()], np.float64)


def _neighbour(la: LaProfile, pt: F64) -> LaProfile:
    """The LA (other than ``la``) whose representative point is nearest ``pt``."""
    xy, las = _la_points(), list_las()
    d = np.hypot(xy[:, 0] - pt[0], xy[:, 1] - pt[1])
    for k in np.argsort(d, kind="stable"):
        other = las[int(k)]
        if other.la_code != la.la_code:
            return other
    return la  # pragma: no cover - there are 153


def _lsoa_geography(
    la: LaProfile,
    rng: np.random.Generator,
    shape: tuple[float, float, float, float, float],
    t: int,
    xy: F64,
    pop: F64,
) -> _Geo:
    """The geography from the LA's LSOAs (see the module docstring): up to ``t`` towns at the
    densest places, each LSOA's town the nearest centre, rural LSOAs by local density."""
    cx, cy, a, b, theta = shape
    all_tree, all_pop = _all_homes()  # neighbours over the border count for density too
    local = np.array(
        [
            all_pop[np.asarray(j, np.int64)].sum()
            for j in all_tree.query_ball_point(xy, LOCAL_RADIUS_M)
        ]
    )
    rural_l = np.asarray(local / (math.pi * (LOCAL_RADIUS_M / 1000.0) ** 2) < RURAL_DENSITY)
    if rural_l.all():  # a wholly rural LA still has a market town: its densest place
        rural_l[int(np.argmax(local))] = False
    centres: list[int] = []
    for j in np.argsort(-local, kind="stable").tolist():
        if rural_l[j]:
            continue
        if all(math.hypot(*(xy[j] - xy[c])) >= TOWN_SEPARATION_M for c in centres):
            centres.append(j)
            if len(centres) == t:
                break
    towns = xy[centres]
    _, nearest = cKDTree(towns).query(xy)
    town_of = np.asarray(nearest, np.int64)
    town_pop = np.bincount(town_of[~rural_l], weights=pop[~rural_l], minlength=len(centres))
    w = town_pop / town_pop.sum()
    sigma = np.clip(np.sqrt(town_pop / URBAN_DENSITY / math.pi) * 1000.0, 400.0, 0.5 * b)
    combos = [x + y for x in _TOWN_A for y in _TOWN_B]
    pick = rng.choice(len(combos), size=len(centres), replace=False)
    names = tuple(combos[int(k)] for k in pick)
    rural = float(pop[rural_l].sum() / pop.sum())
    return _Geo(
        cx, cy, a, b, theta, towns, w, sigma, names, rural,
        home_xy=xy, home_pop=pop, home_rural=rural_l,
        home_town=np.where(rural_l, -1, town_of).astype(np.int64),
    )  # fmt: skip
