"""Write allocation results and read allocations back for validation.

Every file is written to a temporary name beside its target and renamed into place, so an
interrupted run leaves the previous file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from placement.cells import spreadsheet_safe
from placement.files.errors import InputError
from placement.result import Allocation

__all__ = ["read_allocation", "write_allocation", "write_atomic"]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else spreadsheet_safe(r.get(k))) for k in columns})
    return buf.getvalue()


def write_allocation(alloc: Allocation, directory: Path, *, stem: str | None = None) -> list[Path]:
    """Write ``<stem>.json`` (everything), ``<stem>.csv`` (one row per child) and
    ``<stem>-refusals.csv``; ``stem`` defaults to the mechanism name. Returns the paths."""
    stem = stem or alloc.mechanism
    data = alloc.as_dict()
    placed = {p["child_id"]: p for p in data["placements"]}
    rows: list[dict[str, Any]] = []
    for p in data["placements"]:
        rows.append({**p, "status": "placed"})
    for u in data["unplaced"]:
        rows.append({"child_id": u["child_id"], "status": "unplaced", "reason": u["code"]})
    rows.sort(key=lambda r: str(r["child_id"]))
    cols = [
        "child_id",
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
    refusal_rows = [
        {
            "child_id": r["child_id"],
            "setting_id": r["setting_id"],
            "rank": r["rank"],
            "route": r["route"],
            "codes": ";".join(x["code"] for x in r["reasons"]),
            "grounds": ";".join(x["ground"] for x in r["reasons"]),
            "named_instead": placed.get(r["child_id"], {}).get("setting_id", ""),
        }
        for r in data["refusals"]
    ]
    out = [
        directory / f"{stem}.json",
        directory / f"{stem}.csv",
        directory / f"{stem}-refusals.csv",
    ]
    write_atomic(out[0], json.dumps(data, indent=1, sort_keys=True) + "\n")
    write_atomic(out[1], _csv(rows, cols))
    write_atomic(
        out[2],
        _csv(
            refusal_rows,
            ["child_id", "setting_id", "rank", "route", "codes", "grounds", "named_instead"],
        ),
    )
    return out


def read_allocation(path: Path) -> tuple[dict[str, str | None], dict[str, Any] | None]:
    """Read an allocation written by :func:`write_allocation` (``.json`` or ``.csv``), or any
    CSV with ``child_id`` and ``setting_id`` columns. Returns (child -> setting, metrics)."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(name, None, None, "file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(name, None, None, f"not UTF-8 text (byte {e.start})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(name, e.lineno, None, f"not valid JSON: {e.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("placements"), list):
            raise InputError(name, None, "placements", "expected an object with a placements list")
        mapping: dict[str, str | None] = {}
        for k, p in enumerate(data["placements"]):
            if not isinstance(p, dict) or not {"child_id", "setting_id"} <= p.keys():
                raise InputError(name, None, f"placements[{k}]", "needs child_id and setting_id")
            mapping[str(p["child_id"])] = str(p["setting_id"])
        for u in data.get("unplaced", []):
            if isinstance(u, dict) and "child_id" in u:
                mapping[str(u["child_id"])] = None
        metrics = data.get("metrics")
        return mapping, metrics if isinstance(metrics, dict) else None
    reader = csv.DictReader(io.StringIO(text))
    cols = reader.fieldnames or []
    for need in ("child_id", "setting_id"):
        if need not in cols:
            raise InputError(name, 1, need, f"missing column (found: {', '.join(cols) or 'none'})")
    mapping = {}
    for line, row in enumerate(reader, start=2):
        cid = (row.get("child_id") or "").strip()
        if not cid:
            raise InputError(name, line, "child_id", "is empty")
        if cid in mapping:
            raise InputError(name, line, "child_id", f"{cid!r} appears twice")
        mapping[cid] = (row.get("setting_id") or "").strip() or None
    return mapping, None
