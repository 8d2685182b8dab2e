"""Reading CSV files into rows that know where they are, and parsing their cells.

Every problem is an :class:`~placement.files.errors.InputError` naming the file, the line as a
text editor shows it (the header is line 1), the column, and what is wrong, with a "did you
mean" for near misses. Shared by the area files (:mod:`placement.files.area_reader`), the GIAS
and SEN2 imports and the allocations read back (:mod:`placement.files.outputs`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from placement.area import suggest
from placement.files.errors import InputError

__all__ = [
    "CsvRow",
    "CsvTable",
    "first_seen",
    "header_key",
    "parse_bool",
    "parse_enum",
    "parse_float",
    "parse_int",
    "read_csv",
    "required_int",
    "split_items",
]

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})

E = TypeVar("E", bound=StrEnum)


def header_key(name: str) -> str:
    """A column (or sheet) name as matched loosely: lower case, without spaces, underscores or
    hyphens (``PersonTableID``, ``person_table_id`` and ``persontableid`` are one)."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row of a CSV file: its cells by column name (spaces stripped), and where it is."""

    file: str
    line: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        """The cell's text with surrounding spaces removed; ``""`` if the column is absent."""
        return self.values.get(column, "")

    def fail(self, column: str | None, message: str) -> InputError:
        """An :class:`InputError` at this row (raise it)."""
        return InputError(self.file, self.line, column, message)

    def key(self, column: str) -> str:
        """The cell's text, which must not be empty (an id)."""
        text = self[column]
        if not text:
            raise self.fail(column, "is empty")
        return text


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A CSV file's header and data rows, each row with its first line number."""

    file: str
    header_line: int
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]
    encoding: str

    def has(self, column: str) -> bool:
        """Whether the header names ``column``."""
        return column in self.columns


def _decode(data: bytes, file: str, fallback_encoding: str | None) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as e:
        if fallback_encoding is not None:
            try:
                return data.decode(fallback_encoding), fallback_encoding
            except UnicodeDecodeError:
                pass
        line = data.count(b"\n", 0, e.start) + 1
        column = _column_at(data, e.start)
        raise InputError(
            file,
            line,
            column,
            f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8 "
            "(Excel: 'CSV UTF-8 (Comma delimited)')",
        ) from None


def _column_at(data: bytes, offset: int) -> str | None:
    """The header name of the CSV column that byte ``offset`` falls in (best effort)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    if line_start == 0:
        return None
    header_end = data.find(b"\n")
    header = data[:header_end].decode("utf-8-sig", errors="replace").strip("\r")
    names = next(csv.reader([header]), [])
    prefix = data[line_start:offset]
    quoted = False
    commas = 0
    for b in prefix:
        if b == 0x22:
            quoted = not quoted
        elif b == 0x2C and not quoted:
            commas += 1
    return names[commas].strip() if commas < len(names) else None


def read_csv(
    path: Path,
    *,
    known: Sequence[str] | None,
    required: Sequence[str] = (),
    lower_header: bool = True,
    fallback_encoding: str | None = None,
) -> CsvTable:
    """Read a CSV file with a header row into rows that know their line numbers.

    Parameters
    ----------
    path
        The file; its name is used in errors.
    known
        Every column name the file may have, or ``None`` to accept any (GIAS has ~140).
        An unknown name is an error with a "did you mean".
    required
        Columns the header must name.
    lower_header
        Compare header names case-insensitively (they are lower-cased).
    fallback_encoding
        Encoding to try when the bytes are not UTF-8 (GIAS downloads are Windows-1252);
        without one, non-UTF-8 bytes are an error.

    Raises
    ------
    InputError
        Missing or unreadable file, not UTF-8, not CSV, no header, unknown, duplicate or
        missing columns, or a row whose number of values differs from the header.
    """
    file = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(file, None, None, f"file not found in {path.parent}") from None
    except IsADirectoryError:
        raise InputError(file, None, None, "is a directory, not a file") from None
    except OSError as e:
        raise InputError(file, None, None, f"cannot read: {e.strerror}") from None
    text, encoding = _decode(data, file, fallback_encoding)
    lines = _lines(file, text)
    if not lines:
        expect = f": expected a header row naming {', '.join(required)}" if required else ""
        raise InputError(file, None, None, f"file is empty{expect}")
    header_line, header = lines[0]
    columns = tuple(h.strip().lower() if lower_header else h.strip() for h in header)
    _check_header(file, header_line, columns, known, required)
    rows = _rows(file, columns, lines[1:])
    return CsvTable(file, header_line, columns, rows, encoding)


def _lines(file: str, text: str) -> list[tuple[int, list[str]]]:
    """The CSV records of ``text`` that are not blank, each with its first line number."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[tuple[int, list[str]]] = []
    prev = 0
    try:
        for cells in reader:
            start = prev + 1
            prev = reader.line_num
            if "".join(cells).strip():  # not a blank line, nor a row of bare commas
                out.append((start, cells))
    except csv.Error as e:
        raise InputError(file, reader.line_num, None, f"not valid CSV: {e}") from None
    return out


def _rows(
    file: str, columns: tuple[str, ...], raw_rows: Sequence[tuple[int, list[str]]]
) -> tuple[CsvRow, ...]:
    """The data rows by column name; an error for a row of the wrong width or with a value
    in a column the header does not name."""
    named = [(c, i) for i, c in enumerate(columns) if c]
    unnamed = [i for i, c in enumerate(columns) if not c]
    width = len(columns)
    rows: list[CsvRow] = []
    for line, cells in raw_rows:
        if len(cells) != width:
            raise InputError(
                file,
                line,
                None,
                f"row has {len(cells)} values but the header has {width} columns "
                "(a comma inside a value needs quotes)",
            )
        for i in unnamed:
            if cells[i].strip():
                raise InputError(
                    file,
                    line,
                    None,
                    f"value {cells[i]!r} in column {i + 1}, which has no name in the header",
                )
        rows.append(CsvRow(file, line, {c: cells[i].strip() for c, i in named}))
    return tuple(rows)


def _check_header(
    file: str,
    line: int,
    columns: Sequence[str],
    known: Sequence[str] | None,
    required: Sequence[str],
) -> None:
    named = [c for c in columns if c]
    if known is not None and named and not any(c in known for c in named):
        raise InputError(
            file,
            line,
            None,
            f"line {line} is not a header: expected column names such as "
            f"{', '.join(required or known[:4])}",
        )
    seen: set[str] = set()
    for c in named:
        if c in seen:
            raise InputError(file, line, c, "column appears twice in the header")
        seen.add(c)
    if known is not None:
        for c in named:
            if c not in known:
                raise InputError(file, line, c, f"unknown column{suggest(c, list(known))}")
    for c in required:
        if c not in seen:
            raise InputError(file, line, c, f"required column is missing{suggest(c, named)}")


# --------------------------------------------------------------------------------------------
# Cell parsers
# --------------------------------------------------------------------------------------------


def parse_int(row: CsvRow, column: str, *, default: int | None = None) -> int | None:
    """A whole number (``"12"``, or ``"12.0"`` as spreadsheets write it); empty -> ``default``."""
    s = row[column]
    if not s:
        return default
    try:
        return int(s)
    except ValueError:
        pass
    try:
        f = float(s)
    except ValueError:
        f = math.nan
    if math.isfinite(f) and f.is_integer():
        return int(f)
    raise row.fail(column, f"{s!r} is not a whole number")


def required_int(row: CsvRow, column: str) -> int:
    """A whole number that must be given."""
    v = parse_int(row, column)
    if v is None:
        raise row.fail(column, "is empty: a whole number is required")
    return v


def parse_float(row: CsvRow, column: str) -> float | None:
    """A decimal number; empty -> ``None``."""
    s = row[column]
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        raise row.fail(column, f"{s!r} is not a number") from None


def parse_bool(row: CsvRow, column: str, default: bool) -> bool:
    """true/false, yes/no, y/n or 1/0 in any case; empty -> ``default``."""
    s = row[column].lower()
    if not s:
        return default
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise row.fail(column, f"{row[column]!r} is not true/false (or yes/no, y/n, 1/0)")


def parse_enum(
    row: CsvRow, column: str, value: str, cls: type[E], what: str, *, upper: bool = False
) -> E:
    """``value`` as a member of ``cls`` (case-insensitive), with a "did you mean" if unknown."""
    key = value.upper() if upper else value.lower()
    try:
        return cls(key)
    except ValueError:
        choices = [m.value for m in cls]
        raise row.fail(column, f"{value!r} is not {what}{suggest(key, choices)}") from None


def split_items(row: CsvRow, column: str) -> list[str]:
    """The ``;``-separated items of a cell, spaces stripped, empty items left out."""
    s = row[column]
    return [x.strip() for x in s.split(";") if x.strip()] if s else []


def first_seen(row: CsvRow, column: str, key: str, seen: dict[str, int]) -> None:
    """Record that ``key`` (an id in ``column``) is on this row; an error if it was seen on an
    earlier line."""
    if key in seen:
        raise row.fail(column, f"{key!r} appears twice (first on line {seen[key]})")
    seen[key] = row.line
