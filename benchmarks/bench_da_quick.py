"""Quick micro-benchmark of preference-first deferred acceptance on a Kent-sized synthetic area.

Builds about 20k children and ~600 settings directly with numpy (no dependency on the area
generator), then times each stage: ``build_problem``, ``priority_keys``, the proposal lists,
deferred acceptance itself, the justified-envy count, the cutoffs and ``finalise``.
Not a test. Run: ``.venv/bin/python -m benchmarks.bench_da_quick [--children 20000]
[--mainstream-band 4] [--nearest off]`` (``--mainstream-band 4`` gives about 2M pairs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from placement.area import Area
from placement.domain import Child, Location, Need, Pool, Preference, Setting, SettingKind, Sex
from placement.files.policy_files import load_policy
from placement.problem import build_problem
from placement.result import finalise
from placement.solve.preference_first import (
    deferred_acceptance,
    proposal_order,
    publish_cutoffs,
    solve_preference_first,
)
from placement.solve.priority import count_justified_envy, priority_keys

T = TypeVar("T")

E0, N0, SIDE_KM = 570_000.0, 120_000.0, 60.0  # a 60 x 60 km square, about Kent's area
NEEDS = [Need.ASD, Need.SLCN, Need.SEMH, Need.MLD, Need.SLD, Need.PD, Need.SPLD, Need.HI]
NEED_P = np.array([31.5, 21.3, 20.7, 10.6, 3.9, 3.9, 2.4, 1.4])
NEED_P = NEED_P / NEED_P.sum()


def _loc(rng: np.random.Generator) -> Location:
    e, n = rng.uniform(0, SIDE_KM * 1000, 2)
    return Location(float(E0 + e), float(N0 + n))


def synthetic_area(n_children: int, seed: int = 1) -> Area:
    """Random children and settings: ~460 primary and ~100 secondary mainstream schools, ~40
    resourced provisions and ~40 special schools with need pools, scaled with the child count."""
    rng = np.random.default_rng(seed)
    scale = n_children / 20_000
    settings: list[Setting] = []

    def add(kind: SettingKind, low: int, high: int, free: int, **kw: Any) -> None:
        sid = f"S{len(settings):05d}"
        settings.append(
            Setting(sid, f"Setting {sid}", kind, _loc(rng), low, high, capacity=free, **kw)
        )

    for _ in range(int(460 * scale) + 1):
        add(SettingKind.MAINSTREAM, 4, 11, int(rng.integers(4, 16)))
    for _ in range(int(100 * scale) + 1):
        add(SettingKind.MAINSTREAM, 11, 16 if rng.random() < 0.5 else 19, int(rng.integers(20, 60)))
    for _ in range(int(40 * scale) + 1):
        nd = NEEDS[int(rng.choice(3))]
        places = int(rng.integers(8, 30))
        add(
            SettingKind.RESOURCED_PROVISION,
            *((4, 11) if rng.random() < 0.6 else (11, 19)),
            places,
            designations={nd: 3},
            pools={nd: Pool(places)},
        )
    for _ in range(int(40 * scale) + 1):
        k = int(rng.integers(1, 4))
        ds = [NEEDS[int(x)] for x in rng.choice(len(NEEDS), k, replace=False, p=NEED_P)]
        cap = int(rng.integers(80, 300))
        pools = {d: Pool(int(cap * rng.uniform(0.3, 0.7))) for d in ds[: max(1, k - 1)]}
        add(
            SettingKind.SPECIAL_LA,
            4,
            19,
            cap,
            designations=dict.fromkeys(ds, 5),
            pools=pools,
        )
    s_e = np.array([s.location.easting for s in settings])
    s_n = np.array([s.location.northing for s in settings])

    needs = rng.choice(len(NEEDS), n_children, p=NEED_P)
    bands = rng.choice([1, 2, 3, 4, 5], n_children, p=[0.25, 0.25, 0.2, 0.18, 0.12])
    years = rng.integers(-1, 14, n_children)
    children: list[Child] = []
    for i in range(n_children):
        loc = _loc(rng)
        # preferences: 0-3 of the 8 nearest settings (not all of them suitable)
        d2 = (s_e - loc.easting) ** 2 + (s_n - loc.northing) ** 2
        near = np.argpartition(d2, 8)[:8]
        k = int(rng.choice(4, p=[0.2, 0.4, 0.25, 0.15]))
        prefs = tuple(
            Preference(settings[int(j)].setting_id, r + 1)
            for r, j in enumerate(rng.choice(near, k, replace=False))
        )
        children.append(
            Child(
                f"C{i:06d}",
                loc,
                NEEDS[int(needs[i])],
                int(bands[i]),
                nc_year=int(years[i]),
                transport_eligible=bool(rng.random() < 0.5),
                preferences=prefs,
                looked_after=bool(rng.random() < 0.05),
                sex=Sex.FEMALE if rng.random() < 0.3 else Sex.MALE,
            )
        )
    return Area("synthetic", tuple(children), tuple(settings))


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    times: list[float] = []
    out: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--nearest", choices=["on", "off"], default="on")
    ap.add_argument("--mainstream-band", type=int, default=2, help="policy: 2; 4 or 5 is denser")
    args = ap.parse_args()
    policy = load_policy(
        {
            "objective": {"preference_first": {"extend_with_nearest": args.nearest == "on"}},
            # a higher band for mainstream gives more suitable pairs (a denser problem)
            "suitability": {"general_max_band": {"mainstream": args.mainstream_band}},
        }
    )
    t_area, area = timed(lambda: synthetic_area(args.children), 1)
    t_build, p = timed(lambda: build_problem(area, policy), 1)
    t_keys, keys = timed(lambda: priority_keys(p, 0), args.repeat)
    t_order, _ = timed(
        lambda: proposal_order(p, p.policy.objective.extend_with_nearest), args.repeat
    )
    t_da, da = timed(lambda: deferred_acceptance(p, keys=keys), args.repeat)
    t_envy, envy = timed(lambda: count_justified_envy(p, da.assign, keys), args.repeat)
    t_cut, cut = timed(lambda: publish_cutoffs(p, da.assign, da.prio, 0), args.repeat)
    t_fin, _ = timed(
        lambda: finalise(
            p,
            "preference-first",
            da.assign,
            parameters={},
            seed=0,
            justified_envy=envy,
            cutoffs=cut,
        ),
        1,
    )
    t_all, a = timed(lambda: solve_preference_first(p), 1)
    placed = int((da.assign >= 0).sum())
    print(
        f"children {p.num_children}, settings {p.num_settings}, pools {p.num_pools}, "
        f"suitable pairs {len(p.pairs):,}, extend_with_nearest {args.nearest}"
    )
    print(
        f"proposals {da.proposals:,}, rejections {da.rejections:,}, placed {placed:,}, "
        f"justified envy {envy}, first preference {a.metrics.first_preference_pct}%"
    )
    rows = [
        ("synthetic area (Python objects)", t_area),
        ("build_problem", t_build),
        ("priority_keys", t_keys),
        ("  proposal_order (inside DA)", t_order),
        ("deferred_acceptance (DA only, median)", t_da),
        ("count_justified_envy", t_envy),
        ("publish_cutoffs", t_cut),
        ("finalise", t_fin),
        ("solve_preference_first (end to end)", t_all),
    ]
    for name, t in rows:
        print(f"{name:40s} {t:8.3f} s")


if __name__ == "__main__":
    main()
