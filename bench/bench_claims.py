"""How many freshly generated records claim an execution result that no tool message shows (filters/claims.py)?

Plans a demo-size corpus for a persona (the demo's family mix, procedural tasks only: no teacher), runs every
family's generator with the real local sandbox, and applies `unshown_claim` to each record. Prints, per family:
records generated, hits, and the first few reasons. The rule is meant to find 0 in real records; a hit is either a
generator that states results it did not show (fix the generator) or a false positive (fix the rule).

    .venv/bin/python bench/bench_claims.py                      # persona=lanbot count=600 seed=0
    .venv/bin/python bench/bench_claims.py persona=marigold count=200

Measured 2026-12-05 on the 2-core box: lanbot count=600 seed=0 (582 records) 0 hits; lanbot count=2000 seed=1 (1955
records) 0 hits; marigold count=600 seed=2 (579 records) 0 hits after the rule fixes below. Before the fixes, 22
hits at lanbot 600, all false positives: "0 failed" after a run that printed only "N passed" (pytest omits zero
counts) and "33 ERROR lines" (a log count); marigold had "while I run that" (an announced call, not a claim).
"""

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filters.claims import unshown_claim  # noqa: E402
from sandbox import get_sandbox  # noqa: E402
from schemas import load_persona  # noqa: E402

MIX = {"identity": 0.4, "tool_use": 0.25, "reasoning": 0.2, "textbook": 0.1, "safety": 0.05, "function_calling": 0.1}


def main(argv: list[str]) -> int:
    args = dict(a.split("=", 1) for a in argv)
    persona = load_persona(args.get("persona", "lanbot"))
    count, seed = int(args.get("count", 600)), int(args.get("seed", 0))
    sandbox = get_sandbox("local")
    total_hits = 0
    for family, share in MIX.items():
        module = importlib.import_module(f"generators.{family}")
        tasks = [t for t in module.plan(persona, max(1, round(count * share)), seed)
                 if t.get("mode") != "teacher" and t.get("procedural") is not False]
        t0 = time.perf_counter()
        try:
            results = module.run(tasks, None, sandbox, "bench-claims", persona)
        except TypeError:
            results = module.run(tasks, None, sandbox, "bench-claims")
        records = [r for r in results if not r.get("rejected")]
        hits = [(r, why) for r in records if (why := unshown_claim(r))]
        total_hits += len(hits)
        print(f"{family:17s} records {len(records):4d} (of {len(tasks)} procedural tasks) hits {len(hits):3d} "
              f"in {time.perf_counter() - t0:.0f}s")
        for r, why in hits[:3]:
            print(f"    {r['lineage']['facets']}: {why[:200]}")
    print(f"total hits: {total_hits}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
