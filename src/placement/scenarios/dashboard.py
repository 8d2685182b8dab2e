"""The area dashboard: the inclusion-dashboard view of one allocation.

Its placement mix against the LA's real mix and England's (DfE EHC plans 2025, as vendored in
``placement/data/calibration.csv``: England is the sum over all 153 LAs), journeys, cost and
unmet need, under the disclosure rules of :mod:`placement.disclosure` (1 to 9 children as
"<10", other counts rounded to the nearest 5, percentages from the rounded counts). Pure:
returns data and text; the CLI writes files.

The real mix counts plans by where the child is placed, of the children who hold or seek a
place (a synthetic area leaves out the young people in other arrangements: employment,
apprenticeships, education otherwise); its "other" column is then the children awaiting
provision, and the allocation's "unplaced" children, those this run could not place, sit
beside it.
"""

from __future__ import annotations

import html
import itertools
import json
from typing import Any

from placement import disclosure
from placement.cohort import SCOPE_LABEL
from placement.register import PLACEMENTS, LaProfile, list_las
from placement.scenarios.charts import Chart, Series, bar_chart, fmt
from placement.scenarios.plain import (
    MECHANISM_NAMES,
    MIX_NAMES,
    cap,
    document,
    need_name,
    phase_name,
)
from placement.scenarios.report import DISCLOSURE_NOTE, export_metrics, money_words
from placement.scenarios.run import CATEGORIES, Side

__all__ = [
    "HEADLINE_LABELS",
    "MIX_LABELS",
    "dashboard_data",
    "dashboard_fragment",
    "dashboard_html",
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


def dashboard_data(side: Side, *, area_name: str, la: LaProfile | None) -> dict[str, Any]:
    """The dashboard's figures for one allocation (disclosure-controlled)."""
    m = side.metrics
    em = export_metrics(m)
    alloc_counts = {c: int(m[f"mix_{c}"]) for c in CATEGORIES}
    alloc_counts["unplaced"] = int(m["unplaced"])
    total = sum(alloc_counts.values())
    alloc_pct = {k: disclosure.pct(v, total) for k, v in alloc_counts.items()}
    # the headline's mainstream over the mix's children too, so the two can be read together
    # (from the rows' rounded counts when all are shown, so that it is their sum)
    rows = [disclosure.count(alloc_counts[c]) for c in MAINSTREAM_COLUMNS]
    in_mainstream = (
        sum(r for r in rows if isinstance(r, int))
        if not any(isinstance(r, str) for r in rows)
        else sum(alloc_counts[c] for c in MAINSTREAM_COLUMNS)
    )
    headline: dict[str, Any] = {k: em[k] for k in HEADLINE_LABELS if k != "mainstream_all_pct"}
    headline["mainstream_all_pct"] = disclosure.pct(in_mainstream, total)
    headline = {k: headline[k] for k in HEADLINE_LABELS}
    real = la_mix(la, seeking=True) if la else None
    nat = national_mix(seeking=True)
    hist = side.journeys
    bands = []
    for lo, hi in itertools.pairwise(JOURNEY_BANDS):
        n = sum(hist[lo:hi])
        label = f"{lo}-{hi - 1} min" if hi < 256 else f"{lo}+ min"
        bands.append({"band": label, "children": disclosure.count(n)})
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
        "placement_mix": {
            "categories": [*CATEGORIES, "unplaced"],
            "labels": dict(MIX_LABELS),
            "of": "all the children in the area: placed in this run, staying where their "
            "plans name, or not placed",
            "allocation_children": {k: disclosure.count(v) for k, v in alloc_counts.items()},
            "allocation_pct": alloc_pct,
            "la_real_pct": _pct(real) if real else None,
            "england_pct": _pct(nat),
            "note": "this allocation: all the children in the area (placed in this run, "
            "staying where their plans name, or not placed); real mixes: DfE EHC plans "
            "January 2025 (all ages) of the children who hold or seek a place: young people "
            "in other arrangements (employment, apprenticeships, education otherwise than at "
            "school, elsewhere) are left out, as a synthetic area leaves them out, and the "
            "real 'other' column (children awaiting provision) sits beside 'not placed in "
            "this run'. "
            "'mainstream school' here is the DfE's column alone: the headline's mainstream "
            "also counts resourced provision, SEN units and FE colleges (s.33)",
        },
        # each share says what it is of: the children placed in this run, except
        # mainstream_all_pct (every child in the placement mix)
        "headline_pct": headline,
        "headline_labels": dict(HEADLINE_LABELS),
        "journeys": {
            "mean_min": em["mean_journey_min"],
            "p95_min": em["p95_journey_min"],
            "bands": bands,
        },
        "cost": {
            "total_gbp": em["total_cost_gbp"],
            "high_needs_block_gbp": em["high_needs_block_gbp"],
            "schools_gbp": em["schools_gbp"],
            "transport_gbp": em["transport_gbp"],
            "per_placed_child_gbp": _per_child(em["total_cost_gbp"], em["placed"]),
        },
        "unmet_need": {
            "by_need": {
                k[6:]: disclosure.count(int(v))
                for k, v in m.items()
                if k.startswith("unmet_") and k[6:].isupper()
            },
            "by_phase": {
                k[6:]: disclosure.count(int(v))
                for k, v in m.items()
                if k.startswith("unmet_") and not k[6:].isupper()
            },
        },
        "suppression": DISCLOSURE_NOTE,
    }


def _per_child(total: int | str, placed: int | str) -> int | str:
    """From the rounded total and the rounded count, to the nearest £100."""
    if isinstance(total, str) or isinstance(placed, str) or not placed:
        return disclosure.WITHHELD
    return disclosure.nearest(total / placed, 100)


def _millions(v: int | str) -> float | str:
    return v if isinstance(v, str) else v / 1e6


def _e(x: object) -> str:
    return html.escape(str(x))


def _count(v: int | str) -> str:
    return fmt(v, "children")


def _share(v: float | str) -> str:
    return fmt(v, "%")


def _minutes(v: float | str, digits: int) -> str:
    return "withheld" if isinstance(v, str) else f"{v:.{digits}f} minutes"


def _band(label: str) -> str:
    """ "15-29 min" as "15 to 29 minutes", "90+ min" as "90 minutes or more"."""
    lo, _, hi = label.removesuffix(" min").partition("-")
    if lo.endswith("+"):
        return f"{lo[:-1]} minutes or more"
    return f"{lo} to {hi} minutes" if hi else label


def dashboard_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1) + "\n"


def dashboard_fragment(
    data: dict[str, Any], *, chart_id: str = "dash", charts: list[Chart] | None = None
) -> str:
    """The dashboard (:func:`dashboard_data`, every count already disclosure-controlled) as
    HTML with GOV.UK Frontend's classes, headings from ``<h2>``: for the service's run page
    and, in :func:`dashboard_html`, for a file of its own. Everything named in words."""
    mix = data["placement_mix"]
    cats = mix["categories"]
    ids = itertools.count(1)

    def chart(*a: Any, **kw: Any) -> str:
        c = bar_chart(*a, chart_id=f"{chart_id}-{next(ids)}", **kw)
        if charts is not None:
            charts.append(c)
        return c.html()

    series = [Series("This allocation", tuple(mix["allocation_pct"][c] for c in cats))]
    if mix.get("la_real_pct"):
        series.append(
            Series(f"{data['la']} (real)", tuple(mix["la_real_pct"].get(c, 0.0) for c in cats))
        )
    series.append(Series("England (real)", tuple(mix["england_pct"].get(c, 0.0) for c in cats)))
    j, c = data["journeys"], data["cost"]
    un = data["unmet_need"]
    how = MECHANISM_NAMES.get(data["mechanism"], data["mechanism"])
    placed, children = data["placed"], data["children"]
    out: list[str] = []
    if isinstance(placed, int) and isinstance(children, int):
        first = f"This run placed {placed:,} of the {children:,} children it allocated"
        first += "" if isinstance(data["placed_pct"], str) else f" ({_share(data['placed_pct'])})"
    else:
        first = f"This run allocated {_count(children)} children and placed {_count(placed)}"
    staying = data.get("staying", 0)
    if staying:
        first += f"; {_count(staying)} more stay where their plans name"
    total = c["total_gbp"]
    cost = (
        "its annual cost is withheld"
        if isinstance(total, str)
        else f"the annual cost of the placements is {money_words(total)}"
    )
    out.append(
        '<div class="govuk-inset-text app-headline">'
        f'<p class="govuk-body-l">{_e(first)}; {_e(cost)}.</p></div>'
    )
    out.append(
        f'<p class="govuk-body">{_e(cap(how))}: '
        f"{_e(data.get('scope_label', ''))}. Synthetic data: no real child is represented.</p>"
        f'<p class="govuk-body-s">{_e(data.get("suppression", DISCLOSURE_NOTE))}</p>'
    )
    out.append('<h2 class="govuk-heading-m">Placement mix</h2>')
    out.append(
        chart(
            "Placement mix: % of all the children (placed, staying or not placed)",
            [cap(MIX_LABELS.get(k, mix.get("labels", {}).get(k, k))) for k in cats],
            series,
            "%",
            category_title="Placement",
        )
    )
    out.append(f'<p class="govuk-body-s">{_e(mix["note"][:1].upper() + mix["note"][1:])}.</p>')
    out.append('<h2 class="govuk-heading-m">Journeys</h2>')
    out.append(
        f'<p class="govuk-body">Mean journey {_e(_minutes(j["mean_min"], 1))}; 95th '
        f"percentile {_e(_minutes(j['p95_min'], 0))}.</p>"
    )
    out.append(
        chart(
            "Children placed, by journey time",
            [_band(b["band"]) for b in j["bands"]],
            [Series("Children", tuple(b["children"] for b in j["bands"]))],
            "children",
            category_title="Journey",
        )
    )
    out.append('<h2 class="govuk-heading-m">Cost</h2>')
    out.append(
        chart(
            "Annual cost by payer, £ million",
            ["High-needs block", "Schools", "Transport (LA general fund)", "Total"],
            [
                Series(
                    "Cost a year",
                    tuple(
                        _millions(c[k])
                        for k in (
                            "high_needs_block_gbp",
                            "schools_gbp",
                            "transport_gbp",
                            "total_gbp",
                        )
                    ),
                )
            ],
            "£m",
            category_title="Paid by",
        )
    )
    per = c["per_placed_child_gbp"]
    out.append(
        '<p class="govuk-body">Average annual cost per placed child: '
        f"{_e('withheld' if isinstance(per, str) else f'£{per:,}')}.</p>"
    )
    out.append('<h2 class="govuk-heading-m">Children not placed</h2>')
    needs = {k: v for k, v in un["by_need"].items() if v != 0}
    if needs:
        out.append(
            chart(
                "Children not placed, by primary need",
                [cap(need_name(k)) for k in needs],
                [Series("Children not placed", tuple(needs.values()))],
                "children",
                category_title="Primary need",
            )
        )
        none = [need_name(k) for k, v in un["by_need"].items() if v == 0]
        if none:
            out.append(f'<p class="govuk-body-s">None not placed: {_e(", ".join(none))}.</p>')
    else:
        out.append('<p class="govuk-body">Every child was placed.</p>')
    phases = {k: v for k, v in un["by_phase"].items() if v != 0}
    if phases:
        out.append(
            chart(
                "Children not placed, by phase",
                [cap(phase_name(k)) for k in phases],
                [Series("Children not placed", tuple(phases.values()))],
                "children",
                category_title="Phase",
            )
        )
    rows = "".join(
        '<tr class="govuk-table__row">'
        f'<th scope="row" class="govuk-table__header">'
        f"{_e(cap(HEADLINE_LABELS.get(k, k.replace('_', ' '))))}</th>"
        f'<td class="govuk-table__cell govuk-table__cell--numeric">{_e(_share(v))}</td></tr>'
        for k, v in data["headline_pct"].items()
    )
    out.append(
        '<table class="govuk-table"><caption class="govuk-table__caption '
        'govuk-table__caption--m">Headline shares</caption><thead class="govuk-table__head">'
        '<tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Share</th>'
        '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Per cent</th>'
        f'</tr></thead><tbody class="govuk-table__body">{rows}</tbody></table>'
    )
    return "".join(out)


def dashboard_html(data: dict[str, Any]) -> str:
    """The dashboard as a file of its own (inline CSS and SVG, no scripts)."""
    return document(f"Area dashboard: {data['area']}", dashboard_fragment(data))
