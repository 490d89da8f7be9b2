"""Throughput of the grounded families (tool_use, safety, reasoning): records per second with no teacher.

Why: `generate count=5000` spends most of its procedural time here, in real sandbox executions; this measures the
whole path (sampling, batched execution, parsing, record assembly, schema validation) and the yield, so a change
to the runtime or the scripts shows up as a number. CRUCIBLE_TOOL_WORKERS sets the sandbox pool width.

    .venv/bin/python bench/bench_grounded.py --persona lanbot --n 200
"""

from __future__ import annotations

import argparse
import collections
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description="records per second of the grounded families, no teacher")
    ap.add_argument("--persona", default="lanbot")
    ap.add_argument("--n", type=int, default=100, help="tasks per family")
    ap.add_argument("--families", default="tool_use,safety,reasoning")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    from sandbox import get_sandbox
    from schemas import load_persona

    persona = load_persona(args.persona)
    sandbox = get_sandbox("local")
    for family in args.families.split(","):
        module = importlib.import_module(f"generators.{family}")
        tasks = [t for t in module.plan(persona, args.n, args.seed) if t.get("mode") != "teacher"]
        t0 = time.perf_counter()
        results = module.run(tasks, None, sandbox, "bench", persona)
        dt = time.perf_counter() - t0
        kept = sum(not r.get("rejected") for r in results)
        reasons = collections.Counter(r["reason"][:60] for r in results if r.get("rejected"))
        print(f"{family:<10} {persona.slug:<9} kept {kept}/{len(results)} in {dt:6.1f}s = "
              f"{len(results) / dt:5.1f} rec/s  {dict(reasons.most_common(3)) or ''}", flush=True)


if __name__ == "__main__":
    main()
