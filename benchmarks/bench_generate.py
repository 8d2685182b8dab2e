"""The generator's speed: areas like Kent (20,635 children), a median LA (South
Gloucestershire) and a small one (Rutland), on real schools (the default) and on synthetic
ones, each the median of 5 runs in a fresh-cached process (the first run, which reads the
vendored tables, is reported apart as ``first_s``).

Run: ``.venv/bin/python -m benchmarks.bench_generate``; writes
``benchmarks/results/generate.json``. Target: Kent on real schools in 2 s or less.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path

from placement.generate import generate_with_report

RESULTS = Path(__file__).parent / "results"
RUNS = 5


def main() -> None:
    rows: list[dict[str, object]] = []
    for like in ("Kent", "South Gloucestershire", "Rutland"):
        for schools in ("real", "synthetic"):
            times = []
            for k in range(RUNS + 1):
                t0 = time.perf_counter()
                area, report = generate_with_report(like, seed=1, schools=schools)
                times.append(time.perf_counter() - t0)
                if k == 0:
                    first = times.pop()
            row: dict[str, object] = {
                "like": like,
                "schools": schools,
                "children": len(area.children),
                "settings": len(area.settings),
                "real_settings": report.real_settings,
                "first_s": round(first, 3),
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
            }
            print(row, flush=True)
            rows.append(row)
        real, synth = rows[-2], rows[-1]
        print(
            f"{like}: real schools {real['median_s']} s against synthetic {synth['median_s']} s"
            + (" (target 2 s)" if like == "Kent" else ""),
            flush=True,
        )
    RESULTS.mkdir(exist_ok=True)
    out = {
        "benchmark": "generate",
        "date": dt.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "runs": RUNS,
        "target": "Kent on real schools <= 2 s",
        "rows": rows,
    }
    (RESULTS / "generate.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
