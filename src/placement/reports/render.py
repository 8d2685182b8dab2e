"""The reports' templates (``templates/`` here, and the shared GOV.UK macros of
:mod:`placement.html`): one environment, strict about undefined names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from placement.html import environment
from placement.reports.words import TAG_COLOURS

__all__ = ["TEMPLATES", "render", "svg_number"]

TEMPLATES = Path(__file__).parent / "templates"


def svg_number(x: float) -> str:
    """A coordinate to a tenth of a unit, without a trailing ".0": 12, 30.5."""
    s = f"{x:.1f}"
    return s.removesuffix(".0")


_ENV = environment(TEMPLATES, strict=True)
_ENV.filters["n"] = svg_number
_ENV.globals["TAG_COLOURS"] = TAG_COLOURS


def render(template: str, **context: Any) -> str:
    """``template`` rendered with ``context`` (every value escaped unless a template made it)."""
    return _ENV.get_template(template).render(**context)
