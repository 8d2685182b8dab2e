"""Disclosure control for planners' exports: small counts withheld, and no small count can be
recovered exactly from the other figures shown."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from placement import disclosure
from placement.disclosure import SMALL, WITHHELD, change, count, money, money_change, nearest, pct
from placement.scenarios.report import export_metrics


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, 0), (1, SMALL), (9, SMALL), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (250, 250)],
)
def test_count(n: int, shown: object) -> None:
    assert count(n) == shown


def test_count_refuses_negative() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        count(-1)


def test_change_only_when_both_counts_are_shown() -> None:
    assert change(50, 5) == WITHHELD  # would reveal 5
    assert change(50, 12) == -40  # the difference of the rounded counts
    assert change(0, 20) == 20


def test_percentages_never_reveal_a_small_numerator() -> None:
    assert pct(4, 8) == WITHHELD
    assert pct(0, 8) == 0.0
    assert pct(16, 24) == 60.0  # 15 of 25, from the rounded counts
    assert pct(20_000, 20_000) == 100.0


def _consistent(shown: object) -> range:
    """Every raw count that exports as ``shown``."""
    if shown == SMALL:
        return range(1, 10)
    assert isinstance(shown, int)
    if shown == 0:
        return range(0, 1)
    return range(max(10, shown - 2), shown + 3)


@given(total=st.integers(10, 5000), small=st.integers(1, 9))
def test_a_small_part_is_not_recovered_from_the_total(total: int, small: int) -> None:
    """placed = children - unplaced: with unplaced 1-9, the shown children and placed are
    consistent with more than one value of unplaced."""
    if total - small < 10:
        return
    shown_total, shown_rest = count(total), count(total - small)
    candidates = {
        t - r
        for t, r in itertools.product(_consistent(shown_total), _consistent(shown_rest))
        if 1 <= t - r <= 9
    }
    assert small in candidates and len(candidates) >= 2


@given(
    children=st.integers(0, 3000),
    placed_frac=st.floats(0, 1),
    pref_frac=st.floats(0, 1),
)
def test_exported_metrics_are_consistent(
    children: int, placed_frac: float, pref_frac: float
) -> None:
    placed = int(children * placed_frac)
    with_pref = int(children * pref_frac)
    first = int(with_pref * placed_frac)
    m = {
        "children": children,
        "placed": placed,
        "unplaced": children - placed,
        "placed_pct": 100.0 * placed / children if children else 0.0,
        "with_preference": with_pref,
        "first_preference": first,
        "first_preference_pct": 100.0 * first / with_pref if with_pref else 0.0,
        "total_cost_gbp": 123_456,
        "mean_journey_min": 21.5,
        "unmet_ASD": children - placed,
    }
    e = export_metrics(m)
    for k in ("children", "placed", "unplaced", "with_preference", "first_preference", "unmet_ASD"):
        assert e[k] == SMALL or (isinstance(e[k], int) and e[k] % 5 == 0 and e[k] != 5)
    assert (e["placed_pct"] == WITHHELD) == disclosure.is_small(placed)
    assert (e["first_preference_pct"] == WITHHELD) == disclosure.is_small(first)
    assert e["total_cost_gbp"] == money(123_456, placed)
    # with 1-9 placed, the mean journey would be theirs (with one, that child's own)
    assert e["mean_journey_min"] == (WITHHELD if disclosure.is_small(placed) else 21.5)
    if isinstance(e["placed"], int) and e["placed"] > 0:  # 10 or more placed
        assert isinstance(e["children"], int)
        assert e["placed_pct"] == round(100.0 * e["placed"] / e["children"], 1)


def test_a_percentage_without_its_counts_is_withheld() -> None:
    assert export_metrics({"placed_pct": 42.0})["placed_pct"] == WITHHELD


def test_money() -> None:
    assert money(147_000, 6) == WITHHELD  # 6 x £24,500: the cost of 1-9 children
    assert money(392_000, 16) == 500_000
    assert money(374_999, 16) == 250_000 and money(375_000, 16) == 500_000
    assert money_change(392_000, 147_000, 16, 6) == WITHHELD
    assert money_change(392_000, 1_000_000, 16, 40) == 500_000
    assert nearest(-57_400, 1_000) == -57_000 and nearest(7, 5) == 5 and nearest(-8, 5) == -10


@given(n=st.integers(10, 400), tariff=st.sampled_from([6_000, 10_000, 24_500, 52_348, 99_000]))
def test_rounded_money_never_pins_down_a_count(n: int, tariff: int) -> None:
    """With a known tariff, the counts consistent with the rounded total are several."""
    shown = money(n * tariff, n)
    assert isinstance(shown, int)
    candidates = [k for k in range(10, 2000) if money(k * tariff, k) == shown]
    assert n in candidates and len(candidates) >= 2


@pytest.mark.parametrize(
    ("n", "bound", "shown"),
    [(58, 59, 59), (59, 59, 59), (57, 59, 55), (12, 12, 10), (13, 13, 13), (5, 59, SMALL)],
)
def test_free_places_are_never_shown_above_what_they_cannot_exceed(
    n: int, bound: int, shown: object
) -> None:
    # an independent special school with 59 places, 58 or 59 free, showed "60 free"
    assert disclosure.count_within(n, bound) == shown


@given(st.integers(0, 500), st.integers(0, 500))
def test_a_bounded_count_says_no_more_than_the_rounded_count_and_the_bound(
    n: int, bound: int
) -> None:
    if n > bound:
        assert disclosure.count_within(n, bound) == count(n)  # data that disagree: as it is
        return
    shown = disclosure.count_within(n, bound)
    assert isinstance(shown, str) or shown <= bound
    # every count consistent with what is shown is consistent with the plain rounding too
    same = {m for m in range(bound + 1) if disclosure.count_within(m, bound) == shown}
    assert same == {m for m in range(bound + 1) if count(m) == count(n)}
