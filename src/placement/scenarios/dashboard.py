"""The area dashboard: the inclusion-dashboard view of one allocation.

Its placement mix against the LA's real mix and England's (DfE EHC plans 2025, as vendored in
``placement/data/calibration.csv``: England is the sum over all 153 LAs), journeys, cost and
unmet need, under the disclosure rules of :mod:`placement.disclosure` (1 to 9 children as
"<10", other counts rounded to the nearest 5, percentages from the rounded counts). Pure:
returns data and JSON text; :mod:`placement.reports` draws the dashboard from the data (as
HTML); the CLI writes files.

The real mix counts plans by where the child is placed, of the children who hold or seek a
place (a synthetic area leaves out the young people in other arrangements: employment,
apprenticeships, education otherwise); its "other" column is then the children awaiting
provision, and the allocation's "unplaced" children, those this run could not place, sit
beside it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

from placement import disclosure
from placement.cohort import SCOPE_LABEL
from placement.register import PLACEMENTS, LaProfile, list_las
from placement.scenarios.plain import MIX_NAMES
from placement.scenarios.report import DISCLOSURE_NOTE, export_metrics
from placement.scenarios.run import CATEGORIES, Side

__all__ = [
    "HEADLINE_LABELS",
    "MIX_LABELS",
    "dashboard_data",
    "dashboard_json",
    "la_mix",
    "national_mix",
]

JOURNEY_BANDS = (0, 15, 30, 45, 60, 75, 90, 256)

# the placement mix's columns in plain words (the DfE's placement columns, and the run's own)
MIX_LABELS = dict(MIX_NAMES)
# "mainstream" as the headline and s.33 count it (SettingKind.is_mainstream): the mix's
# mainstream schools, resourced provision and SEN units, and FE colleges
MAINSTREAM_COLUMNS = ("mainstream", "rp_su", "fe")
HEADLINE_LABELS = {
    "mainstream_pct": "in mainstream (schools, their resourced provision and SEN units, FE "
    "colleges), % of the children placed in this run",
    "mainstream_all_pct": "in mainstream (the same), % of all the children in the placement "
    "mix (placed in this run, staying, not placed)",
    "special_pct": "in special schools and specialist post-16, % of the children placed in "
    "this run",
    "independent_pct": "in independent settings, % of the children placed in this run",
    "out_of_area_pct": "outside the area, % of the children placed in this run",
    "first_preference_pct": "first preference met, % of the children in this run who gave one",
    "request_honoured_pct": "s.38 request named, % of the children in this run who made one",
}


def la_mix(la: LaProfile, *, seeking: bool = False) -> dict[str, int]:
    """Plans by placement column, all ages, for one LA. ``seeking``: only the children who
    hold or seek a place, as a synthetic area holds them: the "other" column keeps the
    children awaiting provision and leaves out the young people in other arrangements
    (employment, apprenticeships, education otherwise, elsewhere)."""
    out = dict.fromkeys(PLACEMENTS, 0)
    for counts in la.placements.values():
        for c, n in zip(PLACEMENTS, counts, strict=True):
            out[c] += n
    if seeking:
        out["other"] = min(out["other"], la.awaiting)
    return out


def national_mix(*, seeking: bool = False) -> dict[str, int]:
    """England: the sum of every LA's placement counts (``seeking``: as :func:`la_mix`)."""
    out = dict.fromkeys(PLACEMENTS, 0)
    for la in list_las():
        for c, n in la_mix(la, seeking=seeking).items():
            out[c] += n
    return out


def _pct(counts: dict[str, int]) -> dict[str, float]:
    """Shares of published totals (real LA and England mixes: DfE's own figures)."""
    tot = sum(counts.values())
    return {k: round(100.0 * v / tot, 2) if tot else 0.0 for k, v in counts.items()}


MIX_NOTE = (
    "this allocation: all the children in the area (placed in this run, staying where their "
    "plans name, or not placed); real mixes: DfE EHC plans January 2025 (all ages) of the "
    "children who hold or seek a place: young people in other arrangements (employment, "
    "apprenticeships, education otherwise than at school, elsewhere) are left out, as a "
    "synthetic area leaves them out, and the real 'other' column (children awaiting "
    "provision) sits beside 'not placed in this run'. 'mainstream school' here is the DfE's "
    "column alone: the headline's mainstream also counts resourced provision, SEN units and "
    "FE colleges (s.33)"
)


def _mix_counts(m: dict[str, Any]) -> dict[str, int]:
    """The allocation's children by placement column, and those it could not place."""
    counts = {c: int(m[f"mix_{c}"]) for c in CATEGORIES}
    counts["unplaced"] = int(m["unplaced"])
    return counts


def _placement_mix(counts: dict[str, int], la: LaProfile | None) -> dict[str, Any]:
    """The allocation's mix (rounded counts, shares of them) beside the LA's and England's."""
    total = sum(counts.values())
    real = la_mix(la, seeking=True) if la else None
    return {
        "categories": [*CATEGORIES, "unplaced"],
        "labels": dict(MIX_LABELS),
        "of": "all the children in the area: placed in this run, staying where their "
        "plans name, or not placed",
        "allocation_children": {k: disclosure.count(v) for k, v in counts.items()},
        "allocation_pct": {k: disclosure.pct(v, total) for k, v in counts.items()},
        "la_real_pct": _pct(real) if real else None,
        "england_pct": _pct(national_mix(seeking=True)),
        "note": MIX_NOTE,
    }


def _headline_pct(em: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """The headline shares, each of what its label says: the children placed in this run,
    except ``mainstream_all_pct`` (every child in the placement mix, so the two can be read
    together: from the mix's rounded counts when all are shown, so that it is their sum)."""
    rows = [disclosure.count(counts[c]) for c in MAINSTREAM_COLUMNS]
    in_mainstream = (
        sum(r for r in rows if isinstance(r, int))
        if not any(isinstance(r, str) for r in rows)
        else sum(counts[c] for c in MAINSTREAM_COLUMNS)
    )
    every = disclosure.pct(in_mainstream, sum(counts.values()))
    return {k: every if k == "mainstream_all_pct" else em[k] for k in HEADLINE_LABELS}


def _journey_bands(hist: Sequence[int]) -> list[dict[str, Any]]:
    """Children placed by journey time, in bands of 15 minutes (rounded counts)."""
    bands = []
    for lo, hi in itertools.pairwise(JOURNEY_BANDS):
        label = f"{lo}-{hi - 1} min" if hi < 256 else f"{lo}+ min"
        bands.append({"band": label, "children": disclosure.count(sum(hist[lo:hi]))})
    return bands


def _unmet_need(m: dict[str, Any]) -> dict[str, dict[str, int | str]]:
    """Children not placed by primary need (codes in capitals) and by phase."""
    unmet = {k[6:]: disclosure.count(int(v)) for k, v in m.items() if k.startswith("unmet_")}
    return {
        "by_need": {k: v for k, v in unmet.items() if k.isupper()},
        "by_phase": {k: v for k, v in unmet.items() if not k.isupper()},
    }


def dashboard_data(side: Side, *, area_name: str, la: LaProfile | None) -> dict[str, Any]:
    """The dashboard's figures for one allocation (disclosure-controlled)."""
    m = side.metrics
    em = export_metrics(m)
    counts = _mix_counts(m)
    return {
        "area": area_name,
        "la": la.la_name if la else None,
        "la_code": la.la_code if la else None,
        "mechanism": side.mechanism,
        "scope": side.allocation.scope,
        "scope_label": SCOPE_LABEL[side.allocation.scope],
        "children": em["children"],
        "staying": disclosure.count(int(m.get("staying", 0))),
        "placed": em["placed"],
        "placed_pct": em["placed_pct"],
        "placement_mix": _placement_mix(counts, la),
        "headline_pct": _headline_pct(em, counts),
        "headline_labels": dict(HEADLINE_LABELS),
        "journeys": {
            "mean_min": em["mean_journey_min"],
            "p95_min": em["p95_journey_min"],
            "bands": _journey_bands(side.journeys),
        },
        "cost": {
            "total_gbp": em["total_cost_gbp"],
            "high_needs_block_gbp": em["high_needs_block_gbp"],
            "schools_gbp": em["schools_gbp"],
            "transport_gbp": em["transport_gbp"],
            "per_placed_child_gbp": _per_child(em["total_cost_gbp"], em["placed"]),
        },
        "unmet_need": _unmet_need(m),
        "suppression": DISCLOSURE_NOTE,
    }


def _per_child(total: int | str, placed: int | str) -> int | str:
    """From the rounded total and the rounded count, to the nearest £100."""
    if isinstance(total, str) or isinstance(placed, str) or not placed:
        return disclosure.WITHHELD
    return disclosure.nearest(total / placed, 100)


def dashboard_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1) + "\n"
