"""Importing real files: a GIAS extract, and a local authority's SEN2 return."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape

from placement.cli.common import (
    EXIT_OK,
    UsageError,
    out,
    scale_arg,
    seed_arg,
    step,
)
from placement.files.errors import InputError

__all__ = ["add_commands"]


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


def add_commands(sub: Any) -> None:
    """``import gias`` and ``import sen2``."""
    im = sub.add_parser("import", help="build an area folder from GIAS and SEN2 files")
    isub = im.add_subparsers(dest="import_command", metavar="SOURCE", required=True)
    _add_gias(isub)
    _add_sen2(isub)


def _add_gias(isub: Any) -> None:
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
    g.add_argument("--seed", type=seed_arg, default=1, help="random seed of the synthetic children")
    g.add_argument("--scale", type=scale_arg, default=1.0, help="multiply the LA's plan count")
    g.add_argument("--force", action="store_true", help="replace the files the import writes")
    g.set_defaults(func=cmd_import_gias)


def _add_sen2(isub: Any) -> None:
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
