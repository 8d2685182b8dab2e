"""Build the generator's vendored calibration (``src/placement/data/``) from the DfE EHC plan
statistics (reporting year 2025, time period 2024/25) and the UK local authorities register,
so that ``placement.generate`` works on a fresh clone without ``../shared``.

Run: ``.venv/bin/python scripts/build_calibration.py [--shared ../shared]``.

Writes two files (provenance in ``src/placement/data/README.md``):

``calibration.csv``, one row per English LA with EHC plan data (153):
    identity (``la_code`` = DfE ``new_la_code``, ``old_la_code``, ``la_name``, ``region``),
    ``plans`` (all EHC plans, January 2025), ``male``/``female`` (breakdown "Sex"), ``rp``
    and ``su`` (plans in resourced provision and in SEN units),
    ``need_<need>`` (primary need of all plans, with ``need_ds`` = 0 and ``need_unknown``),
    ``age_2`` ... ``age_25`` (breakdown "Child or young persons age"; "under 3" counted as 2),
    ``n_<group>_<need>`` (primary need by age group), ``p_<group>_<placement>`` (placement by
    age group), ``np_<placement>_<need>`` (primary need by placement), land area, population
    and British National Grid representative point, and two provenance flags
    (``placement_basis``, ``need_basis``) naming any fallback used for that LA.
``national_age_placement.csv``: England's plans by single year of age and placement (2024/25),
    used to spread an age group's placements over its single years.

Age groups: ``ey`` ages 2-4, ``pri`` 5-10, ``sec`` 11-15, ``p16`` 16-25 (ages on 31 August,
so ``nc_year = age - 4``). Placements: ``mainstream`` (LA maintained, academy, free school and
independent mainstream), ``rp_su`` (resourced provision and SEN units), ``special_la``,
``special_academy``, ``special_independent``, ``special_nm``, ``ap`` (AP/PRU total), ``fe``
(general FE and tertiary colleges), ``post16_specialist`` (specialist post-16 institutions),
``other`` (educated elsewhere, UKRLP providers, non-maintained early years, not recorded).

Suppression: the 2024/25 files write ``x`` ("unavailable") and ``z`` ("not applicable"); the
guidance also lists ``c`` and ``low`` conventions from other releases. No cell in the rows
used here is ``c``, ``z`` or ``low``; ``x`` occurs in three places, each handled explicitly:

- Cambridgeshire and North East Lincolnshire could not return placements for 2025 (guidance
  footnote 1): every placement column is ``x``. Their placement mix by age group is their own
  2023/24 mix scaled to 2024/25 totals (``placement_basis = "202324"``), and their need by
  placement is England's need mix per placement fitted to their totals (``need_basis``
  includes ``national-by-placement``).
- Surrey's amended need figures have no characteristics (footnote 2): need by age and by
  placement are ``x``. They are England's shapes fitted to Surrey's own need mix and age and
  placement totals (``need_basis = "national-shape"``).
- Columns for years before 2023 (``await_prov_2022``, ``perm_ex_2022``) are not used.

Any other non-numeric cell stops the build: silently counting it as zero would bias the mix.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from placement.register import AGES, GROUPS, NEEDS, PLACEMENTS

YEAR = "202425"
FALLBACK_YEAR = "202324"
SUPPRESSED = {"x", "z", "c", "low", "u"}

# caseload.csv columns for each placement (``other`` = ehcplans less the rest)
CASELOAD_COLUMNS = {
    "mainstream": [
        "mainstream_la_maintained",
        "mainstream_academy",
        "mainstream_free_school",
        "mainstream_independent",
    ],
    "rp_su": [
        "mainstream_la_maintained_resourced_provision",
        "mainstream_la_maintained_senunit",
        "mainstream_academy_resourced_provision",
        "mainstream_academy_senunit",
        "mainstream_free_school_resourced_provision",
        "mainstream_free_school_senunit",
    ],
    "special_la": ["special_la_maintained"],
    "special_academy": ["special_academy_free"],
    "special_independent": ["special_independent"],
    "special_nm": ["special_non_maintained"],
    "ap": ["ap_pru_total"],
    "fe": ["general_fe_tertiary_colleges"],
    "post16_specialist": ["specialist_post_16_institutions"],
}
assert list(PLACEMENTS) == [*CASELOAD_COLUMNS, "other"]  # the register's vocabulary
# within "other": since 2023 the DfE counts children awaiting provision (with those whose plan
# names a type of setting but no setting, and those out of provision) as "other types of
# placement" (data guidance, footnote 3; ``await_prov_2022`` is the older column)
AWAITING_COLUMN = "other_placement_settings"
RP_COLUMNS = [c for c in CASELOAD_COLUMNS["rp_su"] if "resourced" in c]
SU_COLUMNS = [c for c in CASELOAD_COLUMNS["rp_su"] if "senunit" in c]

# sen_needs_all_plans.csv "Type of placement" rows for each placement (mainstream is the
# total less the resourced provision and SEN unit rows)
RP_SU_ROWS = [
    "Mainstream - academy (resourced provision)",
    "Mainstream - academy (SEN unit)",
    "Mainstream - free school (resourced provision)",
    "Mainstream - free school (SEN unit)",
    "Mainstream - LA maintained (resourced provision)",
    "Mainstream - LA maintained (SEN unit)",
]
NEED_ROWS = {
    "mainstream": ["Mainstream - total"],
    "rp_su": RP_SU_ROWS,
    "special_la": ["Special - LA maintained"],
    "special_academy": ["Special - Academy/free schools"],
    "special_independent": ["Special - independent"],
    "special_nm": ["Special - non-maintained"],
    "ap": ["AP/PRU - total"],
    "fe": ["FE - general FE and tertiary colleges"],
    "post16_specialist": ["FE - specialist post-16 institutions"],
    "other": [
        "Educated elsewhere - total",
        "FE - UKRLP provider",
        "Non-maintained early years",
        "Placement not recorded",
    ],
}


class SuppressedError(Exception):
    """A suppressed cell where a number is needed."""


def num(v: str | None) -> int:
    """A count; a suppressed marker raises :class:`SuppressedError`."""
    s = (v or "").strip()
    if s.lower() in SUPPRESSED:
        raise SuppressedError(s)
    if s == "":
        return 0
    return int(float(s))


def age_of(breakdown: str) -> int | None:
    b = breakdown.strip().lower()
    if b in ("under 3", "age 2 and under"):
        return 2
    if b.startswith("age "):
        try:
            return min(25, int(b.split()[1]))
        except ValueError:
            return None
    return None


def group_of(age: int) -> int:
    return 0 if age <= 4 else 1 if age <= 10 else 2 if age <= 15 else 3


def ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 200) -> np.ndarray:
    """Fit ``seed`` (R x C) to row and column totals (iterative proportional fitting)."""
    t = seed.astype(float) + 1e-9
    rows = rows.astype(float)
    cols = cols.astype(float) * (rows.sum() / max(cols.sum(), 1e-9))
    for _ in range(iters):
        t *= (rows / np.maximum(t.sum(1), 1e-12))[:, None]
        t *= (cols / np.maximum(t.sum(0), 1e-12))[None, :]
    return t


def integerise(t: np.ndarray, total: int) -> np.ndarray:
    """Round a non-negative array to whole numbers summing to ``total`` (largest remainder)."""
    flat = t.ravel() * (total / max(t.sum(), 1e-12))
    base = np.floor(flat).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        base[np.argsort(-(flat - base), kind="stable")[:short]] += 1
    return base.reshape(t.shape)


def read(path: Path, level: str = "Local authority") -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["geographic_level"] == level:
                yield r


@dataclass
class Caseload:
    """``caseload.csv`` read: each LA's identity and counts, its ages and placements by age
    group (and 2023/24's, for the LAs without 2025 placements), and England's placement by
    single year of age."""

    la: dict[str, dict[str, object]] = field(default_factory=dict)
    gp: dict[str, np.ndarray] = field(
        default_factory=lambda: defaultdict(lambda: np.zeros((4, len(PLACEMENTS)), np.int64))
    )
    gp_old: dict[str, np.ndarray] = field(
        default_factory=lambda: defaultdict(lambda: np.zeros((4, len(PLACEMENTS)), np.int64))
    )
    ages: dict[str, np.ndarray] = field(
        default_factory=lambda: defaultdict(lambda: np.zeros(len(AGES), np.int64))
    )
    no_placement: set[str] = field(default_factory=set)
    old_rp: dict[str, tuple[int, int]] = field(default_factory=dict)
    old_awaiting: dict[str, float] = field(default_factory=dict)
    nat_ap: np.ndarray = field(
        default_factory=lambda: np.zeros((len(AGES), len(PLACEMENTS)), np.int64)
    )


@dataclass
class NeedTables:
    """``sen_needs_all_plans.csv`` read: each LA's need mix, need by age group and by
    placement, England's, and the LAs whose need detail is suppressed."""

    need_all: dict[str, np.ndarray] = field(default_factory=dict)
    gn: dict[str, np.ndarray] = field(
        default_factory=lambda: defaultdict(lambda: np.zeros((4, len(NEEDS)), np.int64))
    )
    pn: dict[str, np.ndarray] = field(
        default_factory=lambda: defaultdict(
            lambda: np.zeros((len(PLACEMENTS), len(NEEDS)), np.int64)
        )
    )
    nat_pn: np.ndarray = field(
        default_factory=lambda: np.zeros((len(PLACEMENTS), len(NEEDS)), np.int64)
    )
    nat_gn: np.ndarray = field(default_factory=lambda: np.zeros((4, len(NEEDS)), np.int64))
    no_need_detail: set[str] = field(default_factory=set)


def placements_of(r: dict[str, str]) -> np.ndarray:
    v = np.array([sum(num(r[c]) for c in cols) for cols in CASELOAD_COLUMNS.values()])
    return np.append(v, num(r["ehcplans"]) - int(v.sum()))


def units_of(r: dict[str, str]) -> tuple[int, int]:
    return sum(num(r[c]) for c in RP_COLUMNS), sum(num(r[c]) for c in SU_COLUMNS)


def read_caseload(caseload: Path) -> Caseload:
    c = Caseload()
    for r in read(caseload, "National"):
        if r["time_period"] == YEAR and r["breakdown_topic"] == "Child or young persons age":
            a = age_of(r["breakdown"])
            if a is not None:
                c.nat_ap[a - 2] += placements_of(r)
    for r in read(caseload):
        if r["time_period"] == FALLBACK_YEAR:
            with contextlib.suppress(SuppressedError):
                _fallback_row(c, r)
        elif r["time_period"] == YEAR:
            _caseload_row(c, r)
    return c


def _fallback_row(c: Caseload, r: dict[str, str]) -> None:
    """A 2023/24 row: the placements, units and awaiting share of the LAs without 2025's."""
    code, topic = r["new_la_code"], r["breakdown_topic"]
    if topic == "All EHC plans":
        c.old_awaiting[code] = num(r[AWAITING_COLUMN]) / max(1, num(r["ehcplans"]))
        c.old_rp[code] = units_of(r)
    elif topic == "Child or young persons age":
        a = age_of(r["breakdown"])
        if a is not None:
            c.gp_old[code][group_of(a)] += placements_of(r)


def _caseload_row(c: Caseload, r: dict[str, str]) -> None:
    code, topic = r["new_la_code"], r["breakdown_topic"]
    row = c.la.setdefault(
        code,
        {
            "la_code": code,
            "old_la_code": r["old_la_code"],
            "la_name": r["la_name"],
            "region": r["region_name"],
        },
    )
    if topic == "All EHC plans":
        row["plans"] = num(r["ehcplans"])
        with contextlib.suppress(SuppressedError):
            row["awaiting"] = num(r[AWAITING_COLUMN])
        with contextlib.suppress(SuppressedError):
            row["rp"], row["su"] = units_of(r)
    elif topic == "Sex" and r["breakdown"] in ("Male", "Female"):
        row[r["breakdown"].lower()] = num(r["ehcplans"])
    elif topic == "Child or young persons age":
        a = age_of(r["breakdown"])
        if a is None:
            return
        c.ages[code][a - 2] += num(r["ehcplans"])
        try:
            c.gp[code][group_of(a)] += placements_of(r)
        except SuppressedError:
            c.no_placement.add(code)


def read_needs(needs_file: Path) -> NeedTables:
    """Primary need: all plans, by age group, by placement (England's and each LA's)."""
    nt = NeedTables()
    row_of = {name: k for k, rows in enumerate(NEED_ROWS.values()) for name in rows}
    for level in ("National", "Local authority"):
        for r in read(needs_file, level):
            if r["time_period"] != YEAR:
                continue
            code, topic, b = r["new_la_code"], r["breakdown_topic"], r["breakdown"]
            try:
                v = np.array([num(r[f"number_{n}"]) for n in NEEDS])
            except SuppressedError:
                nt.no_need_detail.add(code)
                continue
            if topic == "All EHC plans":
                if level == "Local authority":
                    nt.need_all[code] = np.append(v, num(r["number_need_unknown"]))
                continue
            if topic == "Child or young persons age":
                a = age_of(b)
                if a is not None:
                    (nt.nat_gn if level == "National" else nt.gn[code])[group_of(a)] += v
            elif topic == "Type of placement" and b in row_of:
                target = nt.nat_pn if level == "National" else nt.pn[code]
                target[row_of[b]] += v
                if b in RP_SU_ROWS:  # mainstream = total less the RP/SU rows
                    target[0] -= v
    return nt


def read_register(register: Path) -> dict[str, dict[str, str]]:
    """The register's English councils by code, former code and name: it keys a reorganised
    council by its current code (Buckinghamshire: E06000060 since 2020, still E10000002 in
    the DfE files), so a lookup falls back to the name of a current council."""
    geo: dict[str, dict[str, str]] = {}
    with register.open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["nation"] != "England" or not (r["area"] and r["pop-2020"] and r["x"]):
                continue
            for c in [r["gss-code"], *r["former-gss-codes"].split(",")]:
                if c.strip():
                    geo.setdefault(c.strip(), r)
            geo.setdefault(r["nice-name"].lower(), r)
    return geo


def la_row(
    code: str, cl: Caseload, nt: NeedTables, geo: dict[str, dict[str, str]]
) -> dict[str, object]:
    """One LA's row of calibration.csv, with the fallbacks for suppressed cells."""
    row = cl.la[code]
    plans = int(row["plans"])  # type: ignore[call-overload]
    if int(cl.ages[code].sum()) != plans:
        raise SystemExit(f"{row['la_name']}: ages sum to {cl.ages[code].sum()}, not {plans}")
    basis_p, basis_n = YEAR, []
    g_totals = np.array([cl.ages[code][[group_of(a) == g for a in AGES]].sum() for g in range(4)])
    if code in cl.no_placement:
        _placements_from_fallback(code, row, cl, g_totals)
        basis_p = FALLBACK_YEAR
    need = nt.need_all[code]
    if code in nt.no_need_detail or nt.gn[code].sum() == 0:
        # need by age: England's need mix per age group fitted to the LA's need mix
        nt.gn[code] = integerise(ipf(nt.nat_gn, g_totals, need[:-1]), int(need[:-1].sum()))
        basis_n.append("national-shape")
    if code in nt.no_need_detail or code in cl.no_placement or nt.pn[code].sum() == 0:
        p_tot = cl.gp[code].sum(0)
        nt.pn[code] = integerise(ipf(nt.nat_pn, p_tot, need[:-1]), int(need[:-1].sum()))
        basis_n.append("national-by-placement")
    g = geo.get(code) or geo.get(str(row["la_name"]).lower())
    if g is None:
        raise SystemExit(f"{row['la_name']} ({code}) is not in the LA register")
    out: dict[str, object] = dict(row)
    out.update(
        male=row.get("male", 0),
        female=row.get("female", 0),
        rp=row.get("rp", 0),
        su=row.get("su", 0),
        area_km2=round(float(g["area"])),
        population=int(float(g["pop-2020"])),
        x=round(float(g["x"])),
        y=round(float(g["y"])),
        placement_basis=basis_p,
        # awaiting provision (and the rest of "other types of placement"), within "other"
        awaiting=min(
            int(cl.gp[code][:, -1].sum()),
            int(row["awaiting"])  # type: ignore[call-overload]
            if "awaiting" in row
            else round(cl.old_awaiting.get(code, 0.0) * plans),
        ),
        need_basis="+".join(basis_n) or YEAR,
    )
    out.update(_counts(code, cl, nt))
    return out


def _placements_from_fallback(
    code: str, row: dict[str, object], cl: Caseload, g_totals: np.ndarray
) -> None:
    """An LA without 2025 placements: its 2023/24 mix by age group scaled to 2025's totals,
    its units split as in 2023/24."""
    old = cl.gp_old[code].astype(float)
    if old.sum() == 0:
        raise SystemExit(f"{row['la_name']}: no placements in {YEAR} or {FALLBACK_YEAR}")
    shares = old / np.maximum(old.sum(1, keepdims=True), 1)
    cl.gp[code] = np.vstack([integerise(shares[g], int(g_totals[g])) for g in range(4)])
    rp_old, su_old = cl.old_rp.get(code, (1, 1))
    rp_su = int(cl.gp[code][:, 1].sum())
    row["rp"] = round(rp_su * rp_old / max(1, rp_old + su_old))
    row["su"] = rp_su - int(row["rp"])  # type: ignore[call-overload]


def _counts(code: str, cl: Caseload, nt: NeedTables) -> dict[str, int]:
    """The LA's need mix, ages, need and placement by age group, and need by placement."""
    need = nt.need_all[code]
    out: dict[str, int] = {f"need_{n}": int(need[k]) for k, n in enumerate(NEEDS)}
    out["need_ds"] = 0  # DS is inside OTH in the 2025 files (guidance footnote 1)
    out["need_unknown"] = int(need[-1])
    for k, a in enumerate(AGES):
        out[f"age_{a}"] = int(cl.ages[code][k])
    for gi, gname in enumerate(GROUPS):
        for k, n in enumerate(NEEDS):
            out[f"n_{gname}_{n}"] = int(nt.gn[code][gi, k])
        for k, p in enumerate(PLACEMENTS):
            out[f"p_{gname}_{p}"] = int(cl.gp[code][gi, k])
    for pi, p in enumerate(PLACEMENTS):
        for k, n in enumerate(NEEDS):
            out[f"np_{p}_{n}"] = int(max(0, nt.pn[code][pi, k]))
    return out


def write(out_dir: Path, out_rows: list[dict[str, object]], nat_ap: np.ndarray) -> None:
    cols = [
        "la_code", "old_la_code", "la_name", "region", "plans", "male", "female", "rp", "su",
        "area_km2", "population", "x", "y", "placement_basis", "need_basis", "awaiting",
    ]  # fmt: skip
    cols += [f"need_{n}" for n in NEEDS] + ["need_ds", "need_unknown"]
    cols += [f"age_{a}" for a in AGES]
    cols += [f"n_{g}_{n}" for g in GROUPS for n in NEEDS]
    cols += [f"p_{g}_{p}" for g in GROUPS for p in PLACEMENTS]
    cols += [f"np_{p}_{n}" for p in PLACEMENTS for n in NEEDS]
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "calibration.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(out_rows)
    with (out_dir / "national_age_placement.csv").open("w", newline="", encoding="utf-8") as fh:
        w2 = csv.writer(fh, lineterminator="\n")
        w2.writerow(["age", *PLACEMENTS])
        for k, a in enumerate(AGES):
            w2.writerow([a, *(int(v) for v in nat_ap[k])])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    ap.add_argument("--shared", type=Path, default=here.parent / "shared")
    ap.add_argument("--out", type=Path, default=here / "src/placement/data")
    args = ap.parse_args()
    d = args.shared / "data"
    cl = read_caseload(d / "dfe-ehcp-2025/caseload.csv")
    nt = read_needs(d / "dfe-ehcp-2025/sen_needs_all_plans.csv")
    geo = read_register(d / "uk-local-authorities/uk_local_authorities_current.csv")
    out_rows = [la_row(code, cl, nt, geo) for code in sorted(cl.la)]
    write(args.out, out_rows, cl.nat_ap)
    print(f"wrote {len(out_rows)} local authorities to {args.out / 'calibration.csv'}")
    for r in out_rows:
        if r["placement_basis"] != YEAR or r["need_basis"] != YEAR:
            print(f"  {r['la_name']}: placement {r['placement_basis']}, need {r['need_basis']}")


if __name__ == "__main__":
    main()
