"""Exports of a scenario run: its figures as JSON and CSV, disclosure-controlled, and the
headline in words. Pure: each function returns text; the CLI writes it. The HTML report (a
self-contained file, and the fragment the planner's page shows) is drawn from the JSON by
:mod:`placement.reports`.

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
import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from placement import disclosure
from placement.cells import spreadsheet_safe
from placement.disclosure import WITHHELD
from placement.scenarios.plain import MECHANISM_NAMES
from placement.scenarios.run import ScenarioResult

__all__ = [
    "COUNT_KEYS",
    "DISCLOSURE_NOTE",
    "GROWTH",
    "GROWTH_NONE",
    "PCT_OF",
    "export_metrics",
    "headline",
    "is_count",
    "money_words",
    "report_csvs",
    "report_json",
    "safe_note",
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
    metrics = nested_metrics(r)
    rows = _setting_rows(r)
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
        "headline": headline(metrics),
        # the changes as apply made them (counts of children in them controlled); the
        # report says them in words (change_words)
        "changes": [safe_note(n) for n in r.notes],
        "suppression": DISCLOSURE_NOTE,
        "metrics": metrics,
        "settings": [x for x in rows if x["changed"] or _moved(x)],
        "settings_total": len(rows),
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
        "source": sc.source,
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


def nested_metrics(r: ScenarioResult) -> dict[str, dict[str, Any]]:
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


# -- in words (the headline and the changes' notes, as the JSON gives them) ------------------


def _trim(x: float, digits: int) -> str:
    s = f"{x:,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def money_words(gbp: int) -> str:
    """£1.25m, £500,000."""
    a = abs(gbp)
    return f"£{_trim(a / 1e6, 2)}m" if a >= 1_000_000 else f"£{a:,}"


def headline(metrics: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """The report's first words: how many more (or fewer) children the scenario places and
    what it does to the annual cost, under each mechanism, from the exported (rounded)
    figures: "The scenario places 120 more children and costs £4.25m more a year"."""
    out = []
    for i, (mech, m) in enumerate(metrics.items()):
        placed = m.get("placed", {}).get("change", WITHHELD)
        cost = m.get("total_cost_gbp", {}).get("change", WITHHELD)
        if isinstance(placed, str):
            p = "changes how many children are placed by a number too small to show"
        elif placed > 0:
            p = f"places {placed:,} more {'child' if placed == 1 else 'children'}"
        elif placed < 0:
            p = f"places {-placed:,} fewer {'child' if placed == -1 else 'children'}"
        else:
            p = "places the same number of children"
        if isinstance(cost, str):
            c = "its cost is withheld (it is the cost of fewer than 10 children)"
        elif cost > 0:
            c = f"costs {money_words(cost)} more a year"
        elif cost < 0:
            c = f"costs {money_words(cost)} less a year"
        else:
            c = "costs about the same a year, to the nearest £250,000"
        how = MECHANISM_NAMES.get(mech, mech)
        if i == 0:
            out.append(f"The scenario {p} and {c} ({how}).")
        else:
            out.append(f"With {how}, it {p} and {c}.")
    return out


# the notes of placement.scenarios.apply, in words; counts of children in them controlled
GROWTH = re.compile(
    r"^demand_growth: (?P<label>.*): (?P<rate>[+-]?\d+%) a year for (?P<years>\d+) years: "
    r"(?P<a>[\d,]+) children become (?P<b>[\d,]+) \((?P<d>[+-]?[\d,]+)\)$"
)
GROWTH_NONE = re.compile(r"^demand_growth: (?P<label>.*): no change \((?P<n>[\d,]+) children\)$")


def _n(s: str) -> int:
    return int(s.replace(",", ""))


def _count_text(n: int) -> str:
    c = disclosure.count(n)
    return c if isinstance(c, str) else f"{c:,}"


def safe_note(note: str) -> str:
    """A change's note with its counts of children disclosure-controlled (demand growth
    says how many children a group had and has)."""
    m = GROWTH.match(note)
    if m:
        a, b = _n(m["a"]), _n(m["b"])
        d = disclosure.change(a, b)
        dd = d if isinstance(d, str) else f"{d:+,}"
        return (
            f"demand_growth: {m['label']}: {m['rate']} a year for {m['years']} years: "
            f"{_count_text(a)} children become {_count_text(b)} ({dd})"
        )
    m = GROWTH_NONE.match(note)
    if m:
        return f"demand_growth: {m['label']}: no change ({_count_text(_n(m['n']))} children)"
    return note
