"""Time against children (issue 15 item 4): build_problem, the optimised run with its floor (the
raw OR-Tools solve on the same arcs) and preference-first, on synthetic areas calibrated to
Kent (seed 1) scaled to about 2k, 5k, 10k, 20k, 50k and 100k children (``generate_area``'s
default: Kent's real schools at every size, specialist places synthesised to scale).

Run: ``.venv/bin/python -m benchmarks.bench_scaling [--sizes 2000,...,100000] [--scope moving]
[--repeat 3] [--repeat-large 1] [--timeout 900]``. Each size runs in a process of its own, so
that its peak resident memory (``ru_maxrss``) is that size's alone and a size that does not
finish within ``--timeout`` seconds is stopped and recorded as such (with whatever it
measured before).
Writes ``benchmarks/results/scaling-<scope>.json`` and, from it, ``scaling-<scope>.svg``
(``benchmarks/plot_scaling.py``). Times are medians of ``--repeat`` runs (``--repeat-large``
at 50,000 children and more, where one run takes minutes); each row prints the
floor beside the optimised time and the goals beside the 100k figures.

``--scope moving`` (default) is the realistic run: the children moving this round placed, the
others keeping their places. ``--scope from_scratch`` places the whole caseload.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.plot_scaling import write_svg

RESULTS = Path(__file__).parent / "results"
SIZES = "2000,5000,10000,20000,50000,100000"
# issue 15 item 4, at 100,000 children
GOALS = {
    "build_problem_s": 5.0,
    "optimised_s": 10.0,
    "optimised_over_floor": 2.0,
    "preference_first_s": 2.0,
}


def _rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def one(n: int, scope: Any, repeat: int) -> None:
    """Measure one size, printing the row as a JSON line after each stage (the parent keeps
    the last line it gets, so a stopped run still reports what it measured)."""
    from benchmarks.bench_allocation import floor_solve
    from placement.files.policy_files import load_policy
    from placement.generate import generate_area
    from placement.problem import build_problem
    from placement.register import resolve_la
    from placement.solve.optimised import finish_optimised, run_optimised, solve_optimised
    from placement.solve.preference_first import solve_preference_first
    from placement.validate import validate_allocation

    row: dict[str, Any] = {"target_children": n, "scope": scope, "repeat": repeat}

    def check(name: str, a: Any) -> None:
        """The independent validator on the result (not timed): a fast wrong answer is none."""
        t0 = time.perf_counter()
        rep = validate_allocation(area, policy, a.mapping(), from_scratch=scope == "from_scratch")
        row[f"{name}_valid"] = rep.ok
        row[f"{name}_findings"] = len(rep.findings)
        row[f"{name}_validate_s"] = round(time.perf_counter() - t0, 3)

    def emit(stage: str) -> None:
        row["stage_done"] = stage
        row["peak_rss_mb"] = _rss_mb()
        row["load_1min"] = round(os.getloadavg()[0], 2)
        print(json.dumps(row), flush=True)

    def med(fn: Any) -> tuple[float, Any]:
        times, out = [], None
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times), out

    t0 = time.perf_counter()
    area = generate_area("Kent", seed=1, scale=n / resolve_la("Kent").plans)
    row["generate_s"] = round(time.perf_counter() - t0, 3)
    policy = load_policy()
    t_build, p = med(lambda: build_problem(area, policy, scope=scope))
    row.update(
        children=p.num_children,
        children_placed_in_run=int(p.c_moving.sum()),
        settings=p.num_settings,
        suitable_pairs=len(p.pairs),
        build_problem_s=round(t_build, 3),
    )
    emit("build_problem")
    # the first optimised run (solved, then finished) also gives the arcs and costs it solved
    t0 = time.perf_counter()
    state = run_optimised(p)
    opt = finish_optimised(state)
    times = [time.perf_counter() - t0]
    row["first_optimised_s"] = round(times[0], 3)
    fm = state.fm
    del state
    row["arcs"] = int(fm.tails.shape[0])
    row["floor_s"] = round(statistics.median(floor_solve(fm) for _ in range(repeat)), 4)
    del fm
    emit("floor")
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        opt = solve_optimised(p)
        times.append(time.perf_counter() - t0)
    t_opt = statistics.median(times)
    row.update(
        optimised_s=round(t_opt, 3),
        optimised_over_floor=round(t_opt / row["floor_s"], 2),
        optimised_placed_pct=opt.metrics.as_dict()["placed_pct"],
        optimised_repair_rounds=opt.manifest.parameters["repair_rounds"],
        optimised_rebuilds=opt.manifest.parameters["rebuilds"],
        optimised_repairs_outside_model=opt.manifest.parameters["repairs_outside_model"],
    )
    check("optimised", opt)
    del opt
    emit("optimised")
    t_da, da = med(lambda: solve_preference_first(p))
    row.update(
        preference_first_s=round(t_da, 3),
        preference_first_placed_pct=da.metrics.as_dict()["placed_pct"],
    )
    check("preference_first", da)
    emit("done")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=SIZES)
    ap.add_argument("--scope", choices=["moving", "from_scratch"], default="moving")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--repeat-large", type=int, default=1, help="repeats at 50,000 children and more"
    )
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per size")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the results file's rows for sizes not measured in this run",
    )
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.scope, args.repeat)
        return
    rows: list[dict[str, Any]] = []
    for n in (int(x) for x in args.sizes.split(",")):
        cmd = [sys.executable, "-m", "benchmarks.bench_scaling", "--one", str(n)]
        repeat = args.repeat_large if n >= 50_000 else args.repeat
        cmd += ["--scope", args.scope, "--repeat", str(repeat)]
        t0 = time.perf_counter()
        load0 = os.getloadavg()[0]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            out, timed_out = done.stdout, False
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)
        except subprocess.TimeoutExpired as e:
            raw = e.stdout or b""
            out = raw.decode() if isinstance(raw, bytes) else raw
            timed_out = True
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        row = json.loads(lines[-1]) if lines else {"target_children": n, "scope": args.scope}
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        row["load_1min_at_start"] = round(load0, 2)
        if timed_out:
            row["timed_out_after_s"] = args.timeout
        rows.append(row)
        floor = row.get("floor_s")
        print(
            f"{row.get('children', n):>7} children ({args.scope}): "
            f"build {row.get('build_problem_s')} s, "
            f"optimised {row.get('optimised_s')} s against floor {floor} s "
            f"({row.get('optimised_over_floor')}x), "
            f"preference-first {row.get('preference_first_s')} s, "
            f"peak {row.get('peak_rss_mb')} MB, load {row.get('load_1min')}, "
            f"valid {row.get('optimised_valid')}/{row.get('preference_first_valid')}"
            + (
                f"; stopped after {args.timeout:.0f} s at {row.get('stage_done')}"
                if timed_out
                else ""
            ),
            flush=True,
        )
    path = RESULTS / f"scaling-{args.scope}.json"
    if args.merge and path.exists():
        measured = {r["target_children"] for r in rows}
        rows += [
            r for r in json.loads(path.read_text())["rows"] if r["target_children"] not in measured
        ]
        rows.sort(key=lambda r: int(r["target_children"]))
    big = max(rows, key=lambda r: r.get("children", r["target_children"]))
    verdict = {
        k: {"measured": big.get(k), "goal": g, "met": big.get(k) is not None and big[k] <= g}
        for k, g in GOALS.items()
    }
    print(f"at {big.get('children')} children, against issue 15's goals: {json.dumps(verdict)}")
    doc = {
        "benchmark": "scaling",
        "scope": args.scope,
        "machine": {"python": platform.python_version(), "cores": os.cpu_count()},
        "date": time.strftime("%Y-%m-%d"),
        "command": "python -m benchmarks.bench_scaling " + " ".join(sys.argv[1:]),
        "goals_at_largest": verdict,
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    svg = write_svg(path)
    print(f"wrote {path} and {svg}")


if __name__ == "__main__":
    main()
