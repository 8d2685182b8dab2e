"""What a scenario file says, once parsed (:mod:`placement.scenarios.spec`): the base area,
the policy overrides and each change, as frozen dataclasses. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from placement.domain import Need, SettingKind

__all__ = [
    "CHILD_PHASES",
    "MAX_COUNT",
    "PHASES_OF_SETTING",
    "AddPlaces",
    "Base",
    "CapFees",
    "Change",
    "CloseSetting",
    "DemandGrowth",
    "MechanismChoice",
    "OpenSetting",
    "Redesignate",
    "Scenario",
    "Select",
    "SetPhase",
]

MechanismChoice = Literal["optimised", "preference-first", "both"]
SetPhase = Literal["primary", "secondary", "all-through", "post16", "any"]
PHASES_OF_SETTING: tuple[SetPhase, ...] = ("primary", "secondary", "all-through", "post16", "any")
CHILD_PHASES = ("early_years", "primary", "secondary", "post16")
MAX_COUNT = 500


@dataclass(frozen=True, slots=True)
class Select:
    """Which existing settings a change applies to, so that a scenario works on any generated
    area (whose ids are generated): the ``count`` settings of this ``kind``/``phase``/``need``
    that come first by ``near``. Ties break by setting id, so the choice is deterministic."""

    kinds: tuple[SettingKind, ...] = ()
    phase: SetPhase = "any"
    need: Need | None = None  # designated for this need
    in_area: bool | None = True
    count: int = 1
    near: str = "centre"  # "centre", "largest gaps", a town name, or a setting id


@dataclass(frozen=True, slots=True)
class AddPlaces:
    """Add (or, negative, remove) places at a setting: in its ``need`` pool, or general."""

    line: int | None
    places: int
    setting_id: str | None = None
    select: Select | None = None
    need: Need | None = None


@dataclass(frozen=True, slots=True)
class OpenSetting:
    """A new setting. Where it is: ``easting``/``northing``, or ``near`` (see :class:`Select`
    for the words), or one at each setting ``at`` selects (resourced provision in six
    primaries: six new settings, each at its host school)."""

    line: int | None
    setting_id: str
    name: str
    kind: SettingKind
    low_age: int
    high_age: int
    designations: Mapping[Need, int]
    pools: Mapping[Need, int]
    capacity: int
    annual_fee_gbp: int | None = None
    easting: float | None = None
    northing: float | None = None
    near: str | None = None
    at: Select | None = None
    s41_approved: bool = False


@dataclass(frozen=True, slots=True)
class CloseSetting:
    line: int | None
    setting_id: str | None = None
    select: Select | None = None


@dataclass(frozen=True, slots=True)
class Redesignate:
    """Replace a setting's designations (need -> highest band met) and, if given, its pools."""

    line: int | None
    designations: Mapping[Need, int]
    pools: Mapping[Need, int] | None = None
    setting_id: str | None = None
    select: Select | None = None


@dataclass(frozen=True, slots=True)
class DemandGrowth:
    """Compound growth in the number of children with ``need`` (all needs: None) in ``phase``
    (all phases: None): ``(1 + rate) ** years`` times as many."""

    line: int | None
    rate: float
    years: int
    need: Need | None = None
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class CapFees:
    """The LA pays at most ``max_annual_fee_gbp`` for a place at a fee-charging setting of
    ``kinds`` (a national price band for independent fees)."""

    line: int | None
    max_annual_fee_gbp: int
    kinds: tuple[SettingKind, ...]


Change = AddPlaces | OpenSetting | CloseSetting | Redesignate | DemandGrowth | CapFees


@dataclass(frozen=True, slots=True)
class Base:
    area: Path | None = None
    like: str | None = None
    seed: int = 1
    scale: float = 1.0
    cohort: Literal["caseload", "transfer"] = "caseload"
    # a planner's study: place the whole caseload afresh, as if nobody had a place (default:
    # only the children moving this round are placed; the others keep their places)
    from_scratch: bool = False
    # keys of [base] describing a generated or folder base that were ignored because the
    # scenario runs on a stored area (the service): said in the result's notes
    ignored: tuple[str, ...] = ()

    @property
    def ignored_note(self) -> str | None:
        """What the result says about :attr:`ignored` (None when nothing was)."""
        if not self.ignored:
            return None
        keys = ", ".join(f"base.{k}" for k in self.ignored)
        return (
            f"{keys} ignored: the scenario runs on the stored area it was sent to "
            "(only seed and from_scratch of [base] apply)"
        )


@dataclass(frozen=True, slots=True)
class Scenario:
    file: str
    name: str
    description: str
    base: Base
    mechanism: MechanismChoice
    changes: tuple[Change, ...]
    policy: Mapping[str, Any] = field(default_factory=dict)
    marginal: int = 20  # candidates for the marginal value of one more place
    source: str = ""  # the TOML text (for the report)

    @property
    def mechanisms(self) -> tuple[Literal["optimised", "preference-first"], ...]:
        if self.mechanism == "both":
            return ("optimised", "preference-first")
        return (self.mechanism,)

    def with_scale(self, scale: float) -> Scenario:
        from dataclasses import replace

        return replace(self, base=replace(self.base, scale=scale))
