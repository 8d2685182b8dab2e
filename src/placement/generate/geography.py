"""The geography of an area: where people live, towns, a region around them, neighbours.

Where people live comes from the LA's own LSOAs (``placement/data/lsoa.csv.gz``, built by
``scripts/build_lsoa.py``: the ONS population-weighted centroids of the LSOAs 2011 and their
mid-year populations, each LSOA assigned to its LA by its district's name): a home is an LSOA
drawn by population within the LA, and a point :data:`JITTER_M` around its centroid. Towns are
the densest places, at least :data:`TOWN_SEPARATION_M` apart; an LSOA with fewer than
:data:`RURAL_DENSITY` people per km² within :data:`LOCAL_RADIUS_M` is rural. The region (an
ellipse of the LA's land area around its representative point) only bounds where settings over
the border go. Every one of the 153 LAs has LSOAs (``tests/test_generate.py`` checks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from placement.data import vendored_rows
from placement.generate.calibration import F64, I64, B
from placement.generate.names import town_names
from placement.register import LaProfile, list_las

URBAN_DENSITY = 3_500.0  # people per km² in a built-up area (ONS built-up areas 2022)
JITTER_M = 300.0
"""Spread (standard deviation on each axis, metres) of a home around its LSOA's
population-weighted centroid: an LSOA holds about 1,600 people, within a few hundred metres of
its centroid in a town (assumption)."""
LOCAL_RADIUS_M = 2_000.0  # the neighbourhood over which an LSOA's density is read
RURAL_DENSITY = 600.0
"""People per km² within :data:`LOCAL_RADIUS_M` of an LSOA's centroid below which it counts as
rural (assumption: with it 15.7% of England's people are rural, near Defra's 17%)."""
TOWN_SEPARATION_M = 6_000.0  # town centres are at least this far apart (assumption)


@dataclass(frozen=True, slots=True)
class Geography:
    """Where an area's people live: a region (an ellipse of the LA's land area: centre,
    semi-axes and angle), its towns (centres, shares of the town population, spreads and
    names), the share of people outside the towns, and the LSOAs homes are drawn from."""

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
    # rural)
    home_xy: F64
    home_pop: F64
    home_rural: B
    home_town: I64

    def _axes(self) -> tuple[F64, F64]:
        c, s = math.cos(self.theta), math.sin(self.theta)
        return np.array([c, s]), np.array([-s, c])

    def sample(self, n: int, rng: np.random.Generator, rural: float) -> tuple[F64, I64]:
        """``n`` points like the population, ``rural`` of them outside the towns. Returns the
        points and each point's town (-1 = rural).

        An LSOA drawn by population (rural and town LSOAs reweighted so that ``rural`` of the
        draws are rural; ``rural = self.rural`` is the population itself), then a point
        :data:`JITTER_M` around its centroid."""
        w = self.home_pop.copy()
        if 0.0 < self.rural < 1.0 and rural != self.rural:
            w *= np.where(self.home_rural, rural / self.rural, (1 - rural) / (1 - self.rural))
        idx = rng.choice(w.size, size=n, p=w / w.sum())
        pts = self.home_xy[idx] + rng.normal(0.0, JITTER_M, (n, 2))
        return clip_to_grid(pts), self.home_town[idx]

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
        if n:  # at least lo_m from the LA's nearest home
            tree = cKDTree(self.home_xy)
            for _ in range(60):
                d, _j = tree.query(pts)
                bad = np.flatnonzero(np.asarray(d) < lo_m)
                if bad.size == 0:
                    break
                v = pts[bad] - centre
                rv = np.maximum(np.hypot(v[:, 0], v[:, 1]), 1.0)
                pts[bad] = centre + v * ((rv + 5_000.0) / rv)[:, None]
        return clip_to_grid(pts)


def clip_to_grid(pts: F64) -> F64:
    """Keep points inside the British National Grid (domain.Location bounds)."""
    out: F64 = np.column_stack(
        [np.clip(pts[:, 0], 1_000.0, 699_000.0), np.clip(pts[:, 1], 1_000.0, 1_299_000.0)]
    )
    return out


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


def draw_geography(la: LaProfile, rng: np.random.Generator) -> Geography:
    """The area's geography from the LA's LSOAs (see the module docstring): up to
    ``round(sqrt(population / 10,000))`` towns (1-24) at the densest places, each LSOA's town
    the nearest centre, rural LSOAs by local density; the region an ellipse of the LA's land
    area around its representative point, kept 45 km inside the grid's bounds."""
    area = max(la.area_km2, 1.0)
    pop = max(la.population, 1_000)
    aspect = float(rng.uniform(1.0, 1.6 if area > 200 else 1.3))
    a = math.sqrt(area / math.pi * aspect) * 1000.0
    b = math.sqrt(area / math.pi / aspect) * 1000.0
    theta = float(rng.uniform(0, math.pi))
    margin = a + 45_000.0  # room for out-of-area settings inside Great Britain's grid
    cx = float(np.clip(la.x, margin, 700_000.0 - margin)) if 2 * margin < 700_000 else 350_000.0
    cy = float(np.clip(la.y, margin, 1_300_000.0 - margin))
    t = int(np.clip(round(math.sqrt(pop / 10_000)), 1, 24))
    xy, home_pop = lsoas_of(la.old_la_code)
    if not xy.shape[0]:
        raise ValueError(f"no LSOAs for {la.la_name} in the vendored lsoa.csv.gz")
    rural_l, local = _rural_lsoas(xy)
    centres = _town_centres(xy, local, rural_l, t)
    towns = xy[centres]
    _, nearest = cKDTree(towns).query(xy)
    town_of = np.asarray(nearest, np.int64)
    town_pop = np.bincount(town_of[~rural_l], weights=home_pop[~rural_l], minlength=len(centres))
    w = town_pop / town_pop.sum()
    sigma = np.clip(np.sqrt(town_pop / URBAN_DENSITY / math.pi) * 1000.0, 400.0, 0.5 * b)
    names = town_names(len(centres), rng)
    rural = float(home_pop[rural_l].sum() / home_pop.sum())
    return Geography(
        cx, cy, a, b, theta, towns, w, sigma, names, rural,
        home_xy=xy, home_pop=home_pop, home_rural=rural_l,
        home_town=np.where(rural_l, -1, town_of).astype(np.int64),
    )  # fmt: skip


def _rural_lsoas(xy: F64) -> tuple[B, F64]:
    """Which LSOAs are rural (fewer than :data:`RURAL_DENSITY` people per km² within
    :data:`LOCAL_RADIUS_M`, neighbours over the border counted too), and each one's local
    population. A wholly rural LA still has a market town: its densest place."""
    all_tree, all_pop = _all_homes()
    local = np.array(
        [
            all_pop[np.asarray(j, np.int64)].sum()
            for j in all_tree.query_ball_point(xy, LOCAL_RADIUS_M)
        ]
    )
    rural_l = np.asarray(local / (math.pi * (LOCAL_RADIUS_M / 1000.0) ** 2) < RURAL_DENSITY)
    if rural_l.all():
        rural_l[int(np.argmax(local))] = False
    return rural_l, local


def _town_centres(xy: F64, local: F64, rural_l: B, t: int) -> list[int]:
    """Up to ``t`` town centres: the densest town LSOAs, at least :data:`TOWN_SEPARATION_M`
    apart."""
    centres: list[int] = []
    for j in np.argsort(-local, kind="stable").tolist():
        if rural_l[j]:
            continue
        if all(math.hypot(*(xy[j] - xy[c])) >= TOWN_SEPARATION_M for c in centres):
            centres.append(j)
            if len(centres) == t:
                break
    return centres


@cache
def _la_points() -> F64:
    return np.array([[la.x, la.y] for la in list_las()], np.float64)


def nearest_other_la(la: LaProfile, pt: F64) -> LaProfile:
    """The LA (other than ``la``) whose representative point is nearest ``pt``."""
    xy, las = _la_points(), list_las()
    d = np.hypot(xy[:, 0] - pt[0], xy[:, 1] - pt[1])
    for k in np.argsort(d, kind="stable"):
        other = las[int(k)]
        if other.la_code != la.la_code:
            return other
    return la  # pragma: no cover - there are 153
