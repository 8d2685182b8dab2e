"""The calibration: each LA's EHC plan statistics and the joint (age, placement, need) model.

Vocabulary of the vendored calibration file (``placement/data/calibration.csv``), the LA
profiles read from it, name and code resolution, and the iterative proportional fitting of
each LA's joint table (see :mod:`placement.generate`)."""

from __future__ import annotations

import csv
import re
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt

from placement.area import suggest
from placement.domain import Need

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

# -- vocabulary of the calibration file --------------------------------------------------------

NEEDS: Final = ("asd", "hi", "mld", "msi", "oth", "pd", "pmld", "semh", "slcn", "sld", "spld", "vi")
NEED_CODES: Final = tuple(Need(n.upper()) for n in NEEDS)
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
SPECIALIST: Final = frozenset(
    {
        "special_la",
        "special_academy",
        "special_independent",
        "special_nm",
        "ap",
        "post16_specialist",
    }
)
"""Placements whose settings are specialist (:attr:`SettingKind.is_specialist`)."""
TRANSFER_YEARS: Final = (0, 7, 12)  # Reception, Year 7, Year 12
TRANSFER_AGES: Final = tuple(y + 4 for y in TRANSFER_YEARS)

MAIN, RP, SLA, SAC, SIND, SNM, AP, FE, SPI, OTHER = range(len(PLACEMENTS))
SPECIALIST_IDX: Final = tuple(k for k, p in enumerate(PLACEMENTS) if p in SPECIALIST)
_NP, _NN, _NA = len(PLACEMENTS), len(NEEDS), len(AGES)
_N = {n: k for k, n in enumerate(NEED_CODES)}

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


def _data_text(name: str) -> str:
    return (resources.files("placement.data") / name).read_text(encoding="utf-8")


@cache
def list_las() -> tuple[LaProfile, ...]:
    """The 153 English LAs with EHC plan data, from the vendored calibration."""
    out = []
    for r in csv.DictReader(_data_text("calibration.csv").splitlines()):
        out.append(
            LaProfile(
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
                need_by_placement={
                    p: tuple(int(r[f"np_{p}_{n}"]) for n in NEEDS) for p in PLACEMENTS
                },
                placement_basis=r["placement_basis"],
                need_basis=r["need_basis"],
                awaiting=int(r.get("awaiting") or 0),
            )
        )
    return tuple(out)


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


# -- the joint model ---------------------------------------------------------------------------


def _div(a: F64, b: F64) -> F64:
    out: F64 = np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > 0)
    return out


@cache
def _national_age_placement() -> F64:
    rows = list(csv.DictReader(_data_text("national_age_placement.csv").splitlines()))
    return np.array([[float(r[p]) for p in PLACEMENTS] for r in rows], np.float64)


_AGE_GROUP = np.array([0 if a <= 4 else 1 if a <= 10 else 2 if a <= 15 else 3 for a in AGES])


@cache
def _joint(la_code: str) -> F64:
    """Expected plans by (age, placement, need), shape (24, 10, 12), summing to ``plans``.

    Iterative proportional fitting of a uniform start to the LA's three two-way tables, then
    single years within each age group from England's placement-by-age profile fitted to the
    LA's ages and the group's placements (see the module docstring).
    """
    la = next(x for x in list_las() if x.la_code == la_code)
    gp = np.array([la.placements[g] for g in GROUPS], np.float64)  # (4, 10)
    gn = np.array([la.needs[g] for g in GROUPS], np.float64)  # (4, 12)
    pn = np.array([la.need_by_placement[p] for p in PLACEMENTS], np.float64)  # (10, 12)
    mix = np.array([la.need_mix[n] for n in NEEDS], np.float64) + 1e-9
    # make the margins agree: unknown needs are spread like the known ones
    gn = np.where(gn.sum(1, keepdims=True) > 0, gn, mix[None, :])
    gn = gn * _div(gp.sum(1), gn.sum(1))[:, None]
    pn = np.where(pn.sum(1, keepdims=True) > 0, pn, mix[None, :])
    pn = pn * _div(gp.sum(0), pn.sum(1))[:, None]
    t = np.ones((4, _NP, _NN), np.float64)
    for _ in range(60):
        t *= _div(gn, t.sum(1))[:, None, :]
        t *= _div(pn, t.sum(0))[None, :, :]
        t *= _div(gp, t.sum(2))[:, :, None]  # last: the placement table holds exactly
    nat = _national_age_placement()
    ages = np.array(la.ages, np.float64)
    out = np.zeros((_NA, _NP, _NN), np.float64)
    for g in range(4):
        rows = np.flatnonzero(np.equal(_AGE_GROUP, g))
        q = nat[rows] + 1e-6
        target_p = t[g].sum(1)
        for _ in range(100):
            q *= _div(target_p, q.sum(0))[None, :]
            q *= _div(ages[rows], q.sum(1))[:, None]
        need_given_p = _div(t[g], t[g].sum(1)[:, None])
        out[rows] = q[:, :, None] * need_given_p[None, :, :]
    total = out.sum()
    if total > 0:
        out *= la.plans / total
    return out
