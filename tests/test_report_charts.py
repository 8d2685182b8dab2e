"""The scenario report's and the area dashboard's charts and words, checked for the faults a
planner found in them: no headline sentence, codes instead of names (``rp_su``, ``special_nm``,
a setting shown as ``E544300 N189812``), colour meaning the sign of a number rather than good
or bad, a red/green palette, ticks like 152.5 children, overlapping labels, a cut-off title,
charts without their data. Each test fails on the fault it names."""

from __future__ import annotations

import colorsys
import copy
import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from placement.register import resolve_la
from placement.reports import dashboard_fragment, dashboard_html, report_fragment, report_html
from placement.reports.changes import change_words
from placement.reports.charts import COLOURS, PALETTE, Chart, Series, bar_chart, text_width
from placement.scenarios import parse_scenario
from placement.scenarios.dashboard import dashboard_data
from placement.scenarios.plain import KIND_NAMES, MIX_NAMES, NEED_NAMES
from placement.scenarios.report import headline, report_json, safe_note
from placement.scenarios.run import CATEGORIES, ScenarioResult, run_scenario

ROOT = Path(__file__).resolve().parents[1]

# a scenario that changes settings of every kind of change the report words, on Kent at 5%
EVERY_CHANGE = """
name = "Every change"
description = "One of each."
mechanism = "both"
marginal = 3
[base]
like = "Kent"
seed = 1
scale = 0.05
[[open_setting]]
id = "NEW-SFS-1"
name = "New Free School"
kind = "special_academy_free"
near = "largest gaps"
low_age = 4
high_age = 19
designations = { ASD = 5, SLCN = 5 }
pools = { ASD = 30, SLCN = 10 }
capacity = 40
[[add_places]]
select = { kind = "special_la_maintained", need = "SEMH", count = 1, near = "centre" }
need = "SEMH"
places = 5
[[add_places]]
select = { kind = "mainstream", phase = "primary", count = 1, near = "centre" }
places = 10
[[redesignate]]
select = { kind = "resourced_provision", count = 1, near = "centre" }
designations = { ASD = 4, SLCN = 3 }
[[close_setting]]
select = { kind = "independent_mainstream", count = 1, near = "centre" }
[[add_places]]
select = { kind = "sen_unit", need = "VI", count = 2, near = "centre" }
need = "VI"
places = 1
[[cap_fees]]
max_annual_fee_gbp = 55000
[[demand_growth]]
need = "ASD"
phase = "secondary"
rate = 0.1
years = 2
[[demand_growth]]
need = "DS"
phase = "early_years"
rate = 0.01
years = 1
[policy]
travel.max_journey_min.secondary = 80
"""


@pytest.fixture(scope="module")
def result() -> ScenarioResult:
    sc = parse_scenario(EVERY_CHANGE, file="every.toml")
    return run_scenario(sc, workers=1)


@pytest.fixture(scope="module")
def data(result: ScenarioResult) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(report_json(result))
    return out


@pytest.fixture(scope="module")
def drawn(data: dict[str, Any]) -> tuple[str, list[Chart]]:
    charts: list[Chart] = []
    return report_fragment(data, charts=charts), charts


@pytest.fixture(scope="module")
def dashboard(result: ScenarioResult) -> tuple[str, list[Chart]]:
    d = dashboard_data(result.outcome["optimised"], area_name="Kent 5%", la=resolve_la("Kent"))
    charts: list[Chart] = []
    return dashboard_fragment(d, charts=charts), charts


def _all(drawn: tuple[str, list[Chart]], dashboard: tuple[str, list[Chart]]) -> list[Chart]:
    return [*drawn[1], *dashboard[1]]


# -- HTML, read as a person reads it ----------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees, leaving out <pre> and <code> (the planner's own file) and the
    SVG's own <title> (its text is the chart's title, drawn in the chart too)."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("pre", "code", "style", "title"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("pre", "code", "style", "title"):
            self.skip -= 1

    def handle_data(self, d: str) -> None:
        if not self.skip:
            self.out.append(d)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.out).split())


class _Figures(HTMLParser):
    """Each <svg> with its texts by class, and the cells of the table that follows it."""

    def __init__(self) -> None:
        super().__init__()
        self.figs: list[dict[str, Any]] = []
        self.cls: str | None = None
        self.in_svg = False
        self.cell: list[str] | None = None
        self.after_svg: list[str] = []  # the tags met between </svg> and <table>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.in_svg = True
            self.figs.append({"texts": [], "colours": set(), "rows": [], "between": []})
        elif self.in_svg:
            for k in ("fill", "stroke"):
                if a.get(k):
                    self.figs[-1]["colours"].add(a[k])
            if tag == "text":
                self.cls = a.get("class")
        elif self.figs and not self.figs[-1].get("table_done"):
            if tag == "table":
                self.figs[-1]["in_table"] = True
            elif self.figs[-1].get("in_table") and tag == "tr":
                self.figs[-1]["rows"].append([])
            elif self.figs[-1].get("in_table") and tag in ("td", "th"):
                self.cell = []
            elif not self.figs[-1].get("in_table"):
                self.figs[-1]["between"].append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg = False
        elif tag == "text":
            self.cls = None
        elif tag in ("td", "th") and self.cell is not None:
            self.figs[-1]["rows"][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.figs and self.figs[-1].get("in_table"):
            self.figs[-1]["in_table"] = False
            self.figs[-1]["table_done"] = True

    def handle_data(self, d: str) -> None:
        if self.in_svg and self.cls:
            self.figs[-1]["texts"].append((self.cls, d))
        elif self.cell is not None:
            self.cell.append(d)


def figures(html: str) -> list[dict[str, Any]]:
    p = _Figures()
    p.feed(html)
    return p.figs


# -- a headline sentence ---------------------------------------------------------------------


def test_the_report_opens_with_a_headline_sentence(result: ScenarioResult) -> None:
    html = report_html(result)
    data = json.loads(report_json(result))
    opt = data["metrics"]["optimised"]
    placed, cost = opt["placed"]["change"], opt["total_cost_gbp"]["change"]
    assert isinstance(placed, int) and isinstance(cost, int)
    body = visible_text(html.split("</h1>", 1)[1])
    first = data["headline"][0]
    assert body.startswith(first)  # the first words under the title
    more = "more" if placed > 0 else "fewer"
    assert first.startswith(f"The scenario places {abs(placed):,} {more} children and costs ")
    assert ("more a year" if cost > 0 else "less a year") in first
    assert data["headline"][1].startswith("With preference-first allocation, it places")


def test_headline_words_follow_the_figures() -> None:
    def m(placed: Any, cost: Any) -> dict[str, Any]:
        return {"optimised": {"placed": {"change": placed}, "total_cost_gbp": {"change": cost}}}

    assert headline(m(35, -1_250_000)) == [
        "The scenario places 35 more children and costs £1.25m less a year (optimised allocation)."
    ]
    assert "places 5 fewer children and costs £500,000 more a year" in headline(m(-5, 500_000))[0]
    assert "places the same number of children" in headline(m(0, 0))[0]
    assert "too small to show" in headline(m("suppressed", 0))[0]


# -- names, not codes ------------------------------------------------------------------------


def _own_words(data: dict[str, Any]) -> list[str]:
    """Names, as the planner's file or the area's data give them, may hold codes ("New
    ASD/SLCN Free School", "Bridge High School (ASD base)"): they are names."""
    sc = data["scenario"]
    own = [sc["name"], sc["description"] or ""]
    own += [s["name"] for s in data["settings"]]
    own += [m["setting_name"] for m in data["marginal_values"]]
    return [x for x in own if x]


def _codes_in(text: str, data: dict[str, Any]) -> list[str]:
    for own in sorted(_own_words(data), key=len, reverse=True):
        text = text.replace(own, " ")
    found = re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", text)  # rp_su, special_nm, open_setting
    found += re.findall(r"\bE\d{5,6} N\d{5,7}\b", text)  # a place as a grid reference
    found += [c for c in NEED_NAMES if re.search(rf"\b{c}\b", text)]
    found += [k for k in (*KIND_NAMES, *MIX_NAMES, *CATEGORIES) if "_" in k and k in text]
    ids = {s["setting_id"] for s in data["settings"]} | {
        m["setting_id"] for m in data["marginal_values"]
    }
    found += [i for i in ids if re.search(rf"(?<![\w(]){re.escape(i)}\b(?!\))", text)]
    return found


def test_the_report_names_things_and_shows_no_codes(
    data: dict[str, Any], drawn: tuple[str, list[Chart]]
) -> None:
    html = drawn[0]
    text = visible_text(html)
    assert _codes_in(text, data) == []
    # and the faults as seen: a placement type, a kind, a need and a setting by code
    assert "Resourced provision / SEN unit" in text or "resourced provision / SEN unit" in text
    assert "special school (academy or free school)" in text.lower()
    assert "Children not placed, by primary need" in text
    unmet = [k[6:] for k, v in data["metrics"]["optimised"].items() if k.startswith("unmet_")]
    shown = [k for k in unmet if k.isupper() and data["metrics"]["optimised"][f"unmet_{k}"]
             ["baseline"] not in (0, "0")]  # fmt: skip
    assert shown and all(NEED_NAMES[k] in text for k in shown), shown
    opened = next(n for n in data["changes"] if n.startswith("open_setting"))
    assert re.search(r"E\d+ N\d+, on the site of ", opened)  # the note as apply made it
    site = opened.split("on the site of ", 1)[1]
    kind = "a special school (academy or free school)"
    assert f"Opened New Free School, {kind} with 40 places, on the site of {site}." in text


def test_the_dashboard_names_things_and_shows_no_codes(
    dashboard: tuple[str, list[Chart]], data: dict[str, Any]
) -> None:
    text = visible_text(dashboard[0])
    assert _codes_in(text, data) == []
    assert "Special school (non-maintained)" in text and "Resourced provision / SEN unit" in text


def test_every_change_is_said_in_words(data: dict[str, Any], result: ScenarioResult) -> None:
    names = {s["setting_id"]: s["name"] for s in data["settings"]}
    kinds = {n.split(":")[0].split()[0] for n in result.notes}
    assert {"open_setting", "add_places", "redesignate", "close_setting", "cap_fees"} <= kinds
    assert {"demand_growth", "policy"} <= kinds
    for note in data["changes"]:
        words = change_words(note, names)
        assert _codes_in(visible_text(words), data) == [], (note, words)
        assert words.endswith(".") and words[0].isupper(), words


@pytest.mark.parametrize(
    ("note", "words"),
    [
        (
            "AS IF FROM SCRATCH: whole caseload as if from scratch (a planner's study, not a "
            "placement run)",
            "As if from scratch: the whole caseload as if from scratch",
        ),
        (
            "base.like, base.scale ignored: the scenario runs on the stored area it was sent to "
            "(only seed and from_scratch of [base] apply)",
            "Not used: <code>base.like, base.scale</code>. The scenario runs on the stored area",
        ),
        ("close_setting: closed 118453 (Oak School)", "Closed Oak School."),
        (
            "redesignate: 118453 capacity raised to 40 to hold its pools",
            "The capacity of Oak School was raised to 40 places",
        ),
        (
            "add_places: removed 3 ASD places at 118453 (Oak School)",
            "Removed 3 places for autism at Oak School.",
        ),
        (
            "redesignate: only 2 settings matched kind resourced_provision/sen_unit, phase "
            "primary, designated ASD (asked for 6)",
            "Redesignating settings: only 2 settings matched (resourced provision or SEN unit, "
            "primary phase, for autism); the file asked for 6.",
        ),
        (
            "open_setting NEW-1: no setting matched kind mainstream; nothing changed",
            "Opening a setting: no setting matched (mainstream school), so nothing changed.",
        ),
        (
            "open_setting: opened NEW-1 (Hill School), 80 places, specialist_post16, at E1 N2, "
            "near Ashford",
            "Opened Hill School, a specialist post-16 institution with 80 places, near Ashford.",
        ),
        ("cap_fees: 3 settings' annual fees capped at £55,000", "3 settings had charged more."),
    ],
)
def test_each_kind_of_note_in_words(note: str, words: str) -> None:
    got = change_words(note, {"118453": "Oak School"})
    assert words in got
    plain = re.sub("<code>.*</code>", "", got)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b|118453|NEW-1|\bASD\b|E1 N2", plain), got


def test_counts_in_the_changes_are_disclosure_controlled() -> None:
    note = "demand_growth: DS, early_years: +1% a year for 1 years: 7 children become 8 (+1)"
    assert safe_note(note) == (
        "demand_growth: DS, early_years: +1% a year for 1 years: <10 children become <10 "
        "(suppressed)"
    )
    note = "demand_growth: ASD: +10% a year for 2 years: 1,234 children become 1,493 (+259)"
    assert safe_note(note).endswith("1,235 children become 1,495 (+260)")
    assert safe_note("demand_growth: DS: no change (3 children)").endswith("(<10 children)")


# -- colour: good or bad, colour-blind safe, never alone -------------------------------------


def _hue(c: str) -> tuple[float, float, float]:
    r, g, b = (int(c[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)


def test_the_palette_is_colour_blind_safe() -> None:
    """Blue and orange with greys: no green at all (so no red/green pair), every colour a
    bar can take at least 3:1 against white or outlined in one that is."""
    for c in PALETTE - {"none"}:
        h, _lum, s = _hue(c)
        assert not (0.2 < h < 0.46 and s > 0.2), f"{c} is a green"
    assert COLOURS["better"] == "#0072b2" and COLOURS["worse"] == "#d55e00"


def test_every_chart_uses_only_the_safe_palette(
    drawn: tuple[str, list[Chart]], dashboard: tuple[str, list[Chart]]
) -> None:
    for html in (drawn[0], dashboard[0]):
        figs = figures(html)
        assert figs
        for f in figs:
            assert f["colours"] <= PALETTE, f["colours"] - PALETTE
    for c in _all(drawn, dashboard):
        assert c.colours <= PALETTE


def _fill_of(chart: Chart, label_start: str) -> str:
    """The fill of the bar whose value label starts so (bars and labels are in one order)."""
    rects = re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="18" ([^/]*)/>', chart.svg)
    values = [b.text for b in chart.boxes if b.kind == "value"]
    i = next(k for k, v in enumerate(values) if v.startswith(label_start))
    m = re.search(r'fill="([^"]+)"', rects[i])
    assert m is not None
    return m.group(1)


def test_colour_means_better_or_worse_not_the_sign() -> None:
    """Fewer children without a place (a fall) and more children placed (a rise) are both
    better, so both blue; a rise in cost is worse, so orange; a change in the placement mix
    is neither, so grey. Each says so in words as well."""
    fall_good = bar_chart(
        "Not placed",
        ["Autism"],
        [Series("Baseline", (30,)), Series("Scenario", (10,))],
        "children",
        compare=True,
        better="lower",
    )
    rise_good = bar_chart(
        "Placed",
        ["Placed"],
        [Series("Baseline", (80.0,)), Series("Scenario", (85.0,))],
        "%",
        compare=True,
        better="higher",
    )
    rise_bad = bar_chart(
        "Cost",
        ["Total"],
        [Series("Baseline", (8.75,)), Series("Scenario", (9.25,))],
        "£m",
        compare=True,
        better="lower",
    )
    neither = bar_chart(
        "Mix",
        ["Special"],
        [Series("Baseline", (50,)), Series("Scenario", (60,))],
        "children",
        compare=True,
    )
    assert _fill_of(fall_good, "Scenario") == COLOURS["better"]
    assert _fill_of(rise_good, "Scenario") == COLOURS["better"]
    assert _fill_of(rise_bad, "Scenario") == COLOURS["worse"]
    assert _fill_of(neither, "Scenario") == COLOURS["same"]
    words = {
        c.title: [b.text for b in c.boxes if b.kind == "value"][1]
        for c in (fall_good, rise_good, rise_bad, neither)
    }
    assert words == {
        "Not placed": "Scenario: 10 (20 fewer, better)",
        "Placed": "Scenario: 85.0% (up 5.0 points, better)",
        "Cost": "Scenario: £9.25m (£0.5m more, worse)",
        "Mix": "Scenario: 60 (10 more)",
    }


def test_the_report_colours_unmet_need_falling_as_better(data: dict[str, Any]) -> None:
    # the run's own counts are small enough to be suppressed ("<10"): give autism a fall and
    # speech and language a rise, as a scenario that adds autism places would
    d = copy.deepcopy(data)
    for mech in d["metrics"].values():
        mech["unmet_ASD"] = {"baseline": 40, "scenario": 20, "change": -20}
        mech["unmet_SLCN"] = {"baseline": 20, "scenario": 35, "change": 15}
    charts: list[Chart] = []
    report_fragment(d, charts=charts)
    need = next(c for c in charts if c.title.startswith("Children not placed, by primary need"))
    values = [b.text for b in need.boxes if b.kind == "value"]
    autism = next(t for t in values if "(20 fewer, better)" in t)
    assert _fill_of(need, autism) == COLOURS["better"]
    speech = next(t for t in values if "(15 more, worse)" in t)
    assert _fill_of(need, speech) == COLOURS["worse"]


# -- whole-number ticks for children ----------------------------------------------------------


@pytest.mark.parametrize("top", [1, 3, 7, 10, 23, 305, 4_265, 19_710])
def test_count_axes_have_whole_number_ticks(top: int) -> None:
    c = bar_chart("Children", ["a", "b"], [Series("n", (top, top // 2))], "children")
    assert all(float(t).is_integer() for t in c.ticks), c.ticks
    assert all(re.fullmatch(r"−?[\d,]+", t) for t in c.tick_labels), c.tick_labels
    assert c.ticks[-1] >= top and len(c.ticks) >= 2


def test_every_count_axis_in_the_outputs_is_whole(
    drawn: tuple[str, list[Chart]], dashboard: tuple[str, list[Chart]]
) -> None:
    counts = [c for c in _all(drawn, dashboard) if c.unit == "children"]
    assert len(counts) >= 5
    for c in counts:
        assert all(float(t).is_integer() for t in c.ticks), (c.title, c.ticks)
    for html in (drawn[0], dashboard[0]):
        for f in figures(html):
            if ("app-chart__axis", "Number of children") in f["texts"]:
                ticks = [t for k, t in f["texts"] if k == "app-chart__tick"]
                assert all(re.fullmatch(r"−?[\d,]+", t) for t in ticks), ticks
                assert "152.5" not in ticks


# -- nothing overlaps, nothing is cut off ------------------------------------------------------


def _check_layout(c: Chart) -> None:
    for b in c.boxes:
        assert b.x >= 0 and b.x + b.w <= c.width, (c.title, b)
        assert b.y >= 0 and b.y + b.h <= c.height, (c.title, b)
    for a, b in itertools.combinations(c.boxes, 2):
        assert not a.overlaps(b), (c.title, a, b)
    assert f'viewBox="0 0 {c.width:.0f} {c.height:.0f}"' in c.svg


def test_no_label_overlaps_another_or_leaves_the_picture(
    drawn: tuple[str, list[Chart]], dashboard: tuple[str, list[Chart]]
) -> None:
    charts = _all(drawn, dashboard)
    assert len(charts) >= 10
    for c in charts:
        _check_layout(c)


def test_a_crowded_chart_still_has_no_overlaps() -> None:
    cats = [
        f"Setting number {i} with a long name, Thornminster: places for social, emotional and "
        "mental health needs"
        for i in range(20)
    ]
    c = bar_chart(
        "An extraordinarily long title that would have been cut off at the right-hand edge of "
        "the picture before, because it was drawn on one line whatever its length",
        cats,
        [
            Series("Baseline", tuple(range(-5, 15))),
            Series("Scenario", tuple("<10" if i % 3 == 0 else i * 40 for i in range(20))),
        ],
        "children",
        compare=True,
        better="lower",
    )
    _check_layout(c)
    titles = [b for b in c.boxes if b.kind == "title"]
    assert len(titles) >= 2  # wrapped, not cut off
    assert all(b.x + b.w <= c.width for b in titles)


def test_titles_are_inside_the_view_box(
    drawn: tuple[str, list[Chart]], dashboard: tuple[str, list[Chart]]
) -> None:
    for c in _all(drawn, dashboard):
        title = [b for b in c.boxes if b.kind == "title"]
        assert " ".join(b.text for b in title) == c.title
        for b in title:
            assert b.x >= 0 and b.x + b.w <= c.width and b.y >= 0 and b.y + b.h <= c.height
            # measured as drawn: the bold title's width at its size
            assert b.w == pytest.approx(text_width(b.text, 16, bold=True))


# -- every chart has its data --------------------------------------------------------------


def _number(value_label: str) -> str:
    """ "Scenario: 210 (95 fewer, better)" -> "210"."""
    return value_label.split(": ", 1)[-1].split(" (", 1)[0]


@pytest.mark.parametrize("which", ["report", "dashboard"])
def test_each_chart_is_followed_by_its_data_as_a_table(
    which: str, drawn: tuple[str, list[Chart]], dashboard: tuple[str, list[Chart]]
) -> None:
    html, charts = drawn if which == "report" else dashboard
    figs = figures(html)
    assert len(figs) == len(charts) == html.count("<svg")
    for f, c in zip(figs, charts, strict=True):
        # straight after the chart: a "Show the data" details holding a table
        assert f["between"][:3] == ["details", "summary", "span"], f["between"]
        assert re.search(r"</svg><details class=\"govuk-details", html)
        rows = f["rows"]
        assert rows[0][0] == (c.rows[0][0] or "") and len(rows) == len(c.rows)
        # the same numbers: each bar's value is in its category's row
        labels = [t for k, t in f["texts"] if k == "app-chart__value"]
        n_series = len(c.rows[0]) - 1 - (2 if "Change" in c.rows[0] else 0)
        for i, row in enumerate(rows[1:]):
            for s in range(n_series):
                assert _number(labels[i * n_series + s]) == row[1 + s], (c.title, row)
    assert html.count("<svg") == html.count('<table class="govuk-table app-chart-table">')


def test_the_file_is_self_contained(result: ScenarioResult) -> None:
    html = report_html(result)
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in html and "<link" not in html and "<style>" in html
    d = dashboard_data(result.baseline["optimised"], area_name="Kent", la=resolve_la("Kent"))
    page = dashboard_html(d)
    assert "<script" not in page and page.count("<svg") == page.count(
        'class="govuk-details__summary"'
    )
