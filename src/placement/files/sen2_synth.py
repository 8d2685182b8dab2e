"""A synthetic SEN2 person-level return, written from a synthetic area (never real data).

For tests and benchmarks of :mod:`placement.files.sen2`: each child of the area becomes a
person with a request, an assessment, a named plan with its plan detail, an active plan, its
placements (the current one open; some children also have an earlier, closed one) and its SEN
needs (rank 1 the primary need). Names, UPNs and ULNs are made up and distinctive, so a test
can look for them in an import's output; postcodes are made-up ``ZZ`` postcodes, with a
postcode lookup (ONS Postcode Directory columns) that puts each at the child's home. A few
persons have a request but no plan.

Written in both forms LAs produce: the COLLECT "Blade" CSV export (a folder, one CSV per
module, dates as ``2015-Mar-31 00:00:00``) and the pre-submission Excel workbook (one sheet
per module, dates as date cells).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from placement.area import Area
from placement.domain import Child, Setting, SettingKind

__all__ = [
    "BLADE_FILES",
    "COLUMNS",
    "SHEETS",
    "SyntheticReturn",
    "synthetic_return",
    "write_blade_csv",
    "write_postcodes",
    "write_workbook",
]

COLUMNS: dict[str, tuple[str, ...]] = {
    "person": (
        "persontableid",
        "surname",
        "forename",
        "personbirthdate",
        "sex",
        "ethnicity",
        "postcode",
        "upn",
        "uniquelearnernumber",
        "upnunknown",
    ),
    "requests": (
        "requeststableid",
        "persontableid",
        "receiveddate",
        "rya",
        "requestoutcomedate",
        "requestoutcome",
    ),
    "assessments": (
        "assessmenttableid",
        "requeststableid",
        "assessmentoutcome",
        "assessmentoutcomedate",
    ),
    "named_plan": ("namedplantableid", "assessmenttableid", "startdate"),
    "plan_detail": (
        "plandetailtableid",
        "namedplantableid",
        "urn",
        "ukprn",
        "sensetting",
        "placementrank",
        "senunitindicator",
        "resourcedprovisionindicator",
    ),
    "active_plans": (
        "activeplanstableid",
        "requeststableid",
        "transferla",
        "phasetransferduedate",
        "reviewmeeting",
        "reviewoutcome",
    ),
    "placement_detail": (
        "placementdetailtableid",
        "activeplanstableid",
        "urn",
        "ukprn",
        "sensetting",
        "placementrank",
        "entrydate",
        "leavingdate",
        "senunitindicator",
        "resourcedprovisionindicator",
    ),
    "sen_need": ("senneedtableid", "activeplanstableid", "sentype", "sentyperank"),
}
BLADE_FILES = {
    "person": "person",
    "requests": "requests",
    "assessments": "assessment",
    "named_plan": "namedplan",
    "plan_detail": "plandetail",
    "active_plans": "activeplans",
    "placement_detail": "placementdetail",
    "sen_need": "senneed",
}
SHEETS = {
    "person": "Person",
    "requests": "Requests",
    "assessments": "Assessments",
    "named_plan": "Named plan",
    "plan_detail": "Plan detail",
    "active_plans": "Active plans",
    "placement_detail": "Placement detail",
    "sen_need": "SEN need",
}
_SYLLABLES = ("zor", "vex", "qui", "lam", "dra", "fen", "pol", "mur", "tik", "sab", "wen", "yol")
_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(slots=True)
class SyntheticReturn:
    """The modules' rows (cells as text, or dates), the postcode lookup's rows, and for each
    child of the area its person's id and the SEN2 ids its current setting was written as."""

    modules: dict[str, list[dict[str, Any]]]
    postcodes: list[dict[str, str]]
    person_of: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    upns: list[str] = field(default_factory=list)
    ulns: list[str] = field(default_factory=list)


def _name(rng: np.random.Generator) -> str:
    k = int(rng.integers(2, 4))
    return "".join(_SYLLABLES[int(i)] for i in rng.integers(0, len(_SYLLABLES), k)).title()


def _postcode(i: int) -> str:
    """A unique made-up postcode in the non-existent ZZ area: ``ZZ07 3QX``."""
    a, rest = divmod(i, 10 * len(_LETTERS) ** 2)
    d, rest = divmod(rest, len(_LETTERS) ** 2)
    x, y = divmod(rest, len(_LETTERS))
    return f"ZZ{a:02d} {d}{_LETTERS[x]}{_LETTERS[y]}"


def _birth(nc_year: int, year: int, rng: np.random.Generator) -> dt.date:
    start = dt.date(year - nc_year - 5, 9, 1)  # born Sept..Aug: age nc_year + 4 on 31 Aug
    end = dt.date(year - nc_year - 4, 8, 31)
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _where(sid: str, kind: SettingKind) -> dict[str, str]:
    """A setting id as SEN2 records it: URN, or UKPRN (8 digits: FE and post-16), and the
    unit indicators for a unit."""
    m = re.fullmatch(r"(\d+)(?:-(RP|SU))?", sid)
    assert m is not None, sid
    base, suffix = m[1], m[2]
    unit = kind is SettingKind.SEN_UNIT or suffix == "SU"
    rp = kind is SettingKind.RESOURCED_PROVISION or suffix == "RP"
    ukprn = len(base) == 8
    return {
        "urn": "" if ukprn else base,
        "ukprn": base if ukprn else "",
        "sensetting": "",
        "senunitindicator": "1" if unit else "0",
        "resourcedprovisionindicator": "1" if rp else "0",
    }


def synthetic_return(
    area: Area,
    *,
    seed: int = 0,
    academic_year_start: int = 2026,
    census: dt.date | None = None,
    without_plan: float = 0.03,
) -> SyntheticReturn:
    """A return for every child of ``area`` (and ``without_plan`` as many persons again with
    a request but no plan). Dates are ``datetime.date``; every other cell is text."""
    rng = np.random.default_rng(seed)
    census = census or dt.date(academic_year_start, 1, 16)
    kinds = {s.setting_id: s.kind for s in area.settings}
    ret = SyntheticReturn({k: [] for k in COLUMNS}, [])
    children: list[Child | None] = [*area.children]
    children += [None] * round(len(area.children) * without_plan)
    order = rng.permutation(len(children))
    for n, idx in enumerate(order):
        c = children[int(idx)]
        received = _person(ret, n, c, academic_year_start, census, rng)
        if c is None:  # a request the LA declined: no plan, not a child to place
            continue
        start = _plan(ret, n, c, received, census, rng)
        _placements(ret, n, c, start, census, kinds, area.settings, rng)
        _needs(ret, n, c)
    return ret


def _person(
    ret: SyntheticReturn,
    n: int,
    c: Child | None,
    academic_year_start: int,
    census: dt.date,
    rng: np.random.Generator,
) -> dt.date:
    """The ``n``-th person (made-up name, UPN, ULN from Year 10, postcode) and their request
    (agreed for a child, declined otherwise). Returns the date the request was received."""
    mods = ret.modules
    pid = f"{100000 + n}"
    surname, forename = _name(rng), _name(rng)
    upn = f"Z{800000000000 + n:012d}"
    uln = f"{9000000000 + n}"
    nc = c.nc_year if c is not None and c.nc_year is not None else int(rng.integers(0, 12))
    dob = _birth(nc, academic_year_start, rng)
    sex = c.sex.value if c is not None else str(rng.choice(["F", "M"]))
    mods["person"].append(
        {
            "persontableid": pid,
            "surname": surname,
            "forename": forename,
            "personbirthdate": dob,
            "sex": sex,
            "ethnicity": "WBRI",
            "postcode": _postcode(n),
            "upn": upn,
            "uniquelearnernumber": uln if nc >= 10 else "",
            "upnunknown": "",
        }
    )
    ret.names += [surname, forename]
    ret.upns.append(upn)
    if nc >= 10:
        ret.ulns.append(uln)
    received = census - dt.timedelta(days=int(rng.integers(200, 1500)))
    mods["requests"].append(
        {
            "requeststableid": f"R{pid}",
            "persontableid": pid,
            "receiveddate": received,
            "rya": "0",
            "requestoutcomedate": received + dt.timedelta(days=30),
            "requestoutcome": "A" if c is not None else "N",
        }
    )
    return received


def _plan(
    ret: SyntheticReturn,
    n: int,
    c: Child,
    received: dt.date,
    census: dt.date,
    rng: np.random.Generator,
) -> dt.date:
    """The child's postcode at its home, assessment, named plan and active plan. Returns the
    plan's start date."""
    mods = ret.modules
    pid = f"{100000 + n}"
    ret.person_of[c.child_id] = pid
    loc = c.location
    pc = _postcode(n)
    ret.postcodes.append(
        {
            "pcds": pc,
            "pcd": pc.replace(" ", "").ljust(7),
            "oseast1m": f"{round(loc.easting)}",
            "osnrth1m": f"{round(loc.northing)}",
            "lsoa11": f"E01{900000 + n // 50:06d}",
        }
    )
    aid, nid = f"A{pid}", f"N{pid}"
    mods["assessments"].append(
        {
            "assessmenttableid": aid,
            "requeststableid": f"R{pid}",
            "assessmentoutcome": "Y",
            "assessmentoutcomedate": received + dt.timedelta(days=100),
        }
    )
    start = received + dt.timedelta(days=140)
    mods["named_plan"].append(
        {"namedplantableid": nid, "assessmenttableid": aid, "startdate": start}
    )
    mods["active_plans"].append(
        {
            "activeplanstableid": f"P{pid}",
            "requeststableid": f"R{pid}",
            "transferla": "",
            "phasetransferduedate": "",
            "reviewmeeting": census - dt.timedelta(days=int(rng.integers(10, 300))),
            "reviewoutcome": "Y",
        }
    )
    return start


def _placements(
    ret: SyntheticReturn,
    n: int,
    c: Child,
    start: dt.date,
    census: dt.date,
    kinds: Mapping[str, SettingKind],
    settings: Sequence[Setting],
    rng: np.random.Generator,
) -> None:
    """The child's plan detail and placements: its current setting, open (some children
    also have an earlier, closed one), or an open placement awaiting a setting (NIE)."""
    mods = ret.modules
    pid = f"{100000 + n}"
    apid = f"P{pid}"
    if c.current_setting_id is None:
        mods["placement_detail"].append(
            {
                "placementdetailtableid": f"L{pid}-1",
                "activeplanstableid": apid,
                "urn": "",
                "ukprn": "",
                "sensetting": "NIE",  # awaiting a placement: not in education
                "placementrank": "1",
                "entrydate": start,
                "leavingdate": "",
                "senunitindicator": "0",
                "resourcedprovisionindicator": "0",
            }
        )
        return
    where = _where(c.current_setting_id, kinds[c.current_setting_id])
    mods["plan_detail"].append(
        {
            "plandetailtableid": f"D{pid}",
            "namedplantableid": f"N{pid}",
            **where,
            "placementrank": "1",
        }
    )
    k = 0
    if rng.uniform() < 0.3:  # an earlier placement, closed before the census
        other = settings[int(rng.integers(len(settings)))]
        k += 1
        entry = census - dt.timedelta(days=int(rng.integers(400, 900)))
        leaving = census - dt.timedelta(days=int(rng.integers(1, 300)))
        where_then = _where(other.setting_id, other.kind)
        mods["placement_detail"].append(_placement(pid, k, where_then, entry, leaving))
    k += 1
    entry = census - dt.timedelta(days=int(rng.integers(1, 120)))
    mods["placement_detail"].append(_placement(pid, k, where, entry, ""))


def _placement(
    pid: str, k: int, where: Mapping[str, str], entry: dt.date, leaving: dt.date | str
) -> dict[str, Any]:
    return {
        "placementdetailtableid": f"L{pid}-{k}",
        "activeplanstableid": f"P{pid}",
        **where,
        "placementrank": "1",
        "entrydate": entry,
        "leavingdate": leaving,
    }


def _needs(ret: SyntheticReturn, n: int, c: Child) -> None:
    """The child's SEN needs: rank 1 the primary need, then the secondary needs."""
    pid = f"{100000 + n}"
    secondary = sorted(x.value for x in c.secondary_needs)
    for rank, need in enumerate([c.primary_need.value, *secondary], start=1):
        ret.modules["sen_need"].append(
            {
                "senneedtableid": f"S{pid}-{rank}",
                "activeplanstableid": f"P{pid}",
                "sentype": need,
                "sentyperank": str(rank),
            }
        )


def _blade_date(d: dt.date) -> str:
    return f"{d.year}-{d.strftime('%b')}-{d.day:02d} 00:00:00"


def _text(v: Any) -> str:
    return _blade_date(v) if isinstance(v, dt.date) else str(v)


def _csv_text(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_text(r.get(c, "")) for c in columns])
    return buf.getvalue()


def write_blade_csv(
    ret: SyntheticReturn,
    folder: Path,
    *,
    export_date: str = "16-01-2026",
    columns: Mapping[str, Sequence[str]] | None = None,
    skip: Sequence[str] = (),
) -> dict[str, Path]:
    """Write the return as COLLECT Blade CSVs in ``folder`` (``Blade-Export_<date>_<m>.csv``);
    ``columns`` overrides a module's columns, ``skip`` leaves modules out (for malformed
    variants). Returns each module's file."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for key, cols in COLUMNS.items():
        if key in skip:
            continue
        path = folder / f"Blade-Export_{export_date}_{BLADE_FILES[key]}.csv"
        use = (columns or {}).get(key, cols)
        path.write_text(_csv_text(use, ret.modules[key]), encoding="utf-8", newline="")
        out[key] = path
    return out


def write_workbook(
    ret: SyntheticReturn,
    path: Path,
    *,
    columns: Mapping[str, Sequence[str]] | None = None,
    skip: Sequence[str] = (),
) -> Path:
    """Write the return as the pre-submission workbook: one sheet per module, headers in the
    workbook's mixed case (``PersonTableID``), dates as date cells."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for key, cols in COLUMNS.items():
        if key in skip:
            continue
        ws = wb.create_sheet(SHEETS[key])
        use = (columns or {}).get(key, cols)
        ws.append([_mixed(c) for c in use])
        for r in ret.modules[key]:
            ws.append([r.get(c, "") if r.get(c, "") != "" else None for c in use])
    wb.save(path)
    return path


def _mixed(column: str) -> str:
    """``persontableid`` -> ``PersonTableId``: the import matches headers without case."""
    for part in ("table", "id", "date", "rank", "indicator", "birth", "type", "outcome"):
        column = column.replace(part, part.title())
    return column[:1].upper() + column[1:]


def write_postcodes(ret: SyntheticReturn, path: Path) -> Path:
    """The postcode lookup for the return's persons (ONS Postcode Directory columns)."""
    cols = ("pcd", "pcds", "oseast1m", "osnrth1m", "lsoa11")
    path.write_text(_csv_text(cols, ret.postcodes), encoding="utf-8", newline="")
    return path
