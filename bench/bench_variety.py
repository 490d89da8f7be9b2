"""How much of a procedural family survives the filter's near dedup, and how varied its assistant prose is.

Why: near dedup (MinHash over word 5-grams, numbers folded to 0, effective Jaccard threshold ~0.72) removed most of
the grounded families at scale (count=8000, main 4ebfcf1: tool_use 24% kept, safety 0.7%, reasoning 34%): a trace
whose words come from one skeleton per kind is a near duplicate of every other trace of that kind, whatever its
numbers. This plans N procedural tasks of one family for one card (teacher=None), runs them exactly as `generate`
does (real sandbox), then measures on the text the filter dedups (`conversation_text`):

- near-dedup survival overall and per template/kind (`datasketch_near_duplicates`, default `NearDedupConfig`);
- the share of the 10 most common 4-word openings of assistant replies (the first reply with text per record, as
  `just stats` counts them) and of all assistant replies;
- distinct-1/2/3 of assistant replies.

    .venv/bin/python bench/bench_variety.py family=safety persona=lanbot n=600 seed=0
"""

import importlib
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filters.dedup import datasketch_near_duplicates  # noqa: E402
from filters.docs import conversation_text  # noqa: E402
from sandbox import get_sandbox  # noqa: E402
from schemas import load_persona  # noqa: E402


def opening(text: str, words: int = 4) -> str:
    return " ".join(re.findall(r"[\w']+", text[:160].lower())[:words])


def replies(rec: dict) -> list[str]:
    return [m["content"] for m in rec["messages"] if m["role"] == "assistant" and (m.get("content") or "").strip()]


def distinct(texts: list[str], n: int) -> float:
    grams, total = set(), 0
    for t in texts:
        w = re.findall(r"\w+", t.lower())
        for i in range(len(w) - n + 1):
            grams.add(tuple(w[i:i + n]))
            total += 1
    return len(grams) / total if total else 0.0


def kind_of(rec: dict) -> str:
    facets = rec["lineage"]["facets"]
    return str(facets.get("template") or facets.get("source") or facets.get("topic") or "?")


def main(argv: list[str]) -> int:
    opts = dict(a.split("=", 1) for a in argv)
    family, persona_name = opts.get("family", "safety"), opts.get("persona", "lanbot")
    n, seed = int(opts.get("n", 600)), int(opts.get("seed", 0))
    module = importlib.import_module(f"generators.{family}")
    persona = load_persona(persona_name)
    tasks = [t for t in module.plan(persona, n, seed) if t.get("mode") != "teacher" and t.get("procedural") is not False]
    t0 = time.perf_counter()
    try:
        results = module.run(tasks, None, get_sandbox("local"), "bench", persona)
    except TypeError:
        results = module.run(tasks, None, get_sandbox("local"), "bench")
    wall = time.perf_counter() - t0
    records = [r for r in results if not r.get("rejected")]
    reasons = Counter(str(r.get("reason"))[:90] for r in results if r.get("rejected"))
    drops = datasketch_near_duplicates((r["id"], conversation_text(r)) for r in records)
    kept = [r for i, r in enumerate(records) if i not in drops]
    by_kind, kept_kind = Counter(kind_of(r) for r in records), Counter(kind_of(r) for r in kept)
    firsts = [opening(replies(r)[0]) for r in kept if replies(r)]
    every = [opening(x) for r in kept for x in replies(r)]
    top10 = sum(c for _, c in Counter(firsts).most_common(10)) / max(1, len(firsts))
    top10_all = sum(c for _, c in Counter(every).most_common(10)) / max(1, len(every))
    texts = [x for r in kept for x in replies(r)]
    print(f"{family}/{persona_name} n={len(tasks)} seed={seed}: {len(records)} records ({wall:.0f}s), "
          f"{len(results) - len(records)} generation rejects")
    print(f"near dedup kept {len(kept)}/{len(records)} = {len(kept) / max(1, len(records)):.1%}")
    print(f"top-10 openings: {top10:.1%} of first replies, {top10_all:.1%} of all replies; distinct-1/2/3 "
          f"{distinct(texts, 1):.3f}/{distinct(texts, 2):.3f}/{distinct(texts, 3):.3f}")
    for kind in sorted(by_kind):
        print(f"  {kind:34s} {kept_kind[kind]:4d}/{by_kind[kind]:<4d} {kept_kind[kind] / by_kind[kind]:.0%}")
    for text, c in Counter(firsts).most_common(5):
        print(f"  opening {c:4d}  {text}")
    for reason, c in reasons.most_common(5):
        print(f"  reject {c:4d}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
