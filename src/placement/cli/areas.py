"""The commands on one area: generate, allocate, validate, demo, and a child's list and
explanations."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from placement.area import Area
from placement.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    err,
    load_area_and_policy,
    out,
    scale_arg,
    scope_of,
    seed_arg,
    step,
    wrote,
)
from placement.policy import Policy
from placement.result import Allocation

__all__ = ["add_commands"]


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

    area, policy = load_area_and_policy(args.area)
    check_folder(args.out)
    alloc = _allocate(area, policy, args.mechanism, args.seed, scope_of(args))
    if not _check(area, policy, alloc):
        err.print("[red]error:[/red] the allocation failed validation; nothing written")
        return EXIT_FAILED
    paths = write_allocation(alloc, args.out)
    out.print(_summary([alloc], area))
    out.print(_unmet(alloc))
    out.print(wrote(paths))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from placement.problem import build_problem
    from placement.validate import validate_allocation

    area, policy = load_area_and_policy(args.area)
    p = build_problem(area, policy, scope=scope_of(args))
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
            out.print(wrote([args.list_csv]))
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

    area, policy = load_area_and_policy(args.area)
    p, run, _ = _run_for_lists(area, policy, args.mechanism, args.seed, scope_of(args))
    _child_index(p, args.child)
    tl = tailored_list(p, args.child, run=run)
    if args.format == "json":
        sys.stdout.write(json.dumps(list_as_dict(tl, args.audience), indent=1) + "\n")
    else:
        sys.stdout.write(render_list_text(tl, args.audience) + "\n")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from placement.area import suggest
    from placement.explain import explain_setting
    from placement.whatif import what_if
    from placement.wording import render

    area, policy = load_area_and_policy(args.area)
    p, run, state = _run_for_lists(area, policy, args.mechanism, args.seed, scope_of(args))
    _child_index(p, args.child)
    if args.setting not in p.setting_index:
        hint = suggest(args.setting, list(p.setting_index))
        raise UsageError(f"--setting {args.setting!r}: not in this area{hint}")
    exp = explain_setting(p, args.child, args.setting, run=run)
    aud = args.audience
    names = exp.names
    lines = exp.text_lines(aud)
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
    lines.append(exp.listed.advisory)
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def add_commands(sub: Any) -> None:
    """generate, allocate, validate, demo, list, explain."""
    _add_demo_and_generate(sub)
    _add_allocate_and_validate(sub)
    _add_list_and_explain(sub)


def _add_demo_and_generate(sub: Any) -> None:
    d = sub.add_parser("demo", help="generate a realistic synthetic area and allocate it both ways")
    d.add_argument(
        "--like",
        default="South Gloucestershire",
        help="local authority to calibrate on (default: South Gloucestershire, a median-sized LA)",
    )
    d.add_argument("--scale", type=scale_arg, default=1.0, help="multiply its plan count")
    d.add_argument("--seed", type=seed_arg, default=1, help="random seed of the generator and runs")
    d.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="output folder (the area in OUT/area/, the results in OUT/)",
    )
    d.set_defaults(func=cmd_demo)

    g = sub.add_parser("generate", help="write a synthetic area calibrated to a real LA")
    g.add_argument("--like", required=True, help="LA name or code, e.g. Kent, E10000016, 886")
    g.add_argument("--seed", type=seed_arg, default=1, help="random seed of the generator")
    g.add_argument(
        "--cohort",
        choices=["caseload", "transfer"],
        default="caseload",
        help="the whole caseload, or only the phase-transfer year groups",
    )
    g.add_argument("--scale", type=scale_arg, default=1.0, help="multiply the LA's plan count")
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


def _add_allocate_and_validate(sub: Any) -> None:
    a = sub.add_parser("allocate", help="allocate every child in an area")
    a.add_argument("area", type=Path, help="area folder (children.csv, settings.csv, ...)")
    a.add_argument(
        "--mechanism",
        choices=["optimised", "preference-first"],
        default="optimised",
        help="least-cost lawful allocation, or first available place in preference order",
    )
    a.add_argument("--seed", type=seed_arg, default=0, help="lottery seed (preference-first ties)")
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


def _add_list_and_explain(sub: Any) -> None:
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
        c.add_argument("--seed", type=seed_arg, default=0, help="lottery seed of the area run")
        c.set_defaults(func=func)
