"""Decontamination throughput: the precomputed index (n-gram hash set + one Aho-Corasick automaton over all code
patterns) vs the obvious loop that tests every benchmark pattern with `in`, on the same records, same run.

Why: the stage runs on every record that survives dedup, against ~1,300 code patterns and ~125k n-grams; it must
cost far less than the lint / typecheck / execution stages after it. Records are textbook-like (prose + a code
block + the module again in `verification`); a few percent carry a pasted benchmark item so both paths do real work.

    .venv/bin/python bench/bench_decontam.py --n 2000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def make_records(n: int, items: list, seed: int) -> list[dict]:
    rng = random.Random(seed)
    vocab = [
        "the",
        "a",
        "of",
        "to",
        "in",
        "is",
        "for",
        "def",
        "return",
        "if",
        "else",
        "while",
        "list",
        "value",
        "index",
        "count",
        "total",
        "result",
    ]
    vocab += [f"name{i}" for i in range(3000)]
    code_items = [i for i in items if i.code]
    records = []
    for k in range(n):
        code = "\n".join("    " + " ".join(rng.choice(vocab) for _ in range(8)) for _ in range(40))
        if k % 25 == 0:  # 4% contaminated
            code = rng.choice(code_items).code.get("prompt+solution") or rng.choice(code_items).code["solution"]
        prose = " ".join(rng.choice(vocab) for _ in range(300))
        records.append(
            {
                "id": f"r{k}",
                "messages": [
                    {"role": "user", "content": prose},
                    {"role": "assistant", "content": f"```python\n{code}\n```"},
                ],
                "verification": {"module": code},
            }
        )
    return records


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--benchmarks", type=Path, default=BENCHMARKS)
    args = ap.parse_args()

    import logging

    logging.getLogger("datasets").setLevel(logging.WARNING)
    from filters.benchmarks import load_benchmarks
    from filters.decontam import DecontaminationFilter, record_texts, squash
    from filters.docs import record_to_document

    items = load_benchmarks(args.benchmarks)
    flt = DecontaminationFilter(items=items)
    t = time.perf_counter()
    index = flt.index
    build = time.perf_counter() - t
    docs = [record_to_document(r) for r in make_records(args.n, items, args.seed)]

    t = time.perf_counter()
    ours = {d.id for d in docs if flt.filter(d) is not True}
    ours_s = time.perf_counter() - t

    patterns = [squash(c) for i in items for c in i.code.values() if len(squash(c)) >= flt.config.min_code_chars]
    t = time.perf_counter()
    naive = {d.id for d in docs if any(p in s for s in map(squash, record_texts(d)) for p in patterns)}
    naive_s = time.perf_counter() - t

    result = {
        "records": len(docs),
        "avg_chars": sum(len(d.text) for d in docs) // len(docs),
        "index_build_s": round(build, 2),
        "index": index.stats,
        "indexed_rec_per_s": round(len(docs) / ours_s),
        "naive_substring_only_rec_per_s": round(len(docs) / naive_s),
        "speedup": round(naive_s / ours_s, 1),
        "planted": len(range(0, len(docs), 25)),
        # misses are solutions under both thresholds (< min_code_chars squashed, < n words), e.g. a 3-word
        # `return ''.join(strings)`: too short to be evidence of anything
        "contaminated_found": len(ours),
        "naive_found_subset_of_ours": naive <= ours,
    }
    print(json.dumps(result, indent=2))
    return 0 if naive <= ours else 1


if __name__ == "__main__":
    raise SystemExit(main())
