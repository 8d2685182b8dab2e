"""Exports of a scenario run: a self-contained HTML report (inline SVG charts, no scripts, no
external files), CSV and JSON. Pure: each function returns text; the CLI writes it.

**Disclosure control** (:mod:`placement.disclosure`). Every count of children in everything
exported is shown as ``"<10"`` when it is 1 to 9, and otherwise rounded to the nearest 5 (so
that no small group can be worked out by subtracting one figure from another: placed from
children, one placement type from "special"); zero is shown. Percentages are computed from
the rounded counts, to one decimal place, and withheld when their numerator is 1 to 9. A
change is shown only when both counts are (50 -> "<10" must not reveal -45). Money, minutes
and places (capacity) are not counts of children and are shown as they are. The marginal value
of one more place (children placed: 0 or 1 by construction) describes a hypothetical place,
not a group of children, and is shown.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from placement import disclosure
from placement.cells import spreadsheet_safe
from placement.scenarios.run import CATEGORIES, ScenarioResult

__all__ = [
    "COUNT_KEYS",
    "PCT_OF",
    "bar_chart_svg",
    "export_metrics",
    "is_count",
    "report_csvs",
    "report_html",
    "report_json",
]

COUNT_KEYS = frozenset(
    {
        "children",
        "placed",
        "unplaced",
        "justified_envy",
        "with_preference",
        "first_preference",
        "any_preference",
        "with_request",
        "request_honoured",
        "special",
        "independent",
        "mainstream",
        "out_of_area",
    }
)
# each percentage and the counts it is a share of: (numerator, denominator)
PCT_OF = {
    "placed_pct": ("placed", "children"),
    "first_preference_pct": ("first_preference", "with_preference"),
    "any_preference_pct": ("any_preference", "with_preference"),
    "request_honoured_pct": ("request_honoured", "with_request"),
    "mainstream_pct": ("mainstream", "placed"),
    "special_pct": ("special", "placed"),
    "independent_pct": ("independent", "placed"),
    "out_of_area_pct": ("out_of_area", "placed"),
}

LABELS = {
    "children": "children",
    "placed": "placed",
    "unplaced": "unplaced",
    "placed_pct": "placed %",
    "first_preference_pct": "first preference % (of children with a preference)",
    "any_preference_pct": "any preference %",
    "request_honoured_pct": "s.38 request named %",
    "mainstream_pct": "mainstream % (of placed)",
    "special_pct": "special % (of placed)",
    "independent_pct": "independent % (of placed)",
    "out_of_area_pct": "out of area % (of placed)",
    "total_cost_gbp": "total annual cost £",
    "high_needs_block_gbp": "  paid by the high-needs block £",
    "schools_gbp": "  paid by schools £",
    "transport_gbp": "  transport (LA general fund) £",
    "mean_journey_min": "mean journey (min)",
    "p95_journey_min": "95th percentile journey (min)",
    "justified_envy": "justified envy (children)",
}
HEADLINE = list(LABELS)
DISCLOSURE_NOTE = (
    "Counts of children from 1 to 9 are shown as '<10' and other counts are rounded to the "
    "nearest 5; percentages are computed from the rounded counts; money is rounded to the "
    "nearest £250,000; a change is shown only when both figures are."
)


def is_count(key: str) -> bool:
    return key in COUNT_KEYS or key.startswith(("unmet_", "mix_", "taken"))


def export_metrics(m: Mapping[str, Any]) -> dict[str, Any]:
    """A flat metrics dict (:func:`~placement.scenarios.run.side_metrics`, or a sweep's
    totals) as it may be exported: counts rounded or "<10", percentages from the rounded
    counts (withheld when their numerator is 1 to 9, or when its counts are not there)."""
    out: dict[str, Any] = {}
    for k, v in m.items():
        if is_count(k):
            out[k] = disclosure.count(int(v))
        elif k in PCT_OF:
            num, den = PCT_OF[k]
            have = num in m and den in m
            out[k] = disclosure.pct(int(m[num]), int(m[den])) if have else disclosure.WITHHELD
        elif k.endswith("_gbp"):  # every sum of money here is spent on the placed children
            out[k] = disclosure.money(v, int(m["placed"])) if "placed" in m else disclosure.WITHHELD
        elif k.endswith("_journey_min"):  # a mean or percentile over the placed children
            out[k] = (
                disclosure.minutes(v, int(m["placed"])) if "placed" in m else disclosure.WITHHELD
            )
        else:
            out[k] = v
    return out


def _free(places: int) -> int | str:
    return disclosure.SMALL if disclosure.is_small(places) else places


def _change(key: str, a: Any, b: Any, ea: Any, eb: Any) -> Any:
    """The change from raw ``a`` to raw ``b`` (exported as ``ea``, ``eb``)."""
    if is_count(key):
        return disclosure.change(int(a), int(b))
    if isinstance(ea, str) or isinstance(eb, str):
        return disclosure.WITHHELD
    if isinstance(ea, float) or isinstance(eb, float):
        return round(float(eb) - float(ea), 2)
    return eb - ea


def _metric_rows(r: ScenarioResult) -> list[dict[str, Any]]:
    rows = []
    for mech, side in r.baseline.items():
        b, o = side.metrics, r.outcome[mech].metrics
        eb, eo = export_metrics(b), export_metrics(o)
        for k, v in b.items():
            rows.append(
                {
                    "scope": side.allocation.scope,
                    "mechanism": mech,
                    "metric": k,
                    "baseline": eb[k],
                    "scenario": eo[k],
                    "change": _change(k, v, o[k], eb[k], eo[k]),
                }
            )
    return rows


def _setting_rows(r: ScenarioResult) -> list[dict[str, Any]]:
    ids = sorted(r.setting_names)
    rows = []
    for sid in ids:
        name, kind = r.setting_names[sid]
        row: dict[str, Any] = {
            "setting_id": sid,
            "name": name,
            "kind": kind,
            "changed": sid in r.changed_setting_ids,
        }
        first = next(iter(r.baseline))
        # 1-9 free places as "<10": the children taken there cannot be more than were free
        row["places_free_baseline"] = _free(r.baseline[first].free.get(sid, 0))
        row["places_free_scenario"] = _free(r.outcome[first].free.get(sid, 0))
        for mech in r.baseline:
            a = r.baseline[mech].taken.get(sid, 0)
            b = r.outcome[mech].taken.get(sid, 0)
            row[f"taken_{mech}_baseline"] = disclosure.count(a)
            row[f"taken_{mech}_scenario"] = disclosure.count(b)
            row[f"taken_{mech}_change"] = disclosure.change(a, b)
        rows.append(row)
    return rows


def _marginal_rows(r: ScenarioResult) -> list[dict[str, Any]]:
    return [
        {
            "setting_id": m.setting_id,
            "setting_name": m.setting_name,
            "need_pool": m.need or "general",
            "unmet_demand": disclosure.count(m.unmet_demand),
            "delta_placed": m.delta_placed,
            # about one child: to the nearest £1,000 and 5 minutes (placement.disclosure)
            "delta_cost_gbp": disclosure.nearest(m.delta_cost_gbp, 1_000),
            "delta_preferences_met": m.delta_preferences_met,
            "delta_travel_min": disclosure.nearest(m.delta_travel_min, 5),
        }
        for m in r.marginal
    ]


def report_json(r: ScenarioResult) -> str:
    """Everything, with counts suppressed."""
    sc = r.scenario
    data = {
        "scenario": {
            "name": sc.name,
            "file": sc.file,
            "description": sc.description,
            "mechanisms": list(sc.mechanisms),
            "base": {
                "area": str(sc.base.area) if sc.base.area else None,
                "like": sc.base.like,
                "la": r.la_name,
                "seed": sc.base.seed,
                "scale": sc.base.scale,
                "cohort": sc.base.cohort,
                "scope": "from_scratch" if sc.base.from_scratch else "moving",
            },
            "policy": dict(sc.policy),
        },
        "areas": {"baseline": r.base_area, "scenario": r.scenario_area},
        "changes": list(r.notes),
        "suppression": DISCLOSURE_NOTE,
        "metrics": _nested_metrics(r),
        "settings": [x for x in _setting_rows(r) if x["changed"] or _moved(x)],
        "marginal_values": _marginal_rows(r),
        "manifest": {
            mech: {
                "baseline": _manifest(r.baseline[mech].allocation.manifest.as_dict()),
                "scenario": _manifest(r.outcome[mech].allocation.manifest.as_dict()),
            }
            for mech in r.baseline
        },
        "scenario_problem": "derived from the baseline's (places and fees only)"
        if r.derived
        else "built afresh",
        "timings_s": r.timings_s,
    }
    return json.dumps(data, indent=1, sort_keys=False, default=str) + "\n"


def _manifest(m: Mapping[str, Any]) -> dict[str, Any]:
    keep = (
        "mechanism",
        "input_hash",
        "policy_hash",
        "policy_versions",
        "package_version",
        "ortools_version",
        "seed",
        "output_hash",
    )
    return {k: m[k] for k in keep}


def _moved(row: Mapping[str, Any]) -> bool:
    return any(k.endswith("_change") and v != 0 for k, v in row.items())


def _nested_metrics(r: ScenarioResult) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in _metric_rows(r):
        out.setdefault(row["mechanism"], {})[row["metric"]] = {
            "baseline": row["baseline"],
            "scenario": row["scenario"],
            "change": row["change"],
        }
    return out


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    if not rows:
        return ""
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buf.getvalue()


def report_csvs(r: ScenarioResult) -> dict[str, str]:
    """{"metrics": ..., "settings": ..., "marginal": ...} CSV texts, counts suppressed."""
    marg = _marginal_rows(r)
    return {
        "metrics": _csv(_metric_rows(r)),
        "settings": _csv(_setting_rows(r)),
        "marginal": _csv(marg)
        if marg
        else "setting_id,setting_name,need_pool,unmet_demand,delta_placed,delta_cost_gbp,"
        "delta_preferences_met,delta_travel_min\n",
    }


# -- SVG ----------------------------------------------------------------------------------

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def _fmt(v: float, unit: str) -> str:
    if unit == "£m":
        return f"£{v:,.1f}m"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "£":
        return f"£{v:,.0f}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def bar_chart_svg(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | int | str]]],
    unit: str = "",
    *,
    width: int = 720,
) -> str:
    """Grouped vertical bars as inline SVG. A withheld value ("<10") is drawn as an outlined
    bar to the height of 10 labelled "<10", never at its true height."""
    rotate = len(categories) > 7 or max((len(c) for c in categories), default=0) * 7 > (
        width - 66
    ) / max(1, len(categories))
    rows, lx = 1, 56
    for label, _ in series:
        w = 24 + 7 * len(label)
        if lx + w > width and lx > 56:
            rows, lx = rows + 1, 56
        lx += w
    label_h = 64 if rotate else 22
    h, top, left = 200 + label_h + 16 * rows, 34, 56
    bottom = label_h + 16 * rows + 6
    plot_bottom = h - bottom
    legend_top = plot_bottom + label_h
    nums = [float(v) for _, vals in series for v in vals if not isinstance(v, str)]
    has_sup = any(isinstance(v, str) for _, vals in series for v in vals)
    vmax = max([*nums, disclosure.THRESHOLD if has_sup else 0, 1e-9])
    vmin = min([*nums, 0.0])
    span = vmax - vmin
    plot_h = h - top - bottom
    group_w = (width - left - 10) / max(1, len(categories))
    bar_w = max(2.0, (group_w - 8) / max(1, len(series)))

    def y(v: float) -> float:
        return top + plot_h * (vmax - v) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" '
        f'viewBox="0 0 {width} {h}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 10}" y2="{y(0):.1f}" stroke="#333"/>',
    ]
    for t in (vmax, vmax / 2):
        parts.append(
            f'<text x="{left - 4}" y="{y(t) + 4:.1f}" font-size="10" text-anchor="end">'
            f"{html.escape(_fmt(t, unit))}</text>"
            f'<line x1="{left}" y1="{y(t):.1f}" x2="{width - 10}" y2="{y(t):.1f}" '
            'stroke="#ddd"/>'
        )
    for gi, cat in enumerate(categories):
        gx = left + gi * group_w + 4
        for si, (_, vals) in enumerate(series):
            v = vals[gi]
            x = gx + si * bar_w
            color = PALETTE[si % len(PALETTE)]
            if isinstance(v, str):
                y0 = y(disclosure.THRESHOLD)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w - 1:.1f}" '
                    f'height="{y(0) - y0:.1f}" fill="none" stroke="{color}" '
                    'stroke-dasharray="2,2"/>'
                    f'<text x="{x + bar_w / 2:.1f}" y="{y0 - 2:.1f}" font-size="9" '
                    f'text-anchor="middle">{html.escape(v)}</text>'
                )
                continue
            fv = float(v)
            y1, y2 = sorted((y(fv), y(0)))
            parts.append(
                f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{max(0.5, y2 - y1):.1f}" fill="{color}">'
                f"<title>{html.escape(_fmt(fv, unit))}</title></rect>"
            )
        cx = gx + group_w / 2 - 4
        if rotate:
            parts.append(
                f'<text x="{cx:.1f}" y="{plot_bottom + 14}" font-size="10" text-anchor="end" '
                f'transform="rotate(-35 {cx:.1f} {plot_bottom + 14})">{html.escape(cat)}</text>'
            )
        else:
            parts.append(
                f'<text x="{cx:.1f}" y="{plot_bottom + 14}" font-size="10" '
                f'text-anchor="middle">{html.escape(cat)}</text>'
            )
    lx, ly = left, legend_top
    for si, (label, _) in enumerate(series):
        w = 24 + 7 * len(label)
        if lx + w > width and lx > left:
            lx, ly = left, ly + 16
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="10" height="10" '
            f'fill="{PALETTE[si % len(PALETTE)]}"/>'
            f'<text x="{lx + 14}" y="{ly + 9}" font-size="11">{html.escape(label)}</text>'
        )
        lx += w
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;max-width:1000px;
color:#222}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0}td,th{border:1px solid #ccc;
padding:3px 7px;text-align:right}td:first-child,th:first-child{text-align:left}
.up{color:#1a7f37}.down{color:#b42318}.note{color:#555;font-size:.9em}
pre{background:#f6f6f6;padding:.8em;font-size:.82em;overflow:auto}
"""


def _cell(v: Any, key: str = "") -> str:
    if isinstance(v, str):
        return html.escape(v)
    if isinstance(v, bool):
        return "yes" if v else ""
    if key.endswith("_gbp"):
        return f"£{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    h = "".join(f"<th>{html.escape(x)}</th>" for x in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def report_html(r: ScenarioResult) -> str:
    """The planner's report: headline charts, every metric, settings, marginal values."""
    sc = r.scenario
    mechs = list(r.baseline)
    m0 = mechs[0]
    b, o = r.baseline[m0].metrics, r.outcome[m0].metrics
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(sc.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Scenario: {html.escape(sc.name)}</h1>",
        f"<p>{html.escape(sc.description)}</p>" if sc.description else "",
        "<p class='note'>Baseline: "
        + html.escape(r.base_area)
        + (f" (like {html.escape(r.la_name)})" if r.la_name else "")
        + f"; seed {sc.base.seed}"
        + (f", scale {sc.base.scale:g}" if sc.base.like else "")
        + f"; mechanisms: {', '.join(mechs)}. Synthetic data: no real child is represented. "
        f"{html.escape(DISCLOSURE_NOTE)}</p>",
        "<h2>What changed</h2><ul>"
        + "".join(f"<li>{html.escape(n)}</li>" for n in r.notes)
        + "</ul>",
    ]
    pct_keys = [
        "placed_pct",
        "first_preference_pct",
        "mainstream_pct",
        "special_pct",
        "independent_pct",
        "out_of_area_pct",
    ]
    series_pct: list[tuple[str, Sequence[float | int | str]]] = []
    for mech in mechs:
        eb, eo = export_metrics(r.baseline[mech].metrics), export_metrics(r.outcome[mech].metrics)
        series_pct.append((f"baseline ({mech})", [eb[k] for k in pct_keys]))
        series_pct.append((f"scenario ({mech})", [eo[k] for k in pct_keys]))
    parts.append(
        bar_chart_svg(
            "Headline percentages",
            ["placed", "1st preference", "mainstream", "special", "independent", "out of area"],
            series_pct,
            "%",
        )
    )
    needs = [k for k in b if k.startswith("unmet_") and k[6:].isupper()]
    parts.append(
        bar_chart_svg(
            f"Unmet need by primary need ({m0})",
            [k[6:] for k in needs],
            [
                ("baseline", [disclosure.count(int(b[k])) for k in needs]),
                ("scenario", [disclosure.count(int(o[k])) for k in needs]),
            ],
        )
    )
    phases = [k for k in b if k.startswith("unmet_") and not k[6:].isupper()]
    parts.append(
        bar_chart_svg(
            f"Unmet need by phase ({m0})",
            [k[6:].replace("_", " ") for k in phases],
            [
                ("baseline", [disclosure.count(int(b[k])) for k in phases]),
                ("scenario", [disclosure.count(int(o[k])) for k in phases]),
            ],
        )
    )
    payers = ["high_needs_block_gbp", "schools_gbp", "transport_gbp"]
    eb0, eo0 = export_metrics(b), export_metrics(o)
    parts.append(
        bar_chart_svg(
            f"Annual cost by payer ({m0})",
            ["high-needs block", "schools", "transport", "total"],
            [
                ("baseline", [_millions(eb0[k]) for k in [*payers, "total_cost_gbp"]]),
                ("scenario", [_millions(eo0[k]) for k in [*payers, "total_cost_gbp"]]),
            ],
            "£m",
        )
    )
    parts.append(
        bar_chart_svg(
            f"Placement mix ({m0})",
            list(CATEGORIES),
            [
                ("baseline", [disclosure.count(int(b[f"mix_{c}"])) for c in CATEGORIES]),
                ("scenario", [disclosure.count(int(o[f"mix_{c}"])) for c in CATEGORIES]),
            ],
        )
    )
    # metrics table
    rows = []
    nested = _nested_metrics(r)
    keys = HEADLINE + [k for k in b if k.startswith(("unmet_", "mix_"))]
    for k in keys:
        row = [html.escape(LABELS.get(k, k.replace("_", " ")))]
        for mech in mechs:
            x = nested[mech][k]
            ch = x["change"]
            cls = ""
            if isinstance(ch, (int, float)) and ch:
                cls = "up" if ch > 0 else "down"
            row += [
                _cell(x["baseline"], k),
                _cell(x["scenario"], k),
                f"<span class='{cls}'>{_shown_change(ch, k)}</span>",
            ]
        rows.append(row)
    heads = ["metric"] + [f"{h} ({m})" for m in mechs for h in ("baseline", "scenario", "change")]
    parts.append("<h2>Every metric</h2>" + _table(heads, rows))
    # marginal values
    parts.append("<h2>Marginal value of one more place</h2>")
    if r.marginal:
        parts.append(
            "<p class='note'>For the full pools and settings with the most unplaced children "
            "they could suit, the scenario (optimised) was re-solved exactly with one more "
            "place there. A place that places one more child at the least extra cost does the "
            "most good.</p>"
        )
        mr = _marginal_rows(r)
        parts.append(
            bar_chart_svg(
                "Extra annual cost (£) of the child placed by one more place",
                [f"{x['setting_id']} {x['need_pool']}" for x in mr],
                [("£ per year", [x["delta_cost_gbp"] for x in mr])],
                "£",
            )
        )
        parts.append(
            _table(
                [
                    "setting",
                    "name",
                    "pool",
                    "unmet demand",
                    "placed",
                    "cost £/yr",
                    "preferences met",
                    "minutes",
                ],
                [
                    [
                        html.escape(x["setting_id"]),
                        html.escape(x["setting_name"]),
                        html.escape(x["need_pool"]),
                        _cell(x["unmet_demand"]),
                        f"{x['delta_placed']:+d}",
                        f"£{x['delta_cost_gbp']:+,}",
                        f"{x['delta_preferences_met']:+d}",
                        f"{x['delta_travel_min']:+d}",
                    ]
                    for x in mr
                ],
            )
        )
    else:
        parts.append(
            "<p class='note'>Not computed (optimised mechanism not run, no full pool "
            "with unmet demand, or switched off).</p>"
        )
    # settings
    srows = _setting_rows(r)
    moved = [x for x in srows if x["changed"] or _moved(x)]

    def size(x: Mapping[str, Any]) -> int:
        v = x.get(f"taken_{m0}_change", 0)
        return abs(v) if isinstance(v, int) else 0

    moved.sort(key=lambda x: (not x["changed"], -size(x), x["setting_id"]))
    parts.append(
        f"<h2>Use of settings</h2><p class='note'>{len(moved)} of {len(srows)} settings changed "
        "or changed use (the CSV lists all).</p>"
    )
    heads = ["setting", "name", "kind", "changed", "free (base)", "free (scen.)"] + [
        f"taken {h} ({m})" for m in mechs for h in ("base", "scen.", "change")
    ]
    parts.append(
        _table(
            heads,
            [
                [
                    html.escape(str(x[k])) if k in ("setting_id", "name", "kind") else _cell(x[k])
                    for k in x
                ]
                for x in moved[:60]
            ],
        )
    )
    parts.append(
        "<h2>The scenario file</h2><pre>" + html.escape(sc.source) + "</pre>"
        "<p class='note'>Every placement here is a model of the area, not a decision: "
        "placements are advisory until a placement officer confirms them.</p></body></html>"
    )
    return "".join(parts)


def _millions(v: Any) -> float | str:
    return v if isinstance(v, str) else v / 1e6


def _shown_change(ch: Any, key: str) -> str:
    return _signed(ch, key) if isinstance(ch, (int, float)) else _cell(ch, key)


def _signed(v: float, key: str) -> str:
    if key.endswith("_gbp"):
        return f"£{v:+,.0f}"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:+,.2f}"
    return f"{v:+,.0f}"
