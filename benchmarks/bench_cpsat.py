"""Why CP-SAT is kept out of the main path: the same allocation (same arcs, capacities and tier
costs as the min-cost flow) as a CP-SAT model, on 2k and Kent-sized (20k) areas.

Each suitable kept pair is a Boolean; each child takes at most one; pools and settings are
capacity constraints; the objective is the flow's arc costs plus, for each unplaced child, a
penalty above any placed child's cost (the max-flow tier). Run:
``.venv/bin/python -m benchmarks.bench_cpsat [--sizes 2000,20635] [--limit 120]``; writes
``benchmarks/results/cpsat.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from placement.files.policy_files import load_policy
from placement.generate import generate_area
from placement.problem import build_problem
from placement.register import resolve_la
from placement.solve.optimised import run_optimised

RESULTS = Path(__file__).parent / "results"


def run(n: int, limit: float) -> dict[str, Any]:
    kent = resolve_la("Kent")
    area = generate_area("Kent", seed=1, scale=n / kent.plans)
    p = build_problem(area, load_policy())
    t0 = time.perf_counter()
    state = run_optimised(p)
    t_flow = time.perf_counter() - t0
    fm = state.fm
    nc = fm.num_child_arcs
    pairs = fm.pair_of_arc
    costs = fm.costs[:nc]
    # rescale: CP-SAT objectives must stay within int64 after its own presolve scaling, so the
    # flow's costs are divided down to 40 bits (ties below that resolution may differ)
    shift = max(0, int(costs.max()).bit_length() - 40)
    c = (costs >> shift).astype(np.int64)
    big = int(c.max()) + 1
    t0 = time.perf_counter()
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{k}") for k in range(nc)]
    by_child: dict[int, list[int]] = {}
    by_pool: dict[int, list[int]] = {}
    by_set: dict[int, list[int]] = {}
    for k in range(nc):
        q = int(pairs[k])
        by_child.setdefault(int(p.pairs.child[q]), []).append(k)
        by_set.setdefault(int(p.pairs.setting[q]), []).append(k)
        if p.pairs.pool[q] >= 0:
            by_pool.setdefault(int(p.pairs.pool[q]), []).append(k)
    unplaced = []
    for i, ks in by_child.items():
        u = m.new_bool_var(f"u{i}")
        m.add(sum(x[k] for k in ks) + u == 1)
        unplaced.append(u)
    for q, ks in by_pool.items():
        m.add(sum(x[k] for k in ks) <= int(p.pool_free[q]))
    for s, ks in by_set.items():
        m.add(sum(x[k] for k in ks) <= int(p.s_free[s]))
    m.minimize(sum(int(c[k]) * x[k] for k in range(nc)) + big * sum(unplaced))
    t_build = time.perf_counter() - t0
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = 2
    t0 = time.perf_counter()
    status = solver.solve(m)
    t_solve = time.perf_counter() - t0
    placed = (
        sum(1 for u in unplaced if solver.value(u) == 0)
        if status
        in (
            cp_model.OPTIMAL,
            cp_model.FEASIBLE,
        )
        else None
    )
    return {
        "children": p.num_children,
        "arcs": nc,
        "flow_s": round(t_flow, 3),
        "cpsat_build_s": round(t_build, 2),
        "cpsat_solve_s": round(t_solve, 2),
        "cpsat_status": solver.status_name(status),
        "cpsat_time_limit_s": limit,
        "cpsat_placed": placed,
        "flow_placed": int((state.assign >= 0).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,20635")
    ap.add_argument("--limit", type=float, default=120.0)
    args = ap.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        row = run(n, args.limit)
        print(json.dumps(row))
        rows.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": "cpsat", "date": time.strftime("%Y-%m-%d"), "rows": rows}
    (RESULTS / "cpsat.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
