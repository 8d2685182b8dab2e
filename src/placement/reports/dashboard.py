"""The area dashboard: its figures (:func:`placement.scenarios.dashboard.dashboard_data`, every
count already disclosure-controlled) prepared here in words, shown by
``templates/dashboard.html``: in the planner's run page (:func:`dashboard_fragment`) and as a
file of its own (:func:`dashboard_html`: inline CSS and SVG, no scripts, nothing fetched).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from placement.reports.charts import Chart, Draw, Series, drawer
from placement.reports.render import render
from placement.reports.words import band_words, fmt, millions, minutes_words, per_child_words
from placement.scenarios.dashboard import HEADLINE_LABELS, MIX_LABELS
from placement.scenarios.plain import MECHANISM_NAMES, cap, need_name, phase_name
from placement.scenarios.report import DISCLOSURE_NOTE, money_words

__all__ = ["Dashboard", "dashboard_fragment", "dashboard_html", "dashboard_view"]

_PAYERS = (
    ("high_needs_block_gbp", "High-needs block"),
    ("schools_gbp", "Schools"),
    ("transport_gbp", "Transport (LA general fund)"),
    ("total_gbp", "Total"),
)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard shows, in words, in the order it shows it."""

    headline: str
    about: str
    suppression: str
    mix: Chart
    mix_note: str
    mean_journey: str
    p95_journey: str
    journeys: Chart
    cost: Chart
    per_child: str
    needs: Chart | None
    needs_none: str
    phases: Chart | None
    shares: tuple[tuple[str, str], ...]

    @property
    def charts(self) -> list[Chart]:
        """Every chart, in the order the dashboard shows them."""
        unmet = [c for c in (self.needs, self.phases) if c is not None]
        return [self.mix, self.journeys, self.cost, *unmet]


def _headline(data: Mapping[str, Any]) -> str:
    """How many children the run placed of those it allocated, and at what annual cost."""
    placed, children = data["placed"], data["children"]
    if isinstance(placed, int) and isinstance(children, int):
        first = f"This run placed {placed:,} of the {children:,} children it allocated"
        pct = data["placed_pct"]
        first += "" if isinstance(pct, str) else f" ({fmt(pct, '%')})"
    else:
        first = (
            f"This run allocated {fmt(children, 'children')} children and placed "
            f"{fmt(placed, 'children')}"
        )
    staying = data.get("staying", 0)
    if staying:
        first += f"; {fmt(staying, 'children')} more stay where their plans name"
    total = data["cost"]["total_gbp"]
    cost = (
        "its annual cost is withheld"
        if isinstance(total, str)
        else f"the annual cost of the placements is {money_words(total)}"
    )
    return f"{first}; {cost}."


def _mix(draw: Draw, data: Mapping[str, Any]) -> Chart:
    """This allocation's placement mix beside the LA's real one (if known) and England's."""
    mix = data["placement_mix"]
    cats = mix["categories"]
    series = [Series("This allocation", tuple(mix["allocation_pct"][c] for c in cats))]
    if mix.get("la_real_pct"):
        real = tuple(mix["la_real_pct"].get(c, 0.0) for c in cats)
        series.append(Series(f"{data['la']} (real)", real))
    series.append(Series("England (real)", tuple(mix["england_pct"].get(c, 0.0) for c in cats)))
    return draw(
        "Placement mix: % of all the children (placed, staying or not placed)",
        [cap(MIX_LABELS.get(k, mix.get("labels", {}).get(k, k))) for k in cats],
        series,
        "%",
        category_title="Placement",
    )


def _journeys(draw: Draw, bands: list[Mapping[str, Any]]) -> Chart:
    return draw(
        "Children placed, by journey time",
        [band_words(b["band"]) for b in bands],
        [Series("Children", tuple(b["children"] for b in bands))],
        "children",
        category_title="Journey",
    )


def _cost(draw: Draw, cost: Mapping[str, Any]) -> Chart:
    return draw(
        "Annual cost by payer, £ million",
        [label for _, label in _PAYERS],
        [Series("Cost a year", tuple(millions(cost[k]) for k, _ in _PAYERS))],
        "£m",
        category_title="Paid by",
    )


def _unmet(draw: Draw, counts: Mapping[str, Any], *, by_need: bool) -> Chart | None:
    """Children not placed by primary need (or phase), if any."""
    shown = {k: v for k, v in counts.items() if v != 0}
    if not shown:
        return None
    name = need_name if by_need else phase_name
    return draw(
        f"Children not placed, by {'primary need' if by_need else 'phase'}",
        [cap(name(k)) for k in shown],
        [Series("Children not placed", tuple(shown.values()))],
        "children",
        category_title="Primary need" if by_need else "Phase",
    )


def dashboard_view(data: Mapping[str, Any], *, chart_id: str = "dash") -> Dashboard:
    """The dashboard's contents from its data, charts drawn (and numbered) in the order
    shown. Everything named in words."""
    draw = drawer(chart_id)
    how = MECHANISM_NAMES.get(data["mechanism"], data["mechanism"])
    note = data["placement_mix"]["note"]
    journeys, unmet = data["journeys"], data["unmet_need"]
    mix = _mix(draw, data)  # the charts, in the order shown (and numbered)
    journey_chart = _journeys(draw, journeys["bands"])
    cost = _cost(draw, data["cost"])
    needs = _unmet(draw, unmet["by_need"], by_need=True)
    phases = _unmet(draw, unmet["by_phase"], by_need=False)
    return Dashboard(
        headline=_headline(data),
        about=f"{cap(how)}: {data.get('scope_label', '')}.",
        suppression=data.get("suppression", DISCLOSURE_NOTE),
        mix=mix,
        mix_note=note[:1].upper() + note[1:],
        mean_journey=minutes_words(journeys["mean_min"], 1),
        p95_journey=minutes_words(journeys["p95_min"], 0),
        journeys=journey_chart,
        cost=cost,
        per_child=per_child_words(data["cost"]["per_placed_child_gbp"]),
        needs=needs,
        needs_none=", ".join(need_name(k) for k, v in unmet["by_need"].items() if v == 0),
        phases=phases,
        shares=tuple(
            (cap(HEADLINE_LABELS.get(k, k.replace("_", " "))), fmt(v, "%"))
            for k, v in data["headline_pct"].items()
        ),
    )


def dashboard_fragment(
    data: Mapping[str, Any], *, chart_id: str = "dash", charts: list[Chart] | None = None
) -> str:
    """The dashboard (:func:`~placement.scenarios.dashboard.dashboard_data`) as HTML with
    GOV.UK Frontend's classes, headings from ``<h2>``: for the service's run page and, in
    :func:`dashboard_html`, for a file of its own. ``charts``, if given, receives each chart
    drawn (its layout, for tests)."""
    dashboard = dashboard_view(data, chart_id=chart_id)
    if charts is not None:
        charts.extend(dashboard.charts)
    return render("dashboard.html", dashboard=dashboard)


def dashboard_html(data: Mapping[str, Any]) -> str:
    """The dashboard as a file of its own (inline CSS and SVG, no scripts)."""
    title = f"Area dashboard: {data['area']}"
    return render("dashboard_file.html", title=title, dashboard=dashboard_view(data))
