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
from collections import Counter
from typing import Any

PALETTE = {"identity": "#7c5cff", "tool_use": "#0fa3b1", "reasoning": "#f49d37", "textbook": "#3fa34d",
           "safety": "#d1495b", "unknown": "#8a8f98", "all": "#4c566a"}
SERIES = ("#4c78a8", "#59a14f", "#e15759", "#f28e2b", "#76b7b2", "#b07aa1")
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


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
# SVG plots


def empty_plot(note: str) -> str:
    return f'<p class="empty">{esc(note)}</p>'


def hbar(items: list[tuple[str, float]], title: str = "", colors: list[str] | None = None, width: int = 560,
         value_fmt: Any = fmt, note: str = "nothing to plot") -> str:
    """Horizontal bars: label | bar | value. The workhorse for counts by category."""
    items = [(str(k), float(v)) for k, v in items]
    if not items:
        return empty_plot(note)
    label_w, row, value_w = 190, 22, 70
    top = 24 if title else 6
    h = top + row * len(items) + 6
    vmax = max(v for _, v in items) or 1.0
    bar_w = width - label_w - value_w
    parts = [f'<svg class="plot" data-plot="hbar" viewBox="0 0 {width} {h}" width="{width}" height="{h}" '
             f'role="img" aria-label="{esc(title)}" style="{FONT}">']
    if title:
        parts.append(f'<text x="0" y="15" font-size="13" font-weight="600" fill="#222">{esc(title)}</text>')
    for i, (label, v) in enumerate(items):
        y = top + i * row
        w = max(1.0, bar_w * v / vmax) if v > 0 else 0
        c = colors[i % len(colors)] if colors else color(label, i)
        short = label if len(label) <= 27 else label[:26] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end" fill="#333">'
                     f'<title>{esc(label)}</title>{esc(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" rx="2" fill="{c}">'
                     f'<title>{esc(label)}: {esc(value_fmt(v))}</title></rect>')
        parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 15}" font-size="11" fill="#555">'
                     f'{esc(value_fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def vbar(labels: list[str], values: list[float], title: str = "", fill: str = "#4c78a8", width: int = 360,
         height: int = 170, note: str = "nothing to plot") -> str:
    """Vertical bars (histograms over ordered bins; a bin is labelled by its lower edge)."""
    if not labels or not any(values):
        return empty_plot(note)
    top = 24 if title else 6
    bottom, left = 34, 34
    plot_h = height - top - bottom
    n = len(labels)
    slot = (width - left - 6) / n
    vmax = max(values) or 1
    parts = [f'<svg class="plot" data-plot="vbar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="{esc(title)}" style="{FONT}">']
    if title:
        parts.append(f'<text x="0" y="15" font-size="13" font-weight="600" fill="#222">{esc(title)}</text>')
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
    return "".join(parts)


def grouped_hbar(categories: list[str], series: dict[str, list[float]], title: str = "", width: int = 560,
                 value_fmt: Any = fmt) -> str:
    """One group of bars per category, one bar per series (e.g. raw / clean / rejected per family)."""
    if not categories or not any(any(v) for v in series.values()):
        return empty_plot("nothing to plot")
    names = list(series)
    label_w, bar_h, gap, value_w = 110, 12, 10, 70
    top = (24 if title else 6) + 18
    h = top + len(categories) * (bar_h * len(names) + gap) + 4
    vmax = max(max(v) for v in series.values()) or 1.0
    bar_w = width - label_w - value_w
    parts = [f'<svg class="plot" data-plot="grouped" viewBox="0 0 {width} {h}" width="{width}" height="{h}" '
             f'role="img" aria-label="{esc(title)}" style="{FONT}">']
    if title:
        parts.append(f'<text x="0" y="15" font-size="13" font-weight="600" fill="#222">{esc(title)}</text>')
    lx = label_w
    for j, name in enumerate(names):
        parts.append(f'<rect x="{lx}" y="{top - 15}" width="10" height="10" fill="{SERIES[j]}"/>'
                     f'<text x="{lx + 14}" y="{top - 6}" font-size="11" fill="#333">{esc(name)}</text>')
        lx += 24 + 7 * len(name)
    for i, cat in enumerate(categories):
        y0 = top + i * (bar_h * len(names) + gap)
        parts.append(f'<text x="{label_w - 6}" y="{y0 + bar_h * len(names) / 2 + 4}" font-size="12" text-anchor="end" '
                     f'fill="#333">{esc(cat)}</text>')
        for j, name in enumerate(names):
            v = float(series[name][i])
            w = bar_w * v / vmax
            y = y0 + j * bar_h
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{SERIES[j]}">'
                         f'<title>{esc(cat)} {esc(name)}: {esc(value_fmt(v))}</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" font-size="10" fill="#555">'
                         f'{esc(value_fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_plot(xs: list[float], lines: dict[str, list[float]], title: str = "", width: int = 560,
              height: int = 220) -> str:
    """Polylines over a shared x axis (the demo's loss curve)."""
    pts = [(x, y) for ys in lines.values() for x, y in zip(xs, ys, strict=False) if isinstance(y, (int, float))]
    if len(pts) < 2:
        return empty_plot("not enough points to plot")
    top = 24 if title else 6
    left, bottom, right = 46, 26, 10
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + pw * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return top + ph * (1 - (y - y0) / (y1 - y0))

    parts = [f'<svg class="plot" data-plot="line" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="{esc(title)}" style="{FONT}">']
    if title:
        parts.append(f'<text x="0" y="15" font-size="13" font-weight="600" fill="#222">{esc(title)}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ddd"/>')
    for v, y in ((y1, top + 10), (y0, top + ph)):
        parts.append(f'<text x="{left - 4}" y="{y}" font-size="10" text-anchor="end" fill="#777">{esc(fmt(v))}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="10" fill="#777">{esc(fmt(x0))}</text>'
                 f'<text x="{width - right}" y="{height - 8}" font-size="10" text-anchor="end" fill="#777">'
                 f'{esc(fmt(x1))}</text>')
    for j, (name, ys) in enumerate(lines.items()):
        coords = [(sx(x), sy(y)) for x, y in zip(xs, ys, strict=False) if isinstance(y, (int, float))]
        if len(coords) == 1:
            cx, cy = coords[0]
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{SERIES[j]}"/>')
        else:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{SERIES[j]}" stroke-width="2"/>')
        parts.append(f'<text x="{left + 8 + 90 * j}" y="{top + 14}" font-size="11" fill="{SERIES[j]}">{esc(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


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


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        out.append((prefix, f"{len(value)} values, last {fmt(value[-1])}"))
    elif isinstance(value, (int, float, str, bool)) or value is None:
        out.append((prefix, value))


def demo_section(demo: dict) -> str:
    """The closed-loop demo's numbers: a loss curve if there is one, eval scores as bars, everything else listed."""
    body = []
    train: dict = demo["train"] if isinstance(demo.get("train"), dict) else {}
    steps, loss = train.get("steps"), train.get("loss")
    if isinstance(loss, list) and loss:
        xs: list = steps if isinstance(steps, list) and len(steps) == len(loss) else list(range(len(loss)))
        lines = {"train loss": loss}
        val = train.get("val_loss")
        if isinstance(val, list) and val:
            val_steps = train.get("val_steps") if isinstance(train.get("val_steps"), list) else None
            if val_steps and len(val_steps) == len(val):
                lookup = dict(zip(val_steps, val, strict=True))
                lines["val loss"] = [lookup.get(x) for x in xs]  # type: ignore[misc]
            elif len(val) == len(loss):
                lines["val loss"] = val
        body.append(card(line_plot(xs, lines, "training loss"), wide=True))
    evals: dict = demo["evals"] if isinstance(demo.get("evals"), dict) else {}
    scores = [(k, float(v)) for k, v in evals.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if scores:
        body.append(card(hbar(scores, "evaluations", value_fmt=lambda v: f"{v:.3g}")))
    flat: list[tuple[str, Any]] = []
    _flatten("", demo, flat)
    body.append(card(table(["key", "value"], [[k, v] for k, v in flat[:200]]), wide=True))
    return section("demo", "Demo: training and evals", "".join(body),
                   "From <code>reports/demo.json</code>, written by the closed-loop demo.")


# ---------------------------------------------------------------------------------------------------------------------
# the page


CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2129;
background:#f5f6f8}header{background:#1d2129;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9ced6}header code{background:#2e3440;color:#e5e9f0}nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #e3e5e8;
padding:8px 28px;z-index:2;font-size:13px}nav a{margin-right:14px;color:#3b5bdb;text-decoration:none}
main{padding:10px 28px 40px}section{margin:18px 0}h2{font-size:18px;margin:10px 0 6px}.lead{color:#555;margin:0 0 8px}
.grid{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}.card{background:#fff;border:1px solid #e3e5e8;border-radius:8px;
padding:12px 14px;max-width:100%;overflow-x:auto}.card.wide{flex-basis:100%}.kpis{display:flex;gap:12px;flex-wrap:wrap}
.kpi{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:10px 16px;min-width:130px}
.kpi b{display:block;font-size:22px}.kpi span{color:#666;font-size:12px}table{border-collapse:collapse;font-size:12.5px}
th,td{padding:3px 9px;border-bottom:1px solid #eef0f2;text-align:left;vertical-align:top}th{background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.empty{color:#888;font-style:italic;margin:4px 0}
.warn{color:#b3261e;font-weight:600}code{background:#eef0f2;padding:0 4px;border-radius:3px}
#browser .controls{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px}#browser input,#browser select{padding:5px 8px;
border:1px solid #ccd;border-radius:5px;font:inherit}#browser input{min-width:260px}
.split{display:flex;gap:14px;align-items:flex-start}#rec-list{width:360px;max-height:640px;overflow-y:auto;background:#fff;
border:1px solid #e3e5e8;border-radius:8px}#rec-list div{padding:6px 10px;border-bottom:1px solid #f0f1f3;cursor:pointer;
font-size:12.5px}#rec-list div:hover,#rec-list div.sel{background:#eef3ff}#rec-list .tag{display:inline-block;
border-radius:3px;padding:0 5px;margin-right:5px;color:#fff;font-size:11px}#conversation{flex:1;background:#fff;
border:1px solid #e3e5e8;border-radius:8px;padding:12px;min-height:200px;max-height:640px;overflow-y:auto}
.msg{border-left:3px solid #ccd;padding:4px 10px;margin:8px 0}.msg .role{font-weight:600;font-size:12px;
text-transform:uppercase;color:#555}.msg.user{border-color:#4c78a8}.msg.assistant{border-color:#59a14f}
.msg.tool{border-color:#f28e2b;background:#fffaf3}.msg.system{border-color:#999;background:#fafafa}
.msg pre{white-space:pre-wrap;word-break:break-word;margin:4px 0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
.call{background:#f3f7ff;border:1px solid #d6e2ff;border-radius:5px;padding:4px 8px;margin:4px 0}
.reason{background:#fdecea;border:1px solid #f5c2bd;border-radius:6px;padding:6px 10px;margin-bottom:8px}
details summary{cursor:pointer;color:#666;font-size:12px}.meta{color:#666;font-size:12px;margin-bottom:6px}
"""

JS = r"""
(function () {
  var records = JSON.parse(document.getElementById('records-data').textContent);
  var shared = JSON.parse(document.getElementById('shared-data').textContent);
  records.forEach(function (r) { r.messages.forEach(function (m) {
    if (m.shared !== undefined) { m.content = shared[m.shared]; delete m.shared; } }); });
  var list = document.getElementById('rec-list'), conv = document.getElementById('conversation');
  var q = document.getElementById('rec-search'), fam = document.getElementById('rec-family');
  var st = document.getElementById('rec-status'), stage = document.getElementById('rec-stage');
  var count = document.getElementById('rec-count');
  var colors = JSON.parse(document.getElementById('palette-data').textContent);
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text; return e; }
  function fill(select, values) { values.forEach(function (v) { var o = el('option', null, v); o.value = v;
    select.appendChild(o); }); }
  function uniq(key) { var s = {}; records.forEach(function (r) { if (r[key]) s[r[key]] = 1; });
    return Object.keys(s).sort(); }
  fill(fam, uniq('family')); fill(st, uniq('status')); fill(stage, uniq('stage'));
  var byId = {}; records.forEach(function (r) { if (r.id && r.status !== 'rejected') byId[r.id] = r; });
  records.forEach(function (r) { r._text = JSON.stringify(r.messages).toLowerCase() + ' ' + (r.id || '') + ' ' +
    (r.reason || '').toLowerCase(); });
  function show(r, row) {
    Array.prototype.forEach.call(list.querySelectorAll('.sel'), function (x) { x.classList.remove('sel'); });
    if (row) row.classList.add('sel');
    conv.innerHTML = '';
    conv.appendChild(el('div', 'meta', r.family + ' · ' + r.status + (r.stage ? ' at ' + r.stage : '') + ' · ' + r.id +
      (r.tools && r.tools.length ? ' · tools: ' + r.tools.join(', ') : '')));
    if (r.reason) { var b = el('div', 'reason'); b.appendChild(el('b', null, 'rejected' + (r.stage ? ' at ' + r.stage : '') + ': '));
      b.appendChild(document.createTextNode(r.reason));
      var other = (r.reason.match(/\b[0-9a-f]{32}\b/) || [])[0];
      if (other && byId[other]) { var a = el('a', null, ' → show ' + other.slice(0, 8)); a.href = '#browser';
        a.onclick = function (e) { e.preventDefault(); show(byId[other], null); }; b.appendChild(a); }
      conv.appendChild(b); }
    r.messages.forEach(function (m) {
      var box = el('div', 'msg ' + m.role);
      box.appendChild(el('div', 'role', m.role + (m.name ? ' · ' + m.name : '') + (m.tool_call_id ? ' · ' + m.tool_call_id : '')));
      if (m.reasoning) { var d = el('details'); d.appendChild(el('summary', null, 'reasoning'));
        d.appendChild(el('pre', null, m.reasoning)); box.appendChild(d); }
      if (m.content && m.role === 'system') { var ds = el('details');
        ds.appendChild(el('summary', null, m.content.split('\n')[0].slice(0, 100) + ' … (' + m.content.length + ' characters)'));
        ds.appendChild(el('pre', null, m.content)); box.appendChild(ds); }
      else if (m.content) box.appendChild(el('pre', null, m.content));
      (m.tool_calls || []).forEach(function (c) { var cb = el('div', 'call');
        cb.appendChild(el('b', null, '→ ' + c.name + '  ')); cb.appendChild(el('span', 'meta', c.id || ''));
        var args = c.arguments; try { args = JSON.stringify(JSON.parse(args), null, 2); } catch (e) {}
        cb.appendChild(el('pre', null, args)); box.appendChild(cb); });
      conv.appendChild(box);
    });
    if (r.raw) { var dr = el('div', 'msg system'); dr.appendChild(el('div', 'role', 'raw line (did not parse)'));
      dr.appendChild(el('pre', null, r.raw)); conv.appendChild(dr); }
    var v = r.verification || {}, keys = Object.keys(v);
    if (keys.length) { var d2 = el('details'); d2.appendChild(el('summary', null, 'verification'));
      d2.appendChild(el('pre', null, JSON.stringify(v, null, 2))); conv.appendChild(d2); }
    if (r.lineage) { var d3 = el('details'); d3.appendChild(el('summary', null, 'lineage'));
      d3.appendChild(el('pre', null, JSON.stringify(r.lineage, null, 2))); conv.appendChild(d3); }
  }
  function refresh() {
    var needle = q.value.trim().toLowerCase(), hits = [];
    records.forEach(function (r) {
      if (fam.value && r.family !== fam.value) return;
      if (st.value && r.status !== st.value) return;
      if (stage.value && r.stage !== stage.value) return;
      if (needle && r._text.indexOf(needle) < 0) return;
      hits.push(r); });
    list.innerHTML = '';
    hits.slice(0, 300).forEach(function (r) {
      var row = el('div'); var tag = el('span', 'tag', r.family); tag.style.background = colors[r.family] || '#888';
      row.appendChild(tag);
      if (r.status === 'rejected') { var t2 = el('span', 'tag', r.stage || 'rejected'); t2.style.background = '#b3261e';
        row.appendChild(t2); }
      var first = r.messages.filter(function (m) { return m.role === 'user'; })[0];
      row.appendChild(document.createTextNode(((first && first.content) || r.id || '').slice(0, 90)));
      row.onclick = function () { show(r, row); }; list.appendChild(row); });
    count.textContent = hits.length + ' of ' + records.length + ' embedded records' + (hits.length > 300 ? ' (first 300 listed)' : '');
    if (hits.length) show(hits[0], list.firstChild); else conv.textContent = 'no record matches';
  }
  [q, fam, st, stage].forEach(function (c) { c.addEventListener('input', refresh); });
  refresh();
  // stats.html#record=<id> opens that record (links from notes, reports, issues)
  var wanted = decodeURIComponent((location.hash.match(/^#record=(.+)$/) || [])[1] || '');
  records.forEach(function (r) { if (wanted && r.id === wanted) show(r, null); });
  var marker = document.getElementById('render-marker');
  marker.setAttribute('data-plots', String(document.querySelectorAll('svg.plot').length));
  marker.setAttribute('data-records', String(records.length));
  marker.setAttribute('data-listed', String(list.children.length));
  marker.setAttribute('data-messages', String(conv.querySelectorAll('.msg').length));
  marker.textContent = 'rendered';
  document.documentElement.setAttribute('data-rendered', 'true');
})();
"""


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
    body = "".join(card(vbar(labels, stats["token_hist"][x], f"{x}: tokens per conversation", fill=color(x)))
                   for x in fams if any(stats["token_hist"].get(x, [])))
    sections.append(section("lengths", "Token-length distributions", body or empty_plot("no records"),
                            "Conversations per length bin (≈ tokens), one panel per family."))
    body = "".join(card(vbar(list(stats["turns"][x]), list(stats["turns"][x].values()), f"{x}: user turns",
                             fill=color(x), width=260)) for x in fams if stats["turns"].get(x))
    sections.append(section("turns", "Turns per conversation", body or empty_plot("no records")))

    # tools
    tools = stats["tools"]
    body = card(hbar(list(tools["calls"].items()), f"tool calls per tool ({tools['total_calls']} calls)",
                     note="no tool calls in this corpus"))
    body += card(vbar(list(tools["per_trace"]), list(tools["per_trace"].values()),
                      f"tool calls per trace ({tools['traces']} traces)", note="no tool traces"))
    sections.append(section("tools", "Tool usage", body))

    # identity and reasoning
    ident = stats["identity"]
    body = card(hbar(list(ident["languages"].items()), "identity: languages", note="no identity records"))
    body += card(hbar(list(ident["styles"].items()), "identity: first-message styles", note="no identity records"))
    body += card(hbar(list(ident["first_messages"].items()), "identity: most common first-message openings",
                      note="no identity records"))
    reas = stats["reasoning"]
    body += card(vbar(list(reas["levels"]), list(reas["levels"].values()), "reasoning: difficulty level",
                      fill=color("reasoning"), note="no reasoning records with verification.level"))
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
                      note="no near-duplicates dropped"))
    body += card(vbar(list(div["exact_dup_groups"]), list(div["exact_dup_groups"].values()),
                      "exact-duplicate group sizes", fill="#f28e2b", width=300, note="no exact duplicates dropped"))
    per_fam = [[fam, o["replies"], o["unique"], f"{o.get('top10_share', 0):.1%}",
                f"{o.get('top10_share_all_replies', 0):.1%}", *(f"{o.get(f'distinct_{n}', 0):.2f}" for n in (1, 2, 3)),
                " | ".join(f"{t} ×{n}" for t, n in o["top"][:3])]
               for fam, o in div["openings_by_family"].items()]
    body += card("<h3>variety per family</h3>" + table(
        ["family", "replies", "distinct openings", "top-10 share", "top-10 share (all replies)", "distinct-1",
         "distinct-2", "distinct-3", "top openings"], per_fam), wide=True)
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

    if demo:
        sections.append(demo_section(demo))
    sections.extend(x for x in extra_sections or [] if x)  # rendered by their owners (the eval: report_eval.py)

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

    nav = "".join(f'<a href="#{a}">{esc(n)}</a>' for a, n in (
        ("mix", "mix"), ("lengths", "lengths"), ("turns", "turns"), ("tools", "tools"), ("identity", "identity"),
        ("funnel", "funnel"), ("decontamination", "decontamination"), ("diversity", "diversity"),
        ("teachers", "teachers"), *((("demo", "demo"),) if demo else ()), ("browser", "records")))
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{esc(stats['persona'])} corpus — Crucible stats</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(stats['persona'])} corpus</h1><p>{esc(stats['corpus'])} · {esc(stats['population'])} "
        f"population · generated {esc(stats['generated_at'])} by <code>python -m factory stats</code></p></header>"
        f"<nav>{nav}</nav><main>{''.join(sections)}</main>"
        '<div id="render-marker" hidden></div>'
        f"{_json_script('records-data', packed)}{_json_script('shared-data', shared)}"
        f"{_json_script('palette-data', PALETTE)}"
        f"<script>{JS}</script></body></html>\n"
    )


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
