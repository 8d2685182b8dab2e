"""The solvers' own settings, apart from the LA's policy (as PyVRP keeps ``SolveParams`` apart
from ``ProblemData``): how hard the optimised mechanism works to prove and repair its answer,
not what the answer must respect. The defaults are the values the mechanisms have always
used; a test or a benchmark may change them (``allocate(p, mechanism, params=...)``).

Two settings also live in the policy (``models/objective.toml`` ``[optimised]``), where an LA
may set them and the policy's hash records them: ``max_arcs_per_child`` and
``min_guard_bits``. Here they default to None, "the policy's value"; a number overrides the
policy for this solve (the manifest records the value used). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from placement.policy import Policy

__all__ = ["DEFAULT_PARAMS", "SolveParams"]


@dataclass(frozen=True, slots=True)
class SolveParams:
    """Settings of a solve (every count a whole number; see the module docstring).

    Attributes
    ----------
    max_arcs_per_child
        Each child's best arcs kept in the optimised flow model, besides every preference
        (0: every suitable pair). None: the policy's ``objective.optimised.max_arcs_per_child``.
    min_guard_bits
        Refuse to solve when fewer guard bits than this fit in int64 (the tiers would stop
        being lexicographic). None: the policy's ``objective.optimised.min_guard_bits``.
    growth_rounds
        Fresh models while the requests that count grow (the repair loop does the rest).
    max_repair_rounds
        Re-solves of one model with the repairs forced, at most.
    max_repair_passes
        Passes of repairs applied to the allocation between two re-solves, at most.
    max_rebuilds
        Fresh models in all; the last has every suitable pair as an arc.
    missing_rounds
        Models rebuilt for the pairs repairs needed before the repairs go on without them
        (what the model then cannot repair is repaired on the allocation).
    room_arcs
        Per placed child, its cheapest pairs into places left free that the next model keeps
        (where an exchange a repair may need ends).
    max_exchange_rounds
        Exchanges applied to an allocation outside a model (both mechanisms), at most.
    """

    max_arcs_per_child: int | None = None
    min_guard_bits: int | None = None
    growth_rounds: int = 3
    max_repair_rounds: int = 50
    max_repair_passes: int = 20
    max_rebuilds: int = 8
    missing_rounds: int = 3
    room_arcs: int = 3
    max_exchange_rounds: int = 200

    def __post_init__(self) -> None:
        least = {"growth_rounds": 1, "max_rebuilds": 1}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None and f.name in ("max_arcs_per_child", "min_guard_bits"):
                continue
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"SolveParams.{f.name} = {v!r} not understood: a whole number")
            if v < least.get(f.name, 0):
                raise ValueError(
                    f"SolveParams.{f.name} = {v} not understood: at least {least.get(f.name, 0)}"
                )

    def arcs_per_child(self, policy: Policy) -> int:
        """The arcs kept per child in this solve (this setting, else the policy's)."""
        if self.max_arcs_per_child is not None:
            return self.max_arcs_per_child
        return policy.objective.max_arcs_per_child

    def guard_floor(self, policy: Policy) -> int:
        """The fewest guard bits this solve accepts (this setting, else the policy's)."""
        if self.min_guard_bits is not None:
            return self.min_guard_bits
        return policy.objective.min_guard_bits


DEFAULT_PARAMS = SolveParams()
"""The settings every mechanism uses unless told otherwise (the values they have always had)."""
