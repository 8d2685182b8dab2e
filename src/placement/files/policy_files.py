"""Read the versioned policy data in ``models/`` (and an area's ``policy.toml`` overrides)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from placement.policy import SECTIONS, Policy, PolicyError, deep_merge

__all__ = ["load_policy", "models_dir", "read_policy_mapping"]

_FILES = {
    "funding": "funding.toml",
    "travel": "travel.toml",
    "suitability": "suitability.toml",
    "objective": "objective.toml",
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
            if k not in (*SECTIONS, "academic_year_start"):
                raise PolicyError(f"policy.toml: {k}", "unknown section")
        m = deep_merge(m, overrides)
    if academic_year_start is not None:
        m["academic_year_start"] = academic_year_start
    return Policy.from_mapping(m)
