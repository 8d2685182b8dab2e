"""Home points for children: an LA's postcode lookup (ONS Postcode Directory columns) and
LSOA centroids, read a row at a time (the whole directory, 2.7 million rows, will do)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from placement.area import suggest
from placement.files.csv_reader import header_key
from placement.files.errors import InputError

__all__ = ["PostcodeBook", "postcode_key", "read_lsoa_centroids", "read_postcodes"]


def postcode_key(text: str) -> str:
    """A postcode as looked up: spaces removed, upper case."""
    return re.sub(r"\s+", "", text).upper()


@dataclass(frozen=True, slots=True)
class PostcodeBook:
    """Grid references by postcode (spaces removed, upper case), and LSOA centroids."""

    points: Mapping[str, tuple[float, float] | None]
    lsoa_of: Mapping[str, str]
    lsoa_points: Mapping[str, tuple[float, float]]
    file: str


def _stream(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a (possibly large) CSV file as dicts with normalised column names."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(path.name, None, None, f"file not found in {path.parent}") from None
    except OSError as e:
        raise InputError(path.name, None, None, f"cannot read: {e.strerror}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = [header_key(h) for h in next(reader, [])]
            yield 1, {"__header__": ",".join(header)}
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield reader.line_num, dict(zip(header, (c.strip() for c in cells), strict=False))
        except csv.Error as e:
            raise InputError(path.name, reader.line_num, None, f"not valid CSV: {e}") from None
        except UnicodeDecodeError:
            raise InputError(path.name, None, None, "not UTF-8 text") from None


def _coord(file: str, line: int, column: str, text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(file, line, column, f"{text!r} is not a number") from None


def read_postcodes(
    path: Path, wanted: set[str], lsoa_centroids: Mapping[str, tuple[float, float]] | None = None
) -> PostcodeBook:
    """The grid references of the ``wanted`` postcodes from an ONS Postcode Directory extract
    (columns ``pcds`` or ``pcd``, ``oseast1m``, ``osnrth1m``, and optionally ``lsoa11`` or
    ``lsoa21``). Read a row at a time, so the whole directory (2.7 million rows) will do.

    Raises
    ------
    InputError
        File not found or not CSV, a missing column, a grid reference that is not a number.
    """
    points: dict[str, tuple[float, float] | None] = {}
    lsoa_of: dict[str, str] = {}
    rows = _stream(Path(path))
    _, head = next(rows)
    header = head["__header__"].split(",")
    pc_col = "pcds" if "pcds" in header else "pcd" if "pcd" in header else None
    if pc_col is None:
        raise InputError(
            path.name, 1, "pcds", f"missing column 'pcds' (or 'pcd'){suggest('pcds', header)}"
        )
    for col in ("oseast1m", "osnrth1m"):
        if col not in header:
            raise InputError(path.name, 1, col, f"missing column {col!r}{suggest(col, header)}")
    lsoa_col = next((c for c in ("lsoa11", "lsoa21", "lsoa11cd", "lsoa21cd") if c in header), None)
    for line, r in rows:
        pc = postcode_key(r.get(pc_col, ""))
        if pc not in wanted:
            continue
        e = _coord(path.name, line, "oseast1m", r.get("oseast1m", ""))
        n = _coord(path.name, line, "osnrth1m", r.get("osnrth1m", ""))
        points[pc] = (e, n) if e and n else None  # ONSPD leaves unknown grid refs empty or 0
        if lsoa_col and r.get(lsoa_col):
            lsoa_of[pc] = r[lsoa_col]
    return PostcodeBook(points, lsoa_of, dict(lsoa_centroids or {}), path.name)


def read_lsoa_centroids(path: Path) -> dict[str, tuple[float, float]]:
    """LSOA population-weighted centroids: columns ``code`` (or ``lsoa11cd``), ``x`` and ``y``
    (or ``easting``/``northing``), British National Grid metres, as the ONS publishes them.

    Raises
    ------
    InputError
        File not found or not CSV, a missing column, a coordinate that is not a number.
    """
    rows = _stream(Path(path))
    _, head = next(rows)
    header = head["__header__"].split(",")
    code = next(
        (c for c in ("code", "lsoa11cd", "lsoa21cd", "lsoa11", "lsoa21") if c in header), None
    )
    x = next((c for c in ("x", "easting") if c in header), None)
    y = next((c for c in ("y", "northing") if c in header), None)
    for col, want in ((code, "code"), (x, "x"), (y, "y")):
        if col is None:
            raise InputError(path.name, 1, want, f"missing column {want!r}{suggest(want, header)}")
    assert code is not None
    assert x is not None
    assert y is not None
    out: dict[str, tuple[float, float]] = {}
    for line, r in rows:
        e = _coord(path.name, line, x, r.get(x, ""))
        n = _coord(path.name, line, y, r.get(y, ""))
        if r.get(code) and e and n:
            out[r[code]] = (e, n)
    return out
