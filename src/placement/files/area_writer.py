"""Write an area as an area folder (:mod:`placement.files.area_format`) that
:func:`placement.files.area_reader.load_area` reads back exactly."""

from __future__ import annotations

import csv
import errno
import io
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from placement.area import Area
from placement.domain import NEED_INDEX, Child, Feature, Need, Setting
from placement.files.area_format import (
    AREA_FILES,
    CHILD_COLUMNS,
    CHILD_FILE,
    POLICY_FILE,
    SETTING_COLUMNS,
    SETTING_FILE,
    TRAVEL_COLUMNS,
    TRAVEL_FILE,
)
from placement.files.errors import OutputError
from placement.files.outputs import make_folder
from placement.files.toml_writer import dumps_toml

__all__ = ["check_area_folder", "children_csv_text", "settings_csv_text", "write_area"]


def _num(v: float) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _bool_text(b: bool) -> str:
    return "true" if b else "false"


def _opt(v: object | None) -> str:
    return "" if v is None else str(v)


def _child_row(c: Child) -> list[str]:
    return [
        c.child_id,
        _opt(c.nc_year),
        c.date_of_birth.isoformat() if c.date_of_birth else "",
        _num(c.location.easting),
        _num(c.location.northing),
        c.primary_need.value,
        str(c.need_band),
        ";".join(n.value for n in sorted(c.secondary_needs, key=NEED_INDEX.__getitem__)),
        ";".join(f.value for f in Feature if f in c.required_features),
        _bool_text(c.transport_eligible),
        _opt(c.max_journey_min),
        c.sex.value,
        _bool_text(c.looked_after),
        c.current_setting_id or "",
        ";".join(sorted(c.excluded_setting_ids)),
        ";".join(sorted(c.sibling_setting_ids)),
        ";".join(p.setting_id for p in sorted(c.preferences, key=lambda p: p.rank)),
        _bool_text(c.new_plan),
        _bool_text(c.move_requested),
    ]


def _setting_row(s: Setting) -> list[str]:
    pools = []
    for n in Need:
        if n in s.pools:
            p = s.pools[n]
            pools.append(f"{n.value}:{p.places}/{p.roll}" if p.roll else f"{n.value}:{p.places}")
    return [
        s.setting_id,
        s.name,
        s.kind.value,
        _num(s.location.easting),
        _num(s.location.northing),
        str(s.low_age),
        str(s.high_age),
        str(s.capacity),
        str(s.roll),
        s.entry.value,
        ";".join(f"{n.value}:{s.designations[n]}" for n in Need if n in s.designations),
        ";".join(pools),
        ";".join(f.value for f in Feature if f in s.features),
        _bool_text(s.s41_approved),
        s.la_code,
        _bool_text(s.in_area),
        _opt(s.annual_fee_gbp),
        ";".join(sorted(s.estimated)),
    ]


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        fh.flush()
        os.fsync(fh.fileno())


def _setting_rows(settings: Iterable[Setting]) -> Iterable[list[str]]:
    return (_setting_row(s) for s in sorted(settings, key=lambda s: s.setting_id))


def _child_rows(children: Iterable[Child]) -> Iterable[list[str]]:
    return (_child_row(c) for c in sorted(children, key=lambda c: c.child_id))


def _csv_text(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def settings_csv_text(settings: Iterable[Setting]) -> str:
    """``settings.csv`` as :func:`write_area` writes it (rows sorted by id), as text."""
    return _csv_text(SETTING_COLUMNS, _setting_rows(settings))


def children_csv_text(children: Iterable[Child]) -> str:
    """``children.csv`` as :func:`write_area` writes it (rows sorted by id), as text."""
    return _csv_text(CHILD_COLUMNS, _child_rows(children))


def check_area_folder(directory: Path, *, overwrite: bool = False) -> None:
    """Whether :func:`write_area` may write an area to ``directory``, checked before the work
    that makes the area (nothing is created). Raises as :func:`write_area` does; a non-empty
    folder without ``overwrite`` is a :class:`FileExistsError` whose ``errno`` is
    ``ENOTEMPTY``, so a caller can name its own way to overwrite (the CLI's ``--force``)."""
    directory = Path(directory)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is not a directory", str(directory))
    try:
        present = sorted(p.name for p in directory.iterdir())
    except OSError as e:
        raise OutputError(directory, f"cannot read the folder ({e.strerror})") from None
    if present and not overwrite:
        raise FileExistsError(
            errno.ENOTEMPTY, "directory is not empty (pass overwrite=True)", str(directory)
        )
    foreign = [n for n in present if n not in AREA_FILES]
    if foreign:
        raise FileExistsError(
            errno.EEXIST,
            f"directory holds files other than area files ({', '.join(foreign[:5])}); "
            "refusing to replace it",
            str(directory),
        )


def write_area(
    area: Area,
    directory: Path,
    policy_overrides: Mapping[str, Any] | None = None,
    *,
    overwrite: bool = False,
) -> None:
    """Write ``area`` (and any policy overrides) as an area directory :func:`load_area` reads.

    Output is deterministic: rows sorted by id, columns in a fixed order, ``\\n`` line ends,
    coordinates written so they read back exactly. ``travel_minutes.csv`` is written only when
    the area has travel times, ``policy.toml`` only when there are overrides. The area's
    ``name``, ``la_code`` and ``notes`` are not stored (the name is the directory's).

    The files are written into a new sibling directory which is then renamed into place, so a
    failure leaves either the old directory or the new one, never a half-written mix.

    Parameters
    ----------
    overwrite
        Replace an existing non-empty directory. It may hold only area files
        (children.csv, settings.csv, travel_minutes.csv, policy.toml): anything else is
        refused, so overwriting never deletes a file this function did not write.

    Raises
    ------
    FileExistsError
        ``directory`` is a file, or is non-empty and ``overwrite`` is false, or holds files
        other than area files.
    OutputError
        ``directory`` or its parent cannot be created, read or written (a part of the path
        is a file, or a folder is read-only); nothing is changed.
    TypeError, ValueError
        ``policy_overrides`` cannot be written as TOML (nothing is written).
    """
    directory = Path(directory)
    check_area_folder(directory, overwrite=overwrite)
    toml_text = dumps_toml(policy_overrides) if policy_overrides else None
    parent = directory.resolve().parent
    make_folder(parent)
    tmp = parent / f".{directory.name}.tmp-{secrets.token_hex(6)}"
    try:
        tmp.mkdir()
    except OSError as e:
        raise OutputError(parent, f"cannot create a folder in it ({e.strerror})") from None
    try:
        _write_files(tmp, area, toml_text)
        _swap_into_place(tmp, directory.resolve())
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise OutputError(directory, e.strerror or str(e)) from None
        raise


def _write_files(folder: Path, area: Area, toml_text: str | None) -> None:
    """The area's files in ``folder``, each flushed to disk."""
    _write_csv(folder / SETTING_FILE, SETTING_COLUMNS, _setting_rows(area.settings))
    _write_csv(folder / CHILD_FILE, CHILD_COLUMNS, _child_rows(area.children))
    if area.travel:
        _write_csv(
            folder / TRAVEL_FILE,
            TRAVEL_COLUMNS,
            (
                [t.child_id, t.setting_id, str(t.minutes)]
                for t in sorted(area.travel, key=lambda t: (t.child_id, t.setting_id))
            ),
        )
    if toml_text is not None:
        with (folder / POLICY_FILE).open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(toml_text)
            fh.flush()
            os.fsync(fh.fileno())


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished ``tmp`` directory to ``target``, replacing what is there."""
    if not target.exists():
        tmp.rename(target)
        return
    if not any(target.iterdir()):
        target.rmdir()
        try:
            tmp.rename(target)
        except BaseException:
            target.mkdir(exist_ok=True)
            raise
        return
    old = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
    target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
