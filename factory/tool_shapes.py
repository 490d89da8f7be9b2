"""Tool-call shapes per family: what a model trained on the corpus sees of tool use, beyond "it calls tools".

The eight fixed tools of one tool set teach eight names; what generalises is offering varied lists, calling several
tools in one turn, declining when nothing fits, and continuing over several user turns. This counts those from the
records themselves (every family with tools offered): tools offered per record, distinct functions offered and
called, the share of records offering tools that call none, the share of assistant turns with parallel calls,
calls and user turns per record, and the planned shape where the generator names one (`lineage.facets.shape`, the
function_calling family's single / choose / parallel / sequential / no_call / error_correct / multi_turn).

Used by factory/stats.py (stats.json `diversity.tool_shapes`, the terminal dashboard, the HTML report).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def family_figure(rows: list[tuple[Any, Any, Any]]) -> dict[str, Any]:
    """The figure for one family's (messages, tools, lineage) rows; rows offering no tools are not counted."""
    offered_sizes, calls_per, users_per = [], [], []
    offered, called, shapes = Counter(), Counter(), Counter()
    no_call = turns = parallel_turns = 0
    for messages, tools, lineage in rows:
        tools, messages = _json(tools) or [], _json(messages) or []
        if not tools:
            continue
        names = [t.get("function", {}).get("name") for t in tools]
        offered.update(names)
        offered_sizes.append(len(names))
        record_calls = 0
        for m in messages:
            calls = m.get("tool_calls") or []
            if m.get("role") == "assistant" and calls:
                turns += 1
                parallel_turns += len(calls) > 1
                record_calls += len(calls)
                called.update(c.get("function", {}).get("name") for c in calls)
        no_call += record_calls == 0
        calls_per.append(record_calls)
        users_per.append(sum(m.get("role") == "user" for m in messages))
        shape = ((_json(lineage) or {}).get("facets") or {}).get("shape")
        if shape:
            shapes[shape] += 1
    n = len(offered_sizes)
    if not n:
        return {}
    return {
        "records": n,
        "tools_offered_mean": round(sum(offered_sizes) / n, 2), "tools_offered_max": max(offered_sizes),
        "functions_offered": len(offered), "functions_called": len(called),
        "no_call_share": round(no_call / n, 4),
        "parallel_turn_share": round(parallel_turns / turns, 4) if turns else 0.0,
        "calls_per_record": round(sum(calls_per) / n, 2),
        "user_turns_mean": round(sum(users_per) / n, 2), "multi_turn_share": round(sum(u > 1 for u in users_per) / n, 4),
        "shapes": {k: round(v / n, 4) for k, v in shapes.most_common()},
    }


def by_family(families: list[str], messages: list[Any], tools: list[Any], lineages: list[Any]) -> dict[str, Any]:
    grouped: dict[str, list[tuple[Any, Any, Any]]] = {}
    for fam, msgs, tls, lin in zip(families, messages, tools, lineages, strict=True):
        grouped.setdefault(str(fam), []).append((msgs, tls, lin))
    return {fam: figure for fam, rows in sorted(grouped.items()) if (figure := family_figure(rows))}


def of_frame(frame: Any) -> dict[str, Any]:
    """by_family over a polars frame of records (a raw-only corpus has no `tools` column: nothing is offered)."""
    return by_family(*(frame[c].to_list() if c in frame.columns else [None] * frame.height
                       for c in ("family", "messages", "tools", "lineage")))


COLUMNS = ("family", "records", "tools offered", "fns offered", "fns called", "no call", "parallel turns",
           "calls/rec", "user turns", "shapes")


def rows(tool_shapes: dict[str, Any]) -> list[list[str]]:
    """One row per family, as strings, in COLUMNS order (the terminal and the HTML table share it)."""
    return [[fam, str(f["records"]), f"{f['tools_offered_mean']:.1f} (max {f['tools_offered_max']})",
             str(f["functions_offered"]), str(f["functions_called"]), f"{f['no_call_share']:.1%}",
             f"{f['parallel_turn_share']:.1%}", f"{f['calls_per_record']:.1f}", f"{f['user_turns_mean']:.1f}",
             " ".join(f"{k} {v:.0%}" for k, v in f["shapes"].items()) or "-"]
            for fam, f in tool_shapes.items()]


def render(tool_shapes: dict[str, Any], console: Any) -> None:
    """The terminal table for `stats`."""
    if not tool_shapes:
        return
    from rich.table import Table

    table = Table(title="tool use per family (records that offer tools)", title_justify="left")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("family", "shapes") else "right")
    for row in rows(tool_shapes):
        table.add_row(*row)
    console.print(table)
