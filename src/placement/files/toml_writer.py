"""A small TOML writer: enough for an area's policy overrides (``policy.toml``).

Writes nested tables of scalars, dates and lists, and checks that the text reads back as the
data (:func:`dumps_toml`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps_toml"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _toml_str(k)


def _toml_str(s: str) -> str:
    return json.dumps(s).replace("\x7f", "\\u007f")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, dt.date | dt.time):  # datetime is a date
        return v.isoformat()
    if isinstance(v, Mapping):
        inner = ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items())
        return "{" + inner + "}" if inner else "{}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} to TOML")


def _toml_table(out: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    if path and (scalars or not tables):
        if out:
            out.append("")
        out.append("[" + ".".join(_toml_key(p) for p in path) + "]")
    for k, v in scalars:
        out.append(f"{_toml_key(str(k))} = {_toml_value(v)}")
    for k, v in tables:
        _toml_table(out, (*path, str(k)), v)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text for nested tables of scalars, dates and lists (enough for policy overrides).

    Raises
    ------
    TypeError
        A value TOML cannot hold (``None``, an object).
    ValueError
        The text would not read back as ``data``.
    """
    out: list[str] = []
    _toml_table(out, (), data)
    text = "\n".join(out) + "\n"
    if tomllib.loads(text) != _plain(data):
        raise ValueError("policy overrides do not survive a TOML round trip")
    return text


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v
