"""The scenario report: its figures (the JSON of :func:`placement.scenarios.report.report_json`,
every count already disclosure-controlled) prepared here, shown by ``templates/report.html``.

The same report is the planner's page's fragment (:func:`report_fragment`, headings from
``<h2>``) and a file of its own (:func:`report_html`: inline CSS and SVG, no scripts, nothing
fetched). Preparation is small functions over the JSON, in words; the markup is the template's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from placement.reports.changes import Words, note_words
from placement.reports.charts import Chart, Draw, Series, drawer
from placement.reports.render import render
from placement.reports.words import (
    Unit,
    better_way,
    change_shown,
    change_verdict,
    fmt,
    metric_name,
    shown,
    signed_money,
)
from placement.scenarios.plain import (
    MECHANISM_NAMES,
    MIX_NAMES,
    cap,
    kind_name,
    need_name,
    phase_name,
)
from placement.scenarios.report import DISCLOSURE_NOTE, HEADLINE, headline, report_json
from placement.scenarios.run import ScenarioResult

__all__ = ["Report", "report_file", "report_fragment", "report_html", "report_view"]

Metrics = Mapping[str, Mapping[str, Any]]  # figure -> {"baseline", "scenario", "change"}

SHOWN_SETTINGS = 60  # the settings whose use changed most; the CSV lists every one
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


@dataclass(frozen=True, slots=True)
class Figure:
    """A row of "Every figure": its name, both sides and the change, shown; the change's
    verdict ("better", "worse" or "")."""

    name: str
    baseline: str
    scenario: str
    change: str
    verdict: str


@dataclass(frozen=True, slots=True)
class FigureTable:
    caption: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True, slots=True)
class Marginal:
    """The value of one more place: the chart of its cost and every candidate's row."""

    chart: Chart
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings changed or used differently: how many (``count``: "12", or "12 of
    1,234"), how many are shown if not all, under which mechanism, and their rows."""

    count: str
    most: int | None
    how: str
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the report shows, in words, in the order it shows it."""

    headline: tuple[str, ...]
    description: str
    about: str
    suppression: str
    changes: tuple[Words, ...]
    shares: tuple[Chart, ...]
    needs: Chart | None
    phases: Chart | None
    cost: Chart
    mix: Chart | None
    mix_empty: str
    figures: tuple[FigureTable, ...]
    marginal: Marginal | None
    settings: Settings
    source: str

    @property
    def charts(self) -> list[Chart]:
        """Every chart, in the order the report shows them."""
        optional = (self.needs, self.phases, self.cost, self.mix)
        more = [self.marginal.chart] if self.marginal else []
        return [*self.shares, *(c for c in optional if c is not None), *more]


def _compare(m: Metrics, keys: Sequence[str]) -> list[Series]:
    """Baseline and scenario of ``keys`` (money in £ million)."""

    def side(s: str) -> tuple[Any, ...]:
        vs = ((k, m[k][s]) for k in keys)
        return tuple(v / 1e6 if k.endswith("_gbp") and not isinstance(v, str) else v for k, v in vs)

    return [Series("Baseline", side("baseline")), Series("Scenario", side("scenario"))]


def _nonzero(m: Metrics, keys: Sequence[str]) -> list[str]:
    return [k for k in keys if m[k]["baseline"] != 0 or m[k]["scenario"] != 0]


def _how(mech: str) -> str:
    return MECHANISM_NAMES.get(mech, mech)


def _about(data: Mapping[str, Any]) -> str:
    """The baseline, its seed and scale, and the mechanisms run, in a sentence."""
    base = data["scenario"].get("base", {})
    about = f"Baseline: {data['areas']['baseline']}"
    if base.get("la"):
        about += f" (like {base['la']})"
    about += f"; seed {base.get('seed', '')}"
    if base.get("like"):
        about += f", scale {base.get('scale')}"
    about += "; " + " and ".join(_how(m) for m in data["metrics"]) + ". "
    return about + "Synthetic data: no real child is represented."


def _shares(draw: Draw, m: Metrics, mech: str) -> Chart:
    return draw(
        f"Headline shares: baseline and scenario ({_how(mech)})",
        [label for _, label in _SHARES],
        _compare(m, [k for k, _ in _SHARES]),
        "%",
        compare=True,
        better=[better_way(k) for k, _ in _SHARES],
        category_title="Share",
    )


def _unmet(draw: Draw, m: Metrics, mech: str, *, by_need: bool) -> Chart | None:
    """Children not placed by primary need (or by phase), if any are in either."""
    keys = [k for k in m if k.startswith("unmet_") and k[6:].isupper() == by_need]
    keys = _nonzero(m, keys)
    if not keys:
        return None
    name = need_name if by_need else phase_name
    return draw(
        f"Children not placed, by {'primary need' if by_need else 'phase'} ({_how(mech)})",
        [cap(name(k[6:])) for k in keys],
        _compare(m, keys),
        "children",
        compare=True,
        better="lower",
        category_title="Primary need" if by_need else "Phase",
    )


def _cost(draw: Draw, m: Metrics, mech: str) -> Chart:
    return draw(
        f"Annual cost by payer, £ million ({_how(mech)})",
        [label for _, label in _PAYERS],
        _compare(m, [k for k, _ in _PAYERS]),
        "£m",
        compare=True,
        better="lower",
        category_title="Paid by",
    )


def _mix(draw: Draw, m: Metrics, mech: str) -> tuple[Chart | None, str]:
    """The placement mix, and the placements with no child in either (in words)."""
    keys = [k for k in m if k.startswith("mix_")]
    shown_keys = _nonzero(m, keys)
    if not shown_keys:
        return None, ""
    chart = draw(
        f"Placement mix: where the children are ({_how(mech)})",
        [cap(MIX_NAMES.get(k[4:], k[4:])) for k in shown_keys],
        _compare(m, shown_keys),
        "children",
        compare=True,
        better="neither",
        category_title="Placement",
    )
    empty = [MIX_NAMES.get(k[4:], k[4:]) for k in keys if k not in shown_keys]
    return chart, ", ".join(empty)


def _figures(metrics: Mapping[str, Metrics]) -> tuple[FigureTable, ...]:
    """Every figure of every mechanism: the headline's, then unmet need and the mix."""
    first = next(iter(metrics.values()))
    keys = [*HEADLINE, *(k for k in first if k.startswith(("unmet_", "mix_")))]
    return tuple(
        FigureTable(
            f"Every figure: {_how(mech)}",
            tuple(
                Figure(
                    metric_name(k),
                    shown(mm[k]["baseline"], k),
                    shown(mm[k]["scenario"], k),
                    change_shown(mm[k]["change"], k),
                    change_verdict(k, mm[k]["change"]),
                )
                for k in keys
                if k in mm
            ),
        )
        for mech, mm in metrics.items()
    )


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


def _pool(x: Mapping[str, Any]) -> str:
    p = x["need_pool"]
    return "general places" if p == "general" else f"places for {need_name(p)}"


def _marginal(draw: Draw, marg: Sequence[Mapping[str, Any]]) -> Marginal | None:
    """The extra cost of the child one more place would place, at each candidate."""
    if not marg:
        return None
    labels = _unique([f"{x['setting_name']}: {_pool(x)}" for x in marg], marg)
    chart = draw(
        "Extra annual cost of the child placed by one more place (optimised allocation)",
        labels,
        [Series("Extra cost a year", tuple(x["delta_cost_gbp"] for x in marg))],
        "£",
        category_title="One more place at",
    )
    rows = tuple(
        (
            label,
            fmt(x["unmet_demand"], "children"),
            f"{x['delta_placed']:+d}",
            signed_money(x["delta_cost_gbp"]),
            f"{x['delta_preferences_met']:+d}",
            f"{x['delta_travel_min']:+d}",
        )
        for label, x in zip(labels, marg, strict=True)
    )
    return Marginal(chart, rows)


def _settings(data: Mapping[str, Any], mech: str) -> Settings:
    """The settings the scenario changed first, then those whose use changed most."""

    def size(x: Mapping[str, Any]) -> int:
        v = x.get(f"taken_{mech}_change", 0)
        return abs(v) if isinstance(v, int) else 0

    settings = sorted(
        data.get("settings", []),
        key=lambda x: (not x["changed"], -size(x), x["name"], x["setting_id"]),
    )
    total = data.get("settings_total")
    top = settings[:SHOWN_SETTINGS]
    n: Unit = "children"
    rows = tuple(
        (
            name,
            kind_name(x["kind"]),
            "yes" if x["changed"] else "no",
            fmt(x["places_free_baseline"], n),
            fmt(x["places_free_scenario"], n),
            fmt(x.get(f"taken_{mech}_baseline", 0), n),
            fmt(x.get(f"taken_{mech}_scenario", 0), n),
            change_shown(x.get(f"taken_{mech}_change", 0), "taken"),
        )
        for name, x in zip(_unique([x["name"] for x in top], top), top, strict=True)
    )
    return Settings(
        count=f"{len(settings)}" + (f" of {total:,}" if isinstance(total, int) else ""),
        most=len(top) if len(settings) > SHOWN_SETTINGS else None,
        how=_how(mech),
        rows=rows,
    )


def report_view(data: Mapping[str, Any], *, chart_id: str = "chart") -> Report:
    """The report's contents from its JSON, charts drawn (and numbered) in the order shown."""
    metrics: Mapping[str, Metrics] = data["metrics"]
    m0 = next(iter(metrics))
    draw = drawer(chart_id)
    names = {s["setting_id"]: s["name"] for s in data.get("settings", [])}
    shares = tuple(_shares(draw, m, mech) for mech, m in metrics.items())
    needs = _unmet(draw, metrics[m0], m0, by_need=True)
    phases = _unmet(draw, metrics[m0], m0, by_need=False)
    cost = _cost(draw, metrics[m0], m0)
    mix, mix_empty = _mix(draw, metrics[m0], m0)
    return Report(
        headline=tuple(data.get("headline") or headline(metrics)),
        description=data["scenario"].get("description") or "",
        about=_about(data),
        suppression=data.get("suppression", DISCLOSURE_NOTE),
        changes=tuple(note_words(n, names) for n in data.get("changes", [])),
        shares=shares,
        needs=needs,
        phases=phases,
        cost=cost,
        mix=mix,
        mix_empty=mix_empty,
        figures=_figures(metrics),
        marginal=_marginal(draw, data.get("marginal_values", [])),
        settings=_settings(data, m0),
        source=data.get("source") or "",
    )


def report_fragment(
    data: Mapping[str, Any], *, chart_id: str = "chart", charts: list[Chart] | None = None
) -> str:
    """The report from its JSON (:func:`~placement.scenarios.report.report_json`: every
    figure already disclosure-controlled) as HTML with GOV.UK Frontend's classes, headings
    from ``<h2>``: for the service's page and, in :func:`report_html`, for a file of its own.
    ``charts``, if given, receives each chart drawn (its layout, for tests)."""
    report = report_view(data, chart_id=chart_id)
    if charts is not None:
        charts.extend(report.charts)
    return render("report.html", report=report)


def report_file(data: Mapping[str, Any]) -> str:
    """The report from its JSON as a file of its own: inline CSS and SVG, no scripts."""
    title = f"Scenario: {data['scenario']['name']}"
    return render("report_file.html", title=title, report=report_view(data))


def report_html(r: ScenarioResult) -> str:
    """The planner's report as a file of its own: a headline sentence, what changed in words,
    charts each with its data, every figure, the value of one more place, the use of
    settings and the scenario file. Inline CSS and SVG, no scripts, nothing fetched."""
    return report_file(json.loads(report_json(r)))
