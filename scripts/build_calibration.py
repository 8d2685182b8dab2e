"""Build ``src/placement/data/calibration.csv`` from the DfE EHC plan statistics (2024/25) and the
UK local authorities register, so the generator works on a fresh clone without ../shared.

Run: ``.venv/bin/python scripts/build_calibration.py [--shared ../shared]``.

Sources (see src/placement/data/README.md):
- ``dfe-ehcp-2025/caseload.csv``: EHC plans by LA, by "Child or young persons age" and
  placement type; "Sex" for the male share (time_period 202425);
- ``dfe-ehcp-2025/sen_needs_all_plans.csv``: primary need by LA and age (202425);
- ``uk-local-authorities/uk_local_authorities_current.csv``: land area, population (2020) and
  British National Grid centroid, matched on ``gss-code`` = ``new_la_code``.
Suppressed cells (c, x, z, low, u) count as 0.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

NEEDS = ["asd", "hi", "mld", "msi", "oth", "pd", "pmld", "semh", "slcn", "sld", "spld", "vi"]
GROUPS = ["ey", "pri", "sec", "p16"]  # ages <=4, 5-10, 11-15, 16+
PLACEMENTS = {
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
AGES = list(range(2, 26))


def num(v: str | None) -> int:
    try:
        return int(float(v or 0))
    except ValueError:
        return 0  # suppressed: c, x, z, low, u


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


def group(age: int) -> str:
    return "ey" if age <= 4 else "pri" if age <= 10 else "sec" if age <= 15 else "p16"


def _geo(la: dict[str, object], r: dict[str, str]) -> None:
    la.update(
        area_km2=round(float(r["area"])),
        population=int(float(r["pop-2020"])),
        x=round(float(r["x"])),
        y=round(float(r["y"])),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "src/placement/data/calibration.csv",
    )
    args = ap.parse_args()
    d = args.shared / "data"
    rows: dict[str, dict[str, object]] = defaultdict(dict)
    with (d / "dfe-ehcp-2025/caseload.csv").open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["geographic_level"] != "Local authority" or r["time_period"] != "202425":
                continue
            la = rows[r["new_la_code"]]
            la.update(
                la_code=r["new_la_code"],
                old_la_code=r["old_la_code"],
                la_name=r["la_name"],
                region=r["region_name"],
            )
            topic = r["breakdown_topic"]
            if topic == "All EHC plans":
                la["plans"] = num(r["ehcplans"])
            elif topic == "Sex" and r["breakdown"] == "Male":
                la["male"] = num(r["ehcplans"])
            elif topic == "Child or young persons age":
                a = age_of(r["breakdown"])
                if a is None:
                    continue
                la[f"age_{a}"] = int(la.get(f"age_{a}", 0)) + num(r["ehcplans"])  # type: ignore[call-overload]
                g = group(a)
                placed = 0
                for cat, cols in PLACEMENTS.items():
                    v = sum(num(r[c]) for c in cols)
                    placed += v
                    key = f"p_{g}_{cat}"
                    la[key] = int(la.get(key, 0)) + v  # type: ignore[call-overload]
                key = f"p_{g}_other"
                la[key] = int(la.get(key, 0)) + max(0, num(r["ehcplans"]) - placed)  # type: ignore[call-overload]
    with (d / "dfe-ehcp-2025/sen_needs_all_plans.csv").open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["geographic_level"] != "Local authority" or r["time_period"] != "202425":
                continue
            if r["breakdown_topic"] != "Child or young persons age":
                continue
            a = age_of(r["breakdown"])
            if a is None or r["new_la_code"] not in rows:
                continue
            la = rows[r["new_la_code"]]
            g = group(a)
            for n in NEEDS:
                key = f"n_{g}_{n}"
                la[key] = int(la.get(key, 0)) + num(r[f"number_{n}"])  # type: ignore[call-overload]
    by_name: dict[str, dict[str, str]] = {}
    with (d / "uk-local-authorities/uk_local_authorities_current.csv").open(
        encoding="utf-8-sig"
    ) as fh:
        for r in csv.DictReader(fh):
            if not (r["area"] and r["pop-2020"] and r["x"]):
                continue
            by_name[r["nice-name"].lower()] = r
            if r["gss-code"] in rows:
                _geo(rows[r["gss-code"]], r)
    for la in rows.values():
        # the register keys a few reorganised councils by their new code (Buckinghamshire
        # E06000060 for the DfE's E10000002): fall back to the name
        if "area_km2" not in la and str(la["la_name"]).lower() in by_name:
            _geo(la, by_name[str(la["la_name"]).lower()])
    cols = [
        "la_code",
        "old_la_code",
        "la_name",
        "region",
        "plans",
        "male",
        "area_km2",
        "population",
        "x",
        "y",
    ]
    cols += [f"age_{a}" for a in AGES]
    cols += [f"n_{g}_{n}" for g in GROUPS for n in NEEDS]
    cols += [f"p_{g}_{c}" for g in GROUPS for c in [*PLACEMENTS, "other"]]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for code in sorted(rows):
            w.writerow({c: rows[code].get(c, 0) for c in cols})
    print(f"wrote {len(rows)} local authorities to {args.out}")


if __name__ == "__main__":
    main()
