"""Real schools: every school in England with a point, from the DfE's 2024/25 school census
(``placement/data/schools.csv.gz``, built by ``scripts/build_schools.py``; Open Government
Licence v3.0, attribution in ``placement/data/README.md``).

The file gives a school's URN, LA number, type (state-funded primary, secondary or special,
non-maintained special, or an independent school at least half of whose pupils have an EHC
plan, read as an independent special school), name, phase flags, the point of its postcode,
pupils on roll (girls and boys) and pupils with an EHC plan. It does not give statutory ages,
designations, need levels, places, provision features, fees, s.41 approval, or whether a
state special school is LA maintained or an academy: the generator estimates those and lists
them in each setting's ``estimated`` field. AP schools (no points in the file), FE colleges,
specialist post-16 institutions, resourced provision and SEN units are not in it and are
synthesised (``estimated = synthetic``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.spatial import cKDTree

from placement.data import vendored_rows
from placement.generate.calibration import F64

MAINSTREAM_REACH_M = 3_000.0
"""A neighbouring LA's mainstream school is in the area if it is within this distance of one of
the LA's LSOA centroids (families near a boundary use schools over it; assumption)."""
SPECIAL_REACH_M = 5_000.0
"""The same for a neighbour's state special school (about 6% of special school places go to
children from other LAs; assumption)."""
INDEPENDENT_REACH_M = 15_000.0
"""The same for non-maintained and independent special schools, which serve many LAs."""


@dataclass(frozen=True, slots=True)
class School:
    """One row of the vendored schools table."""

    urn: str
    la: str  # three-digit LA number
    type: str  # primary, secondary, special, nm, independent_special
    name: str
    district: str  # postcode outward code
    primary: bool
    secondary: bool
    x: float
    y: float
    nor: int  # pupils on roll
    girls: int
    boys: int
    ehc: int  # pupils with an EHC plan


@cache
def school_table() -> tuple[School, ...]:
    """Every school in the vendored table, by URN."""
    return tuple(
        School(
            urn=r["urn"],
            la=r["la"],
            type=r["type"],
            name=r["name"],
            district=r["district"],
            primary=r["primary"] == "1",
            secondary=r["secondary"] == "1",
            x=float(r["x"]),
            y=float(r["y"]),
            nor=int(r["nor"]),
            girls=int(r["girls"]),
            boys=int(r["boys"]),
            ehc=int(r["ehc"]),
        )
        for r in vendored_rows("schools.csv.gz")
    )


@cache
def _points() -> tuple[F64, tuple[str, ...]]:
    t = school_table()
    return np.array([[s.x, s.y] for s in t], np.float64), tuple(s.la for s in t)


def has_real_schools(old_la_code: str) -> bool:
    """Whether the LA has any school with a point in the vendored table."""
    return old_la_code in set(_points()[1])


def schools_within_reach(old_la_code: str, homes: F64) -> list[School]:
    """The LA's own schools and its neighbours' within reach of its homes (LSOA centroids):
    :data:`MAINSTREAM_REACH_M` for mainstream schools, :data:`SPECIAL_REACH_M` for state
    special schools, :data:`INDEPENDENT_REACH_M` for non-maintained and independent special
    schools. In the table's order (by URN)."""
    xy, las = _points()
    table = school_table()
    own = np.array([la == old_la_code for la in las])
    d = np.full(len(table), np.inf)
    if homes.shape[0]:
        d, _ = cKDTree(homes).query(xy, distance_upper_bound=INDEPENDENT_REACH_M)
    reach = {
        "primary": MAINSTREAM_REACH_M,
        "secondary": MAINSTREAM_REACH_M,
        "special": SPECIAL_REACH_M,
        "nm": INDEPENDENT_REACH_M,
        "independent_special": INDEPENDENT_REACH_M,
    }
    return [s for k, s in enumerate(table) if own[k] or float(d[k]) <= reach[s.type]]
