"""Scenario benchmarks: a Kent-sized scenario (baseline and scenario, both mechanisms) for each
worked example, the marginal values of one more place, and a national sweep of one scenario
over all 153 LAs (about 640k children) with the process pool and, when installed, Ray.

Run: ``.venv/bin/python -m benchmarks.bench_scenarios [--sweep-scenario NAME] [--no-sweep]
[--engines process,ray] [--workers 2]``: ``--workers`` is the sweep's processes and, capped
at 2, the Kent runs' (baseline and scenario side by side). Writes
``benchmarks/results/scenarios.json``. The sweeps run first, so that their peak memory is
their own: ``ru_maxrss`` of this process and of its largest worker process (the sweep's
workers are separate processes; on Linux ``RUSAGE_CHILDREN`` reports the largest one); and
``tracemalloc`` peak of Python allocations in the Kent run with marginal values.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

from placement.scenarios import load_scenario
from placement.scenarios.run import load_base, run_scenario
from placement.scenarios.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"


def rss_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def kent(names: list[str], marginal: int, workers: int) -> dict[str, Any]:
    """Each example as ``placement scenario run`` runs it: the baseline allocated in a second
    process alongside the scenario when ``workers`` > 1, allocations without the placements
    and refusals that the report does not show."""
    out: dict[str, Any] = {"workers": workers}
    base = None
    for name in names:
        sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        t0 = time.perf_counter()
        if base is None:
            base = load_base(sc)  # the same Kent area for every example (generated once)
        t_base = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = run_scenario(sc, marginal=0, base=base, details=False, workers=workers)
        wall = time.perf_counter() - t0
        m = {k: (r.baseline[k].metrics, r.outcome[k].metrics) for k in r.baseline}
        out[name] = {
            "children_baseline": m["optimised"][0]["children"],
            "children_scenario": m["optimised"][1]["children"],
            "wall_s": round(wall, 2),
            "generate_s": round(t_base, 2),
            "derived_problem": r.derived,
            "timings_s": r.timings_s,
            "placed_pct": {k: [v[0]["placed_pct"], v[1]["placed_pct"]] for k, v in m.items()},
            "total_cost_gbp": {
                k: [v[0]["total_cost_gbp"], v[1]["total_cost_gbp"]] for k, v in m.items()
            },
        }
        ts = r.timings_s
        print(
            f"kent {name}: {wall:.2f} s (target 5 s; + generate {t_base:.2f} s); of it the "
            f"optimised runs {ts.get('scenario_optimised_s')} s and "
            f"{ts.get('baseline_optimised_s')} s (their floor, the raw solve, is in "
            f"bench_allocation) {ts}",
            flush=True,
        )
    if marginal:
        sc = load_scenario(ROOT / "scenarios" / f"{names[0]}.toml")
        tracemalloc.start()
        t0 = time.perf_counter()
        r = run_scenario(sc, marginal=marginal, base=base, details=False, workers=workers)
        wall = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out["marginal"] = {
            "scenario": names[0],
            "candidates": len(r.marginal),
            "marginal_s": r.timings_s["marginal_s"],
            "per_candidate_s": round(r.timings_s["marginal_s"] / max(1, len(r.marginal)), 3),
            "wall_with_marginal_s": round(wall, 2),
            "tracemalloc_peak_mb": round(peak / 2**20, 1),
        }
        print(f"marginal: {out['marginal']}", flush=True)
    return out


def sweep(name: str, engine: str, workers: int) -> dict[str, Any]:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    done = [0]

    def tick(row: dict[str, Any]) -> None:
        done[0] += 1
        if done[0] % 25 == 0:
            print(f"  {engine}: {done[0]} LAs", flush=True)

    t0 = time.perf_counter()
    res = run_sweep(sc, engine=engine, workers=workers, progress=tick)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    eng = res.england
    first = next(iter(eng))
    slowest = sorted((r for r in res.las if "seconds" in r), key=lambda r: -r["seconds"])[:3]
    out = {
        "scenario": name,
        "engine": engine,
        "workers": workers,
        "las": eng[first]["las"],
        "failed": [r["la_name"] for r in res.las if "error" in r],
        "children_baseline": eng.get("baseline:optimised", eng[first])["children"],
        "wall_s": round(wall, 1),
        "task_s_sum": round(sum(r.get("seconds", 0) for r in res.las), 1),
        "slowest_las": [(r["la_name"], r["seconds"]) for r in slowest],
        "peak_rss_driver_mb": rss_mb(resource.RUSAGE_SELF),
        # Ray's workers are not this process's children: RUSAGE_CHILDREN would report the
        # process pool's (or nothing), so no figure is claimed for them
        "peak_rss_largest_worker_mb": rss_mb(resource.RUSAGE_CHILDREN)
        if engine == "process"
        else None,
        "england": {
            k: {
                m: v[m]
                for m in (
                    "children",
                    "placed_pct",
                    "first_preference_pct",
                    "total_cost_gbp",
                    "p95_journey_min",
                )
            }
            for k, v in eng.items()
        },
    }
    print(
        f"sweep {engine}: {out['wall_s']} s on {workers} workers (target 30 s) against "
        f"{out['task_s_sum'] / workers:.1f} s, the LAs' task times shared perfectly: "
        f"{json.dumps(out)}",
        flush=True,
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--kent",
        default="new-special-free-school,asd-resourced-provision,"
        "cap-independent-fees,secondary-journey-90,demand-growth-no-new-places",
    )
    ap.add_argument("--marginal", type=int, default=20)
    ap.add_argument("--sweep-scenario", default="new-special-free-school")
    ap.add_argument("--engines", default="process,ray")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-sweep", action="store_true")
    args = ap.parse_args()
    result: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "command": "python -m benchmarks.bench_scenarios",
    }
    if not args.no_sweep:
        result["sweep"] = []
        for engine in args.engines.split(","):
            if engine == "ray" and importlib.util.find_spec("ray") is None:
                result["sweep"].append({"engine": "ray", "skipped": "ray not installed"})
                continue
            result["sweep"].append(sweep(args.sweep_scenario, engine, args.workers))
    names = [n for n in args.kent.split(",") if n]
    if names:
        result["kent"] = kent(names, args.marginal, min(2, args.workers))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "scenarios.json"
    if path.exists():  # keep what this run did not measure (e.g. a later Ray-only sweep)
        old = json.loads(path.read_text())
        if "kent" not in result and "kent" in old:
            result["kent"] = old["kent"]
        mine = {s.get("engine") for s in result.get("sweep", [])}
        kept = [s for s in old.get("sweep", []) if s.get("engine") not in mine]
        if kept:
            result["sweep"] = kept + result.get("sweep", [])
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
