"""The filter funnel: per family, stage -> in / kept / rejected / top reasons / time; reports/funnel.json + a table.

Each task of each stage left `<counts>/<stage>/<rank>.json` (filters.stage.write_counts). Merging them is also the
run's global conservation check: per stage and family in == kept + rejected, and what a stage kept is exactly what
the next stage received. A funnel that does not add up raises instead of being written.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from filters.docs import FAMILIES
from filters.stage import ConservationError

TOP_REASONS = 3


def merge_counts(counts_folder: Path, stages: list[str], expected_tasks: dict[str, int] | None = None) -> dict[str, dict]:
    """stage -> family -> {in, kept, rejected, reasons: Counter, seconds}, summed over tasks."""
    merged: dict[str, dict[str, dict[str, Any]]] = {}
    for stage in stages:
        files = sorted((counts_folder / stage).glob("*.json"))
        if expected_tasks and stage in expected_tasks and len(files) != expected_tasks[stage]:
            raise ConservationError(f"stage {stage}: counts from {len(files)} tasks, expected {expected_tasks[stage]}")
        per: dict[str, dict[str, Any]] = {}
        for path in files:
            part = json.loads(path.read_text())
            for family, c in part["families"].items():
                slot = per.setdefault(family, {"in": 0, "kept": 0, "rejected": 0, "reasons": Counter(), "seconds": 0.0})
                slot["in"] += c["in"]
                slot["kept"] += c["kept"]
                slot["rejected"] += c["rejected"]
                slot["reasons"].update(c["reasons"])
                slot["seconds"] += part.get("seconds_by_family", {}).get(family, 0.0)
        merged[stage] = per
    return merged


def check_chain(merged: dict[str, dict], stages: list[str]) -> None:
    """Raise unless every stage adds up and passes exactly what it kept to the next stage."""
    problems = []
    previous: str | None = None
    for stage in stages:
        for family, c in merged[stage].items():
            if c["in"] != c["kept"] + c["rejected"]:
                problems.append(f"{stage}/{family}: in {c['in']} != kept {c['kept']} + rejected {c['rejected']}")
        if previous is not None:
            for family in set(merged[previous]) | set(merged[stage]):
                before = merged[previous].get(family, {}).get("kept", 0)
                now = merged[stage].get(family, {}).get("in", 0)
                if before != now:
                    problems.append(f"{previous} kept {before} {family} records but {stage} received {now}")
        previous = stage
    if problems:
        raise ConservationError("filter funnel does not add up: " + "; ".join(problems))


def build_funnel(merged: dict[str, dict], stages: list[str], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON report: per family and in total, one row per stage."""
    check_chain(merged, stages)
    families = [f for f in (*FAMILIES, "unknown") if any(f in merged[s] for s in stages)]

    def row(stage: str, counts: list[dict]) -> dict[str, Any]:
        reasons: Counter[str] = Counter()
        for c in counts:
            reasons.update(c["reasons"])
        return {
            "stage": stage,
            "in": sum(c["in"] for c in counts),
            "kept": sum(c["kept"] for c in counts),
            "rejected": sum(c["rejected"] for c in counts),
            "top_reasons": [[reason, n] for reason, n in reasons.most_common(TOP_REASONS)],
            "seconds": round(sum(c["seconds"] for c in counts), 3),
        }

    empty = {"in": 0, "kept": 0, "rejected": 0, "reasons": {}, "seconds": 0.0}
    per_family = {f: [row(s, [merged[s].get(f, empty)]) for s in stages] for f in families}
    total = [row(s, list(merged[s].values())) for s in stages]
    return {**meta, "stages": stages, "families": per_family, "total": total,
            "records_in": total[0]["in"] if total else 0, "records_kept": total[-1]["kept"] if total else 0}


def render_funnel(funnel: dict[str, Any], console: Any = None) -> None:
    """Print one rich table per family, then the total."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    sections = [*funnel["families"].items(), ("all families", funnel["total"])]
    for family, rows in sections:
        table = Table(title=f"filter funnel — {family}", title_justify="left", show_lines=False)
        for column, justify in (("stage", "left"), ("in", "right"), ("kept", "right"), ("rejected", "right"),
                                ("top reasons", "left"), ("time", "right")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for r in rows:
            reasons = "; ".join(f"{reason} ×{n}" for reason, n in r["top_reasons"])
            table.add_row(r["stage"], str(r["in"]), str(r["kept"]), f"[red]{r['rejected']}[/]" if r["rejected"] else "0",
                          reasons, f"{r['seconds']:.2f}s")
        console.print(table)
    console.print(f"[bold]{funnel['records_kept']}[/] of {funnel['records_in']} records kept "
                  f"→ {funnel.get('clean', 'clean/')}")
