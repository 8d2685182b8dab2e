"""Decision letters to families, rendered from a decision's record alone (a mapping the
service builds when an officer decides and keeps, unchanged, with the letter it issued).
Rendering the same record gives the same bytes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from placement.reports.render import render

__all__ = ["decision_letter", "letter_title"]

TITLES = {
    "named": "The school or college we have named",
    "refused": "Our decision on your request",
    "withdrawn": "We have withdrawn a place",
    "panel": "The placement panel's decision",
}


def letter_title(record: Mapping[str, Any]) -> str:
    """The letter's heading, for the kind of decision."""
    return TITLES.get(str(record.get("kind")), "Our decision")


def decision_letter(record: Mapping[str, Any]) -> str:
    """The letter of a decision, as HTML (a file of its own: inline CSS, no scripts)."""
    return render("letter.html", title=letter_title(record), record=record)
