"""Build the generator's vendored LSOA table (``src/placement/data/lsoa.csv.gz``) from the ONS
population-weighted LSOA 2011 centroids and mid-year populations, each LSOA assigned to the
local authority (as the DfE counts EHC plans) that contains it.

Run: ``.venv/bin/python scripts/build_lsoa.py [--shared ../shared]``.

Reads ``lsoa-2011/england_lsoa_2011_centroids.csv`` (``name, code, x, y``: British National
Grid metres), ``lsoa-2011/lsoa_pop_and_imd.csv`` (all-ages population), the mySociety register
``uk-local-authorities/uk_local_authorities_current.csv`` and, to check the assignment,
``england-schools-2024-25/`` (census LA numbers and postcode points).

Which LA an LSOA belongs to: an LSOA 2011 is named after its 2011 local authority district
("Maidstone 012A"). The district is looked up in the register by name (four districts are
written differently there: Bristol, Lincoln, King's Lynn and West Norfolk, and Shepway, now
Folkestone and Hythe), followed through ``replaced-by`` to today's council (Aylesbury Vale to
Buckinghamshire, Corby to North Northamptonshire, Allerdale to Cumberland, ...), and then
to the council that holds education: itself where the DfE counts its plans (a unitary, London
borough or metropolitan district; matched on code, former code or name, as North Yorkshire,
Somerset and Buckinghamshire are still coded as their counties in the DfE files), else its
``county-la``. Where no name resolves, the LA
number most common among the seven nearest schools with a point (census ``LA``) is used. The
build prints how many LSOAs each rule assigned and how often the name rule agrees with the
nearest schools' LA (a check: near a boundary the schools' vote can be wrong).

Writes ``lsoa_code, x, y, population, la`` (``la``: the three-digit LA number, as the
calibration's ``old_la_code``; x and y rounded to the metre), gzipped, sorted by code.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import io
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

ALIASES = {
    "Bristol": "City of Bristol",
    "Lincoln": "City of Lincoln",
    "King's Lynn and West Norfolk": "Kings Lynn and West Norfolk",
    "Shepway": "Folkestone and Hythe",
}


def _bng(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = t.transform(lon, lat)
    return np.asarray(x), np.asarray(y)


class EducationLa:
    """The LA number (as the calibration's ``old_la_code``) of the council that holds
    education for a district of the register (see the module docstring)."""

    def __init__(self, calibration: Path, register: Path) -> None:
        calib = list(csv.DictReader(calibration.open()))
        self.old_of_gss = {r["la_code"]: r["old_la_code"] for r in calib}
        self.old_of_name = {r["la_name"]: r["old_la_code"] for r in calib}
        eng = [r for r in csv.DictReader(register.open()) if r["nation"] == "England"]
        self.by_code = {r["local-authority-code"]: r for r in eng}
        self.by_name: dict[str, dict[str, str]] = {}
        for r in eng:
            for key in (r["nice-name"], r["official-name"]):
                self.by_name.setdefault(key, r)
        for r in eng:  # the DfE's codes that the register keeps as former codes (Buckinghamshire)
            for g in r["former-gss-codes"].split(","):
                if g.strip() in self.old_of_gss and r["gss-code"] not in self.old_of_gss:
                    self.old_of_gss[r["gss-code"]] = self.old_of_gss[g.strip()]

    def of_district(self, district: str) -> str | None:
        r = self.by_name.get(ALIASES.get(district, district))
        return self._of(r) if r else None

    def _of(self, r: dict[str, str]) -> str | None:
        seen = set()
        while (
            r["replaced-by"]
            and r["replaced-by"] in self.by_code
            and r["local-authority-code"] not in seen
        ):
            seen.add(r["local-authority-code"])
            r = self.by_code[r["replaced-by"]]
        if r["gss-code"] in self.old_of_gss:
            return self.old_of_gss[r["gss-code"]]
        if r["nice-name"] in self.old_of_name:  # a new unitary the DfE still codes as the county
            return self.old_of_name[r["nice-name"]]
        county = self.by_code.get(r["county-la"])
        return self.old_of_gss.get(county["gss-code"]) if county else None


def school_votes(schools: Path, xy: np.ndarray) -> list[str]:
    """For each point, the LA number most common among the seven nearest schools with a
    point (census ``LA``): the check on the district rule, and its fallback."""
    census = {
        r["URN"]: r["LA"]
        for r in csv.DictReader((schools / "england_census.csv").open(encoding="utf-8-sig"))
        if r["URN"] != "NAT"
    }
    pts = [
        r
        for r in csv.DictReader((schools / "england_school_coords.csv").open())
        if r["URN"] in census and r["LAT"]
    ]
    sx, sy = _bng(
        np.array([float(r["LAT"]) for r in pts]), np.array([float(r["LON"]) for r in pts])
    )
    s_la = [census[r["URN"]] for r in pts]
    _, near = cKDTree(np.column_stack([sx, sy])).query(xy, k=7)
    return [collections.Counter(s_la[int(j)] for j in nb).most_common(1)[0][0] for nb in near]


def write(rows: list[tuple[str, int, int, int, str]], path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["lsoa_code", "x", "y", "population", "la"])
    w.writerows(rows)
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: the same bytes every build
        f.write(buf.getvalue().encode())


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=here.parent / "shared")
    ap.add_argument("--out", type=Path, default=here / "src/placement/data/lsoa.csv.gz")
    args = ap.parse_args()
    data = args.shared / "data"
    education_la = EducationLa(
        here / "src/placement/data/calibration.csv",
        data / "uk-local-authorities/uk_local_authorities_current.csv",
    )
    pop = {
        r["Area Codes"]: int(r["All Ages"])
        for r in csv.DictReader((data / "lsoa-2011/lsoa_pop_and_imd.csv").open())
    }
    rows = list(csv.DictReader((data / "lsoa-2011/england_lsoa_2011_centroids.csv").open()))
    xy = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    votes = school_votes(data / "england-schools-2024-25", xy)
    out, how, agree, checked = [], collections.Counter(), 0, 0
    unresolved: collections.Counter[str] = collections.Counter()
    for r, vote in zip(rows, votes, strict=True):
        district = r["name"].rsplit(" ", 1)[0]
        la = education_la.of_district(district)
        if la is None:
            la, rule = vote, "nearest schools"
            unresolved[district] += 1
        else:
            rule = "district name"
            checked += 1
            agree += la == vote
        how[rule] += 1
        if r["code"] not in pop:
            raise SystemExit(f"no population for {r['code']}")
        out.append((r["code"], round(float(r["x"])), round(float(r["y"])), pop[r["code"]], la))
    out.sort()
    missing = set(education_la.old_of_gss.values()) - {o[4] for o in out}
    write(out, args.out)
    print(f"{len(out):,} LSOAs, {sum(o[3] for o in out):,} people -> {args.out}")
    print("assigned by:", dict(how))
    print(
        f"district name agrees with the nearest schools' LA for {agree:,} of {checked:,}"
        f" ({agree / max(1, checked):.1%})"
    )
    print("districts by nearest schools:", dict(unresolved))
    print("LAs without an LSOA:", sorted(missing) or "none")


if __name__ == "__main__":
    main()
