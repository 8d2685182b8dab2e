"""The ``placement`` command line: an adapter around the core (no rules live here).

Exit codes: 0 success; 1 the allocation failed validation or the solver failed; 2 bad input
(a file, a flag or an area name), with one message naming what is wrong and where.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from placement.area import Area
from placement.domain import DomainError
from placement.files.errors import InputError, OutputError
from placement.policy import Policy, PolicyError
from placement.register import UnknownAreaError
from placement.result import Allocation
from placement.scenarios.spec import MAX_SCALE  # one limit for scenario files and --scale
from placement.solve.optimised import SolverError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    """A bad flag value or argument (exit 2)."""


def _seed(text: str) -> int:
    """``--seed``: a whole number, 0 or more (argparse reports a bad one and exits 2)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{v} must be 0 or more")
    return v


def _scale(text: str) -> float:
    """``--scale``: a number greater than 0 and at most :data:`MAX_SCALE`."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < v <= MAX_SCALE:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0 and at most {MAX_SCALE:g}")
    return v


@contextmanager
def step(label: str) -> Iterator[Callable[[str], None]]:
    """Show a spinner on a terminal while a long step runs, then its time. Yields a function
    that says what the step is doing now (``"marginal value 3/20: ..."``): on the spinner
    line on a terminal, as a line of its own otherwise (a log shows the progress too)."""
    label = escape(label)  # it may hold a user's text (an LA, a scenario's name)
    t0 = time.perf_counter()
    with err.status(label, spinner="dots") as status:

        def doing(what: str) -> None:
            if err.is_terminal:
                status.update(f"{label}: {escape(what)}")
            else:
                err.print(f"[dim]  {escape(what)}[/dim]")

        yield doing
    err.print(f"[dim]{label}: {time.perf_counter() - t0:.2f} s[/dim]")


def _wrote(paths: Sequence[Path]) -> str:
    return escape(f"wrote {', '.join(str(p) for p in paths)}")


def _load(area_dir: Path) -> tuple[Area, Policy]:
    from placement.files.area_reader import load_area
    from placement.files.policy_files import load_policy

    if not area_dir.is_dir():
        raise InputError(str(area_dir), None, None, "not a directory (an area is a folder)")
    loaded = load_area(area_dir)
    try:
        policy = load_policy(loaded.policy_overrides)
    except PolicyError as e:
        raise InputError("policy.toml", None, None, str(e)) from None
    return loaded.area, policy


def _scope(args: argparse.Namespace) -> Any:
    return "from_scratch" if getattr(args, "from_scratch", False) else "moving"


def _allocate(
    area: Area, policy: Policy, mechanism: str, seed: int, scope: Any = "moving"
) -> Allocation:
    from placement.problem import build_problem
    from placement.solve import allocate

    with step(f"building suitable pairs for {len(area.children):,} children"):
        p = build_problem(area, policy, scope=scope)
    moving = int(p.c_moving.sum())
    if scope == "from_scratch":
        out.print(
            "[yellow]as if from scratch[/yellow]: every child is placed afresh, including "
            f"{p.num_children - moving:,} who would stay (a planner's study, not a placement run)"
        )
    else:
        out.print(
            escape(
                f"{moving:,} children moving this round are placed; "
                f"{p.num_children - moving:,} stay where their plans name"
            )
        )
    with step(f"allocating ({mechanism})"):
        return allocate(p, mechanism, seed=seed)  # type: ignore[arg-type]


def _check(area: Area, policy: Policy, alloc: Allocation) -> bool:
    from placement.validate import validate_allocation

    mapping = alloc.mapping()
    report = validate_allocation(
        area,
        policy,
        mapping,
        claimed_metrics=alloc.metrics.as_dict(),
        from_scratch=alloc.scope == "from_scratch",
    )
    for f in report.findings[:20]:
        err.print(f"[red]validation:[/red] {f.code}: {escape(f.message)}")
    return report.ok


def _summary(allocs: Sequence[Allocation], area: Area) -> Table:
    t = Table(title="Area allocation", show_lines=False)
    # journeys are the straight-line road estimate unless a router's matrix gives them
    est = " (router and estimate)" if area.travel else " (estimate)"
    t.add_column("metric")
    for a in allocs:
        t.add_column(a.mechanism, justify="right")
    rows: list[tuple[str, Callable[[Allocation], str]]] = [
        (
            "children placed in this run",
            lambda a: (
                f"{a.metrics.children:,}"
                + (" (as if from scratch)" if a.scope == "from_scratch" else "")
            ),
        ),
        ("staying where their plans name", lambda a: f"{a.metrics.staying:,}"),
        ("placed", lambda a: f"{a.metrics.placed:,} ({a.metrics.placed_pct:.1f}%)"),
        ("first preference", lambda a: f"{a.metrics.first_preference_pct:.1f}%"),
        ("any preference", lambda a: f"{a.metrics.any_preference_pct:.1f}%"),
        ("s.38 request named", lambda a: f"{a.metrics.request_honoured_pct:.1f}%"),
        ("mean journey" + est, lambda a: f"{a.metrics.mean_journey_min:.1f} min"),
        ("95th pct journey" + est, lambda a: f"{a.metrics.p95_journey_min:.0f} min"),
        ("annual public cost", lambda a: f"£{a.metrics.total_cost_gbp / 1e6:,.1f}m"),
        (
            "  high-needs block",
            lambda a: f"£{a.metrics.cost_by_payer_gbp['high_needs_block'] / 1e6:,.1f}m",
        ),
        ("  schools", lambda a: f"£{a.metrics.cost_by_payer_gbp['schools'] / 1e6:,.1f}m"),
        ("  transport", lambda a: f"£{a.metrics.cost_by_payer_gbp['transport'] / 1e6:,.1f}m"),
        ("mainstream", lambda a: f"{a.metrics.mainstream_pct:.1f}%"),
        ("independent", lambda a: f"{a.metrics.independent_pct:.1f}%"),
        ("justified envy", lambda a: f"{a.metrics.justified_envy:,}"),
        ("unplaced", lambda a: f"{len(a.unplaced):,}"),
    ]
    for name, fn in rows:
        t.add_row(name, *(fn(a) for a in allocs))
    return t


def _unmet(a: Allocation) -> str:
    by_need = ", ".join(f"{k} {v}" for k, v in sorted(a.metrics.unmet_by_need.items()))
    by_phase = ", ".join(f"{k} {v}" for k, v in a.metrics.unmet_by_phase.items())
    return f"{a.mechanism}: unplaced by need: {by_need or 'none'}; by phase: {by_phase or 'none'}"


# -- commands ----------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    import errno

    from placement.files.area_writer import check_area_folder, write_area
    from placement.files.outputs import check_folder
    from placement.generate import generate_area
    from placement.register import resolve_la

    resolve_la(args.like)  # an unknown LA, and the output folder, are refused before any work
    try:
        check_area_folder(args.out, overwrite=args.force)
    except FileExistsError as e:
        if e.errno == errno.ENOTEMPTY:
            raise UsageError(
                f"{args.out}: the folder is not empty; pass --force to replace the area in it "
                "(or choose another --out)"
            ) from None
        raise
    check_folder(args.out)
    with step(f"generating an area like {args.like}"):
        area = generate_area(
            args.like, seed=args.seed, cohort=args.cohort, scale=args.scale, schools=args.schools
        )
    write_area(area, args.out, overwrite=args.force)
    out.print(
        escape(
            f"wrote {len(area.children):,} children and {len(area.settings):,} settings "
            f"to {args.out}/"
        )
    )
    for note in area.notes:
        out.print(escape(f"  note: {note}"))
    return EXIT_OK


def cmd_allocate(args: argparse.Namespace) -> int:
    from placement.files.outputs import check_folder, write_allocation

    area, policy = _load(args.area)
    check_folder(args.out)
    alloc = _allocate(area, policy, args.mechanism, args.seed, _scope(args))
    if not _check(area, policy, alloc):
        err.print("[red]error:[/red] the allocation failed validation; nothing written")
        return EXIT_FAILED
    paths = write_allocation(alloc, args.out)
    out.print(_summary([alloc], area))
    out.print(_unmet(alloc))
    out.print(_wrote(paths))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from placement.problem import build_problem
    from placement.validate import validate_allocation

    area, policy = _load(args.area)
    p = build_problem(area, policy, scope=_scope(args))
    starts = p.pairs.start
    none = (starts[1:] == starts[:-1]) & p.c_moving  # a staying child has no pairs to have
    moving = int(p.c_moving.sum())
    who = (
        f"all {moving:,} placed as if from scratch"
        if args.from_scratch
        else f"{moving:,} move this round ({p.num_children - moving:,} stay where plans name)"
    )
    hint = " (list them with --list, or --list-csv FILE)" if none.any() and not args.list else ""
    out.print(
        escape(
            f"area {area.name}: {p.num_children:,} children, {p.num_settings:,} settings, "
            f"{len(p.pairs):,} suitable pairs; {who}, and {int(none.sum()):,} of them have no "
            f"suitable setting{hint}"
        )
    )
    if args.list or args.list_csv:
        rows = _no_suitable_setting(p, none)
        if args.list:
            for r in rows:
                line = (
                    f"  {r['child_id']} ({r['primary_need']} band {r['need_band']}, "
                    f"Year {r['nc_year']}): {r['main_reason']}"
                )
                if r["nearest_setting_id"]:
                    line += (
                        f"; nearest: {r['nearest_setting']} [{r['nearest_setting_id']}]: "
                        f"{r['nearest_reasons']}"
                    )
                out.print(escape(line))
        if args.list_csv:
            from placement.files.outputs import write_files

            write_files([(args.list_csv, _csv_text(rows, NO_SUITABLE_COLUMNS))])
            out.print(_wrote([args.list_csv]))
    if args.allocation is None:
        return EXIT_OK
    from placement.files.outputs import read_allocation

    mapping, metrics = read_allocation(args.allocation)
    scratch = args.from_scratch or (metrics or {}).get("scope") == "from_scratch"
    report = validate_allocation(
        area, policy, mapping, claimed_metrics=metrics, from_scratch=scratch
    )
    for f in report.findings:
        out.print(f"[red]{f.code}[/red]: {escape(f.message)}")
    out.print(json.dumps(dict(report.metrics)))
    if report.ok:
        out.print(f"[green]valid[/green]: {escape(str(args.allocation))}")
        return EXIT_OK
    out.print(f"[red]invalid[/red]: {len(report.findings)} findings")
    return EXIT_FAILED


NO_SUITABLE_COLUMNS = (
    "child_id",
    "primary_need",
    "need_band",
    "nc_year",
    "main_reason",
    "settings_for_age",
    "ruled_out_by_main_reason",
    "nearest_setting_id",
    "nearest_setting",
    "nearest_reasons",
)


def _no_suitable_setting(p: Any, none: Any) -> list[dict[str, Any]]:
    """Each child ``none`` marks (no suitable setting), with its main reason: the rule that
    rules out most of the settings that take the child's age (or that none does), and the
    nearest miss, the setting that fails fewest rules (then the shortest journey), with every
    rule it fails."""
    import numpy as np

    from placement.reasons import ReasonCode
    from placement.rules import RULES, why_unsuitable
    from placement.rules.journey import journey_minutes
    from placement.wording import render

    names = {x.setting_id: x.name for x in p.settings}
    age = next(n for n, r in enumerate(RULES) if r.CODE is ReasonCode.AGE_OUT_OF_RANGE)
    si = np.arange(p.num_settings, dtype=np.int64)[None, :]
    rows = []
    for i in np.flatnonzero(none).tolist():
        ci = np.array([[i]], np.int64)
        minutes = journey_minutes(p, ci, si)
        fails = np.stack([~rule.passes(p, ci, si, minutes)[0] for rule in RULES])
        for_age = np.flatnonzero(~fails[age])
        c = p.children[i]
        row: dict[str, Any] = {
            "child_id": c.child_id,
            "primary_need": c.primary_need.value,
            "need_band": c.need_band,
            "nc_year": int(p.c_year[i]),
            "settings_for_age": int(for_age.shape[0]),
            "nearest_setting_id": "",
            "nearest_setting": "",
            "nearest_reasons": "",
        }
        if for_age.shape[0] == 0:
            row["main_reason"] = f"{RULES[age].CODE.value}: no setting in the area takes its age"
            row["ruled_out_by_main_reason"] = p.num_settings
        else:
            per_rule = fails[:, for_age].sum(axis=1)
            k = int(np.argmax(per_rule))
            row["main_reason"] = (
                f"{RULES[k].CODE.value} at {int(per_rule[k])} of the {for_age.shape[0]} "
                "settings that take its age"
            )
            row["ruled_out_by_main_reason"] = int(per_rule[k])
            n_fail = fails[:, for_age].sum(axis=0)
            best = min(
                range(for_age.shape[0]), key=lambda j: (int(n_fail[j]), int(minutes[0, for_age[j]]))
            )
            s = int(for_age[best])
            row["nearest_setting_id"] = p.settings[s].setting_id
            row["nearest_setting"] = p.settings[s].name
            row["nearest_reasons"] = "; ".join(
                render(r, "officer", names) for r in why_unsuitable(p, i, s)
            )
        rows.append(row)
    return rows


def _csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    import csv
    import io

    from placement.cells import spreadsheet_safe

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([spreadsheet_safe(r[c]) for c in columns])
    return buf.getvalue()


def cmd_demo(args: argparse.Namespace) -> int:
    from placement.files.area_writer import write_area
    from placement.files.outputs import check_folder, write_allocation, write_atomic
    from placement.generate import generate_area

    folder: Path = args.out
    check_folder(folder)
    with step(f"generating a synthetic area like {args.like} (seed {args.seed})"):
        area = generate_area(args.like, seed=args.seed, scale=args.scale)
    write_area(area, folder / "area", overwrite=True)
    from placement.files.policy_files import load_policy

    policy = load_policy()
    allocs = []
    for mech in ("optimised", "preference-first"):
        a = _allocate(area, policy, mech, args.seed)
        if not _check(area, policy, a):
            err.print(f"[red]error:[/red] the {mech} allocation failed validation")
            return EXIT_FAILED
        write_allocation(a, folder)
        allocs.append(a)
    out.print(_summary(allocs, area))
    for a in allocs:
        out.print(_unmet(a))
    summary: dict[str, Any] = {a.mechanism: a.metrics.as_dict() for a in allocs}
    write_atomic(folder / "summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n")
    out.print(
        escape(
            f"\nBoth allocations passed the independent validator. The area is in "
            f"{folder}/area/, the results in {folder}/ (optimised.*, preference-first.*, "
            "summary.json).\nEvery placement is advisory until a placement officer confirms it."
        )
    )
    return EXIT_OK


def _run_for_lists(
    area: Area, policy: Policy, mechanism: str, seed: int, scope: Any = "moving"
) -> tuple[Any, Any, Any]:
    """Problem, area run and (optimised) solver state for the list and explain commands."""
    from placement.problem import build_problem
    from placement.solve.optimised import finish_optimised, run_optimised
    from placement.solve.preference_first import solve_preference_first
    from placement.tailored import area_run

    with step(f"building suitable pairs for {len(area.children):,} children"):
        p = build_problem(area, policy, scope=scope)
    with step(f"area run ({mechanism})"):
        if mechanism == "optimised":
            state = run_optimised(p)
            alloc = finish_optimised(state, seed=seed)
        else:
            state = None
            alloc = solve_preference_first(p, seed=seed)
    return p, area_run(p, alloc), state


def _child_index(p: Any, child_id: str) -> int:
    from placement.area import suggest

    if child_id not in p.child_index:
        raise UsageError(
            f"--child {child_id!r}: not in this area{suggest(child_id, list(p.child_index))}"
        )
    return int(p.child_index[child_id])


def cmd_list(args: argparse.Namespace) -> int:
    from placement.tailored import tailored_list
    from placement.wording import list_as_dict, render_list_text

    area, policy = _load(args.area)
    p, run, _ = _run_for_lists(area, policy, args.mechanism, args.seed, _scope(args))
    _child_index(p, args.child)
    tl = tailored_list(p, args.child, run=run)
    if args.format == "json":
        sys.stdout.write(json.dumps(list_as_dict(tl, args.audience), indent=1) + "\n")
    else:
        sys.stdout.write(render_list_text(tl, args.audience) + "\n")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from placement.area import suggest
    from placement.tailored import tailored_list
    from placement.whatif import what_if
    from placement.wording import render

    area, policy = _load(args.area)
    p, run, state = _run_for_lists(area, policy, args.mechanism, args.seed, _scope(args))
    _child_index(p, args.child)
    if args.setting not in p.setting_index:
        hint = suggest(args.setting, list(p.setting_index))
        raise UsageError(f"--setting {args.setting!r}: not in this area{hint}")
    tl = tailored_list(p, args.child, run=run)
    aud = args.audience
    names = {s.setting_id: s.name for s in p.settings}
    name = names[args.setting]
    opt = [o for o in tl.options if o.setting_id == args.setting]
    lo = [x for x in tl.left_off if x.setting_id == args.setting]
    req = [r for r in tl.requests if r.setting_id == args.setting]
    lines = [f"{name} [{args.setting}] for {args.child}"]
    if opt:
        o = opt[0]
        lines.append(f"On the list (chance: {o.chance}). Why:")
        lines += [f"  - {render(r, aud, names)}" for r in o.reasons]
    else:
        lines.append("Not on the list. Why not:")
        if lo:
            lines += [f"  - {render(r, aud, names)}" for r in lo[0].reasons]
        else:
            code = "a setting for another age group"
            lines.append(f"  - {code}")
    for r in req:
        lines.append(f"The family asked for it (choice {r.rank}): {r.outcome.replace('_', ' ')}.")
        for t in r.tests:
            ev = "; ".join(render(x, aud, names) for x in t.reasons)
            label = t.ground.value if aud == "officer" else t.name.replace("_", " ")
            lines.append(f"  {label}: {t.outcome.replace('_', ' ')}{': ' + ev if ev else ''}")
    if state is not None and aud == "family":
        # a family sees only its own child: whether a place could be planned, never who else
        # would move or the area's totals
        w = what_if(state, args.child, args.setting)
        if w.possible:
            lines.append("A place could be planned for your child here if the council decides so.")
        else:
            lines.append("A place cannot be planned for your child here:")
            lines += [f"  - {render(r, aud, names)}" for r in w.reasons]
    elif state is not None:
        w = what_if(state, args.child, args.setting)
        lines.append("What if the child were placed here:")
        if not w.possible:
            lines += [f"  not possible: {render(r, aud, names)}" for r in w.reasons]
        elif not w.moves and w.change and not any(w.change.values()):
            lines.append("  this is the area run's placement: nothing changes")
        else:
            ch = w.change
            lines.append(
                f"  placed {ch['placed']:+d}, requests named {ch['requests_named']:+d}, "
                f"mainstream kept {ch['mainstream_presumption_kept']:+d}, "
                f"preferences met {ch['preferences_met']:+d}, cost £{ch['cost_gbp']:+,}/yr, "
                f"travel {ch['travel_min']:+d} min"
            )
            for m in w.moves:
                was, now = m.from_setting or "unplaced", m.to_setting or "unplaced"
                lines.append(f"  {m.child_id}: {was} -> {now}")
    lines.append(tl.advisory)
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


# -- planners: scenarios, dashboard, national sweep (placement.scenarios) ----------------


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
    from placement.scenarios.report import report_csvs, report_html, report_json
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
    out.print(_wrote(paths))
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
    from placement.scenarios.report import LABELS, _nested_metrics

    nested = _nested_metrics(r)
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
    from placement.scenarios.dashboard import dashboard_data, dashboard_html, dashboard_json
    from placement.scenarios.run import load_base, policies, run_side

    path: Path = args.source
    if path.is_dir():
        for flag, given in (("--scale", args.scale is not None), ("--baseline", args.baseline)):
            if given:
                raise UsageError(f"{flag} applies only to a scenario file, not an area folder")
        area, policy = _load(path)
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
    out.print(_wrote(paths))
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
    out.print(_wrote(paths))
    return EXIT_FAILED if failed and len(failed) == len(res.las) else EXIT_OK


def _add_planner_commands(sub: Any) -> None:
    sc = sub.add_parser("scenario", help="capacity scenarios for planners")
    ssub = sc.add_subparsers(dest="scenario_command", metavar="SUBCOMMAND", required=True)
    r = ssub.add_parser("run", help="run the baseline and a scenario, and report the differences")
    r.add_argument("file", type=Path, help="scenario file (.toml), e.g. scenarios/*.toml")
    r.add_argument("--out", type=Path, help="folder for the report (default: scenario-output/NAME)")
    r.add_argument(
        "--scale", type=_scale, help="override base.scale (generated areas; default: the file's)"
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
    d.add_argument("--seed", type=_seed, help="lottery seed (default: the scenario's, or 0)")
    d.add_argument(
        "--scale", type=_scale, help="override base.scale (generated areas; default: the file's)"
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
    w.add_argument("--scale", type=_scale, help="override base.scale (default: the file's)")
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


def _import_target(folder: Path, names: Sequence[str], force: bool) -> None:
    """Refuse, before any work, to replace an area's files without --force."""
    from placement.files.outputs import check_folder

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a folder")
    there = [n for n in names if (folder / n).exists()]
    if there and not force:
        raise UsageError(
            f"{folder}: already has {', '.join(there)}; pass --force to replace "
            f"{'it' if len(there) == 1 else 'them'} (or choose another --out)"
        )
    check_folder(folder)


def _empty_capacity(text: str) -> Any:
    from placement.files.gias import CapacityRules

    try:
        return CapacityRules.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _places(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= v <= 100_000:
        raise argparse.ArgumentTypeError(f"{v} must be 0 to 100000")
    return v


def _year(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year") from None
    if not 2000 <= v <= 2100:
        raise argparse.ArgumentTypeError(f"{v} must be 2000 to 2100")
    return v


def cmd_import_gias(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from placement.files.area_format import CHILD_FILE, SETTING_FILE
    from placement.files.area_writer import children_csv_text, settings_csv_text
    from placement.files.gias import import_gias
    from placement.files.imports import GIAS_REPORT, capacity_summary, gias_report_text
    from placement.files.outputs import write_files

    folder: Path = args.out
    names = [SETTING_FILE, GIAS_REPORT] + ([CHILD_FILE] if args.children else [])
    _import_target(folder, names, args.force)
    if args.children:
        from placement.register import resolve_la

        resolve_la(args.la)  # an LA the generator does not know is refused before any work
    rules = replace(args.empty_capacity, fe_places=args.fe_places)
    with step(f"reading {args.file.name}"):
        result = import_gias(args.file, la_code=args.la, capacity=rules)
    if not result.settings:
        raise InputError(args.file.name, None, None, "no open setting a plan can name")
    if not any(s.in_area for s in result.settings):
        las = sorted({s.la_code for s in result.settings if s.la_code})
        raise InputError(
            args.file.name,
            None,
            "LA (code)",
            f"no open setting in LA {args.la}: the file's settings are in "
            + ", ".join(las[:10])
            + (f" and {len(las) - 10} more" if len(las) > 10 else "")
            + " (--la takes the GIAS LA code, e.g. 383 for Leeds)",
        )
    files = [(folder / SETTING_FILE, settings_csv_text(result.settings))]
    child_counts: dict[str, object] | None = None
    child_notes: tuple[str, ...] = ()
    if args.children:
        from placement.area import Area
        from placement.files.rehome import rehome_children
        from placement.generate import generate_area

        with step(f"generating synthetic children like LA {args.la} (seed {args.seed})"):
            synthetic = generate_area(args.la, seed=args.seed, scale=args.scale)
        moved = rehome_children(synthetic.children, synthetic.settings, result.settings)
        Area(folder.name or "area", moved.children, result.settings)  # every reference resolves
        with_setting = sum(c.current_setting_id is not None for c in moved.children)
        child_counts = {
            "children": f"{len(moved.children):,}",
            "with a current setting": f"{with_setting:,}",
            "seed": args.seed,
            "scale": f"{args.scale:g}",
        }
        child_notes = (*synthetic.notes, *moved.notes)
        files.append((folder / CHILD_FILE, children_csv_text(moved.children)))
    report = gias_report_text(
        result,
        source=args.file.name,
        la_code=args.la,
        rules=rules,
        children=child_counts,
        children_notes=child_notes,
    )
    files.append((folder / GIAS_REPORT, report))
    write_files(files)
    cap = capacity_summary(result.settings)
    out.print(
        escape(
            f"wrote {len(result.settings):,} settings ({cap['places']:,} places, "
            f"{cap['free']:,} free) to {folder / SETTING_FILE}; {len(result.assumptions):,} "
            f"assumptions and {len(result.skipped):,} left out in {folder / GIAS_REPORT}"
        )
    )
    if child_counts is not None:
        out.print(
            escape(f"wrote {child_counts['children']} synthetic children to {folder / CHILD_FILE}")
        )
    return EXIT_OK


def cmd_import_sen2(args: argparse.Namespace) -> int:
    import datetime as dt

    from placement.files.area_format import CHILD_FILE, SETTING_FILE
    from placement.files.area_writer import children_csv_text
    from placement.files.imports import (
        SEN2_REPORT,
        academic_year_of,
        read_setting_kinds,
        sen2_report_text,
    )
    from placement.files.outputs import write_files
    from placement.files.policy_files import load_policy
    from placement.files.postcodes import read_lsoa_centroids, read_postcodes
    from placement.files.sen2 import Sen2Options, import_sen2, mapping_csv_text
    from placement.files.sen2_return import read_modules

    folder: Path = args.out
    _import_target(folder, [CHILD_FILE, SEN2_REPORT], args.force)
    if args.mapping is not None:
        m = args.mapping.resolve()
        if m.parent == folder.resolve() or folder.resolve() in m.parents:
            raise UsageError(
                f"{args.mapping}: the mapping re-identifies the children; write it outside the "
                f"area folder {folder}"
            )
        if m.exists() and not args.force:
            raise UsageError(f"{args.mapping}: already exists; pass --force to replace it")
    census = None
    if args.census_date is not None:
        try:
            census = dt.date.fromisoformat(args.census_date)
        except ValueError:
            raise UsageError(f"--census-date {args.census_date!r}: write YYYY-MM-DD") from None
    settings_path: Path | None = args.settings
    if settings_path is None and (folder / SETTING_FILE).is_file():
        settings_path = folder / SETTING_FILE
    kinds = read_setting_kinds(settings_path) if settings_path is not None else None
    year = args.academic_year or academic_year_of(folder, load_policy().academic_year_start)
    band = None if args.need_band == "by-setting" else int(args.need_band)
    options = Sen2Options(
        academic_year_start=year, census_date=census, settings=kinds, need_band=band
    )
    with step(f"reading the SEN2 return {args.path.name}"):
        modules = read_modules(args.path)
    wanted = {
        "".join(r["postcode"].split()).upper() for r in modules["person"].rows if r["postcode"]
    }
    centroids = read_lsoa_centroids(args.lsoa_centroids) if args.lsoa_centroids else None
    with step(f"looking up {len(wanted):,} postcodes in {args.postcodes.name}"):
        book = read_postcodes(args.postcodes, wanted, centroids)
    result = import_sen2(modules, book, options)
    report = sen2_report_text(
        result,
        source=args.path.name,
        postcodes=args.postcodes.name,
        options=options,
        settings_file=settings_path.name if settings_path is not None else None,
        mapping_written=args.mapping is not None,
    )
    files = [
        (folder / CHILD_FILE, children_csv_text(result.children)),
        (folder / SEN2_REPORT, report),
    ]
    if args.mapping is not None:
        files.append((args.mapping, mapping_csv_text(result.mapping)))
    write_files(files)
    out.print(
        escape(
            f"wrote {len(result.children):,} children (of {result.counts.get('persons', 0):,} "
            f"persons) to {folder / CHILD_FILE}; {len(result.unused):,} records not used, "
            f"listed in {folder / SEN2_REPORT}"
            + (f"; the pseudonym mapping to {args.mapping}" if args.mapping else "")
        )
    )
    return EXIT_OK


def _add_import_commands(sub: Any) -> None:
    im = sub.add_parser("import", help="build an area folder from GIAS and SEN2 files")
    isub = im.add_subparsers(dest="import_command", metavar="SOURCE", required=True)
    g = isub.add_parser(
        "gias",
        help="settings.csv (and gias-report.txt) from a GIAS establishment download",
        description="Write an area's settings.csv from a GIAS 'all establishment data' CSV, "
        "with gias-report.txt listing every assumption (per URN) and every row left out.",
    )
    g.add_argument("file", type=Path, help="GIAS edubasealldata CSV (UTF-8 or Windows-1252)")
    g.add_argument("--la", required=True, help="the area's GIAS LA (code), e.g. 383 for Leeds")
    g.add_argument("--out", type=Path, required=True, help="area folder to write into")
    g.add_argument(
        "--empty-capacity",
        type=_empty_capacity,
        default="roll-plus-10%",
        metavar="RULE",
        help="a setting whose SchoolCapacity (or unit capacity) is empty: 'roll' (capacity = "
        "pupils on roll, so it is full), 'roll-plus-N%%' (N%% more places than pupils) or "
        "'skip' (left out); each use is reported (default: roll-plus-10%%)",
    )
    g.add_argument(
        "--fe-places",
        type=_places,
        default=150,
        metavar="N",
        help="free places for students with plans assumed at an FE college whose "
        "SchoolCapacity is empty (GIAS records none for FE): capacity = roll + N",
    )
    g.add_argument(
        "--children",
        action="store_true",
        help="also write children.csv: synthetic children calibrated to the LA "
        "(placement generate --like LA), their settings moved to the real ones nearest",
    )
    g.add_argument("--seed", type=_seed, default=1, help="random seed of the synthetic children")
    g.add_argument("--scale", type=_scale, default=1.0, help="multiply the LA's plan count")
    g.add_argument("--force", action="store_true", help="replace the files the import writes")
    g.set_defaults(func=cmd_import_gias)

    s = isub.add_parser(
        "sen2",
        help="children.csv (and sen2-report.txt) from an LA's SEN2 person-level return",
        description="Write an area's children.csv from a SEN2 return: a folder of COLLECT "
        "Blade CSV files (one per module) or the pre-submission Excel workbook. Child ids are "
        "pseudonyms; names, UPNs, ULNs, postcodes and dates of birth are not written.",
    )
    s.add_argument("path", type=Path, help="folder of Blade CSV files, or an .xlsx workbook")
    s.add_argument("--out", type=Path, required=True, help="area folder to write into")
    s.add_argument(
        "--postcodes",
        type=Path,
        required=True,
        metavar="FILE",
        help="the LA's postcode lookup: an ONS Postcode Directory CSV (pcds or pcd, oseast1m, "
        "osnrth1m, lsoa11); each child's home is its postcode's grid reference",
    )
    s.add_argument(
        "--lsoa-centroids",
        type=Path,
        metavar="FILE",
        help="LSOA centroids (code, x, y): the home of a child whose postcode has no grid "
        "reference in --postcodes is its LSOA's centroid",
    )
    s.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="write the pseudonym -> persontableid/UPN/ULN mapping to FILE, outside --out "
        "(default: not written anywhere)",
    )
    s.add_argument(
        "--settings",
        type=Path,
        metavar="FILE",
        help="the area's settings.csv: current settings not in it are dropped and reported "
        "(default: OUT/settings.csv if there)",
    )
    s.add_argument(
        "--academic-year",
        type=_year,
        metavar="YEAR",
        help="placements start this September; years are counted in it "
        "(default: OUT/policy.toml's, else models/)",
    )
    s.add_argument(
        "--census-date",
        metavar="YYYY-MM-DD",
        help="a placement leaving after this date is open (default: 16 January of the "
        "academic year's start)",
    )
    s.add_argument(
        "--need-band",
        choices=["by-setting", "1", "2", "3", "4", "5"],
        default="by-setting",
        help="SEN2 has no need band: by the current setting's kind (mainstream 2, unit or AP "
        "3, special 4, none 3), or one band for all",
    )
    s.add_argument(
        "--force", action="store_true", help="replace children.csv, the report and the mapping"
    )
    s.set_defaults(func=cmd_import_sen2)


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already gives it or there is
    none to give (a flag that is off, an option that is unset unless given)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        d = action.default
        if (
            "default" in text
            or d is None
            or d is False
            or d == argparse.SUPPRESS
            or (not action.option_strings and action.nargs not in ("?", "*"))
        ):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An argument parser whose help shows defaults, as do the sub-command parsers it makes
    (``add_subparsers`` makes parsers of the class that calls it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="placement",
        description="Tailored lists and area-wide placement matching for children with SEND.",
    )
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)

    d = sub.add_parser("demo", help="generate a realistic synthetic area and allocate it both ways")
    d.add_argument(
        "--like",
        default="South Gloucestershire",
        help="local authority to calibrate on (default: South Gloucestershire, a median-sized LA)",
    )
    d.add_argument("--scale", type=_scale, default=1.0, help="multiply its plan count")
    d.add_argument("--seed", type=_seed, default=1, help="random seed of the generator and runs")
    d.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="output folder (the area in OUT/area/, the results in OUT/)",
    )
    d.set_defaults(func=cmd_demo)

    g = sub.add_parser("generate", help="write a synthetic area calibrated to a real LA")
    g.add_argument("--like", required=True, help="LA name or code, e.g. Kent, E10000016, 886")
    g.add_argument("--seed", type=_seed, default=1, help="random seed of the generator")
    g.add_argument(
        "--cohort",
        choices=["caseload", "transfer"],
        default="caseload",
        help="the whole caseload, or only the phase-transfer year groups",
    )
    g.add_argument("--scale", type=_scale, default=1.0, help="multiply the LA's plan count")
    g.add_argument(
        "--schools",
        choices=["auto", "real", "synthetic"],
        default="auto",
        help="the LA's real schools (DfE 2024/25 census, what it lacks estimated and flagged), "
        "synthetic ones, or real where the LA's schools have points",
    )
    g.add_argument("--out", type=Path, required=True, help="area folder to write")
    g.add_argument("--force", action="store_true", help="replace an existing area folder")
    g.set_defaults(func=cmd_generate)

    a = sub.add_parser("allocate", help="allocate every child in an area")
    a.add_argument("area", type=Path, help="area folder (children.csv, settings.csv, ...)")
    a.add_argument(
        "--mechanism",
        choices=["optimised", "preference-first"],
        default="optimised",
        help="least-cost lawful allocation, or first available place in preference order",
    )
    a.add_argument("--seed", type=_seed, default=0, help="lottery seed (preference-first ties)")
    a.add_argument("--out", type=Path, required=True, help="folder for the results")
    a.add_argument(
        "--from-scratch",
        action="store_true",
        help="planner's study: place the whole caseload afresh, as if nobody had a place "
        "(default: only the children moving this round)",
    )
    a.set_defaults(func=cmd_allocate)

    v = sub.add_parser("validate", help="check an area, and optionally an allocation of it")
    v.add_argument("area", type=Path, help="area folder (children.csv, settings.csv, ...)")
    v.add_argument("--allocation", type=Path, help="allocation .json or .csv to check")
    v.add_argument(
        "--from-scratch",
        action="store_true",
        help="the allocation places the whole caseload afresh (read from a .json's scope)",
    )
    v.add_argument(
        "--list",
        action="store_true",
        help="list the children with no suitable setting: each one's main reason and nearest "
        "setting with the rules it fails",
    )
    v.add_argument(
        "--list-csv",
        type=Path,
        metavar="FILE",
        help="write the same list to a CSV file",
    )
    v.set_defaults(func=cmd_validate)

    for name, helptext, func in (
        ("list", "the tailored list for one child", cmd_list),
        ("explain", "why, why not and what if, for one child and one setting", cmd_explain),
    ):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("area", type=Path, help="area folder (children.csv, settings.csv, ...)")
        c.add_argument("--child", required=True, help="child id (children.csv), e.g. C001144")
        if name == "explain":
            c.add_argument("--setting", required=True, help="setting id (URN or UKPRN)")
        else:
            c.add_argument(
                "--format", choices=["text", "json"], default="text", help="output format"
            )
        c.add_argument(
            "--audience",
            choices=["family", "officer"],
            default="officer",
            help="plain words for the family, or codes, costs and evidence for the officer",
        )
        c.add_argument(
            "--from-scratch",
            action="store_true",
            help="read against a whole-caseload run as if from scratch (a planner's study)",
        )
        c.add_argument(
            "--mechanism",
            choices=["optimised", "preference-first"],
            default="optimised",
            help="the area run the list is read against",
        )
        c.add_argument("--seed", type=_seed, default=0, help="lottery seed of the area run")
        c.set_defaults(func=func)

    _add_planner_commands(sub)  # scenario run, dashboard, sweep
    _add_import_commands(sub)  # import gias, import sen2

    from placement.service.commands import add_commands  # serve, users, audit (the service)

    add_commands(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rc: int = args.func(args)
        return rc
    except (InputError, OutputError, DomainError, PolicyError, UsageError, FileExistsError) as e:
        err.print(f"[red]error:[/red] {escape(str(e))}")  # it quotes the user's own text
        return EXIT_INPUT
    except UnknownAreaError as e:  # unknown LA name in generate/demo
        err.print(f"[red]error:[/red] {escape(str(e))}")
        return EXIT_INPUT
    except SolverError as e:
        err.print(f"[red]error:[/red] the solver failed: {escape(str(e))}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
