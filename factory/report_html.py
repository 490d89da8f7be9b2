"""reports/stats.html: the corpus as one self-contained page — inline SVG plots, the numbers, a record browser.

One file, no CDN, no fonts, no external script: the page must open from a laptop's disk, from a CI artifact or
offline. Plots are SVG written here from stats.json's numbers (a bar and a histogram are a few rectangles; a plotting
library would add megabytes for nothing). The record browser is ~100 lines of vanilla JS over records embedded as
JSON. When its script has run it sets `data-rendered` on <html> and fills #render-marker, which is what the headless
Chromium test looks for. An optional reports/demo.json (the closed-loop demo's training curve and evals) becomes its
own section, rendered generically from whatever numbers it holds.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

from factory import tool_shapes

PALETTE = {"identity": "#7c5cff", "tool_use": "#0fa3b1", "reasoning": "#f49d37", "textbook": "#3fa34d",
           "safety": "#d1495b", "unknown": "#8a8f98", "all": "#4c566a"}
SERIES = ("#4c78a8", "#59a14f", "#e15759", "#f28e2b", "#76b7b2", "#b07aa1")
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


@cache
def static(name: str) -> str:
    """The page's stylesheet or script (factory/static/, package data), inlined: the page stays one file."""
    return resources.files("factory").joinpath("static", name).read_text(encoding="utf-8")


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if value == int(value) and abs(value) >= 1:
            return f"{int(value):,}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def color(name: str, i: int = 0) -> str:
    return PALETTE.get(name, SERIES[i % len(SERIES)])


# ---------------------------------------------------------------------------------------------------------------------
# SVG plots. A plot's title is an HTML heading above its SVG, never SVG text: a heading wraps in a narrow card, SVG
# text is cut at the viewBox edge ("near-duplicate cluster sizes (kept + drop").


def empty_plot(note: str) -> str:
    return f'<p class="empty">{esc(note)}</p>'


def titled(title: str, body: str) -> str:
    return (f'<h3 class="plot-title">{esc(title)}</h3>' if title else "") + body


# A category label is SVG text right-aligned against its bar, so one wider than its column is cut at the viewBox's left
# edge ("na-valid tool calls"): each chart sizes the column to its longest label, and cuts what exceeds `most` itself.
LABEL_PX = 7  # width of one character at font-size 12 in the page's sans-serif, rounded up


def label_column(labels: list[str], least: int = 60, most: int = 200) -> tuple[int, int]:
    """(column width, characters that fit) for labels at font-size 12: wide enough for the longest, within bounds."""
    width = max(least, min(most, LABEL_PX * max((len(x) for x in labels), default=0) + 12))
    return width, (width - 12) // LABEL_PX


def fit_label(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[:chars - 1] + "…"


def _svg(kind: str, width: int, height: int, title: str) -> str:
    return (f'<svg class="plot" data-plot="{kind}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-label="{esc(title)}" style="{FONT}">')


def hbar(items: list[tuple[str, float]], title: str = "", colors: list[str] | None = None, width: int = 560,
         value_fmt: Any = fmt, note: str = "nothing to plot") -> str:
    """Horizontal bars: label | bar | value. The workhorse for counts by category."""
    items = [(str(k), float(v)) for k, v in items]
    if not items:
        return titled(title, empty_plot(note))
    label_w, fits = label_column([k for k, _ in items])
    row, value_w = 22, 70
    h = row * len(items) + 8
    vmax = max(v for _, v in items) or 1.0
    bar_w = width - label_w - value_w
    parts = [_svg("hbar", width, h, title)]
    for i, (label, v) in enumerate(items):
        y = 2 + i * row
        w = max(1.0, bar_w * v / vmax) if v > 0 else 0
        c = colors[i % len(colors)] if colors else color(label, i)
        short = fit_label(label, fits)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end" fill="#333">'
                     f'<title>{esc(label)}</title>{esc(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" rx="2" fill="{c}">'
                     f'<title>{esc(label)}: {esc(value_fmt(v))}</title></rect>')
        parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 15}" font-size="11" fill="#555">'
                     f'{esc(value_fmt(v))}</text>')
    parts.append("</svg>")
    return titled(title, "".join(parts))


def vbar(labels: list[str], values: list[float], title: str = "", fill: str = "#4c78a8", width: int = 360,
         height: int = 150, note: str = "nothing to plot", single: str = "all {n} in one bin: {label}") -> str:
    """Vertical bars (histograms over ordered bins; a bin is labelled by its lower edge). One non-empty bin is
    written as a sentence instead."""
    if not labels or not any(values):
        return titled(title, empty_plot(note))
    filled = [(label, v) for label, v in zip(labels, values, strict=True) if v]
    if len(filled) == 1:  # a lone bar has no shape to show: say it in words
        text = esc(single.format(n=fmt(filled[0][1]), label=filled[0][0]))
        return titled(title, f'<p class="single" data-plot="single">{text}</p>')
    bottom, left, top = 24, 34, 6
    plot_h = height - top - bottom
    n = len(labels)
    slot = (width - left - 6) / n
    vmax = max(values) or 1
    parts = [_svg("vbar", width, height, title)]
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#bbb"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 10}" font-size="10" text-anchor="end" fill="#777">'
                 f'{esc(fmt(vmax))}</text>')
    every = max(1, n // 12)
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * v / vmax
        x = left + i * slot
        parts.append(f'<rect x="{x + slot * 0.12:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.76:.1f}" '
                     f'height="{h:.1f}" fill="{fill}"><title>{esc(label)}: {esc(fmt(v))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 13}" font-size="10" text-anchor="middle" '
                         f'fill="#555">{esc(label)}</text>')
    parts.append("</svg>")
    return titled(title, "".join(parts))


def legend(names: list[str], colors: list[str], x0: float, y: float, width: int) -> list[str]:
    """Swatches and names in a row from x0 (above the bars), moved left as far as needed to end inside the width."""
    parts, lx = [], max(0.0, min(x0, width - sum(24 + 7 * len(n) for n in names)))
    for name, c in zip(names, colors, strict=True):
        parts.append(f'<rect x="{lx:.0f}" y="{y - 9}" width="10" height="10" fill="{c}"/>'
                     f'<text x="{lx + 14:.0f}" y="{y}" font-size="11" fill="#333">{esc(name)}</text>')
        lx += 24 + 7 * len(name)
    return parts


def grouped_hbar(categories: list[str], series: dict[str, list[float]], title: str = "", width: int = 560,
                 value_fmt: Any = fmt, vmax: float | None = None) -> str:
    """One group of bars per category, one bar per series (e.g. raw / clean / rejected per family); vmax fixes the
    axis (1.0 for rates)."""
    if not categories or not any(any(v) for v in series.values()):
        return titled(title, empty_plot("nothing to plot"))
    names = list(series)
    label_w, fits = label_column(categories)
    bar_h, gap, value_w = 12, 10, 70
    top = 20
    h = top + len(categories) * (bar_h * len(names) + gap) + 4
    vmax = vmax or max(max(v) for v in series.values()) or 1.0
    bar_w = width - label_w - value_w
    parts = [_svg("grouped", width, h, title), *legend(names, list(SERIES[:len(names)]), label_w, 12, width)]
    for i, cat in enumerate(categories):
        y0 = top + i * (bar_h * len(names) + gap)
        parts.append(f'<text x="{label_w - 6}" y="{y0 + bar_h * len(names) / 2 + 4}" font-size="12" text-anchor="end" '
                     f'fill="#333"><title>{esc(cat)}</title>{esc(fit_label(cat, fits))}</text>')
        for j, name in enumerate(names):
            v = float(series[name][i])
            w = bar_w * v / vmax
            y = y0 + j * bar_h
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{SERIES[j]}">'
                         f'<title>{esc(cat)} {esc(name)}: {esc(value_fmt(v))}</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" font-size="10" fill="#555">'
                         f'{esc(value_fmt(v))}</text>')
    parts.append("</svg>")
    return titled(title, "".join(parts))


def share_bars(rows: list[tuple[str, list[float]]], segments: list[str], title: str = "", width: int = 560,
               unit: str = "records") -> str:
    """One 100% bar per row, split into segments (e.g. how many conversations of a family have 1, 2, 3... user
    turns): families compare at a glance where one histogram each would be a lone bar for most of them."""
    rows = [(label, vals) for label, vals in rows if sum(vals)]
    if not rows:
        return titled(title, empty_plot("nothing to plot"))
    label_w, fits = label_column([label for label, _ in rows])
    row_h, value_w = 22, 70
    top = 20
    h = top + len(rows) * row_h + 4
    bar_w = width - label_w - value_w
    colors = [SERIES[i % len(SERIES)] for i in range(len(segments))]
    parts = [_svg("shares", width, h, title), *legend(segments, colors, label_w, 12, width)]
    for i, (label, vals) in enumerate(rows):
        y, total, x = top + i * row_h, sum(vals), float(label_w)
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end" fill="#333">'
                     f'<title>{esc(label)}</title>{esc(fit_label(label, fits))}</text>')
        for seg, v, c in zip(segments, vals, colors, strict=True):
            if not v:
                continue
            w = bar_w * v / total
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 7}" fill="{c}">'
                         f'<title>{esc(label)} · {esc(seg)}: {esc(fmt(v))} ({v / total:.0%})</title></rect>')
            if w > 28:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 14}" font-size="10" text-anchor="middle" '
                             f'fill="#fff">{v / total:.0%}</text>')
            x += w
        parts.append(f'<text x="{label_w + bar_w + 5}" y="{y + 14}" font-size="11" fill="#555">'
                     f'n={esc(fmt(total))}<title>{esc(fmt(total))} {esc(unit)}</title></text>')
    parts.append("</svg>")
    return titled(title, "".join(parts))


def rate_bars(items: list[tuple[str, float, int | None]], title: str = "", width: int = 560) -> str:
    """Rates on a fixed 0-100% axis, each labelled with its n: never on one axis with a loss or a count."""
    items = [(label, r, n) for label, r, n in items if isinstance(r, (int, float)) and not isinstance(r, bool)]
    if not items:
        return titled(title, empty_plot("no rates"))
    label_w, row, value_w = 190, 22, 90
    h = row * len(items) + 22
    bar_w = width - label_w - value_w
    parts = [_svg("rates", width, h, title)]
    for tick in (0, 0.5, 1):
        x = label_w + bar_w * tick
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{h - 16}" stroke="#e3e5e8"/>'
                     f'<text x="{x:.1f}" y="{h - 4}" font-size="10" text-anchor="middle" fill="#777">'
                     f'{tick:.0%}</text>')
    for i, (label, r, n) in enumerate(items):
        y = 2 + i * row
        text = f"{r:.0%}" + (f" (n={n})" if n else "")
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end" fill="#333">'
                     f'{esc(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{max(bar_w * r, 1 if r else 0):.1f}" height="{row - 7}" '
                     f'rx="2" fill="#59a14f"><title>{esc(label)}: {esc(text)}</title></rect>'
                     f'<text x="{label_w + bar_w + 5}" y="{y + 15}" font-size="11" fill="#555">{esc(text)}</text>')
    parts.append("</svg>")
    return titled(title, "".join(parts))


def line_plot(series: dict[str, tuple[list, list]], title: str = "", width: int = 560, height: int = 200) -> str:
    """Lines on shared axes, each series with its own x values (train loss every step, val loss every few)."""
    clean = {name: [(x, y) for x, y in zip(xs, ys, strict=False) if _num_or_none(x) is not None
                    and _num_or_none(y) is not None] for name, (xs, ys) in series.items()}
    pts = [p for ps in clean.values() for p in ps]
    if len(pts) < 2:
        return titled(title, empty_plot("not enough points to plot"))
    top, left, bottom, right = 20, 46, 26, 10
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + pw * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return top + ph * (1 - (y - y0) / (y1 - y0))

    parts = [_svg("line", width, height, title),
             *legend(list(clean), [SERIES[j] for j in range(len(clean))], left + 8, 12, width)]
    parts.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ddd"/>')
    for v, y in ((y1, top + 10), (y0, top + ph)):
        parts.append(f'<text x="{left - 4}" y="{y}" font-size="10" text-anchor="end" fill="#777">{esc(fmt(v))}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="10" fill="#777">{esc(fmt(x0))}</text>'
                 f'<text x="{width - right}" y="{height - 8}" font-size="10" text-anchor="end" fill="#777">'
                 f'{esc(fmt(x1))}</text>')
    for j, (name, ps) in enumerate(clean.items()):
        coords = [(sx(x), sy(y)) for x, y in ps]
        for cx, cy in coords if len(coords) <= 3 else []:  # a few points: mark each (a val loss every 50 steps)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{SERIES[j]}">'
                         f'<title>{esc(name)}</title></circle>')
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{SERIES[j]}" stroke-width="2"/>')
    parts.append("</svg>")
    return titled(title, "".join(parts))


def _num_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------------------------------
# tables and sections


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain table; numbers right-aligned (a column is numeric when its first non-empty cell is a number)."""
    if not rows:
        return empty_plot("no rows")

    def numeric(i: int) -> bool:
        for r in rows:
            if r[i] not in (None, ""):
                return isinstance(r[i], (int, float)) and not isinstance(r[i], bool) or (
                    isinstance(r[i], str) and r[i][:1] in "$0123456789" and r[i][-1:] in "%0123456789")
        return False

    cls = ["num" if numeric(i) else "" for i in range(len(headers))]
    head = "".join(f'<th class="{c}">{esc(h)}</th>' for c, h in zip(cls, headers, strict=True))
    body = "".join("<tr>" + "".join(f'<td class="{c}">{esc(fmt(v))}</td>' for c, v in zip(cls, r, strict=True))
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(anchor: str, title: str, body: str, lead: str = "") -> str:
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>{lead_html}<div class="grid">{body}</div></section>'


def card(body: str, wide: bool = False) -> str:
    return f'<div class="card{" wide" if wide else ""}">{body}</div>'


def bins(edges: list[int]) -> list[str]:
    def k(n: int) -> str:
        return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else str(n)
    return [k(a) for a in edges[:-1]] + [f"{k(edges[-1])}+"]


TURN_BUCKETS = ("1", "2", "3", "4", "5+", "none")


def turn_buckets(turns: dict[str, int]) -> list[float]:
    """Conversations per number of user turns, in TURN_BUCKETS order."""
    out: dict[str, float] = dict.fromkeys(TURN_BUCKETS, 0.0)
    for k, n in turns.items():
        t = int(k)
        out["none" if t <= 0 else "5+" if t >= 5 else str(t)] += n
    return list(out.values())


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        out.append((prefix, f"{len(value)} values, last {fmt(value[-1])}"))
    elif isinstance(value, (int, float, str, bool)) or value is None:
        out.append((prefix, value))


# What the demo's eval keys mean, in the order a person reads them (factory/demo.py RATES; older demo.json files used
# the first names of each pair).
DEMO_RATES = (("identity", "identity recall"), ("tool_call", "tool call matches (AST)"),
              ("tool_call_validity", "valid tool calls"), ("tool_schema_valid", "schema-valid tool calls"),
              ("tool_relevance", "no call when none needed"), ("tool_use_rate", "called a tool when needed"),
              ("safety", "asks before destroying"), ("reasoning", "reasoning accuracy"))
LOSSES = (("val_loss", "validation loss"), ("val_bpb", "validation bits per byte"))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kpis(items: list[tuple[str, str]]) -> str:
    return '<div class="kpis">' + "".join(f'<div class="kpi"><b>{esc(v)}</b><span>{esc(k)}</span></div>'
                                          for k, v in items) + "</div>"


def _demo_columns(cols: list[dict], labels: dict[str, str]) -> str:
    """Both training paths and the base side by side: grouped bars (0-100%) and a table of rate, n and the Wilson 95%
    interval per subject."""
    keys = [k for k, _ in DEMO_RATES if any(_number((c["rates"].get(k) or {}).get("rate")) for c in cols)]
    names = [str(c.get("name") or c.get("label")) for c in cols]
    series = {n: [float((c["rates"].get(k) or {}).get("rate") or 0) for k in keys] for n, c in zip(names, cols,
                                                                                                   strict=True)}

    def cell(m: dict | None) -> str:
        if not m or not _number(m.get("rate")):
            return "—"
        return f"{m['rate']:.0%} [{m.get('lo', 0):.0%}–{m.get('hi', 1):.0%}] n={m.get('n')}"

    rows = [[labels.get(k, k), *[cell(c["rates"].get(k)) for c in cols]] for k in keys]
    langs = sorted({g for c in cols for g in c.get("identity_by_lang") or {}})
    rows += [[f"identity [{g}]", *[f"{v:.0%}" if _number(v := (c.get("identity_by_lang") or {}).get(g)) else "—"
                                   for c in cols]] for g in langs]
    return (grouped_hbar([labels.get(k, k) for k in keys], series, "held-out evals: both paths and the base",
                         value_fmt=lambda v: f"{v:.0%}", vmax=1.0)
            + table(["metric (rate [Wilson 95%] n)", *names], rows))


def demo_section(demo: dict, eval_section: bool = False) -> str:
    """The closed-loop demo at a glance: what it cost and what the model learned as tiles, the loss curve on its own
    axis, the eval rates on a fixed 0-100% axis (never with a loss), the stages' time; every number of demo.json
    folded away underneath."""
    train: dict = demo["train"] if isinstance(demo.get("train"), dict) else {}
    evals: dict = demo["evals"] if isinstance(demo.get("evals"), dict) else {}
    counts: dict = demo["eval_counts"] if isinstance(demo.get("eval_counts"), dict) else {}
    funnel: dict = demo["funnel"] if isinstance(demo.get("funnel"), dict) else {}
    stages = [s for s in demo.get("stages") or [] if isinstance(s, dict) and _number(s.get("seconds"))]
    labels = dict(DEMO_RATES)
    losses = {k for k in evals if "loss" in k or "bpb" in k or k.endswith("_n")}
    keys = [k for k, _ in DEMO_RATES if k in evals] + [k for k in evals if k not in labels and k not in losses]
    rate_keys = [k for k in keys if _number(evals.get(k)) and 0 <= evals[k] <= 1]
    rates = [(labels.get(k, k.replace("_", " ")), float(evals[k]), counts.get(k) or evals.get(f"{k}_n"))
             for k in rate_keys]
    tiles: list[tuple[str, str]] = []
    if _number(demo.get("total_seconds")):
        tiles.append(("demo wall time", f"{demo['total_seconds'] / 60:.1f} min"))
    if _number(funnel.get("records_kept")):
        tiles.append(("clean records trained on", fmt(funnel["records_kept"])))
    loss = train.get("loss") if isinstance(train.get("loss"), list) else []
    steps = train.get("steps") if isinstance(train.get("steps"), list) else []
    if loss and _number(loss[0]) and _number(loss[-1]):
        tiles.append((f"training loss over {fmt(steps[-1]) if steps else len(loss)} steps",
                      f"{loss[0]:.2f} → {loss[-1]:.2f}"))
    tiles += [(label, f"{evals[key]:.3g}") for key, label in LOSSES if _number(evals.get(key))]
    body = [card(_kpis(tiles), wide=True)] if tiles else []
    if loss:
        xs: list = list(steps) if steps and len(steps) == len(loss) else list(range(len(loss)))
        lines: dict[str, tuple[list, list]] = {"train loss": (xs, loss)}
        val = train.get("val_loss")
        if isinstance(val, list) and val:
            val_steps = train.get("val_steps") if isinstance(train.get("val_steps"), list) else None
            if val_steps and len(val_steps) == len(val):
                lines["val loss"] = (val_steps, val)
            elif len(val) == len(loss):
                lines["val loss"] = (xs, val)
        body.append(card(line_plot(lines, "training loss (cross-entropy per token)")))
    cols = [c for c in demo.get("columns") or [] if isinstance(c, dict) and isinstance(c.get("rates"), dict)]
    if len(cols) > 1:
        body.append(card(_demo_columns(cols, labels), wide=True))
    elif rates:
        body.append(card(rate_bars(rates, "held-out evals of the trained model")
                         + ('<p class="meta">Every subject side by side, with Wilson intervals: '
                            '<a href="#eval">evaluation</a>.</p>' if eval_section else "")))
    ablation: dict = demo["ablation"] if isinstance(demo.get("ablation"), dict) else {}
    for name, other in ablation.items():
        if isinstance(other, dict) and name.startswith("without_"):
            rows = [[labels.get(k, k.replace("_", " ")), f"{evals[k]:.0%}",
                     f"{other[k]:.0%}" if _number(other.get(k)) else "—"] for k in rate_keys]
            body.append(card(f'<h3 class="plot-title">ablation: {esc(name.replace("_", " "))}</h3>'
                             + table(["metric", "full corpus", name.replace("_", " ")], rows)))
    if stages:
        body.append(card(hbar([(s.get("stage", "?"), s["seconds"] / 60) for s in stages], "minutes per demo stage",
                              colors=["#76b7b2"], value_fmt=lambda v: f"{v:.1f} min")))
    flat: list[tuple[str, Any]] = []
    _flatten("", demo, flat)
    body.append(card(f"<details><summary>every number in demo.json ({len(flat)})</summary>"
                     + table(["key", "value"], [[k, v] for k, v in flat[:300]]) + "</details>", wide=True))
    return section("demo", "Demo: what the model learned", "".join(body),
                   "From <code>reports/demo.json</code>, written by <code>just demo</code> (generate → filter → "
                   "train → eval on this machine).")


# ---------------------------------------------------------------------------------------------------------------------
# the page





def share_repeats(records: list[dict], min_chars: int = 200) -> tuple[list[dict], list[str]]:
    """Long message texts that repeat (the persona's system prompt in every record) stored once: a message keeps an
    index into the shared list instead. A real corpus page shrinks several-fold; the script puts the text back."""
    counts = Counter(m["content"] for r in records for m in r["messages"]
                     if isinstance(m.get("content"), str) and len(m["content"]) >= min_chars)
    index: dict[str, int] = {}
    packed = []
    for r in records:
        messages = []
        for m in r["messages"]:
            text = m.get("content")
            if isinstance(text, str) and counts.get(text, 0) > 1:
                m = {k: v for k, v in m.items() if k != "content"} | {"shared": index.setdefault(text, len(index))}
            messages.append(m)
        packed.append({**r, "messages": messages})
    return packed, list(index)


def _json_script(element_id: str, data: Any) -> str:
    # "</" inside a string would close the script element early; "<\/" is the same JSON string.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def render_page(stats: dict[str, Any], records: list[dict], funnel: dict | None = None,
                demo: dict | None = None, extra_sections: list[str] | None = None) -> str:
    fams = list(stats["families"])
    f = stats["families"]
    packed, shared = share_repeats(records)
    t = stats["totals"]
    kpis = [("records in " + stats["population"], t["records"]), ("raw generated", t["raw"]),
            ("rejected by filters", t["rejected"]), ("rejected at generation", t["generation_rejected"]),
            ("≈ tokens", t["tokens"])]
    cost = stats["teachers"]["total"]
    if cost.get("cost_usd"):
        kpis.append(("teacher cost", f"${cost['cost_usd']:.2f}"))
    kpi_html = '<div class="kpis">' + "".join(f'<div class="kpi"><b>{esc(fmt(v))}</b><span>{esc(k)}</span></div>'
                                              for k, v in kpis) + "</div>"
    sections = [f'<section id="overview">{kpi_html}</section>']

    # family mix
    body = card(grouped_hbar(fams, {"raw": [f[x]["raw"] for x in fams], "clean": [f[x]["clean"] for x in fams],
                                    "rejected": [f[x]["rejected"] for x in fams]}, "records per family"))
    body += card(hbar([(x, f[x]["tokens"]) for x in fams], f"≈ tokens per family ({stats['population']})"))
    body += card(table(["family", "records", "yield", "≈ tokens", "p50", "p90", "max", "turns", "messages", "tool calls"],
                       [[x, f[x]["records"], f"{f[x]['yield']:.1%}" if f[x]["yield"] is not None else "—",
                         f[x]["tokens"], f[x]["tokens_p50"], f[x]["tokens_p90"], f[x]["tokens_max"],
                         f[x]["turns_mean"], f[x]["messages_mean"], f[x]["tool_calls"]] for x in fams]), wide=True)
    cal = stats.get("token_calibration") or {}
    calibration = (f" With the trainer's renderer and tokenizer <code>{esc(cal['tokenizer'])}</code>, conversations are "
                   f"{cal['rendered_per_estimated']}× the estimate (measured on {fmt(cal['sampled'])} records)."
                   if cal.get("rendered_per_estimated") else "")
    sections.append(section("mix", "Family mix", body,
                            f"Tokens are estimated: {esc(stats['token_estimate'])}.{calibration} Yield = clean / raw."))

    # lengths and turns
    labels = bins(stats["token_edges"])
    body = "".join(card(vbar(labels, stats["token_hist"][x], f"{x}: tokens per conversation", fill=color(x),
                             single="all {n} conversations are in the {label} bin"))
                   for x in fams if any(stats["token_hist"].get(x, [])))
    sections.append(section("lengths", "Token-length distributions", body or empty_plot("no records"),
                            "Conversations per length bin (≈ tokens), one panel per family."))
    turn_rows = [(x, turn_buckets(stats["turns"].get(x) or {})) for x in fams]
    body = card(share_bars(turn_rows, list(TURN_BUCKETS), "user turns per conversation, share of each family",
                           unit="conversations"))
    sections.append(section("turns", "Turns per conversation", body))

    # tools
    tools = stats["tools"]
    body = card(hbar(list(tools["calls"].items()), f"tool calls per tool ({tools['total_calls']} calls)",
                     note="no tool calls in this corpus"))
    body += card(vbar(list(tools["per_trace"]), list(tools["per_trace"].values()),
                      f"tool calls per trace ({tools['traces']} traces)", note="no tool traces",
                      single="all {n} traces make {label} tool calls"))
    sections.append(section("tools", "Tool usage", body))

    # identity and reasoning
    ident = stats["identity"]
    body = card(hbar(list(ident["languages"].items()), "identity: languages", note="no identity records"))
    body += card(hbar(list(ident["styles"].items()), "identity: first-message styles", note="no identity records"))
    body += card(hbar(list(ident["first_messages"].items()), "identity: most common first-message openings",
                      note="no identity records"))
    reas = stats["reasoning"]
    body += card(vbar(list(reas["levels"]), list(reas["levels"].values()), "reasoning: difficulty level",
                      fill=color("reasoning"), note="no reasoning records with verification.level",
                      single="all {n} reasoning records are level {label}"))
    body += card(hbar(list(reas["sources"].items()), "reasoning: sources", note="no reasoning records"))
    sections.append(section("identity", "Identity and reasoning", body,
                            f"Languages from {esc(ident['language_source'])}."))

    # funnel
    rows = stats["stages"]
    body = card(hbar([(r["stage"], r["kept"]) for r in rows], f"records kept after each stage ({stats['funnel_source']})",
                     colors=["#59a14f"], note="no filter run yet (no reports/funnel.json, nothing in rejected/)"))
    body += card(hbar([(r["stage"], r["rejected"]) for r in rows if r["rejected"]], "records rejected per stage",
                      colors=["#e15759"], note="nothing rejected"))
    reason_rows = [[r["stage"], reason, n] for r in rows for reason, n in (r.get("top_reasons") or [])]
    reason_rows += [["generation", reason, n] for reason, n in stats["generation"]["top_reasons"]]
    body += card("<h3>top rejection reasons</h3>" + table(["stage", "reason", "records"], reason_rows),
                 wide=True)
    if funnel and isinstance(funnel.get("families"), dict):
        fam_rows = [[fam, r["stage"], r["in"], r["kept"], r["rejected"]] for fam, rs in funnel["families"].items()
                    for r in rs if r.get("rejected")]
        body += card("<h3>rejections per family</h3>" + table(["family", "stage", "in", "kept", "rejected"], fam_rows), wide=True)
    sections.append(section("funnel", "Filter funnel", body))

    # decontamination
    dec = stats["decontamination"]
    if dec["present"]:
        bench = dec["benchmarks"]
        body = card(hbar([(k, v.get("hits") or 0) for k, v in bench.items()],
                         f"records removed per benchmark ({dec.get('n')}-gram + code substrings)", colors=["#e15759"]))
        body += card(table(["benchmark", "items", "hits", "items hit", "how found"],
                           [[k, v.get("items"), v.get("hits"), v.get("items_hit"),
                             ", ".join(f"{m} ×{n}" for m, n in (v.get("by_method") or {}).items()) or "—"]
                            for k, v in bench.items()]))
        ex = [[k, e.get("item_id"), e.get("method"), e.get("snippet")] for k, v in bench.items()
              for e in v.get("examples", [])]
        if ex:
            body += card("<h3>examples</h3>" + table(["benchmark", "item", "method", "overlap"], ex),
                         wide=True)
        lead = f"{fmt(dec.get('scanned') or 0)} records scanned, {fmt(dec.get('removed') or 0)} removed."
    else:
        body, lead = empty_plot("no reports/decontamination.json yet (run the filter)"), ""
    sections.append(section("decontamination", "Decontamination", body, lead))

    # diversity
    div = stats["diversity"]
    dist = div["distinct"]
    names = list(dist)
    body = card(grouped_hbar(names, {f"distinct-{n}": [dist[x][f"distinct_{n}"] for x in names] for n in (1, 2, 3)},
                             "distinct n-grams / all n-grams in assistant replies", value_fmt=lambda v: f"{v:.2f}"))
    n_open = div["replies_with_opening"] or 1
    samey = div["top10_opening_share"]
    body += card(hbar([(k, v) for k, v in div["openings"]],
                      f"most common openings of assistant replies (first {div['opening_words']} words)",
                      colors=["#b07aa1"], value_fmt=lambda v: f"{int(v)} ({v / n_open:.0%})",
                      note="no assistant replies"))
    body += card(vbar(list(div["near_dup_clusters"]), list(div["near_dup_clusters"].values()),
                      "near-duplicate cluster sizes (kept + dropped)", fill="#e15759", width=300,
                      note="no near-duplicates dropped", single="{n} cluster(s), each of {label} records"))
    body += card(vbar(list(div["exact_dup_groups"]), list(div["exact_dup_groups"].values()),
                      "exact-duplicate group sizes", fill="#f28e2b", width=300, note="no exact duplicates dropped",
                      single="{n} group(s), each of {label} records"))
    per_fam = [[fam, o["replies"], o["unique"], f"{o.get('top10_share', 0):.1%}",
                f"{o.get('top10_share_all_replies', 0):.1%}", *(f"{o.get(f'distinct_{n}', 0):.2f}" for n in (1, 2, 3)),
                " | ".join(f"{t} ×{n}" for t, n in o["top"][:3])]
               for fam, o in div["openings_by_family"].items()]
    body += card("<h3>variety per family</h3>" + table(
        ["family", "replies", "distinct openings", "top-10 share", "top-10 share (all replies)", "distinct-1",
         "distinct-2", "distinct-3", "top openings"], per_fam), wide=True)
    shapes = [[fam, f["records_with_code"], f["pieces"], f["piece_shapes"], f"{f['piece_shape_share']:.1%}",
               f["functions"], f["function_shapes"], f"{f['function_shape_share']:.1%}",
               f"{f['top10_function_shape_share']:.1%}", f["unparsed"]]
              for fam, f in (div.get("code_shapes") or {}).items()]
    if shapes:
        body += card("<h3>code structure per family</h3><p>Python pieces (textbook modules and tests, executed code, "
                     "written .py files) parsed, identifiers renamed in order of appearance, constants reduced to "
                     "their type: distinct shapes count structures that renaming cannot fake.</p>" + table(
                         ["family", "records with code", "pieces", "piece shapes", "share", "functions",
                          "function shapes", "share", "top-10 function shapes", "unparsed"], shapes), wide=True)
    if div.get("tool_shapes"):
        body += card("<h3>tool use per family</h3><p>Records that offer tools: how many tools they offer, which "
                     "functions are offered and called, how often no call is the right answer, parallel calls per "
                     "turn, user turns, and the planned shapes.</p>" + table(
                         list(tool_shapes.COLUMNS), tool_shapes.rows(div["tool_shapes"])), wide=True)
    warn = (f'<span class="warn">The 10 most common openings start {samey:.0%} of all replies</span> — the "samey '
            'responses" problem: vary the prompts, user personas and first-message styles.' if samey >= 0.3 else
            f"The 10 most common openings start {samey:.0%} of replies.")
    sections.append(section("diversity", "Diversity", body,
                            f"{warn} {fmt(div['unique_openings'])} distinct openings in {fmt(n_open)} replies. "
                            f"distinct-n is computed on up to {fmt(div.get('ngram_sample', 0))} replies per family "
                            "(every k-th reply above that)."))

    # teachers
    teachers = stats["teachers"]
    rows_t = [[fam, u.get("teacher", "?"), u.get("requests", 0), u.get("prompt_tokens", 0),
               u.get("completion_tokens", 0), f"${_num(u.get('cost_usd')):.4f}"]
              for fam, u in teachers["by_family"].items()]
    tot = teachers["total"]
    if rows_t:
        rows_t.append(["total", "", tot["requests"], tot["prompt_tokens"], tot["completion_tokens"],
                       f"${tot['cost_usd']:.4f}"])
    body = card(table(["family", "teacher", "requests", "prompt tokens", "completion tokens", "cost"], rows_t) if rows_t else empty_plot("no raw/*/manifest.json"))
    body += card(hbar([(k, v) for k, v in teachers["records_by_teacher"].items()], "records by teacher (lineage)"))
    body += card(grouped_hbar(list(teachers["by_family"]), {
        "prompt tokens": [_num(u.get("prompt_tokens")) for u in teachers["by_family"].values()],
        "completion tokens": [_num(u.get("completion_tokens")) for u in teachers["by_family"].values()]},
        "teacher tokens per family"))
    sections.append(section("teachers", "Teachers: cost and tokens", body, "From raw/&lt;family&gt;/manifest.json."))

    extra = [x for x in extra_sections or [] if x]  # rendered by their owners (the eval: report_eval.py)
    if demo:
        sections.append(demo_section(demo, eval_section=any('<section id="eval"' in x for x in extra)))
    sections.extend(extra)

    browser = stats.get("browser", {})
    capped = (f"{fmt(browser.get('embedded', len(records)))} of {fmt(browser.get('available', len(records)))} records are "
              f"embedded (capped at {fmt(browser.get('cap', len(records)))}; at most a third rejected ones, every stage "
              "represented, and the originals their duplicate reasons name); the full corpus is in clean/, rejected/ "
              "and raw/.")
    sections.append(
        '<section id="browser"><h2>Record browser</h2>'
        f'<p class="lead">{esc(capped)}</p>'
        '<div class="controls"><input id="rec-search" type="search" placeholder="search text or id…">'
        '<select id="rec-family"><option value="">all families</option></select>'
        '<select id="rec-status"><option value="">any verdict</option></select>'
        '<select id="rec-stage"><option value="">any stage</option></select><span id="rec-count" class="meta"></span>'
        '</div><div class="split"><div id="rec-list"></div><div id="conversation"></div></div></section>')

    anchors = [re.match(r'<section id="([\w-]+)"><h2>([^<]+)</h2>', x) for x in extra]
    extra_nav = [(m.group(1), m.group(1)) for m in anchors if m]
    nav = "".join(f'<a href="#{a}">{esc(n)}</a>' for a, n in (
        ("mix", "mix"), ("lengths", "lengths"), ("turns", "turns"), ("tools", "tools"), ("identity", "identity"),
        ("funnel", "funnel"), ("decontamination", "decontamination"), ("diversity", "diversity"),
        ("teachers", "teachers"), *((("demo", "demo"),) if demo else ()),
        *extra_nav,
        ("browser", "records")))
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{esc(stats['persona'])} corpus — Crucible stats</title><style>{static('report.css')}</style></head><body>"
        f"<header><h1>{esc(stats['persona'])} corpus</h1><p>{esc(stats['corpus'])} · {esc(stats['population'])} "
        f"population · generated {esc(stats['generated_at'])} by <code>python -m factory stats</code></p></header>"
        f"<nav>{nav}</nav><main>{''.join(sections)}</main>"
        '<div id="render-marker" hidden></div>'
        f"{_json_script('records-data', packed)}{_json_script('shared-data', shared)}"
        f"{_json_script('palette-data', PALETTE)}"
        f"<script>{static('report.js')}</script></body></html>\n"
    )


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
