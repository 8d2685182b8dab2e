"""The arrays the generator's steps share: the children (:class:`ChildArrays`) and the
settings grouped by the placement each is for (:class:`SettingGroups`).

The candidate searches (:mod:`placement.generate.nearest`), the places
(:mod:`placement.generate.places`) and the children's details
(:mod:`placement.generate.children`) all read them; none of those imports another for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from placement.generate.calibration import F64, FE, I64, MAIN, OTHER, B

__all__ = ["ChildArrays", "SettingGroups"]


@dataclass(frozen=True, slots=True)
class ChildArrays:
    """The children as parallel arrays."""

    age: I64  # age on 31 August (nc_year + 4)
    group: I64  # sampled placement (PLACEMENTS index): the calibration's accounting
    intended: I64  # the placement the child is looking for (never OTHER)
    need: I64  # index into NEED_CODES
    band: I64
    xy: F64
    female: B
    transfer: B  # in a phase-transfer year (Reception, Year 7, Year 12)

    @property
    def n(self) -> int:
        return int(self.age.shape[0])

    def subset(self, keep: B) -> ChildArrays:
        """The children where ``keep`` is true, in the same order."""
        return ChildArrays(
            age=self.age[keep],
            group=self.group[keep],
            intended=self.intended[keep],
            need=self.need[keep],
            band=self.band[keep],
            xy=self.xy[keep],
            female=self.female[keep],
            transfer=self.transfer[keep],
        )

    @property
    def specialist(self) -> B:
        """Bound for a specialist setting or a unit (for bands, transport, features)."""
        return np.asarray(self.intended != MAIN, np.bool_) & np.asarray(
            self.intended != FE, np.bool_
        )


@dataclass(frozen=True, slots=True)
class SettingGroups:
    """The settings (by index) grouped by the placement each is for."""

    placement_of: I64  # (m,) each setting's placement (PLACEMENTS index)
    of: dict[int, I64]  # the settings of each placement but OTHER
    primary: I64  # mainstream schools taking primary ages (all-through schools: both)
    secondary: I64  # mainstream schools taking secondary ages

    @classmethod
    def of_settings(cls, placements: Sequence[int], low: I64, high: I64) -> SettingGroups:
        """The groups of settings with these placements and statutory ages."""
        placement_of = np.array(placements, np.int64)
        return cls(
            placement_of=placement_of,
            of={p: np.flatnonzero(placement_of == p) for p in range(OTHER)},
            primary=np.flatnonzero((placement_of == MAIN) & (low < 11)),
            secondary=np.flatnonzero((placement_of == MAIN) & (high > 11)),
        )
