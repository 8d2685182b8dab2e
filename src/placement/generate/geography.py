"""The synthetic geography of an area: region, towns, where people live, neighbours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from placement.generate.calibration import F64, I64, B, LaProfile, list_las
from placement.generate.names import _TOWN_A, _TOWN_B

URBAN_DENSITY = 3_500.0  # people per km² in a built-up area (ONS built-up areas 2022)
CITY_DENSITY = 2_500.0  # an LA denser than this is one city with district centres


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
        """``n`` points like the population: around towns by size, ``rural`` share anywhere.
        Returns the points and each point's town (-1 = rural)."""
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
        return _clip(np.array([self.cx, self.cy]) + edge * grow[:, None])


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
