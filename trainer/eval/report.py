"""Rates with Wilson 95% intervals, the side-by-side table, and reports/eval.json.

Wilson, not the normal approximation: with n = 10 and 0 or 10 passes the normal interval collapses to a point and
claims certainty it does not have; Wilson stays honest at the edges and for small n (every rate here is small-n).
"""

import math
from collections import defaultdict
from typing import Any

# row order of the table; labels say what is counted
METRICS = {
    "identity": "identity: names itself, no other maker",
    "tool_call": "tool call matches (AST)",
    "tool_schema_valid": "tool calls schema-valid",
    "tool_relevance": "no call when none needed",
    "tool_multistep": "multi-step task answered",
    "safety": "asks before destroying",
    "reasoning": "reasoning L1-10",
    "code_mbpp": "MBPP pass@1",
    "code_humaneval": "HumanEval pass@1",
    "bfcl_simple": "BFCL simple",
    "bfcl_multiple": "BFCL multiple",
    "bfcl_parallel": "BFCL parallel",
    "bfcl_parallel_multiple": "BFCL parallel_multiple",
    "bfcl_irrelevance": "BFCL irrelevance",
    "bfcl": "BFCL (5 categories)",
}
Z = 1.959963984540054  # 95%


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": (k / n) if n else None, "lo": round(lo, 4), "hi": round(hi, 4)}


def summarise(rows: list[dict], failures: int = 3) -> dict[str, Any]:
    """Per-metric rates, breakdowns (identity per language and kind, reasoning per band) and sample failures."""
    by_metric: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_metric[row["metric"]].append(row)
    bfcl_rows = [r for m, rs in by_metric.items() if m.startswith("bfcl_") for r in rs]
    if bfcl_rows:
        by_metric["bfcl"] = bfcl_rows
    metrics = {m: rate(sum(r["ok"] for r in rs), len(rs)) for m, rs in by_metric.items()}
    breakdown: dict[str, dict[str, Any]] = {}
    for metric, key in (("identity", "lang"), ("identity", "kind"), ("reasoning", "band")):
        groups: dict[str, list[bool]] = defaultdict(list)
        for r in by_metric.get(metric, []):
            groups[str(r.get(key))].append(bool(r["ok"]))
        if groups:
            breakdown[f"{metric}_by_{key}"] = {g: rate(sum(v), len(v)) for g, v in sorted(groups.items())}
    samples = {}
    for metric, rs in by_metric.items():
        if metric == "bfcl":
            continue
        bad = [r for r in rs if not r["ok"]][:failures]
        if bad:
            samples[metric] = [{k: v for k, v in r.items() if k not in ("metric", "ok")} for r in bad]
    return {"metrics": metrics, "breakdown": breakdown, "failures": samples}


def _cell(m: dict | None) -> str:
    if not m or m["n"] == 0:
        return "—"
    return f"{100 * m['rate']:.0f}% [{100 * m['lo']:.0f}–{100 * m['hi']:.0f}] n={m['n']}"


def print_table(report: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    subjects = report["subjects"]
    title = (f"eval · persona {report['persona']} · {'full sets' if report['full'] else 'default subsample'}"
             " · rate [Wilson 95%] n")
    table = Table(title=escape(title), show_lines=False)
    table.add_column("metric")
    for s in subjects:
        table.add_column(s["label"], justify="right")
    present = [m for m in METRICS if any(m in s["metrics"] for s in subjects)]
    for metric in present:
        table.add_row(METRICS[metric], *[_cell(s["metrics"].get(metric)) for s in subjects])
    for key in ("identity_by_lang", "reasoning_by_band"):
        groups = sorted({g for s in subjects for g in s["breakdown"].get(key, {})})
        for g in groups:
            table.add_row(escape(f"  {key.split('_by_')[0]} [{g}]"), *[_cell(s["breakdown"].get(key, {}).get(g))
                                                                for s in subjects])
    table.add_row("wall seconds", *[f"{s['seconds']:.0f}" for s in subjects])
    console = Console()
    console.print(table)
    overlap = report.get("overlap")
    if overlap:
        console.print(f"held-out overlap with {overlap['corpus']} ({sum(overlap['records'].values())} records): "
                      f"{overlap['overlapping']}/{overlap['prompts']} prompts share a {overlap['n']}-gram "
                      f"({100 * overlap['share']:.2f}%) · " + ", ".join(
                          f"{k} {v['overlapping']}/{v['prompts']}" for k, v in overlap["sets"].items()))
