"""The importers' times: ``placement import gias`` on the real Leeds GIAS extract (settings
alone, and with synthetic children calibrated to Leeds), and ``placement import sen2`` of a
Kent-sized synthetic return (20,635 children with plans, and 3% more persons without) from
the COLLECT Blade CSV folder and from the Excel workbook. Each time is the whole command
(reading, building, writing the area files and the report), the median of ``--repeat`` runs,
in wall-clock and CPU seconds.

Run: ``.venv/bin/python -m benchmarks.bench_imports``; writes
``benchmarks/results/imports.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from placement.cli import main as cli
from placement.files.area_writer import write_area
from placement.files.sen2_synth import (
    synthetic_return,
    write_blade_csv,
    write_postcodes,
    write_workbook,
)
from placement.generate import generate_area

RESULTS = Path(__file__).parent / "results"
LEEDS_FULL = Path(__file__).parents[2] / "shared" / "data" / "gias-leeds-2023" / "edubase-leeds.csv"
LEEDS_TRIMMED = (
    Path(__file__).parents[1] / "tests" / "data" / "gias-leeds-2023" / "edubase-leeds-trimmed.csv"
)


def timed(run: Callable[[int], None], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time is the steadier on a shared machine)."""
    wall, cpu = [], []
    for k in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        run(k)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return round(statistics.median(wall), 3), round(statistics.median(cpu), 3)


def quiet(args: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli(args)
    if code != 0:
        raise SystemExit(f"placement {' '.join(args)} exited {code}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--like", default="Kent", help="LA whose synthetic return is imported")
    ap.add_argument(
        "--gias",
        type=Path,
        default=LEEDS_FULL if LEEDS_FULL.is_file() else LEEDS_TRIMMED,
        help="the Leeds GIAS extract (default: ../shared/data's, else the trimmed test copy)",
    )
    args = ap.parse_args()
    leeds: Path = args.gias
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        for children in (False, True):
            extra = ["--children"] if children else []

            def gias(k: int, extra: list[str] = extra) -> None:
                out = tmp / f"leeds-{len(extra)}-{k}"
                quiet(["import", "gias", str(leeds), "--la", "383", "--out", str(out), *extra])

            s, cpu = timed(gias, args.repeat)
            out = tmp / f"leeds-{len(extra)}-0"
            n_set = (out / "settings.csv").read_text().count("\n") - 1
            row: dict[str, object] = {
                "import": "gias",
                "source": leeds.name,
                "rows": leeds.read_bytes().count(b"\n") - 1,
                "settings": n_set,
                "synthetic_children": children,
                "seconds": s,
                "cpu_seconds": cpu,
            }
            if children:
                row["children"] = (out / "children.csv").read_text().count("\n") - 1
                res = tmp / "leeds-results"
                t0 = time.perf_counter()
                quiet(["allocate", str(out), "--out", str(res)])
                row["allocate_seconds"] = round(time.perf_counter() - t0, 3)
                m = json.loads((res / "optimised.json").read_text())["metrics"]
                row["allocate_metrics"] = {
                    k: m[k]
                    for k in ("children", "staying", "placed", "placed_pct", "first_preference_pct")
                    if k in m
                }
            rows.append(row)
            print(json.dumps(row))

        area = generate_area(args.like, seed=1)
        ret = synthetic_return(area, seed=1)
        write_area(area, tmp / "area")
        (tmp / "area" / "children.csv").unlink()
        settings = tmp / "area" / "settings.csv"
        pcs = write_postcodes(ret, tmp / "postcodes.csv")
        sources = {
            "blade-csv": write_blade_csv(ret, tmp / "blade") and tmp / "blade",
            "xlsx": write_workbook(ret, tmp / "return.xlsx"),
        }
        for fmt, src in sources.items():

            def sen2(k: int, fmt: str = fmt, src: Path = src) -> None:
                out = tmp / f"sen2-{fmt}-{k}"
                quiet(
                    [
                        "import",
                        "sen2",
                        str(src),
                        "--out",
                        str(out),
                        "--postcodes",
                        str(pcs),
                        "--settings",
                        str(settings),
                    ]
                )

            s, cpu = timed(sen2, args.repeat)
            size = (
                sum(p.stat().st_size for p in src.iterdir()) if src.is_dir() else src.stat().st_size
            )
            out = tmp / f"sen2-{fmt}-0"
            row = {
                "import": "sen2",
                "format": fmt,
                "like": args.like,
                "persons": len(ret.modules["person"]),
                "children": (out / "children.csv").read_text().count("\n") - 1,
                "module_rows": sum(len(v) for v in ret.modules.values()),
                "bytes": size,
                "seconds": s,
                "cpu_seconds": cpu,
            }
            rows.append(row)
            print(json.dumps(row))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.json").write_text(
        json.dumps(
            {"benchmark": "imports", "date": dt.date.today().isoformat(), "rows": rows}, indent=1
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
