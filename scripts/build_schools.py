"""Build the generator's vendored schools table (``src/placement/data/schools.csv.gz``) from
the DfE's 2024/25 school census file and the schools' postcode points.

Run: ``.venv/bin/python scripts/build_schools.py [--shared ../shared]``.

Reads ``england-schools-2024-25/england_census.csv`` (``URN``, ``LA``, ``SCHOOLTYPE``, ``NOR``,
``NORG``, ``NORB``, ``TSENELSE``: pupils with an EHC plan) and ``england_school_coords.csv``
(``URN``, ``SCHNAME``, ``POSTCODE``, ``ISPRIMARY``, ``ISSECONDARY``, ``LAT``, ``LON``: the
postcode's centroid). Keeps the schools the generator can use, with a point:

- ``primary``, ``secondary``: state-funded primary and secondary schools;
- ``special``: state-funded special schools (the file does not tell LA maintained schools
  from academies: the generator estimates which, and flags it);
- ``nm``: non-maintained special schools;
- ``independent_special``: independent schools where at least half the pupils have an EHC
  plan (:data:`ISS_EHC_SHARE`; 812 with a point, against about 750 independent special schools in
  England). Other independent schools (mainstream fee-paying) are left out: the generator has
  no fees for them.

Left out: state-funded nurseries, AP schools (none has a point in the file), schools without
a point (about 700). Writes ``urn, la, type, name, district, primary, secondary, x, y, nor,
girls, boys, ehc`` (``district``: the postcode's outward code, to tell apart schools of the
same name; ``x``, ``y``: British National Grid metres, rounded), gzipped, sorted by URN.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import io
from pathlib import Path

import numpy as np
from pyproj import Transformer

ISS_EHC_SHARE = 0.5
TYPES = {
    "State-funded primary": "primary",
    "State-funded secondary": "secondary",
    "State-funded special school": "special",
    "Special school": "special",
    "Non-maintained special school": "nm",
    "Independent school": "independent_special",
}


def _int(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=here.parent / "shared")
    ap.add_argument("--out", type=Path, default=here / "src/placement/data/schools.csv.gz")
    args = ap.parse_args()
    src = args.shared / "data/england-schools-2024-25"
    census = [
        r
        for r in csv.DictReader((src / "england_census.csv").open(encoding="utf-8-sig"))
        if r["URN"] != "NAT"
    ]
    coords = {r["URN"]: r for r in csv.DictReader((src / "england_school_coords.csv").open())}
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    out, left = [], collections.Counter()
    for r in census:
        kind = TYPES.get(r["SCHOOLTYPE"])
        p = coords.get(r["URN"])
        nor, ehc = _int(r["NOR"]), _int(r["TSENELSE"])
        if kind == "independent_special" and (nor == 0 or ehc < ISS_EHC_SHARE * nor):
            kind = None
        if kind is None or p is None or not p["LAT"]:
            left[r["SCHOOLTYPE"] if kind is None else f"{r['SCHOOLTYPE']} (no point)"] += 1
            continue
        x, y = to_bng.transform(float(p["LON"]), float(p["LAT"]))
        out.append(
            (
                int(r["URN"]),
                r["LA"],
                kind,
                p["SCHNAME"].strip(),
                p["POSTCODE"].split()[0] if p["POSTCODE"].strip() else "",
                p["ISPRIMARY"],
                p["ISSECONDARY"],
                round(x),
                round(y),
                nor,
                _int(r["NORG"]),
                _int(r["NORB"]),
                ehc,
            )
        )
    out.sort()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "urn",
            "la",
            "type",
            "name",
            "district",
            "primary",
            "secondary",
            "x",
            "y",
            "nor",
            "girls",
            "boys",
            "ehc",
        ]
    )
    w.writerows(out)
    with gzip.GzipFile(args.out, "wb", mtime=0) as f:  # mtime 0: the same bytes every build
        f.write(buf.getvalue().encode())
    kinds = collections.Counter(o[2] for o in out)
    print(f"{len(out):,} schools -> {args.out}: {dict(kinds)}")
    print("left out:", dict(left))
    print(
        f"LAs with schools: {len({o[1] for o in out})}; EHC plans in them: "
        f"{sum(o[12] for o in out):,}; x range {np.min([o[7] for o in out])}-"
        f"{np.max([o[7] for o in out])}"
    )


if __name__ == "__main__":
    main()
