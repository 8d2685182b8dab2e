"""Measure how far each LA's baseline allocation's placement mix is from the LA's real mix.

For each LA (default: all 153), generate the area (seed 1, ``--scale``), allocate it
(optimised, the realistic ``moving`` scope, as ``placement dashboard`` does), and compare the
baseline allocation's mix per placement column with the LA's real mix (DfE EHC plans 2025)
of the children who hold or seek a place (``la_mix(la, seeking=True)``: the young people in
other arrangements, who hold no place and seek none, are out of both sides), the way the
dashboard and its test do (:func:`placement.scenarios.dashboard.dashboard_data`). The real
"other" column is split: its awaiting-provision part (``LaProfile.awaiting``, the DfE's "other
types of placement", which since 2023 holds the children awaiting provision) is compared with
the run's "not placed" share, the rest with the run's own "other" column. Percentages here
are from raw counts (the dashboard's published figures are disclosure-rounded).

Writes ``benchmarks/results/placement_mix.json`` and prints the worst LAs.

    .venv/bin/python scripts/placement_mix.py            # every LA at full scale, ~30 s
    .venv/bin/python scripts/placement_mix.py --la Kent --la Hartlepool --scale 1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

from placement.files.policy_files import load_policy
from placement.generate import generate_with_report
from placement.problem import build_problem
from placement.register import list_las, resolve_la
from placement.scenarios.dashboard import la_mix
from placement.scenarios.run import CATEGORIES, run_side

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "placement_mix.json"
MIX_TOLERANCE_PTS = 3.0  # every placement column within 3 percentage points of the real mix
UNPLACED_TOLERANCE_PTS = 2.0  # not placed within 2 points of the real awaiting-provision share


def _pct(counts: dict[str, int]) -> dict[str, float]:
    tot = sum(counts.values())
    return {k: round(100.0 * v / tot, 2) if tot else 0.0 for k, v in counts.items()}


def measure(la_name: str, scale: float, seed: int = 1) -> dict[str, Any]:
    """One LA's baseline mix against its real mix."""
    t0 = time.perf_counter()
    la = resolve_la(la_name)
    area, report = generate_with_report(la.la_code, seed=seed, scale=scale)
    elsewhere = report.elsewhere
    side, _ = run_side(
        build_problem(area, load_policy(), scope="moving"), "optimised", seed, details=False
    )
    m = side.metrics
    counts = {c: int(m[f"mix_{c}"]) for c in CATEGORIES}
    counts["unplaced"] = int(m["unplaced"])
    alloc = _pct(counts)
    # the real mix with "other" split: awaiting provision (the DfE's "other types of
    # placement", LaProfile.awaiting) beside the run's unplaced, the rest of "other" beside
    # the run's own "other" column
    # the children who hold or seek a place, as the area holds them and as the dashboard and
    # its test compare (young people in other arrangements, who hold no place and seek none,
    # are left out on both sides: the generator counts them in its report)
    real_counts: dict[str, int] = dict(la_mix(la, seeking=True))
    real_counts["other"] -= la.awaiting
    real_counts["awaiting"] = la.awaiting
    real = _pct(real_counts)
    # the run's columns against the real ones; "other" in the run is the children it counts
    # there (not seeking a setting this round), "unplaced" sits beside the real awaiting share
    delta = {c: round(alloc[c] - real[c], 2) for c in CATEGORIES}
    real_awaiting = real["awaiting"]
    delta_unplaced = round(alloc["unplaced"] - real_awaiting, 2)
    worst_col = max(CATEGORIES, key=lambda c: abs(delta[c]))
    return {
        "la": la.la_name,
        "la_code": la.la_code,
        "children": int(m["children"]),
        "elsewhere": elsewhere,  # young people in other arrangements, left out of the area
        "staying": int(m["staying"]),
        "allocation_pct": alloc,
        "la_real_pct": real,
        "delta_pts": delta,
        "unplaced_pct": alloc["unplaced"],
        "real_awaiting_pct": real_awaiting,
        "delta_unplaced_pts": delta_unplaced,
        "worst_column": worst_col,
        "worst_delta_pts": delta[worst_col],
        "meets": abs(delta[worst_col]) <= MIX_TOLERANCE_PTS
        and abs(delta_unplaced) <= UNPLACED_TOLERANCE_PTS,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _one(job: tuple[str, float]) -> dict[str, Any]:
    return measure(*job)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--la", action="append", help="an LA name or code (repeatable; default all)")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--top", type=int, default=15, help="how many of the worst LAs to print")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    names = args.la or [la.la_name for la in list_las()]
    jobs = [(n, args.scale) for n in names]
    if args.jobs > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            rows = pool.map(_one, jobs, chunksize=1)
    else:
        rows = [_one(j) for j in jobs]
    meets = sum(r["meets"] for r in rows)
    summary = {
        "scale": args.scale,
        "seed": 1,
        "mechanism": "optimised",
        "scope": "moving",
        "las": len(rows),
        "meet": meets,
        "tolerance": {"mix_pts": MIX_TOLERANCE_PTS, "unplaced_pts": UNPLACED_TOLERANCE_PTS},
        "max_abs_delta_pts": max(abs(r["worst_delta_pts"]) for r in rows),
        "max_abs_delta_unplaced_pts": max(abs(r["delta_unplaced_pts"]) for r in rows),
        "mean_abs_delta_fe_pts": round(sum(abs(r["delta_pts"]["fe"]) for r in rows) / len(rows), 2),
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1) + "\n")
    worst = sorted(
        rows, key=lambda r: -max(abs(r["worst_delta_pts"]), abs(r["delta_unplaced_pts"]))
    )
    print(
        f"{meets}/{len(rows)} LAs within {MIX_TOLERANCE_PTS:g} pts in every column and "
        f"{UNPLACED_TOLERANCE_PTS:g} pts unplaced (scale {args.scale:g}, seed 1, optimised)"
    )
    print(f"{'LA':32} {'worst column':18} {'delta':>7} {'fe':>7} {'other':>7} {'unplaced':>8}")
    for r in worst[: args.top]:
        d = r["delta_pts"]
        print(
            f"{r['la'][:32]:32} {r['worst_column']:18} {r['worst_delta_pts']:7.1f} "
            f"{d['fe']:7.1f} {d['other']:7.1f} {r['delta_unplaced_pts']:8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
