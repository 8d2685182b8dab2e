"""Area-wide allocation mechanisms. Both return a :class:`placement.result.Allocation`."""

from __future__ import annotations

from typing import Literal

from placement.problem import Problem
from placement.result import Allocation
from placement.solve.params import DEFAULT_PARAMS, SolveParams

Mechanism = Literal["optimised", "preference-first"]
MECHANISMS: tuple[Mechanism, ...] = ("optimised", "preference-first")

__all__ = ["MECHANISMS", "Mechanism", "SolveParams", "allocate"]


def allocate(
    p: Problem, mechanism: Mechanism, *, seed: int = 0, params: SolveParams = DEFAULT_PARAMS
) -> Allocation:
    """Allocate every child in the problem with the named mechanism.

    ``params``: the solve's own settings (:class:`SolveParams`), apart from the LA's policy;
    the defaults are the mechanisms' usual ones."""
    if mechanism == "optimised":
        from placement.solve.optimised import solve_optimised

        return solve_optimised(p, seed=seed, params=params)
    if mechanism == "preference-first":
        from placement.solve.preference_first import solve_preference_first

        result: Allocation = solve_preference_first(p, seed=seed, params=params)
        return result
    raise ValueError(f"unknown mechanism {mechanism!r}: choose one of {', '.join(MECHANISMS)}")
