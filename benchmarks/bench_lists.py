"""Tailored lists at Kent size: all children's lists (scores, chance bands and top-k for
every suitable pair at once), one child's full list with explanations, one exact what-if.

Run: ``.venv/bin/python -m benchmarks.bench_lists``; writes ``benchmarks/results/lists.json``.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

from benchmarks.bench_allocation import floor_solve
from placement.files.policy_files import load_policy
from placement.generate import generate_area
from placement.problem import build_problem
from placement.solve.optimised import finish_optimised, run_optimised
from placement.solve.preference_first import solve_preference_first
from placement.tailored import area_run, score_table, tailored_list, top_k_all
from placement.whatif import what_if

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    area = generate_area("Kent", seed=1)
    p = build_problem(area, load_policy())
    state = run_optimised(p)
    alloc = finish_optimised(state)
    row: dict[str, object] = {"children": p.num_children, "pairs": len(p.pairs)}
    for name, a in (("optimised", alloc), ("preference_first", solve_preference_first(p))):
        t0 = time.perf_counter()
        run = area_run(p, a)
        table = score_table(p, run)
        top = top_k_all(p, table)
        row[f"all_lists_{name}_s"] = round(time.perf_counter() - t0, 3)
        assert top.shape[0] == p.num_children
        rng = random.Random(1)
        ids = rng.sample([c.child_id for c in p.children], 200)
        times = []
        for cid in ids:
            t0 = time.perf_counter()
            tailored_list(p, cid, run=run, table=table)
            times.append(time.perf_counter() - t0)
        row[f"one_list_{name}_median_ms"] = round(1000 * statistics.median(times), 2)
        row[f"one_list_{name}_p95_ms"] = round(1000 * sorted(times)[int(0.95 * len(times))], 2)
    rng = random.Random(2)
    times = []
    for _ in range(10):
        i = rng.randrange(p.num_children)
        lo, hi = int(p.pairs.start[i]), int(p.pairs.start[i + 1])
        if hi == lo:
            continue
        s = int(p.pairs.setting[rng.randrange(lo, hi)])
        t0 = time.perf_counter()
        what_if(state, p.children[i].child_id, p.settings[s].setting_id)
        times.append(time.perf_counter() - t0)
    row["what_if_median_s"] = round(statistics.median(times), 3)
    # its floor: the raw OR-Tools solve of the same arcs, what a re-solve costs at the least
    row["what_if_floor_s"] = round(statistics.median(floor_solve(state.fm) for _ in range(3)), 3)
    print(json.dumps(row))
    print(
        f"all lists {row['all_lists_optimised_s']} s (target 1 s); one list "
        f"{row['one_list_optimised_median_ms']} ms median (target 10 ms); what-if "
        f"{row['what_if_median_s']} s median against a raw re-solve of {row['what_if_floor_s']} s "
        "(target 0.05 s)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": "lists", "date": time.strftime("%Y-%m-%d"), "rows": [row]}
    (RESULTS / "lists.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
