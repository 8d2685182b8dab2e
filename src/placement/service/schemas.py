"""The shapes every feature's API shares: pages of results, strict inputs (unknown fields
rejected), and text types that refuse control characters. Each feature's own ``*Create``
inputs and ``*Public`` outputs live in its ``schemas`` module."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

__all__ = [
    "DbInt",
    "Id",
    "Input",
    "JsonObject",
    "Line",
    "Page",
    "PageParams",
    "Reason",
    "Text",
    "TomlText",
    "control_character_at",
    "printable",
    "public",
]

T = TypeVar("T")

# ids as the core writes them (placement.domain._ID_RE)
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]

# Control characters: C0 (NUL included), DEL, C1, and lone surrogates (which no encoding can
# write: a surrogate that reached an error message made it unencodable). PostgreSQL cannot
# store NUL in text at all. Multi-line text may hold tab, LF and CR; a one-line text none.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(s: str) -> str:
    """``s`` with every control character and lone surrogate written as an escape, so it
    can be shown in any message (and encoded as UTF-8)."""
    return _CONTROL_LINE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)


def _refuse(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        m = pattern.search(value)
        if m is not None:
            raise PydanticCustomError(
                "control_character",
                "control characters are not allowed ({char} at position {pos})",
                {"char": f"U+{ord(m.group()):04X}", "pos": m.start()},
            )
        return value

    return check


# one line of free text (names): no control characters at all
Line = Annotated[str, AfterValidator(_refuse(_CONTROL_LINE))]
# free text (notes, reasons): no control characters but tab, LF and CR
Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_refuse(_CONTROL_TEXT))]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_refuse(_CONTROL_TEXT)),
]


# where in a tree: (the parent's, this step), spelt out only for an error
_Where = tuple[Any, str] | None


def _tree_clean(value: Any) -> None:
    """Refuse a control character in any key or string of a JSON tree, naming where. Walked
    with a stack (a tree may be nested thousands deep); a path is spelt out only for the
    error."""

    def spell(where: _Where) -> str:
        parts: list[str] = []
        while where is not None:
            where, step = where
            parts.append(step)
        return "".join(reversed(parts)).lstrip(".") or "(top)"

    def refuse(m: re.Match[str], what: str, where: _Where) -> PydanticCustomError:
        return PydanticCustomError(
            "control_character",
            "control characters are not allowed: {char} in the " + what + " {path}",
            {"char": f"U+{ord(m.group()):04X}", "path": spell(where)},
        )

    stack: list[tuple[Any, _Where]] = [(value, None)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, str):
            if (m := _CONTROL_TEXT.search(v)) is not None:
                raise refuse(m, "value at", where)
        elif isinstance(v, dict):
            for k, x in v.items():
                key = str(k)
                here = (where, f".{printable(key)}")
                if (m := _CONTROL_LINE.search(key)) is not None:
                    raise refuse(m, "key", here)
                stack.append((x, here))
        elif isinstance(v, list):
            stack.extend((x, (where, f"[{i}]")) for i, x in enumerate(v))


def control_character_at(value: Any, path: str = "") -> str | None:
    """Where in ``value`` (text, or mappings, sequences and dataclasses of it, such as an
    area read from files) a control character is, as a path; None if nowhere. Tab, CR and LF
    count too: names and codes are one line."""
    if isinstance(value, str):
        return path or "(top)" if _CONTROL_LINE.search(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{printable(str(k))}" if path else printable(str(k))
            if _CONTROL_LINE.search(str(k)):
                return here
            if (found := control_character_at(v, here)) is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if (found := control_character_at(v, f"{path}[{i}]")) is not None:
                return found
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found = control_character_at(getattr(value, f.name), f"{path}.{f.name}")
            if found is not None:
                return found
    return None


def _clean_tree(value: dict[str, Any]) -> dict[str, Any]:
    _tree_clean(value)
    return value


# a JSON object from the caller (policy overrides): every key and string checked
JsonObject = Annotated[dict[str, Any], AfterValidator(_clean_tree)]
DbInt = Annotated[int, Field(ge=1, le=2_147_483_647)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclasses.dataclass(frozen=True, slots=True)
class PageParams:
    """Which page of a list, and how many to a page."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


M = TypeVar("M", bound=BaseModel)


def public(model: type[M], row: object, **values: Any) -> M:
    """``model`` from ``row``'s attributes of the same names, ``values`` taking their place
    (what a caller may not see, or a stored JSON text decoded)."""
    data = {n: values[n] if n in values else getattr(row, n) for n in model.model_fields}
    return model.model_validate(data)


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    size: int
    total: int


def _clean_toml(text: str) -> str:
    """No control character in the file, nor in a key or string it spells with an escape
    (``"\\u0000"``). A file that is not TOML passes here: the service names its line."""
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    _tree_clean(data)
    return text


# a scenario file's text: TOML, at most 64 KiB, no control characters but tab, CR and LF
TomlText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=65_536),
    AfterValidator(_refuse(_CONTROL_TEXT)),
    AfterValidator(_clean_toml),
]
