"""Read the versioned policy data in ``models/`` (and an area's ``policy.toml`` overrides)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from placement.area import suggest
from placement.files.errors import InputError
from placement.policy import SECTIONS, Policy, PolicyError, deep_merge

__all__ = ["load_policy", "models_dir", "read_policy_mapping", "read_policy_overrides"]

_OVERRIDE_KEYS = (*SECTIONS, "academic_year_start")  # what policy.toml may set
_FILES = {
    "funding": "funding.toml",
    "travel": "travel.toml",
    "suitability": "suitability.toml",
    "objective": "objective.toml",
    "casework": "casework.toml",
}


def models_dir() -> Path:
    """The policy directory: the installed copy (wheel) or the repository's ``models/``."""
    try:
        installed = Path(str(resources.files("placement") / "_models"))
        if installed.is_dir():
            return installed
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - defensive
        pass
    repo = Path(__file__).resolve().parents[3] / "models"
    if repo.is_dir():
        return repo
    raise FileNotFoundError(
        "policy data not found: expected models/ beside src/ or placement/_models"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(path.name, f"not valid TOML: {e}") from None
    except RecursionError:
        raise PolicyError(path.name, "not valid TOML: nested too deeply") from None
    except OSError as e:
        raise PolicyError(path.name, f"cannot read: {e.strerror}") from None


def read_policy_mapping(directory: Path | None = None) -> dict[str, Any]:
    """The four policy tables as one mapping, read from ``directory`` (default: models/)."""
    d = directory or models_dir()
    return {section: _read_toml(d / name) for section, name in _FILES.items()}


def load_policy(
    overrides: Mapping[str, Any] | None = None,
    *,
    directory: Path | None = None,
    academic_year_start: int | None = None,
) -> Policy:
    """The default policy with an area's overrides laid over it, validated."""
    m: dict[str, Any] = read_policy_mapping(directory)
    if overrides:
        for k in overrides:
            if k not in _OVERRIDE_KEYS:
                raise PolicyError(f"policy.toml: {k}", "unknown section")
        m = deep_merge(m, overrides)
    if academic_year_start is not None:
        m["academic_year_start"] = academic_year_start
    return Policy.from_mapping(m)


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_policy_overrides(path: Path) -> dict[str, Any]:
    """An area's ``policy.toml`` overrides as read (``{}`` if there is no such file): parsed
    and checked for unknown sections, not validated (pass them to :func:`load_policy`).

    Raises
    ------
    InputError
        Not UTF-8, not valid TOML (with the line), or an unknown section (with a "did you
        mean").
    """
    if not path.is_file():
        return {}
    file = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(file, None, None, f"not UTF-8 text: {e.reason}") from None
    except OSError as e:
        raise InputError(file, None, None, f"cannot read: {e.strerror}") from None
    try:
        overrides = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _toml_error(file, text, str(e)) from None
    except RecursionError:
        raise InputError(file, None, None, "not valid TOML: nested too deeply") from None
    for key in overrides:
        if key not in _OVERRIDE_KEYS:
            found = re.search(rf"^[ \t]*(\[[ \t]*)?{re.escape(key)}\b", text, flags=re.MULTILINE)
            line = text.count("\n", 0, found.start()) + 1 if found else None
            hint = suggest(key, _OVERRIDE_KEYS)
            raise InputError(file, line, None, f"unknown section {key!r}{hint}")
    return overrides


def _toml_error(file: str, text: str, msg: str) -> InputError:
    """tomllib's error at the line it names (``at end of document``: the last line)."""
    m = _TOML_WHERE.search(msg)
    if m:
        line: int | None = int(m[1])
        msg = msg[: m.start()]
    elif "end of document" in msg:
        line = text.count("\n") + 1
        msg = msg.replace("(at end of document)", "").strip()
    else:
        line = None
    return InputError(file, line, None, f"not valid TOML: {msg}")
