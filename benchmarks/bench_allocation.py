"""Area-wide allocation benchmark: both mechanisms against the floor (the raw OR-Tools solve on
the same arcs), on synthetic areas calibrated to Kent at about 2k, 20k and 100k children.

Run: ``make bench`` (or ``.venv/bin/python -m benchmarks.bench_allocation [--sizes 2000,20000]``).
Writes ``benchmarks/results/allocation.json``. Times are the median of ``--repeat`` runs.

The size rows place the whole caseload **as if from scratch** (``--scope from_scratch``, a
planner's study: every child placed afresh), so that "Kent-sized" means 20,635 children
allocated. ``--scope moving`` times the realistic run instead: only the children moving this
round (phase transfer, new plan, review, no current setting), the others keeping their places.
Every row records its scope.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from placement.files.policy_files import load_policy
from placement.generate import generate_area
from placement.problem import build_problem
from placement.register import resolve_la
from placement.solve.optimised import run_optimised, solve_optimised
from placement.solve.preference_first import solve_preference_first
from placement.validate import validate_allocation

RESULTS = Path(__file__).parent / "results"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def floor_solve(fm: Any) -> float:
    """The raw solver: SimpleMinCostFlow on the same arcs, costs and supplies (build + solve)."""
    t0 = time.perf_counter()
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(fm.tails, fm.heads, fm.caps, fm.costs)
    smcf.set_nodes_supplies(fm.supply_nodes, fm.supplies)
    status = smcf.solve_max_flow_with_min_cost()
    smcf.flows(np.arange(fm.num_child_arcs, dtype=np.int64))
    assert status == smcf.OPTIMAL
    return time.perf_counter() - t0


HEADLINE = (
    "placed_pct",
    "first_preference_pct",
    "request_honoured_pct",
    "mean_journey_min",
    "total_cost_gbp",
    "mainstream_pct",
    "justified_envy",
)


def headline(a: Any) -> dict[str, Any]:
    """The metrics the README's trade-off table quotes."""
    m = a.metrics.as_dict()
    return {k: m[k] for k in HEADLINE}


def run_size(n: int, repeat: int, validate: bool, scope: Any) -> dict[str, Any]:
    kent = resolve_la("Kent")
    scale = n / kent.plans
    t0 = time.perf_counter()
    area = generate_area("Kent", seed=1, scale=scale)
    t_gen = time.perf_counter() - t0
    policy = load_policy()
    t_build, p = timed(lambda: build_problem(area, policy, scope=scope), 1)
    fm = run_optimised(p).fm  # the arcs and costs the optimised run solved (same guard bits)
    t_floor = statistics.median(floor_solve(fm) for _ in range(repeat))
    t_opt, opt = timed(lambda: solve_optimised(p), repeat)
    t_da, da = timed(lambda: solve_preference_first(p), repeat)
    row: dict[str, Any] = {
        "scope": scope,
        "children": p.num_children,
        "children_placed_in_run": int(p.c_moving.sum()),
        "settings": p.num_settings,
        "pools": p.num_pools,
        "suitable_pairs": len(p.pairs),
        "arcs": int(fm.tails.shape[0]),
        "generate_s": round(t_gen, 3),
        "build_problem_s": round(t_build, 3),
        "floor_s": round(t_floor, 4),
        "optimised_s": round(t_opt, 4),
        "optimised_over_floor": round(t_opt / t_floor, 2),
        "preference_first_s": round(t_da, 4),
        "optimised": headline(opt),
        "preference_first": headline(da),
        "optimised_repair_rounds": opt.manifest.parameters["repair_rounds"],
        "optimised_rebuilds": opt.manifest.parameters["rebuilds"],
        "optimised_exchanges_forced": opt.manifest.parameters["exchanges_forced"],
        "preference_first_placed_by_completion": da.manifest.parameters["placed_by_completion"],
        "preference_first_preferences_yielded": da.manifest.parameters["preferences_yielded"],
        "optimised_guard_bits": opt.manifest.parameters["guard_bits"],
        # the process's peak resident memory so far (this size and any smaller before it)
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if validate:
        for name, a in (("optimised", opt), ("preference_first", da)):
            mapping = a.mapping()
            t0 = time.perf_counter()
            rep = validate_allocation(area, policy, mapping, from_scratch=scope == "from_scratch")
            t_v = time.perf_counter() - t0
            row[f"{name}_validate_s"] = round(t_v, 3)
            row[f"{name}_valid"] = rep.ok
            row[f"{name}_findings"] = [f.code for f in rep.findings[:5]]
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,20635,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--out", default="allocation.json", help="file name in benchmarks/results")
    ap.add_argument("--scope", choices=["from_scratch", "moving"], default="from_scratch")
    ap.add_argument(
        "--moving-row",
        action="store_true",
        help="also time the realistic run (moving children only) at Kent size",
    )
    args = ap.parse_args()
    rows = []
    runs = [(int(x), args.scope) for x in args.sizes.split(",")]
    if args.moving_row:
        runs.append((resolve_la("Kent").plans, "moving"))
    for n, scope in runs:
        row = run_size(n, args.repeat, not args.no_validate, scope)
        print(json.dumps(row))
        rows.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": "allocation",
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor(),
            "cores": __import__("os").cpu_count(),
        },
        "date": time.strftime("%Y-%m-%d"),
        "rows": rows,
    }
    (RESULTS / args.out).write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
