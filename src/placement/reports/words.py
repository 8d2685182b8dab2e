"""Figures in words, as the reports, the dashboard and their charts show them.

Every figure here is already disclosure-controlled (:mod:`placement.disclosure`): a count of 1
to 9 children arrives as ``"<10"`` and is shown so; any other withheld figure arrives as a
string and is shown as "withheld", never as a number. Plain text only: the templates make the
markup.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from placement.disclosure import SMALL
from placement.scenarios.plain import MIX_NAMES, need_name, phase_name

__all__ = [
    "AXIS_TITLE",
    "TAG_COLOURS",
    "Better",
    "Unit",
    "Value",
    "band_words",
    "better_way",
    "change",
    "change_shown",
    "change_verdict",
    "fmt",
    "metric_name",
    "millions",
    "minutes_words",
    "per_child_words",
    "shown",
    "signed_money",
    "tick_label",
    "trim",
    "unit_of",
    "verdict",
]

Unit = Literal["children", "%", "£m", "£", "min"]
Better = Literal["higher", "lower", "neither"]
Value = float | int | str

# a verdict's GOV.UK tag colour: blue and orange, as the charts' bars (never red and green)
TAG_COLOURS = {"better": "blue", "worse": "orange"}

AXIS_TITLE: dict[Unit, str] = {
    "children": "Number of children",
    "%": "Per cent",
    "£m": "£ million a year",
    "£": "£ a year",
    "min": "Minutes",
}


def trim(x: float, digits: int) -> str:
    """``|x|`` to ``digits`` decimal places with commas, trailing zeros dropped: 1.5, 12."""
    s = f"{abs(x):,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def fmt(v: Value, unit: Unit) -> str:
    """A value as a chart and its table show it ("<10" and "withheld" as they are)."""
    if isinstance(v, str):
        return SMALL if v == SMALL else "withheld"
    neg = "−" if v < 0 else ""
    if unit == "children":
        return f"{neg}{abs(round(v)):,}"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "£m":
        return f"{neg}£{trim(v, 2)}m"
    if unit == "£":
        return f"{neg}£{abs(v):,.0f}"
    return f"{v:.1f} min"


def tick_label(v: float, unit: Unit, step: float) -> str:
    """An axis tick's label, to as many decimal places as the step between ticks needs."""
    digits = 0 if step >= 1 else max(0, -math.floor(math.log10(step) + 1e-9))
    neg = "−" if v < 0 else ""
    n = f"{abs(v):,.{digits}f}"
    if unit == "%":
        return f"{neg}{n}%"
    if unit == "£m":
        return f"{neg}£{n}m"
    if unit == "£":
        return f"{neg}£{n}"
    return f"{neg}{n}"


def change(a: Value, b: Value, unit: Unit) -> tuple[str, int | None]:
    """The change from ``a`` to ``b`` in words, and its sign (None: withheld)."""
    if isinstance(a, str) or isinstance(b, str):
        return "change withheld", None
    d = b - a
    d = round(d, 1 if unit in ("%", "min") else 2 if unit == "£m" else 0)
    if d == 0:
        return "no change", 0
    sign = 1 if d > 0 else -1
    if unit == "children":
        return f"{abs(int(d)):,} {'more' if d > 0 else 'fewer'}", sign
    if unit == "%":
        return f"{'up' if d > 0 else 'down'} {abs(d):.1f} points", sign
    if unit == "£m":
        return f"£{trim(d, 2)}m {'more' if d > 0 else 'less'}", sign
    if unit == "£":
        return f"£{abs(d):,.0f} {'more' if d > 0 else 'less'}", sign
    return f"{abs(d):.1f} min {'longer' if d > 0 else 'shorter'}", sign


def verdict(sign: int | None, better: Better) -> str:
    """ "better", "worse" or "" (no change, withheld, or neither good nor bad)."""
    if not sign or better == "neither":
        return ""
    return "better" if (sign > 0) == (better == "higher") else "worse"


# -- the scenario report's figures -------------------------------------------------------------

# which way is better for each figure: "higher", "lower" or "neither" (a share of mainstream
# or special places, the placement mix and the number of children are not good or bad)
_HIGHER = frozenset(
    {
        "placed",
        "placed_pct",
        "first_preference_pct",
        "any_preference_pct",
        "request_honoured_pct",
        "first_preference",
        "any_preference",
        "request_honoured",
    }
)
_LOWER = frozenset(
    {
        "unplaced",
        "independent_pct",
        "out_of_area_pct",
        "total_cost_gbp",
        "high_needs_block_gbp",
        "schools_gbp",
        "transport_gbp",
        "mean_journey_min",
        "p95_journey_min",
        "justified_envy",
    }
)


def better_way(key: str) -> Better:
    """Which way a metric is better: fewer children without a place, less cost, shorter
    journeys are better, whatever the sign of the change."""
    if key in _HIGHER:
        return "higher"
    if key in _LOWER or key.startswith("unmet_"):
        return "lower"
    return "neither"


METRIC_NAMES = {
    "children": "Children in the run",
    "placed": "Placed",
    "unplaced": "Not placed",
    "placed_pct": "Placed, % of the children",
    "first_preference_pct": "First preference met, % of the children with a preference",
    "any_preference_pct": "Any preference met, % of the children with a preference",
    "request_honoured_pct": "Request named (s.38), % of the children who made one",
    "mainstream_pct": "In mainstream, % of the children placed",
    "special_pct": "In special schools, % of the children placed",
    "independent_pct": "In independent settings, % of the children placed",
    "out_of_area_pct": "Outside the area, % of the children placed",
    "total_cost_gbp": "Total annual cost",
    "high_needs_block_gbp": "Annual cost paid by the high-needs block",
    "schools_gbp": "Annual cost paid by schools",
    "transport_gbp": "Annual cost of transport (LA general fund)",
    "mean_journey_min": "Mean journey",
    "p95_journey_min": "95th percentile journey",
    "justified_envy": "Children with justified envy",
}


def metric_name(key: str) -> str:
    """A metric's name in words (the need, phase or placement type named, not coded)."""
    if key in METRIC_NAMES:
        return METRIC_NAMES[key]
    if key.startswith("unmet_"):
        code = key[6:]
        if code.isupper():
            return f"Not placed: {need_name(code)}"
        return f"Not placed: {phase_name(code)} age"
    if key.startswith("mix_"):
        return f"Placement mix: {MIX_NAMES.get(key[4:], key[4:].replace('_', ' '))}"
    return key.replace("_", " ")


def unit_of(key: str) -> Unit:
    """A metric's unit, from its name's ending."""
    if key.endswith("_gbp"):
        return "£m"
    if key.endswith("_pct"):
        return "%"
    if key.endswith("_min"):
        return "min"
    return "children"


def shown(v: Any, key: str) -> str:
    """A figure as the report shows it: counts with commas, money in £m, shares with %."""
    if isinstance(v, str):
        return fmt(v, "children")
    if key.endswith("_gbp"):
        return fmt(v / 1e6, "£m")
    return fmt(v, unit_of(key))


def change_shown(v: Any, key: str) -> str:
    """A change as the report's tables show it: signed, in the figure's unit."""
    if isinstance(v, str):
        return "withheld"
    if v == 0:
        return "no change"
    sign = "+" if v > 0 else "−"
    if key.endswith("_gbp"):
        return f"{sign}£{trim(abs(v) / 1e6, 2)}m"
    if key.endswith("_pct"):
        return f"{sign}{abs(v):.1f} points"
    if key.endswith("_min"):
        return f"{sign}{abs(v):.1f} min"
    return f"{sign}{abs(v):,}"


def change_verdict(key: str, change: Any) -> str:
    """Whether a change in the figure ``key`` is "better", "worse" or neither ("")."""
    if isinstance(change, str) or not change:
        return ""
    return verdict(1 if change > 0 else -1, better_way(key))


def signed_money(v: int) -> str:
    """+£1,000, −£500, £0."""
    return "£0" if v == 0 else f"{'+' if v > 0 else '−'}£{abs(v):,}"


# -- the dashboard's -----------------------------------------------------------------------


def millions(v: int | str) -> float | str:
    """Pounds as £ million (a withheld sum as it is)."""
    return v if isinstance(v, str) else v / 1e6


def minutes_words(v: float | str, digits: int) -> str:
    return "withheld" if isinstance(v, str) else f"{v:.{digits}f} minutes"


def band_words(label: str) -> str:
    """ "15-29 min" as "15 to 29 minutes", "90+ min" as "90 minutes or more"."""
    lo, _, hi = label.removesuffix(" min").partition("-")
    if lo.endswith("+"):
        return f"{lo[:-1]} minutes or more"
    return f"{lo} to {hi} minutes" if hi else label


def per_child_words(v: int | str) -> str:
    return "withheld" if isinstance(v, str) else f"£{v:,}"
