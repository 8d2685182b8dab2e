"""Statistical disclosure control for everything a planner can export.

Counts of children in planners' outputs (scenario reports, the area dashboard, sweeps, the
service's aggregates and run figures) follow one rule, in the style of the HESA rounding and
suppression standard and of the DfE's own publications:

- a count of **1 to 9** children is shown as ``"<10"`` (a small group can identify a child);
- **zero** is shown: it describes no child;
- every other count is **rounded to the nearest 5** (halves up), so that no small count can be
  worked out exactly by subtraction from totals and sub-totals (placed = children - unplaced,
  one placement type = special - the others, and so on): each rounded figure is off by up to
  2, so a difference of rounded figures never pins a group down to one value;
- a **percentage** is computed from the rounded counts and given to one decimal place, and is
  withheld (``"suppressed"``) when its numerator is 1 to 9, so it never reveals a small count;
- a **change** between two counts is the difference of the rounded counts, and is withheld
  when either count is 1 to 9 (50 -> "<10" must not reveal -45).

Money is a tariff times a count, so an exact total gives the count away (147,000 / 24,500 =
6 placed). Money in planners' exports is therefore **rounded to the nearest £250,000** (the
cost of about ten special places, or two and a half of the dearest independent ones), and
withheld when the children it is the cost of are 1 to 9; a change in money is the difference
of the rounded figures. An average per child is computed from the rounded total and the
rounded count. The cost of one more place (a marginal value: about one child) is rounded to
the nearest £1,000 and its minutes to the nearest 5. Free places at a setting of 1 to 9 are
shown as "<10" (children taken there can be no more than the places that were free). A
rounded count never shows more than a published figure it cannot exceed (free places within
a setting's capacity less its roll): 58 or 59 free of 59 shows as 59, not 60
(:func:`count_within`), which says no more than "60" did.

This protects the readers of an honest export. It does not stop a planner who writes a
scenario with a contrived tariff (a special school's place funded at £1) from learning a
count from their own run; the scenario's text is printed in its report, so such a file is
visible to anyone who reads it. A journey time summarising 1 to 9 children (the mean or the
95th percentile over the placed children) is withheld: with one child placed it is that
child's journey. Pure functions, no I/O.
"""

from __future__ import annotations

__all__ = [
    "MONEY_TO",
    "ROUND_TO",
    "SMALL",
    "THRESHOLD",
    "WITHHELD",
    "change",
    "count",
    "count_within",
    "is_small",
    "minutes",
    "money",
    "money_change",
    "nearest",
    "pct",
]

THRESHOLD = 10
ROUND_TO = 5
MONEY_TO = 250_000
SMALL = "<10"
WITHHELD = "suppressed"


def is_small(n: int) -> bool:
    """A count that must not be shown (1 to 9)."""
    return 0 < n < THRESHOLD


def count(n: int) -> int | str:
    """A count of children as it may be exported: 0, ``"<10"`` or a multiple of 5."""
    if n < 0:
        raise ValueError(f"a count of children cannot be negative ({n})")
    if is_small(n):
        return SMALL
    return ((n + ROUND_TO // 2) // ROUND_TO) * ROUND_TO


def count_within(n: int, bound: int) -> int | str:
    """:func:`count` of ``n``, never more than ``bound``: a published figure ``n`` cannot
    exceed (free or confirmed places at most a setting's capacity less its roll). Rounding
    up past it would show an impossible figure (60 free of 59 places); the bound itself
    reveals nothing more, since with the bound known a count that rounds past it is already
    pinned to the same values (58 or 59 of 59). A count already over its bound (data that
    disagree) is rounded as it is."""
    shown = count(n)
    return shown if isinstance(shown, str) or n > bound else min(shown, bound)


def change(a: int, b: int) -> int | str:
    """The change from ``a`` to ``b`` children as it may be exported."""
    ra, rb = count(a), count(b)
    if isinstance(ra, str) or isinstance(rb, str):
        return WITHHELD
    return rb - ra


def pct(numerator: int, denominator: int) -> float | str:
    """``numerator`` as a percentage of ``denominator`` children, from the rounded counts."""
    if is_small(numerator):
        return WITHHELD
    rn, rd = count(numerator), count(denominator)
    if isinstance(rn, str) or isinstance(rd, str) or rd == 0:
        return 0.0 if numerator == 0 else WITHHELD
    return round(min(100.0, 100.0 * rn / rd), 1)


def nearest(x: float, step: int) -> int:
    """``x`` rounded to the nearest multiple of ``step``, halves away from zero."""
    q = int(abs(x) / step + 0.5) * step
    return q if x >= 0 else -q


def money(gbp: float, children: int) -> int | str:
    """A sum of money spent on ``children`` as it may be exported."""
    if is_small(children):
        return WITHHELD
    return nearest(gbp, MONEY_TO)


def money_change(a: float, b: float, children_a: int, children_b: int) -> int | str:
    """The change from ``a`` to ``b`` pounds, as the difference of the exported figures."""
    ra, rb = money(a, children_a), money(b, children_b)
    if isinstance(ra, str) or isinstance(rb, str):
        return WITHHELD
    return rb - ra


def minutes(value: float, children: int) -> float | str:
    """A journey time summarising ``children`` (a mean or a percentile) as it may be
    exported: withheld when they are 1 to 9."""
    return WITHHELD if is_small(children) else value
