"""The register of English local authorities: the 153 with EHC plan statistics.

Each LA's row of the vendored calibration (``placement/data/calibration.csv``, built by
``scripts/build_calibration.py``; provenance in ``placement/data/README.md``) as a
:class:`LaProfile`, the vocabulary of its columns, and finding an LA by name or code
(:func:`resolve_la`). The generator (:mod:`placement.generate`) draws areas like these LAs;
the service and the web pages name an area's LA from it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import cache
from typing import Final

from placement.area import suggest
from placement.data import vendored_rows
from placement.domain import Need

__all__ = [
    "AGES",
    "GROUPS",
    "MALE_SHARE_ENGLAND",
    "NEEDS",
    "PLACEMENTS",
    "LaProfile",
    "UnknownAreaError",
    "list_las",
    "resolve_la",
]

# -- vocabulary of the calibration file --------------------------------------------------------

NEEDS: Final = ("asd", "hi", "mld", "msi", "oth", "pd", "pmld", "semh", "slcn", "sld", "spld", "vi")
GROUPS: Final = ("ey", "pri", "sec", "p16")  # ages 2-4, 5-10, 11-15, 16-25
PLACEMENTS: Final = (
    "mainstream",
    "rp_su",
    "special_la",
    "special_academy",
    "special_independent",
    "special_nm",
    "ap",
    "fe",
    "post16_specialist",
    "other",
)
AGES: Final = tuple(range(2, 26))  # age on 31 August; "under 3" is counted as 2

MALE_SHARE_ENGLAND = 0.72  # DfE 2025: 72% of plans are for boys (fallback where none given)


class UnknownAreaError(ValueError):
    """No local authority with that name or code (the message suggests the nearest)."""


@dataclass(frozen=True, slots=True)
class LaProfile:
    """One LA's calibration row (DfE EHC plans, January 2025; LA register; see module doc).

    ``ages`` counts plans by age 2..25 (:data:`AGES`); ``needs`` maps each age group
    (:data:`GROUPS`) to primary need counts in :data:`NEEDS` order; ``placements`` maps each
    age group to placement counts in :data:`PLACEMENTS` order; ``need_by_placement`` maps
    each placement to need counts; ``need_mix`` is the published need mix of all plans
    (with ``"ds"`` = 0 and ``"unknown"``); ``rp`` and ``su`` split the ``rp_su`` placement
    into resourced provision and SEN units. ``x``, ``y`` are British National Grid metres.
    """

    la_code: str
    old_la_code: str
    la_name: str
    region: str
    plans: int
    male: int
    area_km2: float
    population: int
    x: float
    y: float
    ages: tuple[int, ...]
    needs: dict[str, tuple[int, ...]]
    placements: dict[str, tuple[int, ...]]
    female: int = 0
    rp: int = 0
    su: int = 0
    need_mix: dict[str, int] = field(default_factory=dict)
    need_by_placement: dict[str, tuple[int, ...]] = field(default_factory=dict)
    placement_basis: str = "202425"
    need_basis: str = "202425"
    awaiting: int = 0
    """Plans in "other types of placement" (all ages), inside ``other``: since 2023 the DfE
    counts children awaiting provision there, with those whose plan names a type of setting
    but no setting and those out of provision (data guidance, footnote 3). The real share a
    baseline run's unplaced children are measured against (``scripts/placement_mix.py``)."""

    @property
    def male_share(self) -> float:
        known = self.male + self.female
        return self.male / known if known else MALE_SHARE_ENGLAND

    def need_shares(self) -> dict[Need, float]:
        """Share of each primary need among plans whose need is recorded (DS: 0)."""
        counts = {Need(k.upper()): v for k, v in self.need_mix.items() if k != "unknown"}
        total = sum(counts.values())
        return {n: (counts.get(n, 0) / total if total else 0.0) for n in Need}

    def placement_totals(self) -> dict[str, int]:
        """Plans by placement (:data:`PLACEMENTS`), all ages."""
        return {p: sum(self.placements[g][k] for g in GROUPS) for k, p in enumerate(PLACEMENTS)}


def _profile(r: dict[str, str]) -> LaProfile:
    """One row of ``calibration.csv``."""
    return LaProfile(
        la_code=r["la_code"],
        old_la_code=r["old_la_code"],
        la_name=r["la_name"],
        region=r["region"],
        plans=int(r["plans"]),
        male=int(r["male"]),
        female=int(r["female"]),
        rp=int(r["rp"]),
        su=int(r["su"]),
        area_km2=float(r["area_km2"]),
        population=int(r["population"]),
        x=float(r["x"]),
        y=float(r["y"]),
        ages=tuple(int(r[f"age_{a}"]) for a in AGES),
        needs={g: tuple(int(r[f"n_{g}_{n}"]) for n in NEEDS) for g in GROUPS},
        placements={g: tuple(int(r[f"p_{g}_{p}"]) for p in PLACEMENTS) for g in GROUPS},
        need_mix={n: int(r[f"need_{n}"]) for n in (*NEEDS, "ds", "unknown")},
        need_by_placement={p: tuple(int(r[f"np_{p}_{n}"]) for n in NEEDS) for p in PLACEMENTS},
        placement_basis=r["placement_basis"],
        need_basis=r["need_basis"],
        awaiting=int(r.get("awaiting") or 0),
    )


@cache
def list_las() -> tuple[LaProfile, ...]:
    """The 153 English LAs with EHC plan data, from the vendored calibration."""
    return tuple(_profile(r) for r in vendored_rows("calibration.csv"))


def _norm(text: str) -> str:
    s = text.strip().lower().replace("&", " and ")
    s = re.sub(r"[.'’]", "", s)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


@cache
def _index() -> dict[str, LaProfile]:
    idx: dict[str, LaProfile] = {}
    for la in list_las():
        keys = [la.la_code.lower(), la.old_la_code, _norm(la.la_name)]
        if "," in la.la_name:  # "Bristol, City of": "Bristol" and "City of Bristol"
            head, tail = (p.strip() for p in la.la_name.split(",", 1))
            keys += [_norm(head), _norm(f"{tail} {head}")]
        for k in keys:
            idx.setdefault(k, la)
    return idx


def resolve_la(name_or_code: str) -> LaProfile:
    """An LA by name (any case; "Bristol" and "City of Bristol" find "Bristol, City of"), new
    code (E10000016) or old three-digit code (886).

    Raises :class:`UnknownAreaError` with a "did you mean" suggestion.
    """
    la = _index().get(_norm(name_or_code))
    if la is not None:
        return la
    text = name_or_code.strip()
    if re.fullmatch(r"[Ee]\d+|\d+", text):
        codes = [x.la_code for x in list_las()] + [x.old_la_code for x in list_las()]
        hint = suggest(text.upper(), codes)
    else:
        hint = suggest(string.capwords(text), [x.la_name for x in list_las()])
    raise UnknownAreaError(
        f"unknown local authority {name_or_code!r}{hint}"
        " (give a name such as Kent, a code such as E10000016, or an old code such as 886)"
    )
