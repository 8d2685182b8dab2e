"""Write allocation results and read allocations back for validation.

Every file is written to a temporary name beside its target and renamed into place, so an
interrupted run leaves the previous file or the new one, never half of one. The files of one
result (:func:`write_files`) are all written before any is renamed, so a folder that cannot
take one of them is left as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from placement.cells import spreadsheet_safe
from placement.files.csv_reader import first_seen, read_csv
from placement.files.errors import InputError, OutputError
from placement.result import Allocation

__all__ = [
    "check_folder",
    "make_folder",
    "read_allocation",
    "write_allocation",
    "write_atomic",
    "write_files",
]


def _nearest_folder(folder: Path) -> Path | None:
    """The nearest part of ``folder``'s path that exists (``None`` if none does).

    Raises
    ------
    OutputError
        That part is a file, not a folder.
    """
    for p in (folder, *folder.parents):
        if p.exists():
            if not p.is_dir():
                raise OutputError(p, "is a file, not a folder")
            return p
    return None


def check_folder(folder: Path) -> None:
    """Fail early, before a long run, if results could not be written to ``folder``: a part
    of its path is a file, or the nearest existing part is not writable. Creates nothing.

    Raises
    ------
    OutputError
        As :func:`make_folder` would.
    """
    p = _nearest_folder(folder)
    if p is not None and not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(p, "the folder is not writable")


def make_folder(folder: Path) -> None:
    """Create ``folder`` and its parents if need be.

    Raises
    ------
    OutputError
        A part of the path is a file, or the folder cannot be created (read-only, ...).
    """
    _nearest_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(folder, f"cannot create the folder ({e.strerror})") from None


def write_files(files: Sequence[tuple[Path, str]]) -> None:
    """Write each ``(path, text)`` atomically, and all of them or none: every text goes to a
    temporary file beside its target first, and only then is each renamed into place.

    Raises
    ------
    OutputError
        A target is a folder, or its folder cannot be created or written (nothing is
        changed).
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for path, text in files:
            make_folder(path.parent)
            if path.is_dir():
                raise OutputError(path, "is a folder, not a file")
            try:
                fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
                temps.append((Path(name), path))
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
            except OSError as e:
                raise OutputError(path, e.strerror or str(e)) from None
        while temps:
            tmp, path = temps[0]
            try:
                os.replace(tmp, path)
            except OSError as e:
                raise OutputError(path, e.strerror or str(e)) from None
            temps.pop(0)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same directory, then rename).

    Raises
    ------
    OutputError
        As :func:`write_files`.
    """
    write_files([(path, text)])


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else spreadsheet_safe(r.get(k))) for k in columns})
    return buf.getvalue()


_ROW_COLUMNS = [
    "child_id",
    "scope",
    "status",
    "setting_id",
    "pool_need",
    "travel_min",
    "cost_high_needs_gbp",
    "cost_school_gbp",
    "cost_transport_gbp",
    "preference_rank",
    "reason",
]
_REFUSAL_COLUMNS = [
    "child_id",
    "setting_id",
    "rank",
    "route",
    "codes",
    "grounds",
    "named_instead",
    "s33",
]


def write_allocation(alloc: Allocation, directory: Path, *, stem: str | None = None) -> list[Path]:
    """Write ``<stem>.json`` (everything), ``<stem>.csv`` (one row per child) and
    ``<stem>-refusals.csv``, all or none (:func:`write_files`); ``stem`` defaults to the
    mechanism name. Returns the paths."""
    stem = stem or alloc.mechanism
    data = alloc.as_dict()
    out = [
        directory / f"{stem}.json",
        directory / f"{stem}.csv",
        directory / f"{stem}-refusals.csv",
    ]
    write_files(
        [
            (out[0], json.dumps(data, indent=1, sort_keys=True) + "\n"),
            (out[1], _csv(_child_rows(data, alloc.scope), _ROW_COLUMNS)),
            (out[2], _csv(_refusal_rows(data), _REFUSAL_COLUMNS)),
        ]
    )
    return out


def _child_rows(data: dict[str, Any], scope: str) -> list[dict[str, Any]]:
    """One row per child, placed, unplaced or staying, by child id."""
    rows: list[dict[str, Any]] = []
    for p in data["placements"]:
        rows.append({**p, "status": "placed"})
    for u in data["unplaced"]:
        rows.append({"child_id": u["child_id"], "status": "unplaced", "reason": u["code"]})
    for st in data["staying"]:
        rows.append({**st, "status": "staying", "reason": "staying"})
    for r in rows:
        r["scope"] = scope
    rows.sort(key=lambda r: str(r["child_id"]))
    return rows


def _refusal_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per refused preference, with where the child was placed instead."""
    placed = {p["child_id"]: p for p in data["placements"]}
    return [
        {
            "child_id": r["child_id"],
            "setting_id": r["setting_id"],
            "rank": r["rank"],
            "route": r["route"],
            "codes": ";".join(x["code"] for x in r["reasons"]),
            "grounds": ";".join(x["ground"] for x in r["reasons"]),
            "named_instead": placed.get(r["child_id"], {}).get("setting_id", ""),
            "s33": r.get("mainstream_presumption", {}).get("code", ""),
        }
        for r in data["refusals"]
    ]


def _read_text(path: Path) -> str:
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(name, None, None, "file not found") from None
    except IsADirectoryError:
        raise InputError(name, None, None, "is a directory, not a file") from None
    except OSError as e:
        raise InputError(name, None, None, f"cannot read: {e.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(name, line, None, f"not UTF-8 text (byte 0x{data[e.start]:02x})") from None


def _id(name: str, where: str, value: object) -> str:
    """An id from JSON: text, or a whole number (a URN written without quotes)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(name, None, where, f"{json.dumps(value)[:40]} is not an id")


def _read_json(name: str, text: str) -> tuple[dict[str, str | None], dict[str, Any] | None]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(name, e.lineno, None, f"not valid JSON: {e.msg}") from None
    except RecursionError:
        raise InputError(name, None, None, "not valid JSON: nested too deeply") from None
    except ValueError as e:  # a number with more digits than Python will convert
        raise InputError(name, None, None, f"not valid JSON: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("placements"), list):
        raise InputError(name, None, "placements", "expected an object with a placements list")
    unplaced = data.get("unplaced", [])
    if not isinstance(unplaced, list):
        raise InputError(name, None, "unplaced", "expected a list of unplaced children")
    mapping: dict[str, str | None] = {}
    first: dict[str, str] = {}
    for key, rows in (("placements", data["placements"]), ("unplaced", unplaced)):
        needs = ("child_id", "setting_id") if key == "placements" else ("child_id",)
        for k, p in enumerate(rows):
            _json_child(name, f"{key}[{k}]", p, needs, mapping, first)
    scope = data.get("scope", "moving")
    if scope not in ("moving", "from_scratch"):
        raise InputError(name, None, "scope", f"{scope!r} must be 'moving' or 'from_scratch'")
    staying = data.get("staying", [])
    if not isinstance(staying, list):
        raise InputError(name, None, "staying", "expected a list of staying children")
    for k, p in enumerate(staying):
        _json_child(name, f"staying[{k}]", p, ("child_id", "setting_id"), mapping, first)
    return mapping, _json_metrics(name, data.get("metrics"), scope)


def _json_child(
    name: str,
    where: str,
    p: object,
    needs: tuple[str, ...],
    mapping: dict[str, str | None],
    first: dict[str, str],
) -> None:
    """Record a child of the JSON (``where``: ``placements[3]``) and its setting, if
    ``needs`` names one; an error if it lacks what it needs or appeared before."""
    if not isinstance(p, dict) or not set(needs) <= p.keys():
        raise InputError(name, None, where, f"needs {' and '.join(needs)}")
    cid = _id(name, f"{where}.child_id", p["child_id"])
    if cid in first:
        raise InputError(name, None, where, f"child {cid!r} appears twice (first at {first[cid]})")
    first[cid] = where
    has_setting = "setting_id" in needs
    mapping[cid] = _id(name, f"{where}.setting_id", p["setting_id"]) if has_setting else None


def _json_metrics(name: str, metrics: object, scope: str) -> dict[str, Any]:
    """The allocation's metrics (if any) and its scope; an error for a number too large."""
    if not isinstance(metrics, dict):
        return {"scope": scope}
    for k, v in metrics.items():
        if isinstance(v, int) and not isinstance(v, bool):
            try:
                float(v)
            except OverflowError:
                raise InputError(name, None, f"metrics.{k}", "number too large") from None
    return {**metrics, "scope": scope}


def read_allocation(path: Path) -> tuple[dict[str, str | None], dict[str, Any] | None]:
    """Read an allocation written by :func:`write_allocation` (``.json`` or ``.csv``), or any
    CSV with ``child_id`` and ``setting_id`` columns. Returns (child -> setting, metrics);
    from JSON the metrics also carry the run's ``scope`` (``moving`` or ``from_scratch``).

    Raises
    ------
    InputError
        The file cannot be read, is not UTF-8, JSON or CSV, lacks the placements or the
        columns, or names a child twice (JSON problems name the item: ``placements[3]``).
    """
    if path.suffix.lower() == ".json":
        return _read_json(path.name, _read_text(path))
    table = read_csv(path, known=None, required=("child_id", "setting_id"))
    mapping: dict[str, str | None] = {}
    line_of: dict[str, int] = {}
    for row in table.rows:
        cid = row.key("child_id")
        first_seen(row, "child_id", cid, line_of)
        mapping[cid] = row["setting_id"] or None
    return mapping, None
