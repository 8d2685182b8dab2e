"""Charts for planners: horizontal bar charts laid out as a small typed model of shapes, drawn
as inline SVG by ``templates/chart.html``, each with its data as a table beside it.

Used by the scenario report and the area dashboard (the CLI's self-contained HTML files and
the service's pages alike). Pure: :func:`bar_chart` returns the layout; the template draws it.

- **Laid out, not hoped for.** Every piece of text is measured (Arial's advance widths, as
  Liberation Sans on Linux has them too; the template names the font) and placed in a box: the
  title wraps within the chart, category names wrap in their own column, each bar's value sits
  to its right in a column wide enough for the longest, tick labels are spaced wider than the
  widest of them. :attr:`Chart.boxes` is that layout, so a test can check that no two boxes
  overlap and that all of them are inside the picture.
- **Colour says good or bad**, never the sign of a number: comparing a baseline with a
  scenario, the scenario's bar is blue when it is better (fewer children without a place,
  less cost), orange when it is worse, dark grey when it did not change or the change is
  withheld, and the baseline is light grey. Blue and orange (Okabe and Ito's colour-blind-safe
  pair) never red and green, and never colour alone: each bar is labelled in words ("Scenario:
  210 (95 fewer, better)").
- **Counts of children have whole-number ticks** (1, 2, 5, 10, 20, 50... apart): never
  152.5 children.
- A withheld count (1 to 9 children, ``"<10"``) is drawn as a dashed outline to the height of
  10, never its true length; a withheld share or sum is not drawn and says "withheld".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from placement.disclosure import SMALL, THRESHOLD
from placement.reports.render import render
from placement.reports.words import (
    AXIS_TITLE,
    Better,
    Unit,
    Value,
    change,
    fmt,
    tick_label,
    verdict,
)

__all__ = [
    "COLOURS",
    "PALETTE",
    "Box",
    "Chart",
    "Line",
    "Rect",
    "Series",
    "Text",
    "bar_chart",
    "drawer",
    "text_width",
    "wrap",
]

COLOURS = {
    "text": "#0b0c0c",
    "baseline": "#b1b4b6",  # light grey, outlined: the figure compared with
    "outline": "#505a5f",
    "better": "#0072b2",  # Okabe-Ito blue
    "worse": "#d55e00",  # Okabe-Ito vermilion (an orange): blue/orange, never red/green
    "same": "#505a5f",  # dark grey: no change, or a change that is withheld or neither
    "grid": "#b1b4b6",
}
# series that are categories, not good or bad (this allocation, the LA's real mix, England)
SERIES_COLOURS = ("#0072b2", "#b1b4b6", "#505a5f")
PALETTE = frozenset({*COLOURS.values(), *SERIES_COLOURS, "none", "#ffffff"})

TITLE_FS, LEGEND_FS, LABEL_FS, VALUE_FS, TICK_FS = 16, 13, 13, 12, 12
PAD, BAR, BAR_GAP, GROUP_GAP, SWATCH = 10, 18, 4, 14, 12

# Arial's advance widths (1/1000 em), as Liberation Sans (metric-compatible) has them
_CHARS = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~£–−’‘“”…•■·×"  # noqa: E501
_REGULAR = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 "
    "556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 "
    "556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 334 260 334 584 556 556 584 222 222 333 333 1000 350 604 278 584"
)
_BOLD = (
    "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 "
    "611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 "
    "611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 "
    "556 556 500 389 280 389 584 556 556 584 278 278 500 500 1000 350 604 278 584"
)
_WIDTHS = {
    False: dict(zip(_CHARS, map(int, _REGULAR.split()), strict=True)),
    True: dict(zip(_CHARS, map(int, _BOLD.split()), strict=True)),
}
SLACK = 1.03  # a little over the font's own widths (hinting, another sans-serif)


def text_width(s: str, size: float, bold: bool = False) -> float:
    """The width of ``s`` in Arial at ``size`` (an unknown character counts as 1 em)."""
    w = _WIDTHS[bold]
    return sum(w.get(c, 1000) for c in s) * size / 1000 * SLACK


def wrap(s: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``s`` in lines no wider than ``width`` (a word longer than that is broken)."""
    lines: list[str] = []
    line = ""
    for word in s.split():
        cand = f"{line} {word}" if line else word
        if text_width(cand, size, bold) <= width:
            line = cand
            continue
        if line:
            lines.append(line)
        line = ""
        while len(word) > 1 and text_width(word, size, bold) > width:  # broken
            k = 1
            while k < len(word) and text_width(word[: k + 1], size, bold) <= width:
                k += 1
            lines.append(word[:k])
            word = word[k:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


# -- the model: what a chart holds and the shapes it is drawn with --------------------------


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Box:
    """A piece of text as laid out: its box in the chart's coordinates."""

    x: float
    y: float
    w: float
    h: float
    kind: str  # title, legend, label, value, tick, axis
    text: str

    def overlaps(self, o: Box) -> bool:
        return (
            self.x < o.x + o.w
            and o.x < self.x + self.w
            and self.y < o.y + o.h
            and o.y < self.y + self.h
        )


@dataclass(frozen=True, slots=True)
class Line:
    shape: ClassVar[str] = "line"
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str


@dataclass(frozen=True, slots=True)
class Rect:
    """A bar or a key's swatch; ``dashed``: a withheld count's outline (no fill)."""

    shape: ClassVar[str] = "rect"
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Text:
    """A line of text at its baseline (``x`` its start, or its end when anchored there)."""

    shape: ClassVar[str] = "text"
    x: float
    y: float
    size: float
    bold: bool
    anchor: Literal["start", "end"]
    kind: str
    text: str
    fill: str = COLOURS["text"]

    @classmethod
    def of(
        cls, box: Box, size: float, *, bold: bool = False, anchor: Literal["start", "end"] = "start"
    ) -> Text:
        x = box.x if anchor == "start" else box.x + box.w
        return cls(x, box.y + size * 0.92, size, bold, anchor, box.kind, box.text)


Shape = Line | Rect | Text


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart as laid out: its shapes in drawing order and its data, row by row (a header
    row first; comparing, the last column says "better" or "worse")."""

    title: str
    unit: Unit
    chart_id: str
    width: float
    height: float
    shapes: tuple[Shape, ...]
    boxes: tuple[Box, ...]
    ticks: tuple[float, ...]
    tick_labels: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    compare: bool

    @property
    def colours(self) -> frozenset[str]:
        """Every colour the chart is drawn in."""
        out: set[str] = set()
        for s in self.shapes:
            out |= {s.fill} if isinstance(s, Text) else {s.stroke}
            if isinstance(s, Rect):
                out.add(s.fill)
        return frozenset(out)

    @property
    def svg(self) -> str:
        """The chart as inline SVG (the template that the report and dashboard draw it with)."""
        return render("chart_svg.html", chart=self)

    @property
    def figure(self) -> str:
        """The chart and, straight after it, its data in a "Show the data" details."""
        return render("chart_figure.html", chart=self)


# -- the layout ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    """One category: the words beside each bar, each bar's (fill, stroke), its table row."""

    labels: tuple[str, ...]
    fills: tuple[tuple[str, str], ...]
    cells: tuple[str, ...]


def _compared(cat: str, vals: Sequence[Value], names: Sequence[str], unit: Unit, b: Better) -> _Row:
    words, sign = change(vals[0], vals[1], unit)
    vd = verdict(sign, b)
    after = words + (f", {vd}" if vd else "")
    colour = COLOURS[vd] if vd else COLOURS["same"]
    return _Row(
        labels=(f"{names[0]}: {fmt(vals[0], unit)}", f"{names[1]}: {fmt(vals[1], unit)} ({after})"),
        fills=((COLOURS["baseline"], COLOURS["outline"]), (colour, colour)),
        cells=(cat, *(fmt(x, unit) for x in vals), words, vd or "–"),
    )


def _series_colour(si: int, n_ser: int) -> tuple[str, str]:
    c = SERIES_COLOURS[si % len(SERIES_COLOURS)] if n_ser > 1 else COLOURS["better"]
    return c, COLOURS["outline"] if c == COLOURS["baseline"] else c


def _plain(cat: str, vals: Sequence[Value], names: Sequence[str], unit: Unit) -> _Row:
    many = len(names) > 1
    return _Row(
        labels=tuple(
            f"{n}: {fmt(v, unit)}" if many else fmt(v, unit)
            for n, v in zip(names, vals, strict=True)
        ),
        fills=tuple(_series_colour(si, len(names)) for si in range(len(names))),
        cells=(cat, *(fmt(x, unit) for x in vals)),
    )


def _key(
    series: Sequence[Series], goods: Sequence[Better], compare: bool
) -> list[tuple[str, str, str]]:
    """What each colour means: (fill, stroke, words)."""
    if compare and all(g == "neither" for g in goods):
        return [
            (COLOURS["baseline"], COLOURS["outline"], series[0].name),
            (COLOURS["same"], COLOURS["same"], series[1].name),
        ]
    if compare:
        s = series[1].name
        return [
            (COLOURS["baseline"], COLOURS["outline"], series[0].name),
            (COLOURS["better"], COLOURS["better"], f"{s}: better"),
            (COLOURS["worse"], COLOURS["worse"], f"{s}: worse"),
            (COLOURS["same"], COLOURS["same"], f"{s}: neither, or not shown"),
        ]
    if len(series) > 1:
        return [(*_series_colour(si, len(series)), s.name) for si, s in enumerate(series)]
    return []


@dataclass(frozen=True, slots=True)
class _Frame:
    """The columns: category names, then the plot, then the values' words."""

    label_w: float
    w: float
    x_left: float
    plot_w: float

    @classmethod
    def of(cls, categories: Sequence[str], rows: Sequence[_Row], width: float) -> _Frame:
        natural = max((text_width(c, LABEL_FS) for c in categories), default=0.0)
        label_w = min(natural, max(140.0, 0.3 * width))
        value_w = max((text_width(x, VALUE_FS) for r in rows for x in r.labels), default=0.0) + 8
        w = max(width, PAD + label_w + 10 + 220 + value_w + PAD)
        x_left = PAD + label_w + 10
        return cls(label_w, w, x_left, (w - PAD - value_w) - x_left)


@dataclass(frozen=True, slots=True)
class _Axis:
    t0: float
    t1: float
    ticks: list[float]
    labels: list[str]


def _nice_steps(raw: float, integer: bool) -> list[float]:
    """Steps of 1, 2 and 5 times a power of ten from about ``raw`` upwards."""
    raw = max(raw, 1e-9)
    k = math.floor(math.log10(raw))
    out: list[float] = []
    for e in range(k - 1, k + 12):
        for m in (1, 2, 5):
            s = m * 10.0**e
            if s >= raw * 0.999 and (not integer or s >= 1):
                out.append(float(round(s)) if integer or s >= 1 else s)
    return sorted(set(out))


def _ticks(lo: float, hi: float, unit: Unit, plot_w: float) -> _Axis:
    """The axis from ``lo`` to ``hi``: the first nice step whose labels fit apart."""
    integer = unit in ("children", "£")
    span = hi - lo if hi > lo else 1.0
    for step in _nice_steps(span / 6, integer):
        t0 = math.floor(lo / step + 1e-9) * step
        t1 = math.ceil(hi / step - 1e-9) * step
        if t1 <= t0:
            t1 = t0 + step
        n = round((t1 - t0) / step)
        ticks = [t0 + i * step for i in range(n + 1)]
        ticks = [round(t) if integer else round(t, 10) for t in ticks]
        labels = [tick_label(t, unit, step) for t in ticks]
        widest = max(text_width(x, TICK_FS) for x in labels)
        if plot_w / n >= widest + 12:
            return _Axis(t0, t1, [float(t) for t in ticks], labels)
    return _Axis(lo, hi, [lo, hi], [tick_label(lo, unit, span), tick_label(hi, unit, span)])


def _axis(series: Sequence[Series], unit: Unit, plot_w: float) -> _Axis:
    nums = [float(v) for s in series for v in s.values if not isinstance(v, str)]
    if unit == "children" and any(v == SMALL for s in series for v in s.values):
        nums.append(THRESHOLD)  # a withheld count is drawn to the threshold's length
    lo, hi = min([0.0, *nums]), max([0.0, *nums])
    return _ticks(lo, lo + 1.0 if hi == lo else hi, unit, plot_w)


def _line_box(x: float, y: float, s: str, size: float, kind: str, bold: bool = False) -> Box:
    return Box(x, y, text_width(s, size, bold), size * 1.15, kind, s)


@dataclass
class _Canvas:
    """The shapes as they are laid out: grid lines, then bars, then the rest (texts, the
    key's swatches) on top; and every text's box."""

    frame: _Frame
    grid: list[Shape] = field(default_factory=list)
    bars: list[Shape] = field(default_factory=list)
    parts: list[Shape] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)

    def text(
        self,
        box: Box,
        size: float,
        *,
        bold: bool = False,
        anchor: Literal["start", "end"] = "start",
    ) -> None:
        self.boxes.append(box)
        self.parts.append(Text.of(box, size, bold=bold, anchor=anchor))

    def title(self, title: str) -> float:
        """The title, wrapped within the chart; returns the y under it."""
        y = float(PAD)
        for line in wrap(title, self.frame.w - 2 * PAD, TITLE_FS, bold=True):
            self.text(_line_box(PAD, y, line, TITLE_FS, "title", bold=True), TITLE_FS, bold=True)
            y += TITLE_FS * 1.3
        return y

    def key(self, key: Sequence[tuple[str, str, str]], y: float) -> float:
        """Each colour's swatch and words, in rows that fit; returns the y under them."""
        if not key:
            return y
        y += 4
        x = float(PAD)
        for fill, stroke, name in key:
            tw = text_width(name, LEGEND_FS)
            if x > PAD and x + SWATCH + 6 + tw > self.frame.w - PAD:
                x, y = float(PAD), y + LEGEND_FS * 1.6
            self.parts.append(Rect(x, y + 1, SWATCH, SWATCH, fill, stroke))
            self.text(_line_box(x + SWATCH + 6, y, name, LEGEND_FS, "legend"), LEGEND_FS)
            x += SWATCH + 6 + tw + 18
        return y + LEGEND_FS * 1.6

    def labels(self, lines: Sequence[str], y: float, gh: float) -> None:
        """A category's name (wrapped in its column), right-aligned, centred on its bars."""
        ly = y + (gh - len(lines) * LABEL_FS * 1.3) / 2
        for line in lines:
            tw = text_width(line, LABEL_FS)
            box = Box(self.frame.x_left - 10 - tw, ly, tw, LABEL_FS * 1.15, "label", line)
            self.text(box, LABEL_FS, anchor="end")
            ly += LABEL_FS * 1.3

    def bar(
        self, v: Value, fill: tuple[str, str], sx: Callable[[float], float], by: float, unit: Unit
    ) -> float:
        """One bar (a withheld count dashed to the threshold's length, any other withheld
        figure not drawn); returns where its words go."""
        x0 = sx(0.0)
        if isinstance(v, str):
            if v != SMALL or unit != "children":
                return x0 + 5
            end = sx(THRESHOLD)
            self.bars.append(Rect(x0, by, end - x0, BAR, "none", fill[1], dashed=True))
            return end + 5
        xv = sx(float(v))
        left, right = min(x0, xv), max(x0, xv)
        self.bars.append(Rect(left, by, max(0.5, right - left), BAR, *fill))
        return (right if float(v) >= 0 else x0) + 5


def _groups(
    c: _Canvas,
    categories: Sequence[str],
    series: Sequence[Series],
    rows: Sequence[_Row],
    unit: Unit,
    sx: Callable[[float], float],
    y: float,
) -> float:
    """Each category's name and bars, one group under another; returns the y under them."""
    n_ser = len(series)
    bars_h = n_ser * BAR + (n_ser - 1) * BAR_GAP
    for ci, cat in enumerate(categories):
        lines = wrap(cat, c.frame.label_w, LABEL_FS)
        gh = max(len(lines) * LABEL_FS * 1.3, bars_h)
        c.labels(lines, y, gh)
        by = y + (gh - bars_h) / 2
        for si, ser in enumerate(series):
            vx = c.bar(ser.values[ci], rows[ci].fills[si], sx, by, unit)
            words = rows[ci].labels[si]
            h = VALUE_FS * 1.15
            c.text(
                Box(vx, by + (BAR - h) / 2, text_width(words, VALUE_FS), h, "value", words),
                VALUE_FS,
            )
            by += BAR + BAR_GAP
        y += gh + GROUP_GAP
    return y


def _under(c: _Canvas, axis: _Axis, unit: Unit, sx: Callable[[float], float], ty: float) -> float:
    """The tick labels under the plot, each centred on its tick but kept inside the picture,
    and the axis's title; returns the chart's height."""
    w = c.frame.w
    for t, tl in zip(axis.ticks, axis.labels, strict=True):
        tw = text_width(tl, TICK_FS)
        c.text(
            Box(min(max(sx(t) - tw / 2, PAD), w - PAD - tw), ty, tw, TICK_FS * 1.15, "tick", tl),
            TICK_FS,
        )
    y = ty + TICK_FS * 1.5
    name = AXIS_TITLE[unit]
    aw = text_width(name, TICK_FS)
    x = min(max(c.frame.x_left + c.frame.plot_w / 2 - aw / 2, PAD), w - PAD - aw)
    c.text(Box(x, y, aw, TICK_FS * 1.15, "axis", name), TICK_FS)
    return y + TICK_FS * 1.15 + PAD


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: Unit,
    *,
    compare: bool = False,
    better: Better | Sequence[Better] = "neither",
    category_title: str = "",
    chart_id: str = "chart",
    width: float = 760,
) -> Chart:
    """Horizontal grouped bars: one group per category, one bar per series.

    ``compare``: the two series are a baseline and a scenario, and the scenario's bar says
    (in colour and in words) whether it is better or worse, as ``better`` says which way is
    better for each category ("higher", "lower" or "neither").
    """
    if compare and len(series) != 2:
        raise ValueError("a comparison has two series: the baseline and the scenario")
    goods = [better] * len(categories) if isinstance(better, str) else list(better)
    names = [s.name for s in series]
    rows = [
        _compared(cat, [s.values[ci] for s in series], names, unit, goods[ci])
        if compare
        else _plain(cat, [s.values[ci] for s in series], names, unit)
        for ci, cat in enumerate(categories)
    ]
    frame = _Frame.of(categories, rows, width)
    c = _Canvas(frame)
    plot_top = c.key(_key(series, goods, compare), c.title(title)) + 8
    axis = _axis(series, unit, frame.plot_w)

    def sx(v: float) -> float:
        return frame.x_left + frame.plot_w * (v - axis.t0) / (axis.t1 - axis.t0)

    plot_bottom = _groups(c, categories, series, rows, unit, sx, plot_top) - GROUP_GAP + 6
    c.grid = [
        Line(sx(t), plot_top - 2, sx(t), plot_bottom, COLOURS["outline" if t == 0 else "grid"])
        for t in axis.ticks
    ]
    height = _under(c, axis, unit, sx, plot_bottom + 4)
    head = (category_title, *names, *(("Change", "Better or worse") if compare else ()))
    return Chart(
        title=title,
        unit=unit,
        chart_id=chart_id,
        width=frame.w,
        height=height,
        shapes=(*c.grid, *c.bars, *c.parts),
        boxes=tuple(c.boxes),
        ticks=tuple(axis.ticks),
        tick_labels=tuple(axis.labels),
        rows=(head, *(r.cells for r in rows)),
        compare=compare,
    )


Draw = Callable[..., Chart]


def drawer(chart_id: str) -> Draw:
    """:func:`bar_chart` with ids ``{chart_id}-1``, ``-2``... in the order charts are drawn
    (each SVG's title is named by its id, so one page's charts need ids of their own)."""
    ids = itertools.count(1)

    def draw(*a: Any, **kw: Any) -> Chart:
        return bar_chart(*a, chart_id=f"{chart_id}-{next(ids)}", **kw)

    return draw
