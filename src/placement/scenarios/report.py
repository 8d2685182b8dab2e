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
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from placement import disclosure
from placement.cells import spreadsheet_safe
from placement.disclosure import WITHHELD
from placement.scenarios.charts import (
    TAGS,
    Better,
    Chart,
    Series,
    Unit,
    bar_chart,
    fmt,
    verdict,
)
from placement.scenarios.plain import (
    KIND_NAMES,
    MECHANISM_NAMES,
    MIX_NAMES,
    cap,
    document,
    kind_name,
    need_name,
    phase_name,
)
from placement.scenarios.run import ScenarioResult

__all__ = [
    "COUNT_KEYS",
    "PCT_OF",
    "better_way",
    "change_words",
    "export_metrics",
    "headline",
    "is_count",
    "metric_name",
    "report_csvs",
    "report_fragment",
    "report_html",
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
    metrics = _nested_metrics(r)
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


# -- in words --------------------------------------------------------------------------------

# which way is better for each figure: "higher", "lower" or "neither" (a share of mainstream
# or special places, the placement mix and the number of children are not good or bad)
_HIGHER = frozenset(
    {
        "placed",
        "placed_pct",
        "first_preference_pct",
        "any_preference_pct",
        "request_honoured_pct",
        "first_preference",
        "any_preference",
        "request_honoured",
    }
)
_LOWER = frozenset(
    {
        "unplaced",
        "independent_pct",
        "out_of_area_pct",
        "total_cost_gbp",
        "high_needs_block_gbp",
        "schools_gbp",
        "transport_gbp",
        "mean_journey_min",
        "p95_journey_min",
        "justified_envy",
    }
)


def better_way(key: str) -> Better:
    """Which way a metric is better: fewer children without a place, less cost, shorter
    journeys are better, whatever the sign of the change."""
    if key in _HIGHER:
        return "higher"
    if key in _LOWER or key.startswith("unmet_"):
        return "lower"
    return "neither"


METRIC_NAMES = {
    "children": "Children in the run",
    "placed": "Placed",
    "unplaced": "Not placed",
    "placed_pct": "Placed, % of the children",
    "first_preference_pct": "First preference met, % of the children with a preference",
    "any_preference_pct": "Any preference met, % of the children with a preference",
    "request_honoured_pct": "Request named (s.38), % of the children who made one",
    "mainstream_pct": "In mainstream, % of the children placed",
    "special_pct": "In special schools, % of the children placed",
    "independent_pct": "In independent settings, % of the children placed",
    "out_of_area_pct": "Outside the area, % of the children placed",
    "total_cost_gbp": "Total annual cost",
    "high_needs_block_gbp": "Annual cost paid by the high-needs block",
    "schools_gbp": "Annual cost paid by schools",
    "transport_gbp": "Annual cost of transport (LA general fund)",
    "mean_journey_min": "Mean journey",
    "p95_journey_min": "95th percentile journey",
    "justified_envy": "Children with justified envy",
}


def metric_name(key: str) -> str:
    """A metric's name in words (the need, phase or placement type named, not coded)."""
    if key in METRIC_NAMES:
        return METRIC_NAMES[key]
    if key.startswith("unmet_"):
        code = key[6:]
        if code.isupper():
            return f"Not placed: {need_name(code)}"
        return f"Not placed: {phase_name(code)} age"
    if key.startswith("mix_"):
        return f"Placement mix: {MIX_NAMES.get(key[4:], key[4:].replace('_', ' '))}"
    return key.replace("_", " ")


def _unit(key: str) -> Unit:
    if key.endswith("_gbp"):
        return "£m"
    if key.endswith("_pct"):
        return "%"
    if key.endswith("_min"):
        return "min"
    return "children"


def _shown(v: Any, key: str) -> str:
    """A figure as the report shows it: counts with commas, money in £m, shares with %."""
    if isinstance(v, str):
        return fmt(v, "children")
    if key.endswith("_gbp"):
        return fmt(v / 1e6, "£m")
    return fmt(v, _unit(key))


def _change_shown(v: Any, key: str) -> str:
    if isinstance(v, str):
        return "withheld"
    if v == 0:
        return "no change"
    sign = "+" if v > 0 else "−"
    if key.endswith("_gbp"):
        return f"{sign}£{_trim(abs(v) / 1e6, 2)}m"
    if key.endswith("_pct"):
        return f"{sign}{abs(v):.1f} points"
    if key.endswith("_min"):
        return f"{sign}{abs(v):.1f} min"
    return f"{sign}{abs(v):,}"


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
_GROWTH = re.compile(
    r"^demand_growth: (?P<label>.*): (?P<rate>[+-]?\d+%) a year for (?P<years>\d+) years: "
    r"(?P<a>[\d,]+) children become (?P<b>[\d,]+) \((?P<d>[+-]?[\d,]+)\)$"
)
_GROWTH_NONE = re.compile(r"^demand_growth: (?P<label>.*): no change \((?P<n>[\d,]+) children\)$")


def _n(s: str) -> int:
    return int(s.replace(",", ""))


def _count_text(n: int) -> str:
    c = disclosure.count(n)
    return c if isinstance(c, str) else f"{c:,}"


def safe_note(note: str) -> str:
    """A change's note with its counts of children disclosure-controlled (demand growth
    says how many children a group had and has)."""
    m = _GROWTH.match(note)
    if m:
        a, b = _n(m["a"]), _n(m["b"])
        d = disclosure.change(a, b)
        dd = d if isinstance(d, str) else f"{d:+,}"
        return (
            f"demand_growth: {m['label']}: {m['rate']} a year for {m['years']} years: "
            f"{_count_text(a)} children become {_count_text(b)} ({dd})"
        )
    m = _GROWTH_NONE.match(note)
    if m:
        return f"demand_growth: {m['label']}: no change ({_count_text(_n(m['n']))} children)"
    return note


_WHAT = {
    "add_places": "Adding places",
    "close_setting": "Closing settings",
    "redesignate": "Redesignating settings",
    "open_setting": "Opening a setting",
    "cap_fees": "Capping fees",
    "demand_growth": "Demand growth",
}


def _what(w: str) -> str:
    return _WHAT.get(w.split()[0], w.replace("_", " "))


def _group(label: str) -> str:
    """A demand-growth group ("ASD, secondary", "all needs") in words."""
    need, _, phase = label.partition(", ")
    words = "all needs" if need == "all needs" else f"children with {need_name(need)}"
    return words + (f" of {phase_name(phase)} age" if phase else "")


def _selection(desc: str) -> str:
    """A selection's description (placement.scenarios.apply._describe) in words."""
    out = []
    for bit in desc.split(", "):
        if bit.startswith("kind "):
            out.append(" or ".join(kind_name(k) for k in bit[5:].split("/")))
        elif bit.startswith("phase "):
            out.append(f"{phase_name(bit[6:])} phase")
        elif bit.startswith("designated "):
            out.append(f"for {need_name(bit[11:])}")
        else:
            out.append(bit)
    return ", ".join(out)


def _designations(des: str) -> str:
    parts = []
    for bit in des.split(", "):
        code, _, band = bit.partition(" to band ")
        parts.append(f"{need_name(code)} (to need band {band})" if band else need_name(code))
    return " and ".join(parts)


def _codes(text: str) -> str:
    """Keys and values from the planner's own file, shown as code."""
    return f"<code>{html.escape(text)}</code>"


_NOTE_WORDS: list[tuple[re.Pattern[str], Callable[[re.Match[str], Mapping[str, str]], str]]] = [
    (
        re.compile(r"^AS IF FROM SCRATCH: (?P<x>.*)$"),
        lambda m, _: f"As if from scratch: the {html.escape(m['x'])}.",
    ),
    (
        re.compile(r"^(?P<keys>base\.\w+(?:, base\.\w+)*) ignored: (?P<why>.*)$"),
        lambda m, _: (
            f"Not used: {_codes(m['keys'])}. The scenario runs on the stored area it "
            "was sent to (of its base, only the seed and whether to place every child from "
            "scratch apply)."
        ),
    ),
    (
        re.compile(r"^close_setting: closed (?P<sid>\S+) \((?P<name>.*)\)$"),
        lambda m, _: f"Closed {html.escape(m['name'])}.",
    ),
    (
        re.compile(
            r"^redesignate: (?P<sid>\S+) capacity raised to (?P<cap>\d+) to hold its pools$"
        ),
        lambda m, names: (
            f"The capacity of {html.escape(names.get(m['sid'], m['sid']))} was "
            f"raised to {m['cap']} places to hold its places for each need."
        ),
    ),
    (
        re.compile(r"^redesignate: (?P<sid>\S+) \((?P<name>.*)\) now (?P<des>.*)$"),
        lambda m, _: (
            f"Redesignated {html.escape(m['name'])}: now for "
            f"{html.escape(_designations(m['des']))}."
        ),
    ),
    (
        re.compile(
            r"^add_places: (?P<verb>added|removed) (?P<n>\d+) "
            r"(?P<what>general places|(?P<need>\w+) places) at (?P<sid>\S+) \((?P<name>.*)\)$"
        ),
        lambda m, _: (
            f"{m['verb'].capitalize()} {m['n']} "
            + (
                "general places"
                if m["need"] is None
                else f"places for {html.escape(need_name(m['need']))}"
            )
            + f" at {html.escape(m['name'])}."
        ),
    ),
    (
        re.compile(
            r"^open_setting: opened (?P<sid>\S+) \((?P<name>.*)\), (?P<n>\d+) places, "
            r"(?P<kind>\w+), at E\d+ N\d+(?P<where>.*)$"
        ),
        lambda m, _: (
            f"Opened {html.escape(m['name'])}, a "
            f"{html.escape(kind_name(m['kind']))} with {m['n']} places"
            f"{html.escape(m['where'])}."
        ),
    ),
    (
        re.compile(r"^cap_fees: (?P<n>\d+) settings' annual fees capped at (?P<cap>£[\d,]+)$"),
        lambda m, _: (
            f"Capped annual fees at {m['cap']}: "
            f"{m['n']} {'setting' if m['n'] == '1' else 'settings'} had charged more."
        ),
    ),
    (
        _GROWTH,
        lambda m, _: (
            f"Demand growth for {html.escape(_group(m['label']))}: {m['rate']} a year "
            f"for {m['years']} years: {m['a']} children become {m['b']} ({m['d']})."
        ),
    ),
    (
        _GROWTH_NONE,
        lambda m, _: f"Demand growth for {html.escape(_group(m['label']))}: no change.",
    ),
    (
        re.compile(
            r"^(?P<what>[a-z_]+(?: \S+)?): no setting matched (?P<desc>.*); nothing changed$"
        ),
        lambda m, _: (
            f"{_what(m['what'])}: no setting matched "
            f"({html.escape(_selection(m['desc']))}), so nothing changed."
        ),
    ),
    (
        re.compile(
            r"^(?P<what>[a-z_]+(?: \S+)?): only (?P<n>\d+) settings matched (?P<desc>.*) "
            r"\(asked for (?P<k>\d+)\)$"
        ),
        lambda m, _: (
            f"{_what(m['what'])}: only {m['n']} settings matched "
            f"({html.escape(_selection(m['desc']))}); the file asked for {m['k']}."
        ),
    ),
    (
        re.compile(r"^policy: (?P<x>.*)$"),
        lambda m, _: "Policy changed: " + "; ".join(_codes(p) for p in m["x"].split("; ")) + ".",
    ),
]


def change_words(note: str, names: Mapping[str, str]) -> str:
    """A change's note (already :func:`safe_note`) as HTML in words: settings by name,
    kinds and needs named, no table names or grid references."""
    for pat, words in _NOTE_WORDS:
        m = pat.match(note)
        if m:
            return words(m, names)
    text = html.escape(note)
    for code, name in KIND_NAMES.items():
        text = text.replace(code, name)
    return re.sub(r"^([a-z]+_[a-z_]+):", lambda m: _what(m[1]) + ":", text)


# -- the report, as a fragment (GOV.UK classes) and as a file of its own ----------------------

_SHARES = (
    ("placed_pct", "Placed, % of the children"),
    ("first_preference_pct", "First preference met, % of those with one"),
    ("mainstream_pct", "In mainstream, % of the children placed"),
    ("special_pct", "In special schools, % of the children placed"),
    ("independent_pct", "In independent settings, % of the children placed"),
    ("out_of_area_pct", "Outside the area, % of the children placed"),
)
_PAYERS = (
    ("high_needs_block_gbp", "High-needs block"),
    ("schools_gbp", "Schools"),
    ("transport_gbp", "Transport (LA general fund)"),
    ("total_cost_gbp", "Total"),
)


def _compare(m: Mapping[str, Mapping[str, Any]], keys: Sequence[str]) -> tuple[Series, Series]:
    def side(s: str) -> tuple[Any, ...]:
        return tuple(
            (v / 1e6 if k.endswith("_gbp") and not isinstance(v, str) else v)
            for k in keys
            for v in [m[k][s]]
        )

    return Series("Baseline", side("baseline")), Series("Scenario", side("scenario"))


def _nonzero(m: Mapping[str, Mapping[str, Any]], keys: Sequence[str]) -> list[str]:
    return [k for k in keys if m[k]["baseline"] != 0 or m[k]["scenario"] != 0]


def _e(x: object) -> str:
    return html.escape(str(x))


def _gtable(
    caption: str, head: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1
) -> str:
    """A GOV.UK table of already-escaped cells (the first of each row its header)."""
    th = "".join(
        f'<th scope="col" class="govuk-table__header'
        f'{" govuk-table__header--numeric" if i >= numeric_from else ""}">{h}</th>'
        for i, h in enumerate(head)
    )
    body = "".join(
        '<tr class="govuk-table__row">'
        + "".join(
            f'<th scope="row" class="govuk-table__header">{c}</th>'
            if i == 0
            else f'<td class="govuk-table__cell'
            f'{" govuk-table__cell--numeric" if i >= numeric_from else ""}">{c}</td>'
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return (
        '<table class="govuk-table">'
        f'<caption class="govuk-table__caption govuk-table__caption--m">{caption}</caption>'
        f'<thead class="govuk-table__head"><tr class="govuk-table__row">{th}</tr></thead>'
        f'<tbody class="govuk-table__body">{body}</tbody></table>'
    )


def _verdict_tag(key: str, change: Any) -> str:
    if isinstance(change, str) or not change:
        return ""
    v = verdict(1 if change > 0 else -1, better_way(key))
    return f' <strong class="govuk-tag {TAGS[v]}">{v}</strong>' if v else ""


def report_fragment(
    data: Mapping[str, Any], *, chart_id: str = "chart", charts: list[Chart] | None = None
) -> str:
    """The report from its JSON (:func:`report_json`: every figure already disclosure-
    controlled), as HTML with GOV.UK Frontend's classes, headings from ``<h2>``: for the
    service's page and, in :func:`report_html`, for a file of its own. ``charts``, if given,
    receives each chart drawn (its layout, for tests)."""
    sc = data["scenario"]
    metrics: dict[str, dict[str, dict[str, Any]]] = data["metrics"]
    mechs = list(metrics)
    m0 = mechs[0]
    how0 = MECHANISM_NAMES.get(m0, m0)
    names = {s["setting_id"]: s["name"] for s in data.get("settings", [])}
    ids = itertools.count(1)

    def chart(*a: Any, **kw: Any) -> str:
        c = bar_chart(*a, chart_id=f"{chart_id}-{next(ids)}", **kw)
        if charts is not None:
            charts.append(c)
        return c.html()

    out: list[str] = []
    sentences = data.get("headline") or headline(metrics)
    out.append(
        '<div class="govuk-inset-text app-headline">'
        + "".join(f'<p class="govuk-body-l">{_e(s)}</p>' for s in sentences)
        + "</div>"
    )
    if sc.get("description"):
        out.append(f'<p class="govuk-body">{_e(sc["description"])}</p>')
    base = sc.get("base", {})
    about = f"Baseline: {_e(data['areas']['baseline'])}"
    if base.get("la"):
        about += f" (like {_e(base['la'])})"
    about += f"; seed {_e(base.get('seed', ''))}"
    if base.get("like"):
        about += f", scale {_e(base.get('scale'))}"
    about += "; " + " and ".join(_e(MECHANISM_NAMES.get(m, m)) for m in mechs) + ". "
    about += "Synthetic data: no real child is represented."
    out.append(f'<p class="govuk-body">{about}</p>')
    out.append(f'<p class="govuk-body-s">{_e(data.get("suppression", DISCLOSURE_NOTE))}</p>')

    out.append('<h2 class="govuk-heading-m">What changed</h2>')
    changes = data.get("changes", [])
    if changes:
        out.append(
            '<ul class="govuk-list govuk-list--bullet">'
            + "".join(f"<li>{change_words(n, names)}</li>" for n in changes)
            + "</ul>"
        )
    else:
        out.append('<p class="govuk-body">Nothing: the file changes nothing.</p>')

    out.append('<h2 class="govuk-heading-m">The main figures</h2>')
    out.append(
        '<p class="govuk-body">Each chart compares the baseline (light grey) with the '
        "scenario: blue where the scenario is better (more children placed, fewer without a "
        "place, less cost), orange where it is worse, dark grey where it did not change or the "
        "change is withheld. Each bar says so in words too, and each chart's figures are in "
        "the table under it.</p>"
    )
    for mech in mechs:
        m = metrics[mech]
        out.append(
            chart(
                f"Headline shares: baseline and scenario ({MECHANISM_NAMES.get(mech, mech)})",
                [label for _, label in _SHARES],
                _compare(m, [k for k, _ in _SHARES]),
                "%",
                compare=True,
                better=[better_way(k) for k, _ in _SHARES],
                category_title="Share",
            )
        )
    m = metrics[m0]
    needs = _nonzero(m, [k for k in m if k.startswith("unmet_") and k[6:].isupper()])
    if needs:
        out.append(
            chart(
                f"Children not placed, by primary need ({how0})",
                [cap(need_name(k[6:])) for k in needs],
                _compare(m, needs),
                "children",
                compare=True,
                better="lower",
                category_title="Primary need",
            )
        )
    else:
        out.append('<p class="govuk-body">Every child was placed, with every need.</p>')
    phases = _nonzero(m, [k for k in m if k.startswith("unmet_") and not k[6:].isupper()])
    if phases:
        out.append(
            chart(
                f"Children not placed, by phase ({how0})",
                [cap(phase_name(k[6:])) for k in phases],
                _compare(m, phases),
                "children",
                compare=True,
                better="lower",
                category_title="Phase",
            )
        )
    out.append(
        chart(
            f"Annual cost by payer, £ million ({how0})",
            [label for _, label in _PAYERS],
            _compare(m, [k for k, _ in _PAYERS]),
            "£m",
            compare=True,
            better="lower",
            category_title="Paid by",
        )
    )
    mix = _nonzero(m, [k for k in m if k.startswith("mix_")])
    if mix:
        out.append(
            chart(
                f"Placement mix: where the children are ({how0})",
                [cap(MIX_NAMES.get(k[4:], k[4:])) for k in mix],
                _compare(m, mix),
                "children",
                compare=True,
                better="neither",
                category_title="Placement",
            )
        )
        left = [k for k in m if k.startswith("mix_") and k not in mix]
        if left:
            out.append(
                '<p class="govuk-body-s">No child in either: '
                + _e(", ".join(MIX_NAMES.get(k[4:], k[4:]) for k in left))
                + ".</p>"
            )

    out.append('<h2 class="govuk-heading-m">Every figure</h2>')
    keys = [*HEADLINE, *(k for k in metrics[m0] if k.startswith(("unmet_", "mix_")))]
    for mech in mechs:
        mm = metrics[mech]
        rows = [
            [
                _e(metric_name(k)),
                _e(_shown(mm[k]["baseline"], k)),
                _e(_shown(mm[k]["scenario"], k)),
                _e(_change_shown(mm[k]["change"], k)) + _verdict_tag(k, mm[k]["change"]),
            ]
            for k in keys
            if k in mm
        ]
        out.append(
            _gtable(
                _e(f"Every figure: {MECHANISM_NAMES.get(mech, mech)}"),
                ["Figure", "Baseline", "Scenario", "Change"],
                rows,
            )
        )

    out.append('<h2 class="govuk-heading-m">The value of one more place</h2>')
    marg = data.get("marginal_values", [])
    if marg:
        out.append(
            '<p class="govuk-body">For the full pools and settings with the most children '
            "without a place they could suit, the scenario (optimised allocation) was re-solved "
            "exactly with one more place there. A place that places one more child at the least "
            "extra cost does the most good.</p>"
        )

        def pool(x: Mapping[str, Any]) -> str:
            p = x["need_pool"]
            return "general places" if p == "general" else f"places for {need_name(p)}"

        labels = _unique([f"{x['setting_name']}: {pool(x)}" for x in marg], marg)
        out.append(
            chart(
                "Extra annual cost of the child placed by one more place (optimised allocation)",
                labels,
                [Series("Extra cost a year", tuple(x["delta_cost_gbp"] for x in marg))],
                "£",
                category_title="One more place at",
            )
        )
        rows = [
            [
                _e(label),
                _e(fmt(x["unmet_demand"], "children")),
                _e(f"{x['delta_placed']:+d}"),
                _e(_signed_money(x["delta_cost_gbp"])),
                _e(f"{x['delta_preferences_met']:+d}"),
                _e(f"{x['delta_travel_min']:+d}"),
            ]
            for label, x in zip(labels, marg, strict=True)
        ]
        out.append(
            _gtable(
                "Every candidate place",
                [
                    "One more place at",
                    "Children without a place it could suit",
                    "Children placed",
                    "Cost a year",
                    "Preferences met",
                    "Minutes travelled",
                ],
                rows,
            )
        )
    else:
        out.append(
            '<p class="govuk-body">Not computed: the optimised allocation was not run, no full '
            "pool had children without a place it could suit, or the file switched it off.</p>"
        )

    settings = list(data.get("settings", []))

    def size(x: Mapping[str, Any]) -> int:
        v = x.get(f"taken_{m0}_change", 0)
        return abs(v) if isinstance(v, int) else 0

    settings.sort(key=lambda x: (not x["changed"], -size(x), x["name"], x["setting_id"]))
    total = data.get("settings_total")
    out.append('<h2 class="govuk-heading-m">Use of settings</h2>')
    out.append(
        f'<p class="govuk-body">{len(settings)}'
        + (f" of {total:,}" if isinstance(total, int) else "")
        + " settings were changed by the scenario or saw their use change"
        + (
            f"; the {min(60, len(settings))} that changed most are here"
            if len(settings) > 60
            else ""
        )
        + " (the settings CSV lists every setting). Children placed there are under the "
        + _e(how0)
        + ".</p>"
    )
    if settings:
        shown_names = _unique([x["name"] for x in settings[:60]], settings[:60])
        rows = [
            [
                _e(name),
                _e(kind_name(x["kind"])),
                "yes" if x["changed"] else "no",
                _e(fmt(x["places_free_baseline"], "children")),
                _e(fmt(x["places_free_scenario"], "children")),
                _e(fmt(x.get(f"taken_{m0}_baseline", 0), "children")),
                _e(fmt(x.get(f"taken_{m0}_scenario", 0), "children")),
                _e(_change_shown(x.get(f"taken_{m0}_change", 0), "taken")),
            ]
            for name, x in zip(shown_names, settings[:60], strict=True)
        ]
        out.append(
            _gtable(
                "Settings whose places or use changed",
                [
                    "Setting",
                    "Kind",
                    "Changed by the scenario",
                    "Places free: baseline",
                    "Places free: scenario",
                    "Children placed there: baseline",
                    "Children placed there: scenario",
                    "Change",
                ],
                rows,
                numeric_from=3,
            )
        )
    source = data.get("source")
    if source:
        out.append('<h2 class="govuk-heading-m">The scenario file</h2>')
        out.append(f'<pre class="app-pre">{_e(source)}</pre>')
    out.append(
        '<p class="govuk-body">Every placement here is a model of the area, not a decision: '
        "placements are advisory until a placement officer confirms them.</p>"
    )
    return "".join(out)


def _unique(labels: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names as they are, but two settings with one name told apart by their ids."""
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    out = []
    for label, x in zip(labels, rows, strict=True):
        sid = x.get("setting_id", "")
        out.append(f"{label} (id {sid})" if seen[label] > 1 and sid else label)
    return out


def _signed_money(v: int) -> str:
    return "£0" if v == 0 else f"{'+' if v > 0 else '−'}£{abs(v):,}"


def report_html(r: ScenarioResult) -> str:
    """The planner's report as a file of its own: a headline sentence, what changed in words,
    charts each with its data, every figure, the value of one more place, the use of
    settings and the scenario file. Inline CSS and SVG, no scripts, nothing fetched."""
    data = json.loads(report_json(r))
    return document(f"Scenario: {r.scenario.name}", report_fragment(data))
