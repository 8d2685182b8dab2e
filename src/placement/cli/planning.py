"""A planner's commands: run a scenario file, an area's dashboard, and the sweep over every LA."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from placement.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    err,
    load_area_and_policy,
    out,
    scale_arg,
    seed_arg,
    step,
    wrote,
)

__all__ = ["add_commands"]


def _scenario_from(path: Path, scale: float | None) -> Any:
    from placement.scenarios import load_scenario

    sc = load_scenario(path)
    if scale is not None:
        if sc.base.area is not None:
            raise UsageError("--scale applies only to a generated base (like = ...)")
        sc = sc.with_scale(scale)
    return sc


def cmd_scenario_run(args: argparse.Namespace) -> int:
    from placement.files.outputs import check_folder, write_files
    from placement.reports import report_html
    from placement.scenarios.report import report_csvs, report_json
    from placement.scenarios.run import run_scenario

    sc = _scenario_from(args.file, args.scale)
    if args.marginal is not None and args.marginal < 0:
        raise UsageError(f"--marginal {args.marginal}: must be 0 or more")
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be 1 or more")
    folder: Path = args.out or Path("scenario-output") / args.file.stem
    check_folder(folder)
    label = f"scenario {sc.name!r}: baseline and scenario ({', '.join(sc.mechanisms)})"
    with step(label) as doing:
        workers = min(args.workers, os.cpu_count() or 1)
        # the report shows figures, never a child's placement: the allocations without them
        r = run_scenario(sc, marginal=args.marginal, details=False, workers=workers, progress=doing)
    stem = args.file.stem
    files = [(folder / f"{stem}.html", report_html(r)), (folder / f"{stem}.json", report_json(r))]
    files += [(folder / f"{stem}-{kind}.csv", text) for kind, text in report_csvs(r).items()]
    write_files(files)  # all or none
    paths = [p for p, _ in files]
    for note in r.notes:
        out.print(escape(f"  {note}"))
    for t in _scenario_tables(r):
        out.print(t)
    from placement.scenarios.report import DISCLOSURE_NOTE

    out.print(escape(DISCLOSURE_NOTE + " Changes in percentages are in percentage points."))
    if r.marginal:
        from placement.disclosure import nearest

        best = sorted(r.marginal, key=lambda m: (-m.delta_placed, m.delta_cost_gbp))[:5]
        out.print("One more place would do most good at:")
        for m in best:
            cost = nearest(m.delta_cost_gbp, 1_000)
            out.print(
                escape(
                    f"  {m.setting_name} [{m.setting_id}], one more "
                    f"{m.need + ' ' if m.need else ''}place: {m.delta_placed:+d} placed, "
                    f"{'+' if cost >= 0 else '-'}£{abs(cost):,} a year"
                )
            )
    out.print(wrote(paths))
    return EXIT_OK


def _figure(key: str, v: Any, change: bool = False) -> str:
    """A scenario figure as the CLI prints it: money in £m, percentages with %, changes
    signed; "<10" and "suppressed" (placement.disclosure) as they are."""
    if isinstance(v, str):
        return v
    if change and v == 0:
        return "0"
    sign = "+" if change else ""
    if key.endswith("_gbp"):
        m = v / 1e6
        return f"{'-' if m < 0 else sign}£{abs(m):,.2f}m"
    if key.endswith("_pct"):
        return f"{v:{sign},.1f}{' pts' if change else '%'}"
    if key.endswith("_min"):
        return f"{v:{sign},.1f} min"
    return f"{v:{sign},}"


_PLAIN = {  # where the report's label needs its unit to read on its own
    "children": "children in the run",
    "unplaced": "not placed",
    "placed_pct": "placed, as a share of the children",
    "first_preference_pct": "first preference met (of those with one)",
    "any_preference_pct": "any preference met (of those with one)",
}


def _plain_label(key: str) -> str:
    """A figure's label for the CLI's tables: the report's, without the units its cells show."""
    from placement.scenarios.report import LABELS

    if key in _PLAIN:
        return _PLAIN[key]
    return LABELS[key].replace(" %", "").replace(" (min)", "").removesuffix(" £")


def _scenario_tables(r: Any) -> list[Table]:
    """One table per mechanism (baseline, scenario, change), in plain labels."""
    from placement.scenarios.report import LABELS, nested_metrics

    nested = nested_metrics(r)
    tables = []
    for mech in r.baseline:
        t = Table(title=escape(f"Scenario: {r.scenario.name} ({mech})"))
        t.add_column("")
        for h in ("baseline", "scenario", "change"):
            t.add_column(h, justify="right")
        for k in LABELS:
            x = nested[mech][k]
            t.add_row(
                escape(_plain_label(k)),
                _figure(k, x["baseline"]),
                _figure(k, x["scenario"]),
                _figure(k, x["change"], change=True),
            )
        tables.append(t)
    return tables


def cmd_dashboard(args: argparse.Namespace) -> int:
    from placement.files.outputs import check_folder, write_files
    from placement.problem import build_problem
    from placement.register import UnknownAreaError as _Unknown
    from placement.register import resolve_la
    from placement.reports import dashboard_html
    from placement.scenarios.dashboard import dashboard_data, dashboard_json
    from placement.scenarios.run import load_base, policies, run_side

    path: Path = args.source
    if path.is_dir():
        for flag, given in (("--scale", args.scale is not None), ("--baseline", args.baseline)):
            if given:
                raise UsageError(f"{flag} applies only to a scenario file, not an area folder")
        area, policy = load_area_and_policy(path)
        la = None
        if area.la_code:
            try:
                la = resolve_la(area.la_code)
            except _Unknown:
                la = None
        name, stem = area.name, path.name
        seed = 0 if args.seed is None else args.seed
        scope: Any = "moving"
    else:
        from placement.scenarios.apply import apply_changes

        sc = _scenario_from(path, args.scale)
        base_area, overrides, la_name = load_base(sc)
        _, policy = policies(sc, overrides)
        area = base_area if args.baseline else apply_changes(base_area, sc, policy).area
        la = resolve_la(la_name) if la_name else None
        name, stem = area.name, path.stem + ("-baseline" if args.baseline else "")
        seed = sc.base.seed if args.seed is None else args.seed
        scope = "from_scratch" if sc.base.from_scratch else "moving"
    folder: Path = args.out or Path("dashboard-output")
    check_folder(folder)
    with step(f"allocating {len(area.children):,} children ({args.mechanism})"):
        side, _ = run_side(build_problem(area, policy, scope=scope), args.mechanism, seed)
    data = dashboard_data(side, area_name=name, la=la)
    paths = [folder / f"{stem}-dashboard.html", folder / f"{stem}-dashboard.json"]
    write_files([(paths[0], dashboard_html(data)), (paths[1], dashboard_json(data))])
    mix = data["placement_mix"]
    t = Table(title=escape(f"Placement mix: {name}"))
    t.add_column("placement")
    t.add_column("this allocation", justify="right")
    if mix["la_real_pct"]:
        t.add_column(escape(f"{data['la']} (real)"), justify="right")
    t.add_column("England (real)", justify="right")
    for c in mix["categories"]:
        share = mix["allocation_pct"][c]
        row = [mix["labels"].get(c, c), share if isinstance(share, str) else f"{share:.1f}%"]
        if mix["la_real_pct"]:
            row.append(f"{mix['la_real_pct'].get(c, 0.0):.1f}%")
        row.append(f"{mix['england_pct'].get(c, 0.0):.1f}%")
        t.add_row(*row)
    out.print(t)
    out.print(escape(mix["note"][:1].upper() + mix["note"][1:] + "."))
    for k, v in data["headline_pct"].items():
        shown = v if isinstance(v, str) else f"{v:.1f}%"
        out.print(escape(f"  {shown}: {data['headline_labels'][k]}"))
    from placement.scenarios.report import DISCLOSURE_NOTE

    out.print(escape(DISCLOSURE_NOTE))
    out.print(wrote(paths))
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from placement.files.outputs import check_folder, write_files
    from placement.scenarios.sweep import (
        Engine,
        RayUnavailableError,
        run_sweep,
        sweep_csv,
        sweep_json,
    )

    sc = _scenario_from(args.file, args.scale)
    if sc.base.area is not None:
        raise UsageError(f"{args.file.name}: a sweep needs a generated base (like = ...)")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be 1 or more")
    if args.ray_address is not None and args.engine == "process":
        raise UsageError("--ray-address is for --engine ray, not the process pool")
    engine: Engine = args.engine or ("ray" if args.ray_address is not None else "process")
    from placement.register import list_las

    folder: Path = args.out or Path("sweep-output") / args.file.stem
    check_folder(folder)
    total = len(args.la) if args.la else len(list_las())
    failed: list[str] = []
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False,
    ) as bar:  # fmt: skip
        task = bar.add_task(escape(f"sweep {sc.name!r} ({engine})"), total=total)

        def tick(row: dict[str, Any]) -> None:
            if "error" in row:
                failed.append(f"{row['la_name']}: {row['error']}")
            bar.update(task, advance=1, description=escape(f"{row['la_name'][:28]:<28}"))

        try:
            res = run_sweep(
                sc,
                engine=engine,
                workers=args.workers,
                las=args.la,
                progress=tick,
                ray_address=args.ray_address,
            )
        except RayUnavailableError as e:  # Ray not installed, or its cluster not reached
            raise UsageError(str(e)) from None  # main escapes it
    data = sweep_json(res)
    paths = [folder / "sweep.json", folder / "sweep.csv"]
    write_files([(paths[0], json.dumps(data, indent=1) + "\n"), (paths[1], sweep_csv(res))])
    n_ok = len(res.las) - len(failed)
    t = Table(
        title=escape(f"{res.total_name}: {sc.name} ({n_ok} LAs, {res.wall_s:.1f} s)"),
        caption="baseline and scenario, each mechanism; counts and money rounded (see below)",
    )
    t.add_column("")
    keys = list(res.england)
    for k in keys:
        t.add_column(k.replace(":", " "), justify="right")
    from placement.scenarios.report import DISCLOSURE_NOTE

    for m in (
        "children",
        "placed_pct",
        "first_preference_pct",
        "mainstream_pct",
        "special_pct",
        "independent_pct",
        "total_cost_gbp",
        "mean_journey_min",
        "p95_journey_min",
    ):
        t.add_row(escape(_plain_label(m)), *(_figure(m, data["england"][k][m]) for k in keys))
    out.print(t)
    out.print(escape(DISCLOSURE_NOTE))
    for f in failed[:20]:
        err.print(f"[yellow]skipped[/yellow] {escape(f)}")
    out.print(wrote(paths))
    return EXIT_FAILED if failed and len(failed) == len(res.las) else EXIT_OK


def add_commands(sub: Any) -> None:
    sc = sub.add_parser("scenario", help="capacity scenarios for planners")
    ssub = sc.add_subparsers(dest="scenario_command", metavar="SUBCOMMAND", required=True)
    r = ssub.add_parser("run", help="run the baseline and a scenario, and report the differences")
    r.add_argument("file", type=Path, help="scenario file (.toml), e.g. scenarios/*.toml")
    r.add_argument("--out", type=Path, help="folder for the report (default: scenario-output/NAME)")
    r.add_argument(
        "--scale", type=scale_arg, help="override base.scale (generated areas; default: the file's)"
    )
    r.add_argument(
        "--marginal",
        type=int,
        help="candidates for the marginal value of one more place, about 1 s each at Kent size "
        "(0: skip; default: the file's marginal, else 20)",
    )
    r.add_argument(
        "--workers",
        type=int,
        default=2,
        help="2: allocate the baseline in a second process alongside the scenario (default); "
        "1: one after the other",
    )
    r.set_defaults(func=cmd_scenario_run)

    d = sub.add_parser("dashboard", help="inclusion dashboard of one allocation")
    d.add_argument("source", type=Path, help="area folder, or scenario file (.toml)")
    d.add_argument("--baseline", action="store_true", help="for a scenario: its baseline area")
    d.add_argument(
        "--mechanism",
        choices=["optimised", "preference-first"],
        default="optimised",
        help="the allocation to show",
    )
    d.add_argument("--seed", type=seed_arg, help="lottery seed (default: the scenario's, or 0)")
    d.add_argument(
        "--scale", type=scale_arg, help="override base.scale (generated areas; default: the file's)"
    )
    d.add_argument("--out", type=Path, help="output folder (default: dashboard-output)")
    d.set_defaults(func=cmd_dashboard)

    w = sub.add_parser("sweep", help="run a scenario over all 153 LAs; totals by region")
    w.add_argument("file", type=Path, help="scenario file (.toml) with a generated base")
    w.add_argument(
        "--engine",
        choices=["process", "ray"],
        help="a local process pool (default), or Ray (pip install 'placement[ray]'): "
        "the cluster at --ray-address or RAY_ADDRESS, else a local instance",
    )
    w.add_argument(
        "--ray-address",
        metavar="HOST:PORT",
        help="run on the Ray cluster whose head is at HOST:PORT (implies --engine ray; "
        "default: RAY_ADDRESS; docs/scenarios.md)",
    )
    w.add_argument("--scale", type=scale_arg, help="override base.scale (default: the file's)")
    w.add_argument(
        "--workers",
        type=int,
        help="processes, or a local Ray instance's CPUs (default: every CPU; "
        "a cluster uses all of its CPUs)",
    )
    w.add_argument(
        "--la",
        action="append",
        help="only this LA, by name or code (repeatable; default: all 153)",
    )
    w.add_argument("--out", type=Path, help="output folder (default: sweep-output/NAME)")
    w.set_defaults(func=cmd_sweep)


# -- import: GIAS settings and SEN2 children into an area folder --------------------------
