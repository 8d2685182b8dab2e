"""Peer comparison: our deferred acceptance against the ``matching`` (daffidwilde) and
``algmatch`` (Glasgow) hospitals/residents solvers on the same 10k-child instance.

The peers have no need pools, so the instance is a Kent-calibrated area at about 10k children
with pools removed (each setting's total places only). Every solver gets the same strict
preferences: each child's proposal list (suitable family preferences by rank, then the
nearest suitable settings) and each setting's strict priority order over the children who
list it. All three must return the same child-optimal stable matching; the script checks it.

Run: ``.venv/bin/python -m benchmarks.bench_peers [--children 10000]``; writes
``benchmarks/results/peers.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from placement.area import Area
from placement.files.policy_files import load_policy
from placement.generate import generate_area
from placement.problem import build_problem
from placement.register import resolve_la
from placement.solve.preference_first import (
    deferred_acceptance,
    proposal_order,
    solve_preference_first,
    strict_priority,
)
from placement.solve.priority import priority_keys

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=10_000)
    args = ap.parse_args()
    kent = resolve_la("Kent")
    area = generate_area("Kent", seed=1, scale=args.children / kent.plans)
    # no pools: the peers cannot express them
    area = Area(
        area.name,
        area.children,
        tuple(dataclasses.replace(s, pools={}) for s in area.settings),
        area.travel,
        area.la_code,
    )
    p = build_problem(area, load_policy())
    keys = priority_keys(p, 0)
    prio = strict_priority(p, keys)
    order, start = proposal_order(p, True)
    pr = p.pairs
    res_prefs: dict[int, list[int]] = {}
    for i in range(p.num_children):
        lst = [int(pr.setting[k]) for k in order[start[i] : start[i + 1]]]
        if lst:
            res_prefs[i] = lst
    hosp: dict[int, list[tuple[int, int]]] = {s: [] for s in range(p.num_settings)}
    for k in order.tolist():
        hosp[int(pr.setting[k])].append((int(prio[k]), int(pr.child[k])))
    hosp_prefs = {s: [c for _, c in sorted(v)] for s, v in hosp.items() if v}
    caps = {s: int(p.s_free[s]) for s in hosp_prefs}
    # a setting with no free place rejects everyone: leave it out of both sides (algmatch
    # cannot take a capacity of 0; the matching is the same)
    full = {s for s, c in caps.items() if c == 0}
    hosp_prefs = {s: v for s, v in hosp_prefs.items() if s not in full}
    caps = {s: c for s, c in caps.items() if s not in full}
    res_prefs = {i: [s for s in v if s not in full] for i, v in res_prefs.items()}
    res_prefs = {i: v for i, v in res_prefs.items() if v}
    row: dict[str, Any] = {
        "children": p.num_children,
        "settings": p.num_settings,
        "pairs": len(pr),
    }

    t0 = time.perf_counter()
    da = deferred_acceptance(p, seed=0, keys=keys)
    row["placement_da_s"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    solve_preference_first(p, seed=0)
    row["placement_preference_first_with_result_s"] = round(time.perf_counter() - t0, 3)
    ours = {i: int(pr.setting[k]) for i, k in enumerate(da.assign.tolist()) if k >= 0}

    theirs: dict[int, int] = {}

    def run_matching() -> None:
        from matching.games import HospitalResident

        t0 = time.perf_counter()
        game = HospitalResident.create_from_dictionaries(
            {f"c{i}": [f"s{s}" for s in v] for i, v in res_prefs.items()},
            {f"s{s}": [f"c{c}" for c in v] for s, v in hosp_prefs.items()},
            {f"s{s}": c for s, c in caps.items()},
        )
        t1 = time.perf_counter()
        m = game.solve(optimal="resident")
        t2 = time.perf_counter()
        for h, residents in m.items():
            for r in residents:
                theirs[int(r.name[1:])] = int(h.name[1:])
        row["matching_build_s"] = round(t1 - t0, 2)
        row["matching_solve_s"] = round(t2 - t1, 2)

    # matching deep-copies its linked player objects recursively: give it a deep stack
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 30)
    th = threading.Thread(target=run_matching)
    th.start()
    th.join()
    row["matching_same_as_ours"] = theirs == ours

    from algmatch import HospitalResidentsProblem

    t0 = time.perf_counter()
    hr = HospitalResidentsProblem(
        dictionary={
            "residents": {i + 1: [s + 1 for s in v] for i, v in res_prefs.items()},
            "hospitals": {
                s + 1: {"capacity": caps[s], "preferences": [c + 1 for c in v]}
                for s, v in hosp_prefs.items()
            },
        }
    )
    t1 = time.perf_counter()
    sm = hr.get_stable_matching()
    t2 = time.perf_counter()
    alg: dict[int, int] = {}
    for r, h in (sm or {}).get("resident_sided", {}).items():
        if h:
            alg[int(str(r)[1:]) - 1] = int(str(h)[1:]) - 1
    row["algmatch_build_s"] = round(t1 - t0, 2)
    row["algmatch_solve_s"] = round(t2 - t1, 2)
    row["algmatch_same_as_ours"] = alg == ours
    row["placed"] = len(ours)
    print(json.dumps(row))
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": "peers", "date": time.strftime("%Y-%m-%d"), "rows": [row]}
    (RESULTS / "peers.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
