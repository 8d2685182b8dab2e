"""Draw ``benchmarks/results/scaling-<scope>.json`` (``bench_scaling``) as an SVG beside it:
seconds against children on log-log axes, one line per step (optimised, its floor,
preference-first, build_problem) and issue 15's goals at 100,000 children as open marks.

Run: ``.venv/bin/python -m benchmarks.plot_scaling [benchmarks/results/scaling-moving.json]``.
Written by hand (no plotting library is a dependency); text widths from the scenario charts'
measured font metrics.
"""

from __future__ import annotations

import html
import json
import math
import sys
from pathlib import Path
from typing import Any

from placement.reports.charts import text_width

# Okabe and Ito's colour-blind-safe colours; each line also has its own mark and dash
SERIES = (
    ("optimised_s", "optimised", "#0072B2", "", "circle"),
    ("floor_s", "floor: raw OR-Tools solve, same arcs", "#0072B2", "4 3", "none"),
    ("preference_first_s", "preference-first", "#E69F00", "", "square"),
    ("build_problem_s", "build_problem", "#009E73", "", "diamond"),
)
GOALS = (("optimised_s", 10.0), ("preference_first_s", 2.0), ("build_problem_s", 5.0))
W, H = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 64, 250, 52, 56
FONT = "Arial, 'Liberation Sans', sans-serif"


def _mark(kind: str, x: float, y: float, colour: str, hollow: bool = False) -> str:
    fill = "white" if hollow else colour
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="{colour}"/>'
    if kind == "square":
        return (
            f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{fill}" '
            f'stroke="{colour}"/>'
        )
    if kind == "diamond":
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{fill}" stroke="{colour}"/>'
    return ""


def _label(v: float) -> str:
    if v >= 1000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def svg(doc: dict[str, Any]) -> str:
    rows = [r for r in doc["rows"] if "children" in r]
    xs = [float(r["children"]) for r in rows]
    ys = [float(r[k]) for r in rows for k, *_ in SERIES if r.get(k)] + [g for _, g in GOALS]
    x0, x1 = math.log10(min(xs) * 0.8), math.log10(max(xs) * 1.25)
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return TOP + ph - (math.log10(y) - y0) / (y1 - y0) * ph

    scope = "children moving this round placed" if doc["scope"] == "moving" else "from scratch"
    title = f"Seconds against children, areas like Kent ({scope})"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="{FONT}" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14" font-weight="bold">{html.escape(title)}</text>',
        f'<text x="{LEFT}" y="38" fill="#555">measured {doc["date"]}; log-log axes</text>',
    ]
    assert text_width(title, 14, bold=True) < W - LEFT - 8, "the title must fit"
    for e in range(y0, y1 + 1):  # decades, with 2 and 5 between
        for m in (1, 2, 5):
            v = m * 10.0**e
            if v > 10.0**y1:
                break
            y = py(v)
            grid = "#ddd" if m == 1 else "#f0f0f0"
            out.append(
                f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{grid}"/>'
            )
            out.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(v)} s</text>'
            )
    for r in rows:
        x = px(float(r["children"]))
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + ph}" stroke="#f0f0f0"/>')
        out.append(
            f'<text x="{x:.1f}" y="{TOP + ph + 16}" text-anchor="middle">'
            f"{_label(round(float(r['children']), -2))}</text>"
        )
    out.append(
        f'<text x="{LEFT + pw / 2:.1f}" y="{H - 14}" text-anchor="middle">'
        "children in the area (log scale)</text>"
    )
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
    for key, _name, colour, dash, mark in SERIES:
        pts = [(px(float(r["children"])), py(float(r[key]))) for r in rows if r.get(key)]
        if not pts:
            continue
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'
        )
        out += [_mark(mark, x, y, colour) for x, y in pts if mark != "none"]
    big = max(xs)
    for key, goal in GOALS:
        colour, mark = next((c, mk) for k, _, c, _, mk in SERIES if k == key)
        out.append(_mark(mark, px(big) + 10, py(goal), colour, hollow=True))
    # legend
    lx, ly = LEFT + pw + 16, TOP + 8
    items = [(n, c, dsh, mk, False) for _, n, c, dsh, mk in SERIES]
    items.append(("goal at 100k (open mark)", "#555", "", "circle", True))
    for i, (name, colour, dash, mark, hollow) in enumerate(items):
        y = ly + i * 22
        if not hollow:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{lx}" x2="{lx + 24}" y1="{y}" y2="{y}" stroke="{colour}" '
                f'stroke-width="2"{dash_attr}/>'
            )
        if mark != "none":
            out.append(_mark(mark, lx + 12, y, colour, hollow))
        words = name
        while text_width(words, 12) > RIGHT - 50 and " " in words:
            words = words.rsplit(" ", 1)[0]
        out.append(f'<text x="{lx + 32}" y="{y + 4}">{html.escape(words)}</text>')
        rest = name[len(words) :].strip()
        if rest:
            out.append(f'<text x="{lx + 32}" y="{y + 18}">{html.escape(rest)}</text>')
            ly += 14
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(path: Path) -> Path:
    """Write the SVG of a scaling JSON file beside it; return its path."""
    doc = json.loads(path.read_text())
    target = path.with_suffix(".svg")
    target.write_text(svg(doc))
    return target


if __name__ == "__main__":
    src = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parent / "results" / "scaling-moving.json"
    )
    print(write_svg(src))
