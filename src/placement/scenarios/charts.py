"""Charts for planners: horizontal bar charts as inline SVG, each with its data as a table.

Used by the scenario report and the area dashboard (the CLI's self-contained HTML files and
the service's pages alike). Pure: each chart is text and the layout it was drawn from.

- **Laid out, not hoped for.** Every piece of text is measured (Arial's advance widths, as
  Liberation Sans on Linux has them too) and placed in a box: the title wraps within the
  chart, category names wrap in their own column, each bar's value sits to its right in a
  column wide enough for the longest, tick labels are spaced wider than the widest of them.
  :attr:`Chart.boxes` is that layout, so a test can check that no two boxes overlap and that
  all of them are inside the picture.
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

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COLOURS",
    "PALETTE",
    "Box",
    "Chart",
    "Series",
    "bar_chart",
    "fmt",
    "text_width",
    "wrap",
]

Unit = Literal["children", "%", "£m", "£", "min"]
Better = Literal["higher", "lower", "neither"]
Value = float | int | str

SMALL = "<10"
THRESHOLD = 10  # a withheld count is drawn to this length (placement.disclosure.THRESHOLD)

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

FONT = "Arial, Helvetica, sans-serif"
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


# -- numbers in words ----------------------------------------------------------------------


def _trim(x: float, digits: int) -> str:
    s = f"{abs(x):,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def fmt(v: Value, unit: Unit) -> str:
    """A value as the chart and its table show it ("<10" and "withheld" as they are)."""
    if isinstance(v, str):
        return SMALL if v == SMALL else "withheld"
    neg = "−" if v < 0 else ""
    if unit == "children":
        return f"{neg}{abs(round(v)):,}"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "£m":
        return f"{neg}£{_trim(v, 2)}m"
    if unit == "£":
        return f"{neg}£{abs(v):,.0f}"
    return f"{v:.1f} min"


def _tick_label(v: float, unit: Unit, step: float) -> str:
    digits = 0 if step >= 1 else max(0, -math.floor(math.log10(step) + 1e-9))
    neg = "−" if v < 0 else ""
    n = f"{abs(v):,.{digits}f}"
    if unit == "%":
        return f"{neg}{n}%"
    if unit == "£m":
        return f"{neg}£{n}m"
    if unit == "£":
        return f"{neg}£{n}"
    return f"{neg}{n}"


AXIS_TITLE = {
    "children": "Number of children",
    "%": "Per cent",
    "£m": "£ million a year",
    "£": "£ a year",
    "min": "Minutes",
}


def change(a: Value, b: Value, unit: Unit) -> tuple[str, int | None]:
    """The change from ``a`` to ``b`` in words, and its sign (None: withheld)."""
    if isinstance(a, str) or isinstance(b, str):
        return "change withheld", None
    d = b - a
    d = round(d, 1 if unit in ("%", "min") else 2 if unit == "£m" else 0)
    if d == 0:
        return "no change", 0
    sign = 1 if d > 0 else -1
    if unit == "children":
        return f"{abs(int(d)):,} {'more' if d > 0 else 'fewer'}", sign
    if unit == "%":
        return f"{'up' if d > 0 else 'down'} {abs(d):.1f} points", sign
    if unit == "£m":
        return f"£{_trim(d, 2)}m {'more' if d > 0 else 'less'}", sign
    if unit == "£":
        return f"£{abs(d):,.0f} {'more' if d > 0 else 'less'}", sign
    return f"{abs(d):.1f} min {'longer' if d > 0 else 'shorter'}", sign


def verdict(sign: int | None, better: Better) -> str:
    """ "better", "worse" or "" (no change, withheld, or neither good nor bad)."""
    if not sign or better == "neither":
        return ""
    return "better" if (sign > 0) == (better == "higher") else "worse"


# -- the chart ------------------------------------------------------------------------------


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
class Chart:
    title: str
    unit: Unit
    svg: str
    table: str  # the data: a GOV.UK table
    width: float
    height: float
    boxes: tuple[Box, ...]
    ticks: tuple[float, ...]
    tick_labels: tuple[str, ...]
    colours: frozenset[str]
    rows: tuple[tuple[str, ...], ...]  # the table's cells, row by row (a header row first)

    def html(self) -> str:
        """The chart and, straight after it, its data in a "Show the data" details."""
        return (
            f'<figure class="app-figure">{self.svg}'
            '<details class="govuk-details app-chart-data">'
            '<summary class="govuk-details__summary"><span class="govuk-details__summary-text">'
            f'Show the data<span class="govuk-visually-hidden">: {html.escape(self.title)}'
            "</span></span></summary>"
            f'<div class="govuk-details__text">{self.table}</div></details></figure>'
        )


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


def _ticks(
    lo: float, hi: float, unit: Unit, plot_w: float
) -> tuple[float, float, float, list[float], list[str]]:
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
        labels = [_tick_label(t, unit, step) for t in ticks]
        widest = max(text_width(x, TICK_FS) for x in labels)
        if plot_w / n >= widest + 12:
            return t0, t1, step, [float(t) for t in ticks], labels
    return lo, hi, span, [lo, hi], [_tick_label(lo, unit, span), _tick_label(hi, unit, span)]


def _text(box: Box, size: float, *, bold: bool = False, anchor: str = "start") -> str:
    x = box.x if anchor == "start" else box.x + box.w
    base = box.y + size * 0.92
    return (
        f'<text x="{x:.1f}" y="{base:.1f}" font-size="{size}"'
        + (' font-weight="bold"' if bold else "")
        + (f' text-anchor="{anchor}"' if anchor != "start" else "")
        + f' fill="{COLOURS["text"]}" class="app-chart__{box.kind}">{html.escape(box.text)}</text>'
    )


def _line_box(x: float, y: float, s: str, size: float, kind: str, bold: bool = False) -> Box:
    return Box(x, y, text_width(s, size, bold), size * 1.15, kind, s)


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
    n_cat, n_ser = len(categories), len(series)
    if compare and n_ser != 2:
        raise ValueError("a comparison has two series: the baseline and the scenario")
    goods = [better] * n_cat if isinstance(better, str) else list(better)
    # the words beside each bar, and each bar's colour
    labels: list[list[str]] = []
    fills: list[list[tuple[str, str]]] = []  # (fill, stroke)
    table_rows: list[list[str]] = []
    verdicts: list[str] = []
    for ci in range(n_cat):
        vals = [s.values[ci] for s in series]
        row_labels: list[str] = []
        row_fills: list[tuple[str, str]] = []
        if compare:
            words, sign = change(vals[0], vals[1], unit)
            vd = verdict(sign, goods[ci])
            verdicts.append(vd)
            after = words + (f", {vd}" if vd else "")
            row_labels = [f"{series[0].name}: {fmt(vals[0], unit)}"]
            row_labels.append(f"{series[1].name}: {fmt(vals[1], unit)} ({after})")
            row_fills = [(COLOURS["baseline"], COLOURS["outline"])]
            colour = COLOURS[vd] if vd else COLOURS["same"]
            row_fills.append((colour, colour))
            table_rows.append([categories[ci], *(fmt(x, unit) for x in vals), words, vd or "–"])
        else:
            for si, s in enumerate(series):
                shown = fmt(vals[si], unit)
                row_labels.append(f"{s.name}: {shown}" if n_ser > 1 else shown)
                c = SERIES_COLOURS[si % len(SERIES_COLOURS)] if n_ser > 1 else COLOURS["better"]
                row_fills.append((c, COLOURS["outline"] if c == COLOURS["baseline"] else c))
            table_rows.append([categories[ci], *(fmt(x, unit) for x in vals)])
        labels.append(row_labels)
        fills.append(row_fills)

    # widths: the category column, the values' column, the plot between them
    natural = max((text_width(c, LABEL_FS) for c in categories), default=0.0)
    label_w = min(natural, max(140.0, 0.3 * width))
    value_w = max((text_width(x, VALUE_FS) for r in labels for x in r), default=0.0) + 8
    w = max(width, PAD + label_w + 10 + 220 + value_w + PAD)
    x_left = PAD + label_w + 10
    x_right = w - PAD - value_w
    plot_w = x_right - x_left

    boxes: list[Box] = []
    parts: list[str] = []
    y = float(PAD)
    for line in wrap(title, w - 2 * PAD, TITLE_FS, bold=True):
        b = _line_box(PAD, y, line, TITLE_FS, "title", bold=True)
        boxes.append(b)
        parts.append(_text(b, TITLE_FS, bold=True))
        y += TITLE_FS * 1.3
    # the key: what each colour means
    key: list[tuple[str, str, str]] = []
    if compare and all(g == "neither" for g in goods):
        key = [
            (COLOURS["baseline"], COLOURS["outline"], series[0].name),
            (COLOURS["same"], COLOURS["same"], series[1].name),
        ]
    elif compare:
        key = [
            (COLOURS["baseline"], COLOURS["outline"], series[0].name),
            (COLOURS["better"], COLOURS["better"], f"{series[1].name}: better"),
            (COLOURS["worse"], COLOURS["worse"], f"{series[1].name}: worse"),
            (COLOURS["same"], COLOURS["same"], f"{series[1].name}: neither, or not shown"),
        ]
    elif n_ser > 1:
        for si, s in enumerate(series):
            c = SERIES_COLOURS[si % len(SERIES_COLOURS)]
            key.append((c, COLOURS["outline"] if c == COLOURS["baseline"] else c, s.name))
    if key:
        y += 4
        x = float(PAD)
        for fill, stroke, name in key:
            tw = text_width(name, LEGEND_FS)
            if x > PAD and x + SWATCH + 6 + tw > w - PAD:
                x, y = float(PAD), y + LEGEND_FS * 1.6
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 1:.1f}" width="{SWATCH}" height="{SWATCH}" '
                f'fill="{fill}" stroke="{stroke}"/>'
            )
            b = _line_box(x + SWATCH + 6, y, name, LEGEND_FS, "legend")
            boxes.append(b)
            parts.append(_text(b, LEGEND_FS))
            x += SWATCH + 6 + tw + 18
        y += LEGEND_FS * 1.6
    y += 8
    plot_top = y

    # the value axis
    nums = [float(v) for s in series for v in s.values if not isinstance(v, str)]
    if unit == "children" and any(v == SMALL for s in series for v in s.values):
        nums.append(THRESHOLD)
    lo, hi = min([0.0, *nums]), max([0.0, *nums])
    if hi == lo:
        hi = lo + 1.0
    t0, t1, _, ticks, tick_labels = _ticks(lo, hi, unit, plot_w)

    def sx(v: float) -> float:
        return x_left + plot_w * (v - t0) / (t1 - t0)

    # the bars, group by group
    bars: list[str] = []
    for ci, cat in enumerate(categories):
        lines = wrap(cat, label_w, LABEL_FS)
        label_h = len(lines) * LABEL_FS * 1.3
        bars_h = n_ser * BAR + (n_ser - 1) * BAR_GAP
        gh = max(label_h, bars_h)
        ly = y + (gh - label_h) / 2
        for line in lines:
            b = Box(
                x_left - 10 - text_width(line, LABEL_FS),
                ly,
                text_width(line, LABEL_FS),
                LABEL_FS * 1.15,
                "label",
                line,
            )
            boxes.append(b)
            parts.append(_text(b, LABEL_FS, anchor="end"))
            ly += LABEL_FS * 1.3
        by = y + (gh - bars_h) / 2
        for si, ser in enumerate(series):
            v = ser.values[ci]
            fill, stroke = fills[ci][si]
            x0 = sx(0.0)
            if isinstance(v, str):
                if v == SMALL and unit == "children":
                    end = sx(THRESHOLD)
                    bars.append(
                        f'<rect x="{x0:.1f}" y="{by:.1f}" width="{end - x0:.1f}" '
                        f'height="{BAR}" fill="none" stroke="{stroke}" stroke-width="1.5" '
                        'stroke-dasharray="4 3"/>'
                    )
                    vx = end + 5
                else:
                    vx = x0 + 5
            else:
                xv = sx(float(v))
                left, right = min(x0, xv), max(x0, xv)
                bars.append(
                    f'<rect x="{left:.1f}" y="{by:.1f}" width="{max(0.5, right - left):.1f}" '
                    f'height="{BAR}" fill="{fill}" stroke="{stroke}"/>'
                )
                vx = (right if float(v) >= 0 else x0) + 5
            text = labels[ci][si]
            b = Box(
                vx,
                by + (BAR - VALUE_FS * 1.15) / 2,
                text_width(text, VALUE_FS),
                VALUE_FS * 1.15,
                "value",
                text,
            )
            boxes.append(b)
            parts.append(_text(b, VALUE_FS))
            by += BAR + BAR_GAP
        y += gh + GROUP_GAP
    plot_bottom = y - GROUP_GAP + 6
    grid = [
        f'<line x1="{sx(t):.1f}" y1="{plot_top - 2:.1f}" x2="{sx(t):.1f}" y2="{plot_bottom:.1f}" '
        f'stroke="{COLOURS["outline"] if t == 0 else COLOURS["grid"]}" stroke-width="1"/>'
        for t in ticks
    ]
    # tick labels under the plot, each centred on its tick but kept inside the picture
    ty = plot_bottom + 4
    for t, tl in zip(ticks, tick_labels, strict=True):
        tw = text_width(tl, TICK_FS)
        bx = min(max(sx(t) - tw / 2, PAD), w - PAD - tw)
        b = Box(bx, ty, tw, TICK_FS * 1.15, "tick", tl)
        boxes.append(b)
        parts.append(_text(b, TICK_FS))
    y = ty + TICK_FS * 1.5
    axis = AXIS_TITLE[unit]
    aw = text_width(axis, TICK_FS)
    b = Box(
        min(max(x_left + plot_w / 2 - aw / 2, PAD), w - PAD - aw),
        y,
        aw,
        TICK_FS * 1.15,
        "axis",
        axis,
    )
    boxes.append(b)
    parts.append(_text(b, TICK_FS))
    h = y + TICK_FS * 1.15 + PAD

    title_id = f"{chart_id}-title"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" width="{w:.0f}" '
        f'height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
        f'aria-labelledby="{title_id}" font-family="{FONT}">'
        f'<title id="{title_id}">{html.escape(title)}</title>'
        + "".join(grid)
        + "".join(bars)
        + "".join(parts)
        + "</svg>"
    )
    head = [category_title or "", *(s.name for s in series)]
    if compare:
        head += ["Change", "Better or worse"]
    table = _table(title, head, table_rows, compare)
    colours = {fill for r in fills for fill, _ in r} | {stroke for r in fills for _, stroke in r}
    colours |= {COLOURS["text"], COLOURS["grid"], COLOURS["outline"]}
    colours |= {c for c, _, _ in key} | {s for _, s, _ in key}
    return Chart(
        title=title,
        unit=unit,
        svg=svg,
        table=table,
        width=w,
        height=h,
        boxes=tuple(boxes),
        ticks=tuple(ticks),
        tick_labels=tuple(tick_labels),
        colours=frozenset(colours),
        rows=(tuple(head), *(tuple(r) for r in table_rows)),
    )


TAGS = {"better": "govuk-tag--blue", "worse": "govuk-tag--orange"}


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]], compare: bool) -> str:
    """A GOV.UK table: the category as each row's header, the figures right-aligned."""
    e = html.escape
    th = "".join(
        f'<th scope="col" class="govuk-table__header'
        f'{" govuk-table__header--numeric" if i else ""}">{e(x)}</th>'
        for i, x in enumerate(head)
    )
    body = []
    for r in rows:
        cells = [f'<th scope="row" class="govuk-table__header">{e(r[0])}</th>']
        for i, x in enumerate(r[1:], start=1):
            if compare and i == len(r) - 1 and x in TAGS:
                shown = f'<strong class="govuk-tag {TAGS[x]}">{e(x)}</strong>'
            else:
                shown = e(x)
            cells.append(f'<td class="govuk-table__cell govuk-table__cell--numeric">{shown}</td>')
        body.append(f'<tr class="govuk-table__row">{"".join(cells)}</tr>')
    return (
        '<table class="govuk-table app-chart-table">'
        f'<caption class="govuk-table__caption govuk-table__caption--s">{e(caption)}</caption>'
        f'<thead class="govuk-table__head"><tr class="govuk-table__row">{th}</tr></thead>'
        f'<tbody class="govuk-table__body">{"".join(body)}</tbody></table>'
    )
