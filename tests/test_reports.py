"""The reports as HTML (placement.reports): files that work offline, every chart with its
table, and no withheld count shown as a number. (test_report_charts.py checks the charts'
layout, colours and words.)"""

from __future__ import annotations

import copy
import itertools
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markupsafe import Markup

from placement.disclosure import SMALL, THRESHOLD, is_small
from placement.html import environment
from placement.register import resolve_la
from placement.reports import dashboard_fragment, dashboard_html, report_fragment, report_html
from placement.reports.charts import Chart, Rect, Series, bar_chart
from placement.reports.words import metric_name
from placement.scenarios import parse_scenario
from placement.scenarios.dashboard import JOURNEY_BANDS, dashboard_data
from placement.scenarios.plain import MECHANISM_NAMES, cap, need_name
from placement.scenarios.report import is_count, report_json
from placement.scenarios.run import ScenarioResult, run_scenario

# a small area, so that some groups are 1 to 9 children
SMALL_AREA = """
name = "Ten more primary places"
mechanism = "both"
marginal = 2
[base]
like = "Rutland"
seed = 3
scale = 0.5
[[add_places]]
select = { kind = "mainstream", phase = "primary", count = 1, near = "centre" }
places = 10
"""


@pytest.fixture(scope="module")
def result() -> ScenarioResult:
    return run_scenario(parse_scenario(SMALL_AREA, file="small.toml"), workers=1)


@pytest.fixture(scope="module")
def data(result: ScenarioResult) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(report_json(result))
    return out


@pytest.fixture(scope="module")
def dash(result: ScenarioResult) -> dict[str, Any]:
    side = result.outcome["optimised"]
    return dashboard_data(side, area_name="Rutland 50%", la=resolve_la("Rutland"))


class _Page(HTMLParser):
    """Every element with its attributes, every table by caption (rows of cell texts), every
    figure's parts, and the text inside <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.figures: list[dict[str, Any]] = []
        self.style = ""
        self._open: list[str] = []
        self._text: list[str] | None = None
        self._caption = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "figure":
            self.figures.append({"svg": 0, "title_id": None, "ids": [], "tables": []})
        elif self.figures and "figure" in self._open:
            fig = self.figures[-1]
            fig["svg"] += tag == "svg"
            fig["title_id"] = a.get("aria-labelledby") if tag == "svg" else fig["title_id"]
            fig["ids"] += [a["id"]] if tag == "title" and a.get("id") else []
        if tag in ("caption", "th", "td"):
            self._text = []
        if tag == "tr":
            self.tables[self._caption].append([])
        if tag not in ("rect", "line"):  # SVG's empty elements close themselves
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("caption", "th", "td") and self._text is not None:
            words = " ".join("".join(self._text).split())
            if tag == "caption":
                self._caption = words
                self.tables[words] = []
                if "figure" in self._open:
                    self.figures[-1]["tables"].append(words)
            else:
                self.tables[self._caption][-1].append(words)
            self._text = None
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, d: str) -> None:
        if self._text is not None:
            self._text.append(d)
        if self._open and self._open[-1] == "style":
            self.style += d


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


# -- the files work offline ---------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"


def _offline(html: str) -> None:
    """Nothing a browser would fetch or run: no script, no link, no frame or object, no
    event handler, no URL but the SVG namespace (which names, never fetches), and CSS with
    no url() or @import."""
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "img", "base"), tag
        for k, v in attrs.items():
            assert not k.startswith("on"), (tag, k)
            if tag == "svg" and k == "xmlns":
                assert v == SVG_NS
                continue
            assert not re.search(r"(https?:)?//|javascript:", v or ""), (tag, k, v)
    assert "url(" not in page.style and "@import" not in page.style
    assert "<script" not in html.lower()


def test_the_report_file_works_offline(result: ScenarioResult) -> None:
    html = report_html(result)
    _offline(html)
    page = parse(html)
    assert [t for t, _ in page.tags].count("style") == 1 and page.style.strip()
    assert html.count("<svg") >= 4  # the charts are in the file, drawn inline


def test_the_dashboard_file_works_offline(dash: dict[str, Any]) -> None:
    html = dashboard_html(dash)
    _offline(html)
    assert html.count("<svg") >= 3


def test_the_fragments_need_no_inline_style(data: dict[str, Any], dash: dict[str, Any]) -> None:
    """The planner's pages allow styles only from their own stylesheet (style-src 'self'):
    a fragment has no <style> and no style attribute, and works offline too."""
    for html in (report_fragment(data, chart_id="report"), dashboard_fragment(dash)):
        _offline(html)
        assert all(t != "style" and "style" not in a for t, a in parse(html).tags)


def test_what_the_planner_wrote_is_text_not_markup(data: dict[str, Any]) -> None:
    d = copy.deepcopy(data)
    d["scenario"]["description"] = "<script>alert(1)</script>"
    d["source"] = 'name = "</pre><script>x()</script>"'
    d["settings"][0]["name"] = '<img src="https://example.org/x.png">'
    d["changes"].append("close_setting: closed X1 (<b onclick=x()>Oak</b>)")
    html = report_fragment(d)
    _offline(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Closed &lt;b onclick=x()&gt;Oak&lt;/b&gt;." in html


# -- every chart has its table --------------------------------------------------------------------


def _check_figures(html: str, charts: list[Chart]) -> None:
    """Each chart is one figure: its SVG named by its own <title> (ids unique on the page),
    then its data as a table captioned with the chart's title, holding the chart's rows."""
    page = parse(html)
    assert len(page.figures) == len(charts) == html.count("<svg") > 0
    ids = [i for f in page.figures for i in f["ids"]]
    assert len(ids) == len(set(ids)) == len(charts)
    for fig, chart in zip(page.figures, charts, strict=True):
        assert fig["svg"] == 1 and fig["ids"] == [fig["title_id"]]
        assert fig["tables"] == [chart.title]
        head, *rows = page.tables[chart.title]
        assert tuple(head) == chart.rows[0]
        assert [tuple(r) for r in rows] == list(chart.rows[1:])


def test_every_report_chart_has_its_table(data: dict[str, Any]) -> None:
    charts: list[Chart] = []
    html = report_fragment(data, chart_id="report", charts=charts)
    assert len(charts) >= 5
    _check_figures(html, charts)


def test_every_dashboard_chart_has_its_table(dash: dict[str, Any]) -> None:
    charts: list[Chart] = []
    html = dashboard_fragment(dash, charts=charts)
    assert len(charts) >= 3
    _check_figures(html, charts)


def test_a_chart_with_every_kind_of_value_has_its_table() -> None:
    """Withheld values, negatives and a series per colour, on one chart."""
    c = bar_chart(
        "Children",
        ["a", "b", "c"],
        [Series("One", (12, SMALL, "suppressed")), Series("Two", (-5, 0, 40))],
        "children",
        category_title="Group",
    )
    _check_figures(c.figure, [c])


# -- a withheld count never appears as a number --------------------------------------------------


def _cells(page: _Page, caption: str) -> dict[str, list[str]]:
    """A table's rows by their first cell."""
    return {r[0]: r[1:] for r in page.tables[caption][1:]}


def test_small_counts_in_every_figure_are_withheld(
    result: ScenarioResult, data: dict[str, Any]
) -> None:
    """Each count of 1 to 9 children in the run's own (exact) figures shows as "<10" in the
    report, and its exact value is nowhere in its row or its chart's row."""
    page = parse(report_html(result))
    small = 0
    for mech in result.baseline:
        rows = _cells(page, f"Every figure: {MECHANISM_NAMES[mech]}")
        for i, side in enumerate((result.baseline[mech], result.outcome[mech])):
            for key, n in side.metrics.items():
                if not (is_count(key) and is_small(int(n))) or metric_name(key) not in rows:
                    continue  # (the figures the report shows; the CSV and JSON have them all)
                small += 1
                row = rows[metric_name(key)]
                assert row[i] == SMALL, (mech, key, n, row)
                assert str(n) not in " ".join(row).replace(SMALL, ""), (mech, key, row)
    assert small >= 3  # the small area has small groups to withhold
    need_chart = page.tables.get("Children not placed, by primary need (optimised allocation)")
    for row in need_chart[1:] if need_chart else []:
        assert all(c in (SMALL, "withheld", "change withheld", "–") or _round(c) for c in row[1:3])


def _round(cell: str) -> bool:
    """A shown count: 0 or a multiple of 5 (with a thousands comma)."""
    n = cell.replace(",", "").replace("−", "")
    return n.isdigit() and int(n) % 5 == 0


def test_small_counts_on_the_dashboard_are_withheld(
    result: ScenarioResult, dash: dict[str, Any]
) -> None:
    """Unmet need and journey bands of 1 to 9 children show as "<10"; every count shown is
    0, "<10" or a multiple of 5."""
    side = result.outcome["optimised"]
    charts: list[Chart] = []
    page = parse(dashboard_fragment(dash, charts=charts))
    small = 0
    needs = _cells(page, "Children not placed, by primary need")
    for key, n in side.metrics.items():
        if key.startswith("unmet_") and key[6:].isupper() and is_small(int(n)):
            small += 1
            assert needs[cap(need_name(key[6:]))] == [SMALL]
    bands = list(_cells(page, "Children placed, by journey time").values())
    for (lo, hi), row in zip(itertools.pairwise(JOURNEY_BANDS), bands, strict=True):
        n = sum(side.journeys[lo:hi])
        small += is_small(n)
        assert row == [SMALL] if is_small(n) else _round(row[0]), (lo, n, row)
    assert small >= 1
    for chart in charts:
        if chart.unit == "children":
            assert all(c == SMALL or _round(c) for r in chart.rows[1:] for c in r[1:])


def test_a_withheld_count_is_drawn_to_the_threshold_whatever_it_is() -> None:
    """A "<10" bar is a dashed outline as long as 10 children, beside the words "<10"; never
    a bar as long as its true count (which the chart is never given)."""
    c = bar_chart(
        "Not placed",
        ["a", "b"],
        [Series("Baseline", (SMALL, 40)), Series("Scenario", (SMALL, SMALL))],
        "children",
        compare=True,
        better="lower",
    )
    bars = [s for s in c.shapes if isinstance(s, Rect) and s.h == 18]
    dashed = [b for b in bars if b.dashed]
    assert len(dashed) == 3 and {b.fill for b in dashed} == {"none"}
    solid = next(b for b in bars if not b.dashed)  # 40 children
    assert {round(b.w, 6) for b in dashed} == {round(solid.w * THRESHOLD / 40, 6)}
    values = [b.text for b in c.boxes if b.kind == "value"]
    assert values[0] == "Baseline: <10" and values[2] == "Baseline: 40"
    assert values[1] == values[3] == "Scenario: <10 (change withheld)"
    assert not any(re.search(r"\b[1-9]\b", v) for v in values)


# -- one way to render: the shared macros ---------------------------------------------------------


def test_the_shared_environment_escapes_and_finds_the_macros(tmp_path: Any) -> None:
    (tmp_path / "page.html").write_text(
        '{% from "macros.html" import tag, table %}{{ tag(word, "blue") }}'
        '{{ table("Caption", ["A", "B"], [[word, safe]], numeric=[1]) }}'
    )
    env = environment(tmp_path, strict=True)
    html = env.get_template("page.html").render(word="<b>", safe=Markup("<i>ok</i>"))
    assert '<strong class="govuk-tag govuk-tag--blue">&lt;b&gt;</strong>' in html
    assert "<i>ok</i>" in html and "<b>" not in html
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing }}").render()
