"""The eval section of stats.html, from reports/eval.json (written by `just eval`): subjects side by side.

Kept apart from report_html.py (which owns the page's look) and built from its primitives (section, card, table,
esc); only the grouped bars are drawn here, because an eval bar must carry its n and its Wilson interval, which the
generic plots do not. Rates without their n mislead: 2/2 and 96/100 are not the same evidence.
"""

from __future__ import annotations

from typing import Any

from factory.report_html import FONT, SERIES, card, esc, fit_label, label_column, legend, section, table

LABELS = {
    "identity": "identity", "tool_call": "tool call (AST)", "tool_schema_valid": "schema-valid calls",
    "tool_relevance": "no call if none needed", "tool_multistep": "multi-step answered", "safety": "asks first",
    "reasoning": "reasoning L1-10", "code_mbpp": "MBPP pass@1", "code_humaneval": "HumanEval pass@1",
    "bfcl": "BFCL (5 cat.)", "bfcl_simple": "simple", "bfcl_multiple": "multiple", "bfcl_parallel": "parallel",
    "bfcl_parallel_multiple": "parallel_multiple", "bfcl_irrelevance": "irrelevance",
}
HEADLINE = ("identity", "tool_call", "tool_schema_valid", "tool_relevance", "tool_multistep", "safety", "reasoning",
            "code_mbpp", "code_humaneval", "bfcl")


def rate_bars(categories: list[tuple[str, str]], subjects: list[dict], lookup: Any, title: str,
              width: int = 620) -> str:
    """Grouped horizontal bars (one group per category, one bar per subject) of rates in [0, 1], each labelled with
    its percentage and n, with a whisker for its Wilson 95% interval."""
    rows = [(label, [lookup(s, key) for s in subjects]) for key, label in categories]
    rows = [(label, cells) for label, cells in rows if any(c and c.get("n") for c in cells)]
    if not rows:
        return '<p class="empty">no results</p>'
    label_w, fits = label_column([label for label, _ in rows], least=100)
    bar_h, gap, value_w = 13, 10, 92
    top = 24 + 18
    h = top + len(rows) * (bar_h * len(subjects) + gap) + 4
    bar_w = width - label_w - value_w
    parts = [f'<svg class="plot" data-plot="eval-bars" viewBox="0 0 {width} {h}" width="{width}" height="{h}" '
             f'role="img" aria-label="{esc(title)}" style="{FONT}">',
             f'<text x="0" y="15" font-size="13" font-weight="600" fill="#222">{esc(title)}</text>']
    parts += legend([str(s["label"]) for s in subjects], [SERIES[j % len(SERIES)] for j in range(len(subjects))],
                    label_w, top - 6, width)
    for i, (label, cells) in enumerate(rows):
        y0 = top + i * (bar_h * len(subjects) + gap)
        parts.append(f'<text x="{label_w - 6}" y="{y0 + bar_h * len(subjects) / 2 + 4}" font-size="12" '
                     f'text-anchor="end" fill="#333"><title>{esc(label)}</title>{esc(fit_label(label, fits))}</text>')
        for j, cell in enumerate(cells):
            y = y0 + j * bar_h
            if not cell or not cell.get("n"):
                parts.append(f'<text x="{label_w + 4}" y="{y + bar_h - 3}" font-size="10" fill="#999">not run</text>')
                continue
            r, lo, hi, n = cell["rate"], cell["lo"], cell["hi"], cell["n"]
            text = f"{100 * r:.0f}% n={n}"
            parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w * r:.1f}" height="{bar_h - 2}" '
                         f'fill="{SERIES[j % len(SERIES)]}"><title>{esc(label)} · {esc(cells and subjects[j]["label"])}: '
                         f'{cell["k"]}/{n}, Wilson 95% {100 * lo:.0f}–{100 * hi:.0f}%</title></rect>'
                         f'<line x1="{label_w + bar_w * lo:.1f}" x2="{label_w + bar_w * hi:.1f}" '
                         f'y1="{y + (bar_h - 2) / 2:.1f}" y2="{y + (bar_h - 2) / 2:.1f}" stroke="#222" '
                         f'stroke-width="1"/>'
                         f'<text x="{label_w + bar_w + 4}" y="{y + bar_h - 3}" font-size="10" fill="#555">'
                         f'{esc(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _cell(m: dict | None) -> str:
    if not m or not m.get("n"):
        return ""
    return f"{100 * m['rate']:.0f}% [{100 * m['lo']:.0f}–{100 * m['hi']:.0f}] n={m['n']}"


def eval_section(report: dict[str, Any]) -> str:
    subjects = [s for s in report.get("subjects", []) if isinstance(s, dict)]
    if not subjects:
        return ""
    body = []
    metric = lambda s, k: (s.get("metrics") or {}).get(k)  # noqa: E731
    body.append(card(rate_bars([(k, LABELS[k]) for k in HEADLINE], subjects, metric, "held-out evals"), wide=True))
    langs = sorted({g for s in subjects for g in (s.get("breakdown") or {}).get("identity_by_lang", {})})
    by_lang = lambda s, k: (s.get("breakdown") or {}).get("identity_by_lang", {}).get(k)  # noqa: E731
    body.append(card(rate_bars([(g, g) for g in langs], subjects, by_lang, "identity per language")))
    bfcl = [k for k in LABELS if k.startswith("bfcl_")]
    body.append(card(rate_bars([(k, LABELS[k]) for k in bfcl], subjects, metric, "BFCL v4 per category")))
    rows = [[LABELS.get(k, k), *[_cell(metric(s, k)) for s in subjects]]
            for k in LABELS if any(metric(s, k) for s in subjects)]
    rows.append(["wall seconds", *[str(s.get("seconds", "")) for s in subjects]])
    body.append(card(table(["metric", *[s["label"] for s in subjects]], rows), wide=True))
    failures = []
    for s in subjects:
        for key, samples in (s.get("failures") or {}).items():
            for sample in samples[:2]:
                failures.append([s["label"], LABELS.get(key, key), str(sample.get("prompt", ""))[:90],
                                 str(sample.get("answer", ""))[:120], str(sample.get("reason", ""))[:100]])
    if failures:
        body.append(card("<details><summary>sample failures per metric</summary>"
                         + table(["subject", "metric", "prompt", "answer", "why"], failures) + "</details>",
                         wide=True))
    overlap = report.get("overlap") or {}
    lead = (f"From <code>reports/eval.json</code> ({esc(report.get('created_at', ''))}): the same frozen held-out items "
            f"for every subject, {'all of them' if report.get('full') else 'a fixed-seed subsample'}; bars show the "
            "rate with its n, the whisker its Wilson 95% interval.")
    if overlap:
        lead += (f" Overlap with the corpus: {overlap.get('overlapping')}/{overlap.get('prompts')} held-out prompts "
                 f"share a {overlap.get('n')}-gram with it ({100 * float(overlap.get('share') or 0):.2f}%).")
    return section("eval", "Evaluation: subjects side by side", "".join(body), lead)
