"""Reading a scenario file's TOML with every problem located (:mod:`placement.scenarios.spec`):
the file's line of a table or key (:class:`Locator`), typed getters that fail with an
:class:`~placement.files.errors.InputError` naming the file, line and dotted key, with a "did
you mean" (:class:`Table`), and the parse itself with a bound on nesting (:func:`read_toml`).
Reads no file. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from placement.area import suggest
from placement.domain import Need, SettingKind
from placement.files.errors import InputError
from placement.scenarios.changes import MAX_COUNT, PHASES_OF_SETTING, Select

__all__ = [
    "MAX_DEPTH",
    "SELECT_KEYS",
    "Ctx",
    "Locator",
    "Table",
    "header_line",
    "read_toml",
    "tables",
]


class Locator:
    """Finds the line of ``[[table]]`` number ``index`` (0-based) and of a key inside it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def header(self, table: str, index: int | None) -> int | None:
        pat = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        hits = [k + 1 for k, ln in enumerate(self.lines) if pat.match(ln)]
        k = 0 if index is None else index
        return hits[k] if k < len(hits) else None

    def key(self, table: str | None, index: int | None, key: str) -> int | None:
        if table is None:
            first = key.split(".")[0]
            pat = re.compile(rf"^\s*\[\[?\s*{re.escape(first)}\s*[\].]")
            for k, ln in enumerate(self.lines):
                if pat.match(ln):
                    return k + 1
        start = self.header(table, index) if table else 1
        if start is None:
            return None
        first = key.split(".")[0]
        pat = re.compile(rf"^\s*{re.escape(first)}\s*[=.]")
        for k in range(start - 1 if table is None else start, len(self.lines)):
            ln = self.lines[k]
            if table is not None and k >= start and re.match(r"^\s*\[", ln):
                break
            if table is None and re.match(r"^\s*\[", ln):
                break
            if pat.match(ln) or re.search(rf"[{{,]\s*{re.escape(first)}\s*=", ln):
                return k + 1
        return start if table else None

    def anywhere(self, key: str) -> int | None:
        """The first line assigning ``key`` (a dotted key's last part), in any table."""
        pat = re.compile(rf"(^|[\s{{,.])({re.escape(key)})\s*=")
        for k, ln in enumerate(self.lines):
            if pat.search(ln.split("#")[0]):
                return k + 1
        return None


class Ctx:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.loc = Locator(text)

    def fail(
        self, table: str | None, index: int | None, key: str | None, message: str
    ) -> InputError:
        line = None
        if key is not None:
            line = self.loc.key(table, index, key)
        elif table is not None:
            line = self.loc.header(table, index)
        where = ".".join(
            x
            for x in (
                f"{table}[{index}]" if table and index is not None else table,
                key,
            )
            if x
        )
        return InputError(self.file, line, None, f"{where}: {message}" if where else message)


SELECT_KEYS = ["kind", "phase", "need", "in_area", "count", "near"]


class Table:
    """One table of the file with typed getters that fail with the key's location."""

    def __init__(
        self, ctx: Ctx, m: Mapping[str, Any], table: str | None, index: int | None
    ) -> None:
        self.ctx, self.m, self.table, self.index = ctx, m, table, index

    def fail(self, key: str | None, message: str) -> InputError:
        return self.ctx.fail(self.table, self.index, key, message)

    def keys(self, allowed: Sequence[str]) -> None:
        for k in self.m:
            if k not in allowed:
                raise self.fail(k, f"unknown key{suggest(k, list(allowed))}")

    def has(self, key: str) -> bool:
        return key in self.m

    def int_(self, key: str, lo: int, hi: int, default: int | None = None) -> int:
        v = self.m.get(key, default)
        if v is None:
            raise self.fail(None, f"missing key {key!r}")
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"{v!r} must be a whole number")
        if not lo <= v <= hi:
            raise self.fail(key, f"{v} must be from {lo} to {hi}")
        return v

    def float_(self, key: str, lo: float, hi: float, default: float | None = None) -> float:
        v = self.m.get(key, default)
        if v is None:
            raise self.fail(None, f"missing key {key!r}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self.fail(key, f"{v!r} must be a number")
        if not lo <= v <= hi:
            raise self.fail(key, f"{v} must be from {lo} to {hi}")
        return float(v)

    def str_(self, key: str, default: str | None = None) -> str:
        v = self.m.get(key, default)
        if v is None:
            raise self.fail(None, f"missing key {key!r}")
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, f"{v!r} must be a non-empty string")
        return v

    def bool_(self, key: str, default: bool) -> bool:
        v = self.m.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, f"{v!r} must be true or false")
        return v

    def need(self, key: str, value: Any = None) -> Need:
        v = self.m.get(key) if value is None else value
        codes = [n.value for n in Need]
        if not isinstance(v, str) or v.upper() not in codes:
            raise self.fail(key, f"unknown need {v!r}{suggest(str(v).upper(), codes)}")
        return Need(v.upper())

    def kind(self, key: str, value: Any = None) -> SettingKind:
        v = self.m.get(key) if value is None else value
        kinds = [k.value for k in SettingKind]
        if not isinstance(v, str) or v not in kinds:
            raise self.fail(key, f"unknown setting kind {v!r}{suggest(str(v), kinds)}")
        return SettingKind(v)

    def kinds(self, key: str, default: Sequence[SettingKind] = ()) -> tuple[SettingKind, ...]:
        v = self.m.get(key)
        if v is None:
            return tuple(default)
        vals = v if isinstance(v, list) else [v]
        return tuple(self.kind(key, x) for x in vals)

    def needs_to_int(self, key: str, lo: int, hi: int) -> dict[Need, int]:
        v = self.m.get(key)
        if not isinstance(v, Mapping) or not v:
            raise self.fail(key, "must be a table of need code = number, e.g. {ASD = 5}")
        out: dict[Need, int] = {}
        for k, x in v.items():
            nd = self.need(key, k)
            if isinstance(x, bool) or not isinstance(x, int) or not lo <= x <= hi:
                raise self.fail(key, f"{k} = {x!r} must be a whole number from {lo} to {hi}")
            out[nd] = x
        return out

    def sub(self, key: str) -> Table:
        v = self.m.get(key)
        if not isinstance(v, Mapping):
            raise self.fail(key, 'must be a table, e.g. {kind = "mainstream", count = 6}')
        return Table(self.ctx, v, self.table, self.index)

    def select(self, key: str) -> Select:
        t = self.sub(key)
        for k in t.m:
            if k not in SELECT_KEYS:
                raise self.fail(key, f"unknown key {k!r}{suggest(k, SELECT_KEYS)}")
        phase = t.m.get("phase", "any")
        if phase not in PHASES_OF_SETTING:
            raise self.fail(
                key,
                f"phase {phase!r} must be one of {', '.join(PHASES_OF_SETTING)}"
                f"{suggest(str(phase), list(PHASES_OF_SETTING))}",
            )
        in_area = t.m.get("in_area", True)
        if not isinstance(in_area, bool):
            raise self.fail(key, "in_area must be true or false")
        near = t.m.get("near", "centre")
        if not isinstance(near, str) or not near.strip():
            raise self.fail(key, "near must be 'centre', 'largest gaps', a town or a setting id")
        return Select(
            kinds=t.kinds("kind"),
            phase=phase,
            need=t.need("need") if "need" in t.m else None,
            in_area=in_area,
            count=t.int_("count", 1, MAX_COUNT, 1),
            near=near.strip(),
        )

    def target(self) -> tuple[str | None, Select | None]:
        sid = self.m.get("setting_id")
        if ("setting_id" in self.m) == ("select" in self.m):
            raise self.fail(None, "give exactly one of setting_id or select")
        if sid is not None:
            return self.str_("setting_id"), None
        return None, self.select("select")


MAX_DEPTH = 16  # tables and arrays within one another; the deepest real file uses 4


def _too_deep(value: object) -> str | None:
    """Where tables and arrays in ``value`` nest more than :data:`MAX_DEPTH` deep (the first
    keys of the path), without recursion; ``None`` if nowhere."""
    stack: list[tuple[object, tuple[str, ...]]] = [(value, ())]
    while stack:
        v, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return ".".join(path[:6]).replace(".[", "[") + "..."
        if isinstance(v, dict):
            stack.extend((x, (*path, str(k))) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, (*path, f"[{n}]")) for n, x in enumerate(v))
    return None


def read_toml(text: str, file: str) -> dict[str, Any]:
    """The file's TOML as a mapping; an :class:`InputError` at the line tomllib names, or
    when tables and arrays nest more than :data:`MAX_DEPTH` deep."""
    try:
        m = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        hit = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(hit.group(1)) if hit else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise InputError(file, line, None, f"not valid TOML: {msg}") from None
    except RecursionError:
        raise InputError(file, None, None, "not valid TOML: nested too deeply") from None
    deep = _too_deep(m)
    if deep is not None:
        # a dotted key nests as deep as it likes in a few bytes (name.a.a.a... = 1); no
        # scenario needs more than a few levels, and quoting such a value would recurse
        raise InputError(
            file, None, None, f"{deep}: nested too deeply (more than {MAX_DEPTH} levels)"
        )
    return m


def tables(ctx: Ctx, m: Mapping[str, Any], key: str) -> list[Table]:
    """The ``[[key]]`` tables of the file."""
    v = m.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, Mapping) for x in v):
        raise ctx.fail(None, None, key, f"write it as [[{key}]] tables")
    return [Table(ctx, x, key, i) for i, x in enumerate(v)]


def header_line(t: Table) -> int | None:
    """The line of the table's header."""
    return t.ctx.loc.header(t.table or "", t.index)
